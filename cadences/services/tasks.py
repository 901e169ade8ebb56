"""Rep tasks from call and manual steps: the logged outcome moves the cadence on."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from cadences.models import Enrollment, Task, Touch
from cadences.services import branching
from cadences.services.enrollment import advance, stop
from leadfollow.errors import Conflict, Forbidden, InvalidInput, NotFound
from leadfollow.models import Membership, Role, Workspace
from leads.services.activities import log_activity

OUTCOME_SUMMARY = dict(Task.Outcome.choices)
# A task pushed further than this is no longer a next step: it belongs in a cadence.
RESCHEDULE_LIMIT = timedelta(days=365)


def get_task(*, workspace: Workspace, task_id: int) -> Task:
    task = Task.objects.filter(workspace=workspace, pk=task_id).select_related("lead").first()
    if task is None:
        raise NotFound("No such task in this workspace.")
    return task


def ensure_may_work_on(*, actor: Membership, task: Task) -> None:
    """Reps work their own tasks and unassigned ones; managers and owners anyone's."""
    if actor.has_role(Role.MANAGER) or task.assignee_id in (None, actor.pk):
        return
    raise Forbidden("This task is another rep's. Ask a manager to hand it over.")


@transaction.atomic
def create_task(
    *,
    workspace: Workspace,
    lead_id: int,
    title: str,
    due_at: datetime,
    assignee: Membership | None = None,
    kind: str = Task.Kind.FOLLOW_UP,
    notes: str = "",
    actor: Membership | None = None,
) -> Task:
    """A rep's own next step on a lead (call back Tuesday 10:00, send the proposal …)."""
    from leads.models import Lead

    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput("Say what needs doing.", field="title")
    if len(title) > 200:
        raise InvalidInput("Keep the title under 200 characters.", field="title")
    if kind not in Task.Kind.values:
        raise InvalidInput("Choose a kind of task.", field="kind")
    if due_at is None or timezone.is_naive(due_at):
        raise InvalidInput("Give the due time.", field="due_at")
    if assignee is not None and assignee.workspace_id != workspace.pk:
        raise InvalidInput("That person is not a member of this workspace.", field="assignee")
    lead = Lead.objects.filter(workspace=workspace, pk=lead_id, erased_at__isnull=True).first()
    if lead is None:
        raise NotFound("No lead with this id in your workspace.")
    task = Task.objects.create(
        workspace=workspace,
        lead=lead,
        assignee=assignee or lead.owner or actor,
        kind=kind,
        title=title,
        notes=notes.strip(),
        due_at=due_at,
    )
    local = timezone.localtime(due_at, timezone.get_current_timezone())
    log_activity(
        workspace=workspace,
        lead=lead,
        kind="task_created",
        summary=f"Task: {title}, due {local:%a %b} {local.day} {local:%H:%M}",
        payload={"task_id": task.pk, "due_at": due_at.isoformat()},
        actor=actor,
    )
    return task


@transaction.atomic
def complete_task(
    *,
    workspace: Workspace,
    task_id: int,
    outcome: str,
    actor: Membership | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Task:
    """Close the task with its outcome; a cadence task's outcome picks the cadence's next step."""
    now = now or timezone.now()
    if outcome not in Task.Outcome.values:
        raise InvalidInput("Choose what happened.", field="outcome")
    task = Task.objects.select_for_update().filter(workspace=workspace, pk=task_id).first()
    if task is None:
        raise NotFound("No such task in this workspace.")
    if task.status != Task.Status.OPEN:
        raise Conflict("This task is already closed.")
    task.status, task.outcome, task.completed_at, task.completed_by = (
        Task.Status.DONE,
        outcome,
        now,
        actor,
    )
    if note:
        task.notes = f"{task.notes}\n\n{note}".strip()
    task.save()
    log_activity(
        workspace=workspace,
        lead=task.lead,
        kind="task_done",
        channel="call" if task.kind == Task.Kind.CALL else "",
        direction="out" if task.kind == Task.Kind.CALL else "",
        summary=f"{task.title}: {OUTCOME_SUMMARY[outcome].lower()}",
        payload={"task_id": task.pk, "outcome": outcome, "note": note, "human": True},
        actor=actor,
        occurred_at=now,
    )
    if task.touch_id:
        _continue_cadence(workspace, task, outcome, now)
    return task


def _continue_cadence(workspace: Workspace, task: Task, outcome: str, now: datetime) -> None:
    touch = (
        Touch.objects.select_for_update(of=("self",))
        .select_related("step", "enrollment__cadence", "enrollment__lead")
        .get(pk=task.touch_id)
    )
    if touch.status != Touch.Status.WAITING:
        return
    touch.status, touch.outcome, touch.finished_at = Touch.Status.DONE, outcome, now
    touch.save(update_fields=["status", "outcome", "finished_at"])
    enrollment = Enrollment.objects.select_for_update().get(pk=touch.enrollment_id)
    enrollment.cadence, enrollment.lead = touch.enrollment.cadence, touch.enrollment.lead
    touch.enrollment = enrollment
    if outcome == Task.Outcome.MEETING_BOOKED:
        stop(workspace=workspace, enrollment=enrollment, reason="meeting", at=now)
        return
    redirect = branching.target_after_outcome(touch=touch)
    if redirect is not None and redirect.action == "exit":
        stop(workspace=workspace, enrollment=enrollment, reason="branch", at=now)
    elif redirect is not None and redirect.action == "goto":
        advance(enrollment=enrollment, after=touch, done_at=now, target=redirect.step)
    else:
        advance(enrollment=enrollment, after=touch, done_at=now)


def _open_for_update(workspace: Workspace, task_id: int) -> Task:
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("lead")
        .filter(workspace=workspace, pk=task_id)
        .first()
    )
    if task is None:
        raise NotFound("No such task in this workspace.")
    if task.status != Task.Status.OPEN:
        raise Conflict("This task is already closed.")
    return task


