from django.urls import path  # noqa: F401 - the lists below fill up with routes

from cadences import api
from cadences.views import builder, cadence_list, enroll, enrollments, preview, tasks

app_name = "cadences"

# Pages: cadence list, builder, preview, enrollments.
page_patterns: list = [
    path("cadences/", cadence_list.cadence_list, name="cadence-list"),
    path("cadences/enroll/", enroll.enroll_bulk, name="enroll-bulk"),
    path("cadences/enroll/options/", enroll.enroll_options, name="enroll-options"),
    path("leads/<int:lead_id>/cadences/", enroll.lead_enrollments, name="lead-enrollments"),
    path("leads/<int:lead_id>/cadences/enroll/", enroll.lead_enroll, name="lead-enroll"),
    path("cadences/new/", cadence_list.cadence_form, name="cadence-new"),
    path(
        "cadences/presets/<slug:key>/",
        cadence_list.cadence_from_preset,
        name="cadence-from-preset",
    ),
    path("cadences/<int:cadence_id>/", builder.cadence_builder, name="cadence-builder"),
    path("cadences/<int:cadence_id>/settings/", cadence_list.cadence_form, name="cadence-edit"),
    path("cadences/<int:cadence_id>/toggle/", cadence_list.cadence_toggle, name="cadence-toggle"),
    path("cadences/<int:cadence_id>/delete/", cadence_list.cadence_delete, name="cadence-delete"),
    path("cadences/<int:cadence_id>/steps/new/", builder.step_form, name="step-new"),
    path("cadences/steps/<int:step_id>/", builder.step_form, name="step-edit"),
    path("cadences/steps/<int:step_id>/move/", builder.step_move, name="step-move"),
    path("cadences/steps/<int:step_id>/delete/", builder.step_delete, name="step-delete"),
    path("cadences/<int:cadence_id>/preview/", preview.cadence_preview, name="cadence-preview"),
    path(
        "cadences/<int:cadence_id>/enrollments/",
        enrollments.enrollment_list,
        name="enrollment-list",
    ),
    *(
        path(
            f"cadences/enrollments/<int:enrollment_id>/{action}/",
            enrollments.enrollment_action,
            {"action": action},
            name=f"enrollment-{action}",
        )
        for action in ("pause", "resume", "stop")
    ),
]

# API: enrollments of a lead.
api_patterns: list = [
    path(
        "api/v1/leads/<int:lead_id>/enrollments/",
        api.LeadEnrollmentsView.as_view(),
        name="api-lead-enrollments",
    ),
]

# The Tasks page of the Inbox section, and its row actions.
task_patterns: list = [
    path("inbox/tasks/", tasks.task_list, name="task-list"),
    path("inbox/tasks/<int:task_id>/complete/", tasks.task_complete, name="task-complete"),
    path("inbox/tasks/<int:task_id>/reschedule/", tasks.task_reschedule, name="task-reschedule"),
    path("inbox/tasks/<int:task_id>/reassign/", tasks.task_reassign, name="task-reassign"),
]

urlpatterns = page_patterns + api_patterns + task_patterns
