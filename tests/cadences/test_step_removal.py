"""Managers remove a step from a running cadence: what it sent stays, the leads waiting on it
move on to the next step (or finish), and the page says how many leads that is first."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from cadences.models import Enrollment, Step, Task, Touch
from cadences.selectors import cadences_with_counts
from cadences.services.builder import delete_step
from cadences.services.enrollment import enroll
from leadfollow.errors import Conflict
from leadfollow.tenancy import workspace_scope
from leads.models import Activity
from reports.filters import ReportFilters
from reports.registry import compute_report, get_report
from tests.factories import CadenceFactory, LeadFactory, StepFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NOW = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scope(workspace):
    with workspace_scope(workspace):
        yield workspace


@pytest.fixture
def cadence(scope):
    """Email at once, a text a day later, a call task two days after that."""
    cadence = CadenceFactory(workspace=scope, name="Welcome")
    StepFactory(cadence=cadence, position=0, kind="email")
    StepFactory(cadence=cadence, position=1, kind="sms", body="Hi", delay=1, delay_unit="days")
    StepFactory(cadence=cadence, position=2, kind="call_task", delay=2, delay_unit="days")
    return cadence


def _step(cadence, number: int) -> Step:
    return Step.with_removed.get(cadence=cadence, position=number - 1, removed_at__isnull=True)


def _on_step(cadence, number: int, status: str = "active") -> Enrollment:
    """A lead whose earlier steps were sent, waiting on step `number`'s pending touch."""
    enrollment = enroll(
        workspace=cadence.workspace,
        lead=LeadFactory(workspace=cadence.workspace),
        cadence=cadence,
        start_at=NOW - timedelta(days=10),
    )
    for sequence in range(1, number):
        touch = enrollment.touches.get(sequence=sequence)
        touch.status, touch.finished_at = Touch.Status.SENT, NOW - timedelta(days=10 - sequence)
        touch.save()
        Touch.objects.create(
            workspace=cadence.workspace,
            enrollment=enrollment,
            step=_step(cadence, sequence + 1),
            sequence=sequence + 1,
            channel=_step(cadence, sequence + 1).channel,
            due_at=NOW + timedelta(hours=1),
        )
    Enrollment.objects.filter(pk=enrollment.pk).update(
        current_step=_step(cadence, number), status=status
    )
    enrollment.refresh_from_db()
    return enrollment


def _remove(cadence, number: int):
    return delete_step(workspace=cadence.workspace, step_id=_step(cadence, number).pk)


def _open_touch(enrollment) -> Touch:
    return enrollment.touches.get(status__in=[Touch.Status.PENDING, Touch.Status.WAITING])


def test_the_touches_a_removed_step_sent_stay(cadence):
    enrollment = _on_step(cadence, 2)
    sent = enrollment.touches.get(sequence=1)
    _remove(cadence, 1)
    sent.refresh_from_db()
    assert (sent.status, sent.step.removed_at) == (Touch.Status.SENT, NOW)


def test_the_removed_step_leaves_the_cadences_steps(cadence):
    _on_step(cadence, 2)
    _remove(cadence, 2)
    assert [(s.position, s.kind) for s in cadence.steps.all()] == [(0, "email"), (1, "call_task")]


def test_the_pending_touch_of_the_removed_step_is_cancelled(cadence):
    enrollment = _on_step(cadence, 2)
    waiting = _open_touch(enrollment)
    _remove(cadence, 2)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.finished_at) == (Touch.Status.CANCELLED, NOW)


def test_a_lead_waiting_on_the_step_moves_on_to_the_next_one(cadence):
    enrollment = _on_step(cadence, 2)
    call_step = _step(cadence, 3)
    _remove(cadence, 2)
    enrollment.refresh_from_db()
    planned = _open_touch(enrollment)
    assert (enrollment.current_step_id, planned.step_id, planned.sequence) == (
        call_step.pk,
        call_step.pk,
        3,
    )
    assert planned.due_at == NOW + timedelta(days=2)


def test_a_lead_waiting_on_the_last_step_finishes_the_cadence(cadence):
    enrollment = _on_step(cadence, 3)
    _remove(cadence, 3)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.ended_at) == (Enrollment.Status.COMPLETED, NOW)


def test_a_paused_lead_moves_on_and_stays_paused(cadence):
    enrollment = _on_step(cadence, 2, status="paused")
    _remove(cadence, 2)
    enrollment.refresh_from_db()
    assert (enrollment.status, _open_touch(enrollment).step_id) == (
        Enrollment.Status.PAUSED,
        _step(cadence, 2).pk,
    )


