from django.urls import path

from leads import api
from leads.views import (
    accounts,
    imports,
    inbox,
    lead_actions,
    lead_detail,
    lead_list,
    public_form,
    reply_templates,
    sources,
)

app_name = "leads"

api_patterns = [
    path("api/v1/leads/", api.LeadCollectionView.as_view(), name="api-lead-list"),
    path("api/v1/leads/bulk/", api.LeadBulkView.as_view(), name="api-lead-bulk"),
    path("api/v1/leads/<int:lead_id>/", api.LeadDetailView.as_view(), name="api-lead-detail"),
    path(
        "api/v1/leads/<int:lead_id>/activities/",
        api.LeadActivitiesView.as_view(),
        name="api-lead-activities",
    ),
]

page_patterns: list = [
    path("leads/", lead_list.lead_list, name="lead-list"),
    path("leads/new/", lead_list.lead_new, name="lead-new"),
    path("leads/bulk/", lead_list.lead_bulk, name="lead-bulk"),
    path("leads/<int:lead_id>/", lead_detail.lead_detail, name="lead-detail"),
    path("leads/<int:lead_id>/state/", lead_detail.lead_state, name="lead-state"),
    path("leads/<int:lead_id>/notes/", lead_detail.lead_note, name="lead-note"),
    path("leads/imports/", imports.import_upload, name="import-upload"),
    path("leads/imports/<int:import_id>/", imports.import_detail, name="import-detail"),
    path("leads/imports/<int:import_id>/map/", imports.import_map, name="import-map"),
    path("leads/imports/<int:import_id>/start/", imports.import_start, name="import-start"),
    path("leads/imports/<int:import_id>/cancel/", imports.import_cancel, name="import-cancel"),
    path(
        "leads/imports/<int:import_id>/rejected.csv",
        imports.import_rejects,
        name="import-rejects",
    ),
]

source_patterns = [
    path("settings/sources/", sources.source_list, name="source-list"),
    path("settings/sources/new/", sources.source_new, name="source-new"),
    path("settings/sources/<int:source_id>/", sources.source_detail, name="source-detail"),
    path("settings/sources/<int:source_id>/active/", sources.source_active, name="source-active"),
    path("settings/sources/<int:source_id>/token/", sources.source_token, name="source-token"),
    # Public web forms: no login, the token is the key.
    path("f/<str:token>/", public_form.public_form, name="public-form"),
    path("f/<str:token>/submit/", public_form.public_form_submit, name="public-form-submit"),
]

urlpatterns = api_patterns + page_patterns + source_patterns

# Acting from the lead page: reply, call, log a call, task, meeting, the cadence's controls.
lead_action_patterns = [
    path("leads/<int:lead_id>/reply/", lead_actions.lead_reply, name="lead-reply"),
    path(
        "leads/<int:lead_id>/reply/preview/",
        lead_actions.lead_reply_preview,
        name="lead-reply-preview",
    ),
    path("leads/<int:lead_id>/call/", lead_actions.lead_call, name="lead-call"),
    path("leads/<int:lead_id>/call/log/", lead_actions.lead_call_log, name="lead-call-log"),
    path("leads/<int:lead_id>/tasks/new/", lead_actions.lead_task, name="lead-task"),
    path("leads/<int:lead_id>/meeting/", lead_actions.lead_meeting, name="lead-meeting"),
    path("leads/<int:lead_id>/header/", lead_actions.lead_header, name="lead-header"),
    *(
        path(
            f"leads/enrollments/<int:enrollment_id>/{action}/",
            lead_actions.lead_enrollment_action,
            {"action": action},
            name=f"lead-enrollment-{action}",
        )
        for action in lead_actions.ENROLLMENT_ACTIONS
    ),
]
urlpatterns += lead_action_patterns

inbox_patterns = [
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/live/", inbox.inbox_live, name="inbox-live"),
    path("inbox/queue/tasks/<int:task_id>/done/", inbox.inbox_task_done, name="inbox-task-done"),
    path(
        "inbox/queue/meetings/<int:lead_id>/confirm/",
        inbox.inbox_meeting_confirm,
        name="inbox-meeting-confirm",
    ),
]
urlpatterns += inbox_patterns

# Accounts: every contact at a company, for reaching a second person there.
account_patterns = [
    path("accounts/", accounts.account_list, name="account-list"),
    path("accounts/<int:account_id>/", accounts.account_detail, name="account-detail"),
]
urlpatterns += account_patterns

# Settings → Reply templates (managers): the saved replies of the lead page's composer.
reply_template_patterns = [
    path(
        "settings/reply-templates/",
        reply_templates.reply_template_list,
        name="reply-template-list",
    ),
    path(
        "settings/reply-templates/new/",
        reply_templates.reply_template_form,
        name="reply-template-new",
    ),
    path(
        "settings/reply-templates/<int:template_id>/",
        reply_templates.reply_template_form,
        name="reply-template-edit",
    ),
    path(
        "settings/reply-templates/<int:template_id>/delete/",
        reply_templates.reply_template_delete,
        name="reply-template-delete",
    ),
]
urlpatterns += reply_template_patterns
