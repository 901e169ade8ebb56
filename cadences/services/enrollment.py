"""Enrolling leads in cadences, pausing, resuming and stopping them, and planning touches."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from cadences.models import Cadence, Enrollment, Step, Task, Touch
from cadences.services.planning import due_at, next_step, step_after
from leadfollow.bulk_inserts import insert_objects
from leadfollow.bulk_updates import update_objects
from leadfollow.errors import Conflict, InvalidInput, NotFound
from leadfollow.models import Membership, Workspace
from leadfollow.tenancy import unscoped, workspace_scope
from leads.models import Lead
from leads.services.activities import log_activity

logger = logging.getLogger(__name__)

LIVE = (Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED)
OPEN_TOUCHES = (Touch.Status.PENDING, Touch.Status.QUEUED, Touch.Status.WAITING)
EXIT_REASONS = {
    "replied": "the lead replied",
    "opted_out": "the lead opted out",
    "bounced": "the address bounced",
    "meeting": "a meeting was booked",
    "status": "the lead's status changed",
    "manual": "stopped by a rep",
    "exit_conditions": "the lead met the cadence's exit conditions",
    "erased": "the lead's data was erased",
    "switched": "moved to another cadence",
}


def get_cadence(*, workspace: Workspace, cadence_id: int) -> Cadence:
    cadence = Cadence.objects.filter(workspace=workspace, pk=cadence_id).first()
    if cadence is None:
        raise NotFound("No such cadence in this workspace.")
    return cadence


def get_enrollment(*, workspace: Workspace, enrollment_id: int) -> Enrollment:
    found = (
        Enrollment.objects.filter(workspace=workspace, pk=enrollment_id)
        .select_related("cadence", "lead")
        .first()
    )
    if found is None:
        raise NotFound("No such enrollment in this workspace.")
    return found


def enroll(
    *,
    workspace: Workspace,
    lead: Lead,
    cadence: Cadence,
    actor: Membership | None = None,
    start_at: datetime | None = None,
    now: datetime | None = None,
    first_step: Step | None = None,
    live: list[Enrollment] | None = None,
) -> Enrollment:
    """Start the cadence for the lead. Its first touch is dispatched right after commit when
    it is due at once, so a confirmation email goes out within seconds, not at the next tick.

    `first_step` spares the query when the caller already holds the cadence's first step.
    `live` is for the intake of a lead created in this same transaction: the enrollments that
    intake made, which are all the lead has, since nobody else sees it before commit. It spares
    reading them, and the savepoint that guards against a concurrent enrollment; the enrollment
    then comes back holding its first touch as `open_touches`, as enrollments_prefetch reads
    them, so the intake's answer shows it unread."""
    now = now or timezone.now()
    if not cadence.is_active:
        raise InvalidInput(f"“{cadence.name}” is switched off.", field="cadence")
    if getattr(lead, "erased_at", None):
        raise InvalidInput("This lead's data was erased: it cannot be enrolled.", field="lead")
    first = first_step or next_step(cadence, None)
    if first is None:
        raise InvalidInput(f"“{cadence.name}” has no steps yet.", field="cadence")
    unseen = live is not None
    if live is None:
        # One read answers both questions: already in this cadence, or in one that excludes it.
        live = list(
            Enrollment.objects.filter(
                workspace=workspace, lead=lead, status__in=LIVE
            ).select_related("cadence")
        )
    if any(enrollment.cadence_id == cadence.pk for enrollment in live):
        raise Conflict(f"{lead.display_name} is already in “{cadence.name}”.", field="cadence")
    if cadence.exclusive_group:
        group = cadence.exclusive_group
        other = next((e for e in live if e.cadence.exclusive_group == group), None)
        if other is not None:
            raise Conflict(
                f"{lead.display_name} is in “{other.cadence.name}”, which excludes "
                f"“{cadence.name}”. Stop that one first.",
                field="cadence",
            )
    values = {
        "workspace": workspace,
        "lead": lead,
        "cadence": cadence,
        "current_step": first,
        "enrolled_by": actor,
        "enrolled_at": start_at or now,
    }
    # The checks above raise before any write, so inside the caller's transaction the writes
    # need no savepoint of their own; only the insert a concurrent enrollment can refuse gets
    # one, and that Conflict is raised after the block, which leaves the caller's transaction
    # usable. A lead nobody else can see yet needs no such guard.
    with transaction.atomic(savepoint=False):
        if unseen:
            [enrollment] = insert_objects([Enrollment(**values)])
        else:
            try:
                with transaction.atomic():
                    [enrollment] = insert_objects([Enrollment(**values)])
            except IntegrityError:  # enrolled by a concurrent request a moment ago
                enrollment = None
        if enrollment is not None:
            touch = _start(workspace, lead, enrollment, first, actor, now)
            if unseen:
                enrollment.open_touches = [touch]
    if enrollment is None:
        raise Conflict(f"{lead.display_name} is already in “{cadence.name}”.")
    return enrollment