def _local_text(workspace: Workspace, when: datetime) -> str:
    local = timezone.localtime(when, workspace.tzinfo)
    return f"{local:%a %b} {local.day} {local:%H:%M}"


@transaction.atomic
def reschedule_task(
    *,
    workspace: Workspace,
    task_id: int,
    due_at: datetime,
    actor: Membership | None = None,
    now: datetime | None = None,
) -> Task:
    """Move an open task to a new due time; the lead's timeline says when it moved to.

    A cadence task's timeout then counts from the new due time (see expire_waiting_tasks), so
    a call the rep put off to tomorrow is not skipped by the cadence tonight.
    """
    now = now or timezone.now()
    if due_at is None or timezone.is_naive(due_at):
        raise InvalidInput("Give the new due time.", field="due_at")
    if due_at < now - timedelta(minutes=1):
        raise InvalidInput("Pick a time from now on.", field="due_at")
    if due_at > now + RESCHEDULE_LIMIT:
        raise InvalidInput("Pick a time within the next year.", field="due_at")
    task = _open_for_update(workspace, task_id)
    if actor is not None:
        ensure_may_work_on(actor=actor, task=task)
    if task.due_at == due_at:
        return task
    before, task.due_at = task.due_at, due_at
    task.save(update_fields=["due_at"])
    log_activity(
        workspace=workspace,
        lead=task.lead,
        kind="task_rescheduled",
        summary=f"Task moved: {task.title}, now due {_local_text(workspace, due_at)}",
        payload={"task_id": task.pk, "from": before.isoformat(), "to": due_at.isoformat()},
        actor=actor,
    )
    return task


@transaction.atomic
def reassign_task(
    *, workspace: Workspace, task_id: int, assignee_id: int, actor: Membership | None = None
) -> Task:
    """Hand an open task to another active member; the lead's timeline records the handover."""
    assignee = (
        Membership.objects.select_related("user")
        .filter(workspace=workspace, pk=assignee_id, is_active=True)
        .first()
    )
    if assignee is None:
        raise InvalidInput("Choose an active member of this workspace.", field="assignee")
    task = _open_for_update(workspace, task_id)
    if actor is not None:
        ensure_may_work_on(actor=actor, task=task)
    if task.assignee_id == assignee.pk:
        return task
    before, task.assignee = task.assignee_id, assignee
    task.save(update_fields=["assignee"])
    log_activity(
        workspace=workspace,
        lead=task.lead,
        kind="task_reassigned",
        summary=f"Task handed to {assignee.user.display_name}: {task.title}",
        payload={"task_id": task.pk, "from": before, "to": assignee.pk},
        actor=actor,
    )
    return task


def close_tasks_of_erased_lead(*, workspace: Workspace, lead) -> None:
    """Erasure step: the lead's open tasks are cancelled, so they leave the Tasks page and the
    inbox, and every task of the lead loses the words that named the person (its title becomes
    its kind, its notes go). Runs in the erasure's transaction."""
    tasks = Task.objects.filter(workspace=workspace, lead=lead)
    tasks.filter(status=Task.Status.OPEN).update(
        status=Task.Status.CANCELLED, completed_at=timezone.now()
    )
    tasks.update(
        title=Case(*(When(kind=kind, then=Value(label)) for kind, label in Task.Kind.choices)),
        notes="",
    )


def _timeout_at(touch: Touch) -> datetime | None:
    """When an unanswered cadence task lapses: its step's timeout after it started, or after
    the due time its rep moved it to, whichever is later."""
    if touch.started_at is None:
        return None
    start = touch.started_at
    task = getattr(touch, "task", None)
    if task is not None and task.due_at > start:
        start = task.due_at
    return start + timedelta(hours=touch.step.task_timeout_hours)


def expire_waiting_tasks(*, now: datetime | None = None) -> int:
    """Tick: a cadence task nobody closed within its step's timeout moves the cadence on."""
    from leadfollow.tenancy import unscoped, workspace_scope

    now = now or timezone.now()
    with unscoped():
        waiting = [
            touch
            for touch in Touch.objects.filter(status=Touch.Status.WAITING).select_related(
                "step", "workspace", "task"
            )[:500]
            if (deadline := _timeout_at(touch)) is not None and deadline <= now
        ]
    for touch in waiting:
        with workspace_scope(touch.workspace), transaction.atomic():
            locked = (
                Touch.objects.select_for_update(of=("self",))
                .select_related("step", "enrollment__cadence", "enrollment__lead")
                .filter(pk=touch.pk, status=Touch.Status.WAITING)
                .first()
            )
            if locked is None:
                continue
            locked.status, locked.outcome, locked.finished_at = Touch.Status.DONE, "timeout", now
            locked.save(update_fields=["status", "outcome", "finished_at"])
            enrollment = Enrollment.objects.select_for_update().get(pk=locked.enrollment_id)
            enrollment.cadence, enrollment.lead = locked.enrollment.cadence, locked.enrollment.lead
            advance(enrollment=enrollment, after=locked, done_at=now)
    return len(waiting)
