"""The scheduler: claim due touches, send each exactly once, recover what a crash left behind.

The database is the source of truth. A tick claims due touches with SELECT … FOR UPDATE SKIP
LOCKED, marks them queued and hands their ids to workers in batches. `send_touch` locks the touch
and its enrollment, re-checks everything, commits `sending` and only then calls the provider, so
a crash leaves a row to reconcile, never a second text.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from cadences.models import Enrollment, Step, Task, Touch
from cadences.services import branching
from cadences.services.enrollment import advance, stop
from cadences.services.planning import business_opening, spread_seconds
from channels.compliance import check_send, next_window_opening
from channels.models import Message
from channels.services.sending import send_message
from leadfollow.errors import InvalidInput
from leadfollow.models import Workspace
from leadfollow.tenancy import unscoped, workspace_scope
from leads.services.activities import log_activity

logger = logging.getLogger(__name__)

BATCH = 500  # touches claimed per transaction
CHUNK = 50  # touch ids per worker task: fewer broker round trips


def dispatch_due(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Tick: claim due touches in batches and enqueue them. Returns how many were claimed."""
    from cadences import tasks

    now = now or timezone.now()
    claimed = 0
    while claimed < limit:
        with unscoped(), transaction.atomic():
            ids = list(
                Touch.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=Touch.Status.PENDING, due_at__lte=now)
                # Paused enrollments keep their touches planned; they are not claimed.
                .filter(enrollment__status=Enrollment.Status.ACTIVE)
                .order_by("due_at")
                .values_list("id", flat=True)[: min(BATCH, limit - claimed)]
            )
            if not ids:
                break
            Touch.objects.filter(id__in=ids).update(status=Touch.Status.QUEUED, queued_at=now)
        claimed += len(ids)
        for start in range(0, len(ids), CHUNK):
            tasks.send_touches.delay(touch_ids=ids[start : start + CHUNK])
    return claimed


def send_touches(touch_ids: list[int], *, now: datetime | None = None) -> None:
    """Worker: send each claimed touch in its own workspace scope."""
    with unscoped():
        touches = dict(Touch.objects.filter(id__in=touch_ids).values_list("id", "workspace_id"))
        workspaces = Workspace.objects.in_bulk(set(touches.values()))
    for touch_id in touch_ids:
        workspace = workspaces.get(touches.get(touch_id))
        if workspace is None:
            continue
        with workspace_scope(workspace):
            try:
                send_touch(workspace=workspace, touch_id=touch_id, now=now)
            except Exception:  # noqa: BLE001 - one bad touch must not stop the batch; logged
                logger.exception("send_touch failed touch_id=%s", touch_id)


def send_touch(*, workspace, touch_id: int, now: datetime | None = None) -> str:
    """Send one touch if everything still allows it. Returns what became of it."""
    now = now or timezone.now()
    prepared = _prepare(workspace, touch_id, now)
    if isinstance(prepared, str):
        return prepared
    touch, outgoing, verdict = prepared
    # A reply may have landed since the commit: the last look before the provider is called.
    if not Enrollment.objects.filter(
        pk=touch.enrollment_id, status=Enrollment.Status.ACTIVE
    ).exists():
        Touch.objects.filter(pk=touch.pk).update(status=Touch.Status.CANCELLED, finished_at=now)
        return Touch.Status.CANCELLED
    outcome = send_message(
        workspace=workspace,
        lead=touch.enrollment.lead,
        outgoing=outgoing,
        dedupe_key=f"touch:{touch.pk}",
        automated=True,
        now=now,
        verdict=verdict,
    )
    return _record(workspace, touch.pk, outcome, now)


