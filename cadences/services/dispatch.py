"""The scheduler: claim due touches, send each exactly once, recover what a crash left behind.

The database is the source of truth. A tick claims due touches with SELECT … FOR UPDATE SKIP
LOCKED, marks them queued and hands their ids to workers in chunks. A worker sends a chunk with
a fixed number of queries: it locks the touches and their enrollments, loads what the checks read
for all of them, re-checks each touch (touch_rules), commits the messages as `sending` and only
then calls the providers, so a crash leaves rows to reconcile, never a second text. `send_touch`
(the first touch after intake, tests) is the same path with a chunk of one.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from cadences.models import Enrollment, Step, Touch
from cadences.services import touch_rules
from cadences.services.enrollment import advance, advance_many
from channels.compliance import SendFacts, channel_settings_for
from channels.models import Message
from channels.services.sending import (
    BatchSend,
    ClaimedSend,
    SendOutcome,
    claim_sends,
    deliver_sends,
)
from leadfollow.bulk_updates import update_objects
from leadfollow.tenancy import unscoped, workspace_scope
from leads.services.activities import log_activities, log_activity

logger = logging.getLogger(__name__)

BATCH = 1000  # touches claimed per transaction
CHUNK = 200  # touch ids per worker task: its queries are the same for 1 touch or 200
AHEAD = 4000  # touches queued for the workers and not yet started: a few seconds of their work
QUEUED_TOO_LONG = timedelta(minutes=2)  # then the broker lost it: recovery enqueues it again
TOUCH_FIELDS = [
    "status",
    "due_at",
    "error",
    "started_at",
    "finished_at",
    "attempts",
    "variant",
    "rendered_subject",
    "rendered_body",
    "message",
]
SETTLED_FIELDS = ["status", "due_at", "error", "finished_at", "message"]  # what `settle` changes


def dispatch_due(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Tick: claim due touches in batches and enqueue them, no more than the workers will take
    in the next few seconds. Returns how many were claimed."""
    from cadences import tasks

    now = now or timezone.now()
    with unscoped():  # the tick serves every workspace
        waiting = Touch.objects.filter(
            status=Touch.Status.QUEUED, queued_at__gte=now - QUEUED_TOO_LONG
        ).count()
    # A burst stays `pending` in the database, claimed in due order as workers free up, rather
    # than waiting in the broker long enough to look lost to recovery and be enqueued again.
    limit = min(limit, AHEAD - waiting)
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
    """Worker: send a chunk of claimed touches, whatever their workspaces, with a fixed number of
    queries for the chunk. One touch that fails does not stop the others."""
    _send_chunk(touch_ids, now=now or timezone.now())


def send_touch(*, workspace, touch_id: int, now: datetime | None = None) -> str:
    """Send one touch if everything still allows it (a chunk of one). Returns what became of it."""
    results = _send_chunk([touch_id], now=now or timezone.now(), workspace=workspace)
    return results.get(touch_id, touch_rules.GONE)


def _send_chunk(touch_ids: list[int], *, now: datetime, workspace=None) -> dict[int, str]:
    """Lock and check every touch, commit their messages as `sending`, call the providers, then
    record the results. Returns what became of each touch that was still to send."""
    # The dispatcher's chunks span workspaces: each row is read and written with its own.
    with unscoped():
        chunk, results, sending, claimed = _claim(touch_ids, now, workspace)
        if sending:  # committed as `sending`: from here a crash leaves rows to reconcile
            outcomes = deliver_sends(claimed, still_wanted=partial(_still_wanted, sending))
            results.update(_record(chunk, sending, outcomes))
    return results


def _claim(touch_ids: list[int], now: datetime, workspace):
    """One transaction: lock the touches and their enrollments (SKIP LOCKED: a touch another
    worker holds is that worker's), check each, save every change in bulk and claim the
    messages of the touches that go out."""
    with transaction.atomic():
        touches = _locked_touches(touch_ids, workspace)
        chunk = _load(touches, now)
        results, ready = {}, []
        for touch in touches:
            rare = touch_rules.takes_rare_path(touch, chunk)
            try:
                with transaction.atomic() if rare else nullcontext():
                    result = touch_rules.check_touch(touch, chunk)
            except Exception:  # noqa: BLE001 - one bad touch must not stop the chunk; logged
                logger.exception("checking touch failed touch_id=%s", touch.pk)
                result = touch_rules.GONE  # stays queued: recovery tries again
            if result is None:
                ready.append(touch)
            else:
                results[touch.pk] = result
        sending, sends = _render(ready, chunk, results)
        _save(chunk)
        claimed = claim_sends(sends)
    return chunk, results, sending, claimed