def _start(workspace, lead: Lead, enrollment: Enrollment, first: Step, actor, now) -> Touch:
    """Plan the first touch, log the enrollment, and send the touch after commit if it is due."""
    touch = plan_touch(enrollment=enrollment, step=first, previous_done_at=None)
    log_activity(
        workspace=workspace,
        lead=lead,
        kind="enrolled",
        summary=f"Enrolled in “{enrollment.cadence.name}”",
        payload={"enrollment_id": enrollment.pk, "cadence_id": enrollment.cadence_id},
        actor=actor,
    )
    if touch.due_at <= now:
        from cadences import tasks

        transaction.on_commit(partial(tasks.send_touches.delay, touch_ids=[touch.pk]))
    return touch


def plan_touch(
    *,
    enrollment: Enrollment,
    step: Step,
    previous_done_at: datetime | None,
    now=None,
    sequence: int = 1,
) -> Touch:
    """Add the enrollment's touch number `sequence` for `step`; the number is unique in the
    enrollment, so planning the same next touch twice fails instead of sending twice."""
    touch = _new_touch(enrollment, step, previous_done_at, now, sequence)
    insert_objects([touch])
    if enrollment.current_step_id != step.pk:  # a new enrollment starts on its first step
        Enrollment.objects.filter(pk=enrollment.pk).update(current_step=step)
        enrollment.current_step = step
    return touch


def _new_touch(enrollment, step, previous_done_at, now, sequence) -> Touch:
    due = due_at(
        step=step, enrollment=enrollment, lead=enrollment.lead, previous_done_at=previous_done_at
    )
    if now is not None and due < now and previous_done_at is not None:
        due = now
    return Touch(
        workspace=enrollment.workspace,
        enrollment=enrollment,
        step=step,
        sequence=sequence,
        channel=step.channel,
        due_at=due,
    )


def advance(
    *, enrollment: Enrollment, after: Touch, done_at: datetime, target: Step | None = None
) -> Touch | None:
    """Plan what follows `after` (or `target`, chosen by a branch); complete the enrollment after
    the last step. Runs under the enrollment's row lock."""
    if enrollment.status != Enrollment.Status.ACTIVE:
        return None
    step = target or next_step(enrollment.cadence, after.step)
    if step is None:
        complete(enrollment=enrollment, at=done_at)
        return None
    return plan_touch(
        enrollment=enrollment,
        step=step,
        previous_done_at=done_at,
        now=done_at,
        sequence=after.sequence + 1,
    )


def advance_many(
    *, moves: list[tuple[Enrollment, Touch]], done_at: datetime, steps: dict[int, list[Step]]
) -> None:
    """`advance` for a dispatcher batch, under the enrollments' row locks: the next touches in one
    insert and the current steps in one update. `steps` holds each cadence's ordered steps.

    A next touch planned already is left as it is (the unique sequence keeps it single), so one
    such enrollment does not undo the batch. Enrollments that finish complete one by one."""
    planned, moved = [], []
    for enrollment, after in moves:
        if enrollment.status != Enrollment.Status.ACTIVE:
            continue
        step = step_after(steps[enrollment.cadence_id], after.step)
        if step is None:
            with workspace_scope(enrollment.workspace):
                complete(enrollment=enrollment, at=done_at)
            continue
        planned.append(_new_touch(enrollment, step, done_at, done_at, after.sequence + 1))
        enrollment.current_step = step
        moved.append(enrollment)
    # A batch spans workspaces: every row carries its own.
    with unscoped():
        Touch.objects.bulk_create(planned, ignore_conflicts=True)
    update_objects(Enrollment, moved, ["current_step"])


def complete(*, enrollment: Enrollment, at: datetime) -> None:
    """The last step is done: the lead goes dormant and joins the re-nurture cadence later."""
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=Enrollment.Status.COMPLETED, ended_at=at
    )
    enrollment.status = Enrollment.Status.COMPLETED
    lead = enrollment.lead
    cadence = enrollment.cadence
    log_activity(
        workspace=enrollment.workspace,
        lead=lead,
        kind="cadence_completed",
        summary=f"Finished “{cadence.name}” without an answer",
        payload={"enrollment_id": enrollment.pk},
        occurred_at=at,
    )
    if lead.status in (Lead.Status.NEW, Lead.Status.WORKING, Lead.Status.CONTACTED):
        Lead.objects.filter(workspace=enrollment.workspace, pk=lead.pk).update(
            status=Lead.Status.DORMANT
        )
        log_activity(
            workspace=enrollment.workspace,
            lead=lead,
            kind="status_changed",
            summary="Status: dormant (cadence finished)",
            payload={"from": lead.status, "to": Lead.Status.DORMANT},
            occurred_at=at,
        )
        lead.status = Lead.Status.DORMANT
    renurture = cadence.renurture_cadence
    if renurture is not None and renurture.is_active and renurture.pk != cadence.pk:
        try:
            enroll(
                workspace=enrollment.workspace,
                lead=lead,
                cadence=renurture,
                start_at=at + timedelta(days=cadence.renurture_after_days),
                now=at,
            )
        except (InvalidInput, Conflict) as exc:
            logger.info("re-nurture skipped lead=%s: %s", lead.pk, exc.message)


