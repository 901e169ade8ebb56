"""Erasing a lead (GDPR) closes the work reps would still see for it: tasks and touches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cadences.models import Enrollment, Task, Touch
from cadences.services.enrollment import enroll
from leadfollow.tenancy import unscoped, workspace_scope
from leads.services.changes import erase_lead
from tests.factories import CadenceFactory, LeadFactory, StepFactory, TaskFactory

pytestmark = pytest.mark.django_db

TASKS = reverse("cadences:task-list")
INBOX = reverse("leads:inbox")


def _erase(workspace, lead) -> None:
    with workspace_scope(workspace):
        erase_lead(workspace=workspace, lead_id=lead.pk)


def _fresh(task: Task) -> Task:
    with unscoped():
        return Task.objects.get(pk=task.pk)


def _task(workspace, rep, **fields) -> Task:
    lead = fields.pop("lead", None) or LeadFactory(workspace=workspace, owner=rep)
    return TaskFactory(workspace=workspace, lead=lead, assignee=rep, **fields)


def test_erasing_a_lead_through_the_api_cancels_its_open_tasks(api_client, workspace, rep):
    task = _task(workspace, rep)
    api_client.delete(reverse("leads:api-lead-detail", args=[task.lead_id]))
    fresh = _fresh(task)
    assert (fresh.status, fresh.completed_at is not None) == (Task.Status.CANCELLED, True)


def test_an_erased_leads_task_leaves_the_tasks_page(rep_client, workspace, rep):
    task = _task(workspace, rep, title="Call Dana Whitfield back")
    _erase(workspace, task.lead)
    response = rep_client.get(TASKS)
    assert response.context["sections"].counts == {"overdue": 0, "today": 0, "upcoming": 0}


def test_an_erased_leads_task_leaves_the_inbox(rep_client, workspace, rep):
    task = _task(workspace, rep, due_at=timezone.now() - timedelta(minutes=30))
    _erase(workspace, task.lead)
    keys = [item.key for item in rep_client.get(INBOX).context["inbox"].items]
    assert f"task-{task.pk}" not in keys


def test_erasing_a_lead_clears_the_words_of_its_tasks(workspace, rep):
    task = _task(workspace, rep, title="Call Dana Whitfield back", notes="Dana's cell: 555-0100")
    done = _task(workspace, rep, lead=task.lead, title="Email Dana", status=Task.Status.DONE)
    _erase(workspace, task.lead)
    assert [(t.title, t.notes) for t in (_fresh(task), _fresh(done))] == [
        ("Follow-up", ""),
        ("Follow-up", ""),
    ]


def test_erasing_a_lead_keeps_its_closed_tasks_outcome(workspace, rep):
    done = _task(workspace, rep, status=Task.Status.DONE, outcome=Task.Outcome.ANSWERED)
    _erase(workspace, done.lead)
    assert (_fresh(done).status, _fresh(done).outcome) == (Task.Status.DONE, "answered")


def test_erasing_a_lead_leaves_other_leads_tasks_open(workspace, rep):
    erased, kept = _task(workspace, rep), _task(workspace, rep)
    _erase(workspace, erased.lead)
    assert _fresh(kept).status == Task.Status.OPEN


def test_erasing_a_lead_cancels_its_waiting_call_step_and_the_task(workspace, rep):
    cadence = CadenceFactory(workspace=workspace)
    StepFactory(cadence=cadence, kind="call_task", subject="Call {{ lead.first_name }}")
    lead = LeadFactory(workspace=workspace, owner=rep)
    with workspace_scope(workspace):
        enrollment = enroll(workspace=workspace, lead=lead, cadence=cadence)
        touch = enrollment.touches.get()
        Touch.objects.filter(pk=touch.pk).update(status=Touch.Status.WAITING)
        task = Task.objects.create(
            workspace=workspace,
            lead=lead,
            touch=touch,
            assignee=rep,
            kind=Task.Kind.CALL,
            title="Call Dana",
            due_at=timezone.now(),
        )
    _erase(workspace, lead)
    with unscoped():
        states = (
            Touch.objects.get(pk=touch.pk).status,
            Task.objects.get(pk=task.pk).status,
            Enrollment.objects.get(pk=enrollment.pk).exit_reason,
        )
    assert states == (Touch.Status.CANCELLED, Task.Status.CANCELLED, "erased")


def test_erasing_a_lead_cancels_the_pending_touches_of_a_paused_cadence(workspace):
    cadence = CadenceFactory(workspace=workspace)
    StepFactory(cadence=cadence, kind="email")
    lead = LeadFactory(workspace=workspace)
    with workspace_scope(workspace):
        enrollment = enroll(
            workspace=workspace, lead=lead, cadence=cadence, start_at=timezone.now() + timedelta(1)
        )
        Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.PAUSED)
    _erase(workspace, lead)
    with unscoped():
        statuses = list(
            Touch.objects.filter(enrollment=enrollment).values_list("status", flat=True)
        )
    assert statuses == [Touch.Status.CANCELLED]
