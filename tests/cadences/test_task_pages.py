"""The Tasks page: sections by due time, completing with an outcome, moving and handing over."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadences.models import Task, Touch
from cadences.services.dispatch import dispatch_due
from cadences.services.enrollment import enroll
from cadences.services.tasks import expire_waiting_tasks, reschedule_task
from leadfollow.errors import Conflict
from leadfollow.models import Role
from leadfollow.tenancy import unscoped, workspace_scope
from leads.models import Activity
from tests.factories import (
    CadenceFactory,
    LeadFactory,
    MembershipFactory,
    StepFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("cadences:task-list")
HTMX = {"HX-Request": "true"}
# Wednesday 10 June 2026, 12:00 in New York (the workspace's zone).
NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _at_noon():
    with time_machine.travel(NOON, tick=False):
        yield


def _task(rep, **fields):
    lead = fields.pop("lead", None) or LeadFactory(workspace=rep.workspace, owner=rep)
    return TaskFactory(workspace=rep.workspace, lead=lead, assignee=rep, **fields)


def _complete_url(task, who=""):
    return reverse("cadences:task-complete", args=[task.pk]) + (f"?who={who}" if who else "")


def _fresh(task):
    with unscoped():
        return Task.objects.get(pk=task.pk)


def test_rep_sees_overdue_today_and_upcoming_tasks_with_counts(rep, rep_client):
    _task(rep, title="Call about the gutter", due_at=NOON - timedelta(hours=2))
    _task(rep, title="Send the proposal", due_at=NOON + timedelta(hours=3))
    _task(rep, title="Check in after the visit", due_at=NOON + timedelta(days=2))
    response = rep_client.get(LIST)
    sections = response.context["sections"]
    assert [
        [t.title for t in s] for s in (sections.overdue, sections.today, sections.upcoming)
    ] == [
        ["Call about the gutter"],
        ["Send the proposal"],
        ["Check in after the visit"],
    ]
    assert sections.counts == {"overdue": 1, "today": 1, "upcoming": 1}


def test_tasks_further_than_a_week_and_closed_tasks_stay_off_the_page(rep, rep_client):
    _task(rep, title="Renewal call next quarter", due_at=NOON + timedelta(days=40))
    _task(rep, title="Already done", due_at=NOON, status=Task.Status.DONE)
    body = rep_client.get(LIST).content.decode()
    assert "Renewal call next quarter" not in body
    assert "Already done" not in body


def test_a_rep_sees_only_their_own_tasks(workspace, rep, rep_client):
    _task(MembershipFactory(workspace=workspace), title="Colleague's call")
    assert "Colleague&#x27;s call" not in rep_client.get(LIST).content.decode()


def test_a_task_row_shows_lead_kind_and_due_time_in_the_workspace_zone(rep, rep_client):
    lead = LeadFactory(workspace=rep.workspace, owner=rep, first_name="Dana", last_name="Scott")
    _task(rep, lead=lead, kind="call", due_at=NOON + timedelta(hours=2))
    body = rep_client.get(LIST).content.decode()
    assert reverse("leads:lead-detail", args=[lead.pk]) in body
    assert "Dana Scott" in body
    assert "Wed Jun 10, 14:00 EDT" in body  # 18:00 UTC is 14:00 in New York
    assert "in 2 h" in body


def test_a_cadence_task_names_its_cadence_and_step(workspace, rep, rep_client):
    lead = LeadFactory(workspace=workspace, owner=rep, time_zone="America/New_York")
    cadence = CadenceFactory(workspace=workspace, name="New roof leads")
    StepFactory(cadence=cadence, position=0, kind="email", delay=60)
    step = StepFactory(cadence=cadence, position=1, kind="call_task", subject="Call Dana")
    with workspace_scope(workspace):
        enrollment = enroll(workspace=workspace, lead=lead, cadence=cadence, now=NOON)
    with unscoped():
        touch = Touch.objects.create(
            workspace=workspace, enrollment=enrollment, step=step, sequence=2, due_at=NOON
        )
    _task(rep, lead=lead, kind="call", title="Call Dana", touch=touch, due_at=NOON)
    body = rep_client.get(LIST).content.decode()
    assert "Cadence “New roof leads”, step 2" in body


def test_a_rep_cannot_open_another_reps_tasks(workspace, rep_client):
    other = MembershipFactory(workspace=workspace)
    assert rep_client.get(LIST, {"who": other.pk}).status_code == 403


def test_a_manager_switches_to_a_team_members_tasks(workspace, rep, manager_client):
    _task(rep, title="Raj's call")
    response = manager_client.get(LIST, {"who": rep.pk})
    assert [t.title for t in response.context["sections"].today] == ["Raj's call"]


def test_a_manager_sees_everyones_tasks(workspace, rep, manager, manager_client):
    _task(rep, title="Rep's call")
    _task(manager, title="Manager's call")
    response = manager_client.get(LIST, {"who": "all"})
    assert {t.title for t in response.context["sections"].today} == {"Rep's call", "Manager's call"}


def test_asking_for_a_member_of_another_workspace_is_a_404(manager_client, other_workspace):
    stranger = MembershipFactory(workspace=other_workspace)
    assert manager_client.get(LIST, {"who": stranger.pk}).status_code == 404


def test_completing_with_htmx_removes_the_row_and_updates_the_counts(rep, rep_client):
    task = _task(rep, title="Call about the gutter", due_at=NOON - timedelta(hours=1))
    _task(rep, due_at=NOON - timedelta(hours=2))
    response = rep_client.post(_complete_url(task), {"outcome": "done"}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="task-{task.pk}"' not in body
    assert '<span id="task-count-overdue" class="count" hx-swap-oob="true">1</span>' in body
    assert "Done: Call about the gutter (done)." in body
    assert _fresh(task).status == Task.Status.DONE


def test_completing_without_htmx_goes_back_to_the_list_with_a_message(rep, rep_client):
    task = _task(rep, kind="call", title="Call Dana")
    response = rep_client.post(_complete_url(task), {"outcome": "voicemail"}, follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert "Done: Call Dana (left a voicemail)." in response.content.decode()


def test_the_outcome_and_note_land_on_the_leads_timeline(rep, rep_client):
    task = _task(rep, kind="call", title="Call Dana")
    rep_client.post(_complete_url(task), {"outcome": "no_answer", "note": "Rang twice"})
    with unscoped():
        activity = Activity.objects.get(lead=task.lead, kind="task_done")
    assert (activity.summary, activity.payload["note"]) == ("Call Dana: no answer", "Rang twice")


def test_a_call_tasks_outcome_moves_its_cadence_to_the_branch(workspace, rep, rep_client):
    lead = LeadFactory(workspace=workspace, owner=rep, time_zone="America/New_York")
    cadence = CadenceFactory(workspace=workspace)
    branch = [{"when": "outcome:voicemail", "then": "goto", "step": 2}]
    StepFactory(cadence=cadence, position=0, kind="call_task", delay=0, branches=branch)
    StepFactory(cadence=cadence, position=1, kind="email", delay=0)
    StepFactory(cadence=cadence, position=2, kind="email", delay=0, body="I left a voicemail")
    with workspace_scope(workspace):
        enrollment = enroll(workspace=workspace, lead=lead, cadence=cadence, now=NOON)
    dispatch_due(now=NOON)
    with unscoped():
        task = Task.objects.get(lead=lead)
    rep_client.post(_complete_url(task), {"outcome": "voicemail"}, headers=HTMX)
    with unscoped():
        positions = [t.step.position for t in enrollment.touches.order_by("sequence")]
    assert positions == [0, 2]


def test_an_outcome_that_does_not_fit_the_task_is_refused_on_its_row(rep, rep_client):
    task = _task(rep, kind="manual", title="Connect on LinkedIn")
    response = rep_client.post(
        _complete_url(task), {"outcome": "voicemail", "note": "kept"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert "Choose one of the listed outcomes." in body
    assert 'value="kept"' in body
    assert _fresh(task).status == Task.Status.OPEN


def test_a_bad_outcome_without_htmx_answers_400_with_the_error(rep, rep_client):
    task = _task(rep)
    response = rep_client.post(_complete_url(task), {"outcome": "exploded"})
    assert response.status_code == 400
    assert "Choose one of the listed outcomes." in response.content.decode()


def test_a_rep_cannot_complete_another_reps_task(workspace, rep_client):
    task = _task(MembershipFactory(workspace=workspace))
    response = rep_client.post(_complete_url(task), {"outcome": "done"})
    assert response.status_code == 403
    assert _fresh(task).status == Task.Status.OPEN


def test_a_manager_completes_a_reps_task(rep, manager_client):
    task = _task(rep)
    response = manager_client.post(_complete_url(task, who=rep.pk), {"outcome": "done"})
    assert response.status_code == 302
    assert _fresh(task).status == Task.Status.DONE


def test_completing_a_closed_task_says_it_is_closed(rep, rep_client):
    task = _task(rep, status=Task.Status.DONE)
    response = rep_client.post(_complete_url(task), {"outcome": "done"}, headers=HTMX)
    assert "This task is already closed." in response.content.decode()


def test_rescheduling_moves_the_task_and_logs_it_on_the_timeline(rep, rep_client):
    task = _task(rep, title="Send the proposal", due_at=NOON - timedelta(hours=1))
    url = reverse("cadences:task-reschedule", args=[task.pk])
    response = rep_client.post(url, {"due_at": "2026-06-11T09:30"}, headers=HTMX)
    assert response.status_code == 200
    assert _fresh(task).due_at == datetime(2026, 6, 11, 13, 30, tzinfo=UTC)
    with unscoped():
        activity = Activity.objects.get(lead=task.lead, kind="task_rescheduled")
    assert activity.summary == "Task moved: Send the proposal, now due Thu Jun 11 09:30"
    assert [t.pk for t in response.context["sections"].upcoming] == [task.pk]


def test_rescheduling_into_the_past_is_refused(rep, rep_client):
    task = _task(rep)
    url = reverse("cadences:task-reschedule", args=[task.pk])
    response = rep_client.post(url, {"due_at": "2026-06-01T09:00"})
    assert response.status_code == 400
    assert "Pick a time from now on." in response.content.decode()
    assert _fresh(task).due_at == task.due_at


def test_rescheduling_needs_a_date_and_time(rep, rep_client):
    task = _task(rep)
    url = reverse("cadences:task-reschedule", args=[task.pk])
    response = rep_client.post(url, {"due_at": "tomorrowish"}, headers=HTMX)
    assert "Give a date and time." in response.content.decode()


def test_a_closed_task_cannot_be_rescheduled(workspace, rep):
    task = _task(rep, status=Task.Status.DONE)
    with workspace_scope(workspace), pytest.raises(Conflict):
        reschedule_task(workspace=workspace, task_id=task.pk, due_at=NOON + timedelta(hours=1))


def test_reassigning_hands_the_task_over_and_logs_it(workspace, rep, rep_client):
    colleague = MembershipFactory(workspace=workspace, user__first_name="Maya")
    task = _task(rep, title="Call Dana")
    url = reverse("cadences:task-reassign", args=[task.pk])
    response = rep_client.post(url, {"assignee": colleague.pk}, follow=True)
    assert "Handed over: Call Dana." in response.content.decode()
    assert _fresh(task).assignee_id == colleague.pk
    with unscoped():
        activity = Activity.objects.get(lead=task.lead, kind="task_reassigned")
    assert activity.payload == {"task_id": task.pk, "from": rep.pk, "to": colleague.pk}


def test_reassigning_to_a_member_of_another_workspace_is_refused(rep, rep_client, other_workspace):
    task = _task(rep)
    stranger = MembershipFactory(workspace=other_workspace)
    url = reverse("cadences:task-reassign", args=[task.pk])
    response = rep_client.post(url, {"assignee": stranger.pk})
    assert response.status_code == 400
    assert _fresh(task).assignee_id == rep.pk


def test_reassigning_to_an_inactive_member_is_refused(workspace, rep, rep_client):
    gone = MembershipFactory(workspace=workspace, is_active=False)
    task = _task(rep)
    url = reverse("cadences:task-reassign", args=[task.pk])
    rep_client.post(url, {"assignee": gone.pk})
    assert _fresh(task).assignee_id == rep.pk


def test_another_workspaces_task_is_a_404_and_stays_open(rep_client, other_workspace):
    stranger = MembershipFactory(workspace=other_workspace, role=Role.REP)
    task = _task(stranger)
    response = rep_client.post(_complete_url(task), {"outcome": "done"})
    assert response.status_code == 404
    assert _fresh(task).status == Task.Status.OPEN


def test_another_workspaces_tasks_never_show(manager_client, other_workspace):
    stranger = MembershipFactory(workspace=other_workspace)
    _task(stranger, title="Globex secret call")
    body = manager_client.get(LIST, {"who": "all"}).content.decode()
    assert "Globex secret call" not in body


def test_the_task_list_query_count_does_not_grow_with_rows(workspace, rep, rep_client):
    cadence = CadenceFactory(workspace=workspace)
    step = StepFactory(cadence=cadence, kind="call_task")

    def add_tasks(count):
        for n in range(count):
            lead = LeadFactory(workspace=workspace, owner=rep)
            with workspace_scope(workspace):
                enrollment = enroll(workspace=workspace, lead=lead, cadence=cadence, now=NOON)
            with unscoped():
                touch = Touch.objects.create(
                    workspace=workspace, enrollment=enrollment, step=step, sequence=5, due_at=NOON
                )
            for due in (NOON - timedelta(hours=1), NOON + timedelta(hours=1 + n)):
                _task(rep, lead=lead, due_at=due, touch=touch if due < NOON else None)

    add_tasks(1)
    with CaptureQueriesContext(connection) as few:
        rep_client.get(LIST)
    add_tasks(6)
    with CaptureQueriesContext(connection) as many:
        rep_client.get(LIST)
    assert len(many) == len(few)


def test_a_moved_cadence_task_times_out_from_its_new_due_time(workspace, rep):
    lead = LeadFactory(workspace=workspace, owner=rep, time_zone="America/New_York")
    cadence = CadenceFactory(workspace=workspace)
    StepFactory(cadence=cadence, position=0, kind="call_task", delay=0, task_timeout_hours=24)
    StepFactory(cadence=cadence, position=1, kind="email", delay=0)
    with workspace_scope(workspace):
        enroll(workspace=workspace, lead=lead, cadence=cadence, now=NOON)
    dispatch_due(now=NOON)
    with unscoped():
        task = Task.objects.get(lead=lead)
    with workspace_scope(workspace):
        reschedule_task(workspace=workspace, task_id=task.pk, due_at=NOON + timedelta(days=2))
    expire_waiting_tasks(now=NOON + timedelta(hours=30))
    with unscoped():
        assert Touch.objects.get(task=task).status == Touch.Status.WAITING


def test_a_rep_cannot_move_another_reps_task(workspace, rep_client):
    task = _task(MembershipFactory(workspace=workspace))
    url = reverse("cadences:task-reschedule", args=[task.pk])
    response = rep_client.post(url, {"due_at": "2026-06-11T09:30"})
    assert response.status_code == 403
    assert _fresh(task).due_at == task.due_at


def test_an_error_on_a_task_that_left_the_list_still_shows(rep, rep_client):
    task = _task(rep, status=Task.Status.DONE)
    url = reverse("cadences:task-reschedule", args=[task.pk])
    response = rep_client.post(url, {"due_at": "2026-06-11T09:30"}, headers=HTMX)
    assert '<p class="flash flash--error" role="alert">This task is already closed.</p>' in (
        response.content.decode()
    )


def test_rescheduling_more_than_a_year_ahead_is_refused(rep, rep_client):
    task = _task(rep)
    url = reverse("cadences:task-reschedule", args=[task.pk])
    response = rep_client.post(url, {"due_at": "2027-07-01T09:00"})
    assert "Pick a time within the next year." in response.content.decode()