def _prepare(workspace, touch_id: int, now: datetime):
    with transaction.atomic():
        touch = (
            Touch.objects.select_for_update(of=("self",))
            .filter(workspace=workspace, pk=touch_id)
            .select_related("step", "enrollment__cadence", "enrollment__lead__owner__user")
            .first()
        )
        if touch is None or touch.status not in (Touch.Status.QUEUED, Touch.Status.PENDING):
            return "gone"
        enrollment = Enrollment.objects.select_for_update().get(pk=touch.enrollment_id)
        enrollment.cadence, enrollment.lead = touch.enrollment.cadence, touch.enrollment.lead
        _share_workspace(workspace, touch, enrollment)
        touch.enrollment = enrollment
        if enrollment.status == Enrollment.Status.PAUSED:
            touch.status = Touch.Status.PENDING  # waits for a resume
            touch.save(update_fields=["status"])
            return "paused"
        if enrollment.status != Enrollment.Status.ACTIVE:
            return _finish(touch, Touch.Status.CANCELLED, now)
        redirect = branching.redirect_for(touch=touch, now=now)
        if redirect is not None:
            return _apply_redirect(workspace, touch, redirect, now)
        if branching.meets_exit_conditions(workspace=workspace, enrollment=enrollment, now=now):
            stop(workspace=workspace, enrollment=enrollment, reason="exit_conditions", at=now)
            return Touch.Status.CANCELLED
        if touch.step.is_task:
            return _open_task(workspace, touch, now)
        lead = enrollment.lead
        verdict = check_send(workspace=workspace, lead=lead, channel=touch.channel, now=now)
        opening = verdict.not_before if verdict.deferred else _step_window(workspace, touch, now)
        if opening is not None:
            opening = business_opening(enrollment.cadence, lead, opening)
            return _defer(touch, opening + timedelta(seconds=spread_seconds(touch.pk)))
        if verdict.blocked:
            log_activity(
                workspace=workspace,
                lead=lead,
                kind="send_blocked",
                channel=touch.channel,
                summary=f"Cadence step skipped: {verdict.reason}",
                payload={"touch_id": touch.pk, "code": verdict.code},
            )
            touch.error = verdict.reason[:500]
            _finish(touch, Touch.Status.SKIPPED, now)
            advance(enrollment=enrollment, after=touch, done_at=now)
            return Touch.Status.SKIPPED
        if not _within_rate(workspace, touch.channel, now):
            return _defer(touch, now + timedelta(seconds=1))
        from cadences.services.rendering import render_touch

        try:
            rendered = render_touch(workspace=workspace, touch=touch, now=now)
            missing = rendered.missing
            reason = "No value for " + ", ".join(missing) + " and no fallback."
        except InvalidInput as exc:  # a template broken since it was saved
            missing, reason = ["template"], f"The step's template is broken: {exc.message}"
        if missing:
            log_activity(
                workspace=workspace,
                lead=lead,
                kind="send_blocked",
                channel=touch.channel,
                summary=f"Cadence step skipped: {reason}",
                payload={"touch_id": touch.pk, "code": "template"},
            )
            touch.error = reason
            _finish(touch, Touch.Status.SKIPPED, now)
            advance(enrollment=enrollment, after=touch, done_at=now)
            return Touch.Status.SKIPPED
        touch.status = Touch.Status.SENDING
        touch.started_at = now
        touch.attempts += 1
        touch.variant = rendered.variant
        touch.rendered_subject = rendered.subject[:300]
        touch.rendered_body = rendered.text
        touch.save()
        return touch, rendered.outgoing, verdict


def _record(workspace, touch_id: int, outcome, now: datetime) -> str:
    with transaction.atomic():
        touch = (
            Touch.objects.select_for_update(of=("self",))
            .select_related("step", "enrollment__cadence", "enrollment__lead")
            .get(pk=touch_id)
        )
        enrollment = Enrollment.objects.select_for_update().get(pk=touch.enrollment_id)
        enrollment.cadence, enrollment.lead = touch.enrollment.cadence, touch.enrollment.lead
        _share_workspace(workspace, touch, enrollment)
        touch.message = outcome.message
        if outcome.status in ("sent", "already"):
            _finish(touch, Touch.Status.SENT, now)
            advance(enrollment=enrollment, after=touch, done_at=now)
            return Touch.Status.SENT
        if outcome.status == "deferred":
            return _defer(
                touch, outcome.verdict.not_before + timedelta(seconds=spread_seconds(touch.pk))
            )
        retry = outcome.retryable and touch.attempts < settings.SEND_MAX_ATTEMPTS
        if outcome.status == "failed" and retry:
            touch.error = outcome.reason[:500]
            return _defer(touch, now + timedelta(minutes=2**touch.attempts))
        touch.error = outcome.reason[:500]
        status = Touch.Status.SKIPPED if outcome.status == "blocked" else Touch.Status.FAILED
        _finish(touch, status, now)
        advance(enrollment=enrollment, after=touch, done_at=now)
        return status


def _share_workspace(workspace, touch: Touch, enrollment: Enrollment) -> None:
    """The rows already loaded all belong to `workspace`: spare each a query to load it."""
    touch.workspace = enrollment.workspace = workspace
    enrollment.cadence.workspace = enrollment.lead.workspace = workspace
    touch.step.workspace = workspace


def _finish(touch: Touch, status: str, now: datetime) -> str:
    touch.status = status
    touch.finished_at = now
    touch.save()
    return status


def _defer(touch: Touch, until: datetime) -> str:
    touch.status = Touch.Status.PENDING
    touch.due_at = until
    touch.save(update_fields=["status", "due_at", "error"])
    return "deferred"


def _step_window(workspace, touch: Touch, now: datetime) -> datetime | None:
    step: Step = touch.step
    if not (step.window_start and step.window_end):
        return None
    window = SimpleNamespace(quiet_hours_start=step.window_start, quiet_hours_end=step.window_end)
    return next_window_opening(
        workspace=workspace, lead=touch.enrollment.lead, settings=window, now=now
    )