def _render(ready: list[Touch], chunk, results: dict[int, str]):
    """The messages of the touches that may go out now; the rate limit holds back the rest."""
    allowed = {touch.pk for touch in touch_rules.within_rate(ready, chunk)}
    sending, sends = [], []
    for touch in ready:
        if touch.pk not in allowed:
            results[touch.pk] = touch_rules.DEFERRED
            continue
        try:
            rendered = touch_rules.render(touch, chunk)
        except Exception:  # noqa: BLE001 - one bad touch must not stop the chunk; logged
            logger.exception("rendering touch failed touch_id=%s", touch.pk)
            results[touch.pk] = touch_rules.GONE  # stays queued: recovery tries again
            continue
        if rendered is None:
            results[touch.pk] = Touch.Status.SKIPPED
            continue
        workspace, lead = touch.workspace, touch.enrollment.lead
        settings = chunk.settings[workspace.pk]
        sending.append(touch)
        sends.append(BatchSend(workspace, lead, rendered.outgoing, _dedupe_key(touch), settings))
    return sending, sends


def _dedupe_key(touch: Touch) -> str:
    """A touch's message is named after it, so it is sent at most once."""
    return f"touch:{touch.pk}"


def _still_wanted(sending: list[Touch], pending: list[ClaimedSend]) -> set[str]:
    """The last look before the provider: which pending sends' enrollments are still active."""
    keys = {item.send.dedupe_key for item in pending}
    enrollments = {t.enrollment_id: _dedupe_key(t) for t in sending if _dedupe_key(t) in keys}
    active = Enrollment.objects.filter(pk__in=enrollments, status=Enrollment.Status.ACTIVE)
    return {enrollments[pk] for pk in active.values_list("pk", flat=True)}


def _record(chunk, touches: list[Touch], outcomes: list[SendOutcome]) -> dict[int, str]:
    """One transaction: re-lock the touches still `sending` and their enrollments (a reply may
    have stopped one meanwhile), record each outcome and plan the next touches."""
    chunk.dirty, chunk.activities, chunk.advancing = [], [], []  # the claim's were saved
    results = {}
    with transaction.atomic():
        fresh = {
            touch.pk: touch.enrollment.status
            for touch in Touch.objects.select_for_update(of=("self", "enrollment"))
            .select_related("enrollment")
            .only("pk", "enrollment__status")
            .filter(pk__in=[touch.pk for touch in touches], status=Touch.Status.SENDING)
        }
        for touch, outcome in zip(touches, outcomes, strict=True):
            if touch.pk not in fresh:
                continue  # reconciled meanwhile
            touch.enrollment.status = fresh[touch.pk]
            status = touch_rules.settle(touch, outcome, chunk)
            if status is not None:
                results[touch.pk] = status
        _save(chunk, SETTLED_FIELDS)
    return results


def _locked_touches(touch_ids: list[int], workspace) -> list[Touch]:
    found = (
        Touch.objects.select_for_update(skip_locked=True, of=("self", "enrollment"))
        .filter(pk__in=touch_ids, status__in=(Touch.Status.QUEUED, Touch.Status.PENDING))
        .select_related(
            "workspace",
            "step",
            "enrollment__cadence",
            "enrollment__lead__owner__user",
            "enrollment__lead__account",
        )
        .order_by("pk")
    )
    if workspace is not None:
        found = found.filter(workspace=workspace)
    touches = list(found)
    for touch in touches:
        _share_workspace(touch.workspace, touch, touch.enrollment)
    return touches


def _load(touches: list[Touch], now: datetime) -> touch_rules.Chunk:
    """Everything the checks read, for the whole chunk: a few queries, whatever its size."""
    workspaces = {touch.workspace_id: touch.workspace for touch in touches}
    cadences = {touch.enrollment.cadence_id for touch in touches}
    steps: dict[int, list[Step]] = {cadence_id: [] for cadence_id in cadences}
    for step in Step.objects.filter(cadence_id__in=cadences).order_by("position", "pk"):
        step.workspace = workspaces[step.workspace_id]
        steps[step.cadence_id].append(step)
    sendable = [(touch.enrollment.lead, touch.channel) for touch in touches if touch.channel]
    return touch_rules.Chunk(
        now=now,
        settings=channel_settings_for(workspaces.values()),
        facts=SendFacts.load(sendable),
        steps=steps,
    )


def _save(chunk: touch_rules.Chunk, fields: list[str] = TOUCH_FIELDS) -> None:
    """The chunk's collected writes, a statement each."""
    update_objects(Touch, {touch.pk: touch for touch in chunk.dirty}.values(), fields)
    log_activities(chunk.activities)
    advance_many(moves=chunk.advancing, done_at=chunk.now, steps=chunk.steps)


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


def recover(*, now: datetime | None = None) -> tuple[int, int]:
    """Tick: re-enqueue touches queued too long (a lost broker message), and flag touches found
    mid-send after a crash for a person instead of sending them again.

    Returns (requeued, reconciled)."""
    from cadences import tasks

    now = now or timezone.now()
    with unscoped(), transaction.atomic():
        stale = list(
            Touch.objects.select_for_update(skip_locked=True)
            .filter(status=Touch.Status.QUEUED, queued_at__lt=now - QUEUED_TOO_LONG)
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
            workspace=current.workspace, dedupe_key=_dedupe_key(current)
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