@transaction.atomic
def stop(
    *,
    workspace: Workspace,
    enrollment: Enrollment,
    reason: str,
    actor: Membership | None = None,
    at: datetime | None = None,
) -> bool:
    """Exit a live enrollment and cancel its pending touches and open tasks, in this transaction,
    so a touch due a second later is not sent. Returns False when it had already ended."""
    at = at or timezone.now()
    locked = Enrollment.objects.select_for_update().filter(pk=enrollment.pk, status__in=LIVE)
    if not locked.update(status=Enrollment.Status.EXITED, exit_reason=reason, ended_at=at):
        return False
    enrollment.status, enrollment.exit_reason = Enrollment.Status.EXITED, reason
    _cancel_open_work(workspace, enrollment, at)
    log_activity(
        workspace=workspace,
        lead=enrollment.lead,
        kind="cadence_stopped",
        summary=f"Left “{enrollment.cadence.name}”: {EXIT_REASONS.get(reason, reason)}",
        payload={"enrollment_id": enrollment.pk, "reason": reason},
        actor=actor,
        occurred_at=at,
    )
    return True


def stop_for_lead(
    *, workspace: Workspace, lead: Lead, reason: str, at: datetime | None = None
) -> list[Enrollment]:
    """Stop every live enrollment of the lead (a reply, an opt-out, a bounce, a meeting)."""
    stopped = []
    for enrollment in Enrollment.objects.filter(
        workspace=workspace, lead=lead, status__in=LIVE
    ).select_related("cadence", "lead"):
        if stop(workspace=workspace, enrollment=enrollment, reason=reason, at=at):
            stopped.append(enrollment)
    return stopped


@transaction.atomic
def pause(*, workspace: Workspace, enrollment: Enrollment, actor: Membership | None = None) -> None:
    at = timezone.now()
    locked = Enrollment.objects.select_for_update().filter(
        pk=enrollment.pk, status=Enrollment.Status.ACTIVE
    )
    if not locked.update(status=Enrollment.Status.PAUSED, paused_at=at):
        raise Conflict("Only an active enrollment can be paused.")
    enrollment.status = Enrollment.Status.PAUSED
    # Pending touches stay planned; the dispatcher skips them while the enrollment is paused.
    Touch.objects.filter(
        workspace=workspace, enrollment=enrollment, status=Touch.Status.QUEUED
    ).update(status=Touch.Status.PENDING)
    log_activity(
        workspace=workspace,
        lead=enrollment.lead,
        kind="cadence_paused",
        summary=f"Paused “{enrollment.cadence.name}”",
        payload={"enrollment_id": enrollment.pk},
        actor=actor,
    )


@transaction.atomic
def resume(
    *, workspace: Workspace, enrollment: Enrollment, actor: Membership | None = None
) -> None:
    """Carry on where it stopped; touches that fell due meanwhile go out now."""
    now = timezone.now()
    locked = Enrollment.objects.select_for_update().filter(
        pk=enrollment.pk, status=Enrollment.Status.PAUSED
    )
    if not locked.update(status=Enrollment.Status.ACTIVE, paused_at=None):
        raise Conflict("Only a paused enrollment can be resumed.")
    enrollment.status = Enrollment.Status.ACTIVE
    Touch.objects.filter(
        workspace=workspace, enrollment=enrollment, status=Touch.Status.PENDING, due_at__lt=now
    ).update(due_at=now)
    log_activity(
        workspace=workspace,
        lead=enrollment.lead,
        kind="cadence_resumed",
        summary=f"Resumed “{enrollment.cadence.name}”",
        payload={"enrollment_id": enrollment.pk},
        actor=actor,
    )


def _cancel_open_work(workspace: Workspace, enrollment: Enrollment, at: datetime) -> None:
    touches = Touch.objects.filter(
        workspace=workspace, enrollment=enrollment, status__in=OPEN_TOUCHES
    )
    Task.objects.filter(workspace=workspace, touch__in=touches, status=Task.Status.OPEN).update(
        status=Task.Status.CANCELLED, completed_at=at
    )
    touches.update(status=Touch.Status.CANCELLED, finished_at=at)