def _within_rate(workspace, channel: str, now: datetime) -> bool:
    """Per workspace and channel, per second (carriers allow about one text a second a number).
    Over the limit the touch waits for the next tick: nothing is dropped."""
    limit = settings.CADENCE_SEND_RATES.get(channel)
    if not limit:
        return True
    key = f"send-rate:{workspace.pk}:{channel}:{int(now.timestamp())}"
    cache.add(key, 0, timeout=5)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # evicted between add and incr
        return True


def _open_task(workspace, touch: Touch, now: datetime) -> str:
    """Call and manual steps become the rep's task; the cadence waits for the outcome."""
    step = touch.step
    lead = touch.enrollment.lead
    Task.objects.get_or_create(
        workspace=workspace,
        touch=touch,
        defaults={
            "lead": lead,
            "assignee": lead.owner,
            "kind": Task.Kind.CALL if step.kind == Step.Kind.CALL_TASK else Task.Kind.MANUAL,
            "title": step.subject or step.get_kind_display(),
            "notes": step.body,
            "due_at": now,
        },
    )
    touch.status = Touch.Status.WAITING
    touch.started_at = now
    touch.save(update_fields=["status", "started_at"])
    log_activity(
        workspace=workspace,
        lead=lead,
        kind="task_created",
        summary=f"Task for the rep: {step.subject or step.get_kind_display()}",
        payload={"touch_id": touch.pk},
        occurred_at=now,
    )
    return Touch.Status.WAITING


def _apply_redirect(workspace, touch: Touch, redirect, now: datetime) -> str:
    _finish(touch, Touch.Status.CANCELLED, now)
    enrollment = touch.enrollment
    if redirect.action == "exit":
        stop(workspace=workspace, enrollment=enrollment, reason=redirect.reason, at=now)
    elif redirect.action == "switch":
        from cadences.services.enrollment import enroll

        stop(workspace=workspace, enrollment=enrollment, reason="switched", at=now)
        enroll(workspace=workspace, lead=enrollment.lead, cadence=redirect.cadence, now=now)
    else:
        advance(enrollment=enrollment, after=touch, done_at=now, target=redirect.step)
    return "redirected"


def recover(*, now: datetime | None = None) -> tuple[int, int]:
    """Tick: re-enqueue touches queued too long (a lost broker message), and flag touches found
    mid-send after a crash for a person instead of sending them again.

    Returns (requeued, reconciled)."""
    from cadences import tasks

    now = now or timezone.now()
    with unscoped(), transaction.atomic():
        stale = list(
            Touch.objects.select_for_update(skip_locked=True)
            .filter(status=Touch.Status.QUEUED, queued_at__lt=now - timedelta(minutes=2))
            .values_list("id", flat=True)[:BATCH]
        )
        Touch.objects.filter(id__in=stale).update(queued_at=now)
    for start in range(0, len(stale), CHUNK):
        tasks.send_touches.delay(touch_ids=stale[start : start + CHUNK])
    with unscoped():
        stuck = list(
            Touch.objects.filter(
                status=Touch.Status.SENDING, started_at__lt=now - timedelta(minutes=5)
            ).select_related("workspace", "enrollment__lead")[:BATCH]
        )
    for touch in stuck:
        with workspace_scope(touch.workspace):
            _reconcile(touch, now)
    return len(stale), len(stuck)


def _reconcile(touch: Touch, now: datetime) -> None:
    """A touch left in `sending`: if its message reached the provider it was sent; otherwise a
    person decides (double-texting a lead is worse than a late text)."""
    with transaction.atomic():
        locked = Touch.objects.select_for_update(of=("self",)).filter(
            pk=touch.pk, status=Touch.Status.SENDING
        )
        current = locked.select_related("enrollment__cadence", "enrollment__lead", "step").first()
        if current is None:
            return
        message = Message.objects.filter(
            workspace=current.workspace, dedupe_key=f"touch:{current.pk}"
        ).first()
        if message is not None and message.provider_message_id:
            current.message = message
            _finish(current, Touch.Status.SENT, now)
            enrollment = Enrollment.objects.select_for_update().get(pk=current.enrollment_id)
            enrollment.cadence, enrollment.lead = (
                current.enrollment.cadence,
                current.enrollment.lead,
            )
            advance(enrollment=enrollment, after=current, done_at=now)
            return
        current.error = "Interrupted while sending: check whether it reached the lead."
        _finish(current, Touch.Status.FLAGGED, now)
        log_activity(
            workspace=current.workspace,
            lead=current.enrollment.lead,
            kind="touch_flagged",
            channel=current.channel,
            summary="A cadence message may not have gone out: check and resend by hand",
            payload={"touch_id": current.pk},
            occurred_at=now,
        )