def test_the_open_task_of_a_removed_call_step_is_cancelled(cadence):
    enrollment = _on_step(cadence, 3)
    touch = _open_touch(enrollment)
    Touch.objects.filter(pk=touch.pk).update(status=Touch.Status.WAITING)
    task = Task.objects.create(
        workspace=cadence.workspace,
        lead=enrollment.lead,
        touch=touch,
        kind=Task.Kind.CALL,
        title="Call",
        due_at=NOW,
    )
    _remove(cadence, 3)
    task.refresh_from_db()
    assert task.status == Task.Status.CANCELLED


def test_leads_that_already_left_the_cadence_are_not_moved(cadence):
    enrollment = _on_step(cadence, 2, status="exited")
    assert _remove(cadence, 2).moved == 0
    assert enrollment.touches.count() == 2


def test_the_moved_leads_timeline_says_the_step_was_removed(cadence):
    enrollment = _on_step(cadence, 2)
    _remove(cadence, 2)
    note = Activity.objects.get(lead=enrollment.lead, kind="cadence_step_removed")
    assert note.summary == (
        "Step 2 was removed from “Welcome”: moved on to the next step (call task for the rep)"
    )


def test_new_enrollments_skip_a_removed_first_step(cadence):
    _on_step(cadence, 2)
    _remove(cadence, 1)
    fresh = enroll(
        workspace=cadence.workspace, lead=LeadFactory(workspace=cadence.workspace), cadence=cadence
    )
    assert fresh.touches.get().channel == "sms"


def test_a_step_being_sent_right_now_is_not_removed(cadence):
    enrollment = _on_step(cadence, 2)
    Touch.objects.filter(pk=_open_touch(enrollment).pk).update(status=Touch.Status.SENDING)
    with pytest.raises(Conflict):
        _remove(cadence, 2)
    assert _step(cadence, 2).kind == "sms"


def test_a_step_no_lead_reached_is_deleted_outright(cadence):
    step = _step(cadence, 3)
    _remove(cadence, 3)
    assert not Step.with_removed.filter(pk=step.pk).exists()


def test_the_cadence_list_counts_only_current_steps(cadence):
    _on_step(cadence, 2)
    _remove(cadence, 1)
    assert cadences_with_counts(workspace=cadence.workspace).get(pk=cadence.pk).step_count == 2


def test_the_funnel_report_keeps_a_removed_steps_history(cadence):
    _on_step(cadence, 2)
    _remove(cadence, 1)
    filters = ReportFilters(
        date_from=date(2026, 5, 1), date_to=date(2026, 6, 10), tz=cadence.workspace.tzinfo
    )
    result = compute_report(
        workspace=cadence.workspace,
        report=get_report("cadence-funnel"),
        filters=filters,
        viewer=None,
    )
    steps = [row["step"] for row in result.table("steps").rows]
    assert "Welcome · step 1 (Email, removed)" in steps


def test_the_delete_button_asks_with_the_number_of_active_leads_on_the_step(
    cadence, manager_client
):
    _on_step(cadence, 2)
    _on_step(cadence, 2, status="paused")
    _on_step(cadence, 2, status="exited")
    page = manager_client.get(reverse("cadences:cadence-builder", args=[cadence.pk]))
    assert (
        'hx-confirm="Delete step 2? 2 active leads are on this step: '
        'they move on to the next step now."' in page.content.decode()
    )


def test_the_delete_button_of_the_last_step_says_its_leads_finish(cadence, manager_client):
    _on_step(cadence, 3)
    page = manager_client.get(reverse("cadences:cadence-builder", args=[cadence.pk]))
    assert (
        "Delete step 3? 1 active lead is on this step: it is the last step, so they finish "
        "the cadence now." in page.content.decode()
    )


def test_deleting_from_the_page_says_how_many_leads_moved_on(cadence, manager_client):
    _on_step(cadence, 2)
    step = _step(cadence, 2)
    response = manager_client.post(reverse("cadences:step-delete", args=[step.pk]), **HTMX)
    assert "Step deleted. 1 lead on it moved on to the next step." in response.content.decode()


def test_a_removed_step_cannot_be_edited(cadence, manager_client):
    _on_step(cadence, 2)
    step = _step(cadence, 2)
    _remove(cadence, 2)
    response = manager_client.get(reverse("cadences:step-edit", args=[step.pk]))
    assert response.status_code == 404
