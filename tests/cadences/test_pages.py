"""The cadence pages: list with counts, builder, preview and enrollments."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cadences.models import Cadence, Enrollment, Step
from leadfollow.tenancy import workspace_scope
from tests.factories import CadenceFactory, LeadFactory, StepFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# Tuesday 10 March 2026, 06:00 UTC: 22:00 on Monday in Los Angeles, inside quiet hours.
LATE = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
STEP_POST = {
    "kind": "email",
    "delay": "2",
    "delay_unit": "days",
    "delay_after": "previous",
    "subject": 'Hello {{ lead.first_name | "there" }}',
    "body": "Hi {{ lead.first_name }}, this is {{ owner.first_name }}.",
    "task_timeout_hours": "24",
}


@pytest.fixture
def scope(workspace):
    with workspace_scope(workspace):
        yield workspace


def _cadence(scope, *kinds, **fields):
    cadence = CadenceFactory(workspace=scope, **fields)
    for position, kind in enumerate(kinds):
        StepFactory(cadence=cadence, position=position, kind=kind, body=f"Step {position + 1}")
    return cadence


def _enroll(cadence, status="active", exit_reason=""):
    return Enrollment.objects.create(
        workspace=cadence.workspace,
        lead=LeadFactory(workspace=cadence.workspace),
        cadence=cadence,
        status=status,
        exit_reason=exit_reason,
        enrolled_at=timezone.now(),
    )


def test_manager_creates_a_cadence_with_enrollment_conditions(scope, manager_client):
    response = manager_client.post(
        reverse("cadences:cadence-new"),
        {
            "name": "Website leads",
            "auto_enroll": "on",
            "renurture_after_days": "60",
            "cond-match": "all",
            "cond-field": ["source"],
            "cond-key": [""],
            "cond-op": ["equals"],
            "cond-value": ["Website"],
        },
    )
    cadence = Cadence.objects.get(name="Website leads")
    assert response.status_code == 302
    assert response.url == reverse("cadences:cadence-builder", args=[cadence.pk])
    assert cadence.auto_enroll is True
    assert cadence.enrollment_conditions == {
        "all": [{"field": "source", "op": "equals", "value": "Website"}]
    }


def test_a_taken_name_is_shown_on_the_form(scope, manager_client):
    CadenceFactory(workspace=scope, name="Website leads")
    response = manager_client.post(
        reverse("cadences:cadence-new"), {"name": "website leads", "renurture_after_days": "60"}
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Cadence.objects.count() == 1


def test_adding_a_step_appends_it_to_the_builder(scope, manager_client):
    cadence = _cadence(scope, "email")
    response = manager_client.post(
        reverse("cadences:step-new", args=[cadence.pk]), STEP_POST, **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#steps-section"
    added = Step.objects.get(cadence=cadence, position=1)
    assert (added.delay, added.delay_unit) == (2, "days")
    assert "2 days after the previous step" in response.content.decode()


def test_a_template_mistake_is_shown_inline_with_line_and_column(scope, manager_client):
    cadence = _cadence(scope)
    post = {**STEP_POST, "body": "Hi there,\nsee you {{ lead.frist_name }}"}
    response = manager_client.post(reverse("cadences:step-new", args=[cadence.pk]), post, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps the form back in with its errors
    assert "Line 2, column" in body
    assert "lead.first_name" in body  # the closest real name is suggested
    assert not Step.objects.filter(cadence=cadence).exists()


def test_a_branch_to_a_missing_step_is_refused(scope, manager_client):
    cadence = _cadence(scope, "email")
    post = {**STEP_POST, "branches": '[{"when": "clicked", "then": "goto", "step": 9}]'}
    response = manager_client.post(reverse("cadences:step-new", args=[cadence.pk]), post, **HTMX)
    assert "jump to a step of this cadence" in response.content.decode()
    assert Step.objects.filter(cadence=cadence).count() == 1


def test_moving_a_step_down_swaps_it_and_its_branch_follows(scope, manager_client):
    cadence = _cadence(scope, "email", "sms", "call_task")
    first, second, third = cadence.steps.order_by("position")
    third.branches = [{"when": "outcome:no_answer", "then": "goto", "step": 0}]
    third.save()
    manager_client.post(reverse("cadences:step-move", args=[first.pk]), {"direction": "down"})
    order = list(cadence.steps.order_by("position").values_list("pk", flat=True))
    assert order == [second.pk, first.pk, third.pk]
    third.refresh_from_db()
    assert third.branches[0]["step"] == 1  # still the email step


def test_deleting_a_step_closes_the_gap(scope, manager_client):
    cadence = _cadence(scope, "email", "sms", "call_task")
    first, second, third = cadence.steps.order_by("position")
    manager_client.post(reverse("cadences:step-delete", args=[second.pk]), **HTMX)
    assert list(cadence.steps.order_by("position").values_list("pk", "position")) == [
        (first.pk, 0),
        (third.pk, 1),
    ]


WRITES = [
    ("cadences:cadence-new", None),
    ("cadences:cadence-edit", "cadence"),
    ("cadences:cadence-toggle", "cadence"),
    ("cadences:cadence-delete", "cadence"),
    ("cadences:step-new", "cadence"),
    ("cadences:step-edit", "step"),
    ("cadences:step-move", "step"),
    ("cadences:step-delete", "step"),
    ("cadences:enrollment-pause", "enrollment"),
    ("cadences:enrollment-resume", "enrollment"),
    ("cadences:enrollment-stop", "enrollment"),
]


@pytest.mark.parametrize(("name", "target"), WRITES)
def test_a_rep_cannot_change_cadences(scope, rep_client, name, target):
    cadence = _cadence(scope, "email")
    objects = {"cadence": cadence, "step": cadence.steps.get(), "enrollment": _enroll(cadence)}
    args = [objects[target].pk] if target else []
    response = rep_client.post(reverse(name, args=args), {"direction": "down", "name": "x"})
    assert response.status_code == 403
    assert Enrollment.objects.get().status == "active"
    assert Cadence.objects.get().name == cadence.name


@pytest.mark.parametrize("name", ["cadence-builder", "cadence-preview", "enrollment-list"])
def test_a_rep_can_read_a_cadence(scope, rep_client, name):
    cadence = _cadence(scope, "email")
    response = rep_client.get(reverse(f"cadences:{name}", args=[cadence.pk]))
    assert response.status_code == 200
    assert "Delete" not in response.content.decode()


def test_the_list_counts_each_cadence_s_enrollments(scope, manager_client):
    welcome, quiet = _cadence(scope, "email", name="Welcome"), _cadence(scope, name="Quiet")
    for status, reason in [
        ("active", ""),
        ("active", ""),
        ("paused", ""),
        ("completed", ""),
        ("exited", "replied"),
        ("exited", "opted_out"),
    ]:
        _enroll(welcome, status, reason)
    _enroll(quiet, "exited", "replied")
    response = manager_client.get(reverse("cadences:cadence-list"))
    rows = {c.name: c for c in response.context["cadences"]}
    counted = rows["Welcome"]
    assert (counted.active_count, counted.paused_count, counted.completed_count) == (2, 1, 1)
    assert (counted.replied_count, counted.enrolled_count, counted.step_count) == (1, 6, 1)
    assert '<td class="num" data-count="rate">17%</td>' in response.content.decode()
    assert rows["Quiet"].reply_rate == 1.0


def test_the_list_counts_in_a_fixed_number_of_queries(scope, manager_client):
    _enroll(_cadence(scope, "email"))
    with CaptureQueriesContext(connection) as one:
        manager_client.get(reverse("cadences:cadence-list"))
    for _ in range(5):
        _enroll(_cadence(scope, "email", "sms"))
    with CaptureQueriesContext(connection) as six:
        manager_client.get(reverse("cadences:cadence-list"))
    assert len(six) == len(one)


def test_a_cadence_can_be_switched_off(scope, manager_client):
    cadence = _cadence(scope, "email")
    response = manager_client.post(
        reverse("cadences:cadence-toggle", args=[cadence.pk]), {"is_active": "false"}, **HTMX
    )
    cadence.refresh_from_db()
    assert cadence.is_active is False
    assert 'aria-checked="false"' in response.content.decode()


def test_preview_renders_each_message_for_the_chosen_lead(scope, manager_client):
    cadence = _cadence(scope)
    StepFactory(cadence=cadence, position=0, body="Hi {{ lead.first_name }}!")
    lead = LeadFactory(workspace=scope, first_name="Dana")
    response = manager_client.get(
        reverse("cadences:cadence-preview", args=[cadence.pk]), {"lead": lead.pk}
    )
    assert "Hi Dana!" in response.content.decode()


def test_preview_shows_a_text_moved_by_quiet_hours_in_the_lead_s_time(scope, manager_client):
    scope.time_zone = "America/New_York"  # the page shows the lead's time, not the workspace's
    scope.save()
    cadence = _cadence(scope, "sms")
    lead = LeadFactory(workspace=scope, time_zone="America/Los_Angeles")
    with time_machine.travel(LATE, tick=False):
        response = manager_client.get(
            reverse("cadences:cadence-preview", args=[cadence.pk]), {"lead": lead.pk}, **HTMX
        )
    body = response.content.decode()
    assert "Tue 10 Mar, 08:00" in body
    assert "Moved to 08:00 (quiet hours)" in body


def test_preview_writes_nothing(scope, manager_client):
    cadence = _cadence(scope, "email", "sms", "call_task")
    lead = LeadFactory(workspace=scope)
    with CaptureQueriesContext(connection) as queries:
        response = manager_client.get(
            reverse("cadences:cadence-preview", args=[cadence.pk]), {"lead": lead.pk}
        )
    assert response.status_code == 200
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "django_session" not in q["sql"]
    ]
    assert writes == []


def test_preview_without_a_lead_uses_sample_values(scope, manager_client):
    cadence = _cadence(scope)
    StepFactory(cadence=cadence, position=0, body="Hi {{ lead.first_name }}!")
    response = manager_client.get(reverse("cadences:cadence-preview", args=[cadence.pk]))
    assert "Hi Jordan!" in response.content.decode()


def test_enrollments_filter_by_status(scope, manager_client):
    cadence = _cadence(scope, "email")
    active, paused = _enroll(cadence), _enroll(cadence, "paused")
    response = manager_client.get(
        reverse("cadences:enrollment-list", args=[cadence.pk]), {"status": "paused"}
    )
    shown = [e.pk for e in response.context["page"].object_list]
    assert shown == [paused.pk]
    assert active.pk not in shown


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [("pause", "active", "paused"), ("resume", "paused", "active"), ("stop", "active", "exited")],
)
def test_a_manager_pauses_resumes_and_stops_an_enrollment(
    scope, manager_client, action, before, after
):
    enrollment = _enroll(_cadence(scope, "email"), before)
    response = manager_client.post(
        reverse(f"cadences:enrollment-{action}", args=[enrollment.pk]), **HTMX
    )
    enrollment.refresh_from_db()
    assert response.status_code == 200
    assert enrollment.status == after
    assert f'id="enrollment-{enrollment.pk}"' in response.content.decode()
    if action == "stop":
        assert enrollment.exit_reason == "manual"


def test_resuming_an_active_enrollment_says_why_not(scope, manager_client):
    enrollment = _enroll(_cadence(scope, "email"))
    response = manager_client.post(
        reverse("cadences:enrollment-resume", args=[enrollment.pk]), **HTMX
    )
    assert "Only a paused enrollment can be resumed." in response.content.decode()


def test_editing_a_step_counts_branch_steps_from_one(scope, manager_client):
    cadence = _cadence(scope, "email", "sms")
    second = cadence.steps.get(position=1)
    post = {**STEP_POST, "branches": '[{"when": "clicked", "then": "goto", "step": 1}]'}
    manager_client.post(reverse("cadences:step-edit", args=[second.pk]), post, **HTMX)
    second.refresh_from_db()
    assert second.branches == [{"when": "clicked", "then": "goto", "step": 0}]
    assert second.subject == STEP_POST["subject"]


def test_a_step_leads_have_reached_is_removed_from_the_builder(scope, manager_client):
    cadence = _cadence(scope, "email")
    step = cadence.steps.get()
    enrollment = _enroll(cadence)
    enrollment.touches.create(
        workspace=scope, step=step, sequence=1, channel="email", due_at=timezone.now()
    )
    response = manager_client.post(reverse("cadences:step-delete", args=[step.pk]), **HTMX)
    assert "Step deleted. 1 lead on it finished the cadence." in response.content.decode()
    assert not cadence.steps.filter(pk=step.pk).exists()


def test_manager_sees_the_presets_on_the_cadence_list(manager_client):
    page = manager_client.get(reverse("cadences:cadence-list")).content.decode()
    assert "Create from preset" in page


def test_rep_sees_no_preset_buttons(rep_client):
    page = rep_client.get(reverse("cadences:cadence-list")).content.decode()
    assert "Create from preset" not in page


def test_creating_from_a_preset_opens_the_copy_in_the_builder(manager_client, workspace):
    response = manager_client.post(reverse("cadences:cadence-from-preset", args=["speed-to-lead"]))
    with workspace_scope(workspace):
        cadence = Cadence.objects.get(preset="speed-to-lead")
        assert cadence.steps.count() >= 8
    assert response.url == reverse("cadences:cadence-builder", args=[cadence.pk])


def test_an_unknown_preset_is_explained(manager_client, workspace):
    response = manager_client.post(
        reverse("cadences:cadence-from-preset", args=["nope"]), follow=True
    )
    assert response.status_code == 200
    with workspace_scope(workspace):
        assert not Cadence.objects.exists()


def test_rep_cannot_create_from_a_preset(rep_client):
    response = rep_client.post(reverse("cadences:cadence-from-preset", args=["speed-to-lead"]))
    assert response.status_code == 403
