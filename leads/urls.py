from django.urls import path

from leads import api
from leads.views import imports, lead_detail, lead_list, public_form, sources

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
