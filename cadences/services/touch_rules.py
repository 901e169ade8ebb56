"""What becomes of a claimed touch: the checks before it is sent and the record after.

The dispatcher runs them over a chunk of touches whose rows (leads, steps, channel settings,
suppressions, consents) it loaded once for the whole chunk, so the common touch costs no query
of its own. The touch rows are changed in memory and saved by the caller in one statement;
rare paths (a branch, exit conditions, a task step) write at once and say so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from cadences.models import Enrollment, Step, Task, Touch
from cadences.services import branching
from cadences.services.enrollment import advance, enroll, stop
from cadences.services.planning import business_opening, spread_seconds
from cadences.services.rendering import RenderedTouch, render_touch
from channels.compliance import SendFacts, check_send, next_window_opening
from channels.models import ChannelSettings
from channels.services.sending import ALREADY_SENT, SENT, UNKNOWN, WITHDRAWN, SendOutcome
from leadfollow.errors import InvalidInput
from leadfollow.tenancy import workspace_scope
from leads.models import Activity
from leads.services.activities import log_activity

logger = logging.getLogger(__name__)

# What became of a touch that did not reach `sending`, besides its Touch.Status.
GONE, PAUSED, DEFERRED, REDIRECTED = "gone", "paused", "deferred", "redirected"


@dataclass
class Chunk:
    """The rows a chunk of touches reads, loaded once, and the writes it collects."""

    now: datetime
    settings: dict[int, ChannelSettings]
    facts: SendFacts
    steps: dict[int, list[Step]]  # each cadence's steps, ordered
    dirty: list[Touch] = field(default_factory=list)  # saved together by the caller
    activities: list[Activity] = field(default_factory=list)
    advancing: list[tuple[Enrollment, Touch]] = field(default_factory=list)


def check_touch(touch: Touch, chunk: Chunk) -> str | None:
    """Everything that must still hold before a locked touch is sent. Returns what became of the
    touch, or None when it may be sent (after the rate limit and rendering)."""
    enrollment, now = touch.enrollment, chunk.now
    if enrollment.status == Enrollment.Status.PAUSED:
        touch.status = Touch.Status.PENDING  # waits for a resume
        chunk.dirty.append(touch)
        return PAUSED
    if enrollment.status != Enrollment.Status.ACTIVE:
        return _finish(touch, chunk, Touch.Status.CANCELLED)
    rare = _rare_paths(touch, chunk)
    if rare is not None:
        return rare
    lead, workspace = enrollment.lead, touch.workspace
    verdict = check_send(
        workspace=workspace,
        lead=lead,
        channel=touch.channel,
        now=now,
        settings=chunk.settings[workspace.pk],
        facts=chunk.facts,
    )
    opening = verdict.not_before if verdict.deferred else _step_window(touch, now)
    if opening is not None:
        opening = business_opening(enrollment.cadence, lead, opening)
        return _defer(touch, chunk, opening + timedelta(seconds=spread_seconds(touch.pk)))
    if verdict.blocked:
        return _skip(touch, chunk, verdict.reason, verdict.code)
    return None


def takes_rare_path(touch: Touch, chunk: Chunk) -> bool:
    """Branches, exit conditions and task steps read and write on their own (the caller gives
    such a touch a savepoint); only cadences that use them pay for it."""
    return bool(
        touch.step.is_task or touch.enrollment.cadence.exit_conditions or _branched(touch, chunk)
    )


def _branched(touch: Touch, chunk: Chunk) -> bool:
    return any(step.branches for step in chunk.steps[touch.enrollment.cadence_id])


def _rare_paths(touch: Touch, chunk: Chunk) -> str | None:
    workspace, enrollment, now = touch.workspace, touch.enrollment, chunk.now
    if not takes_rare_path(touch, chunk):
        return None
    branched = _branched(touch, chunk)
    with workspace_scope(workspace):
        redirect = branching.redirect_for(touch=touch, now=now) if branched else None
        if redirect is not None:
            return _apply_redirect(touch, redirect, now)
        if branching.meets_exit_conditions(workspace=workspace, enrollment=enrollment, now=now):
            stop(workspace=workspace, enrollment=enrollment, reason="exit_conditions", at=now)
            return Touch.Status.CANCELLED
        if touch.step.is_task:
            return _open_task(touch, now)
    return None


def within_rate(touches: list[Touch], chunk: Chunk) -> list[Touch]:
    """The touches the per-workspace, per-channel rate allows this second, the counters of the
    whole chunk asked at once; the others wait a second: nothing is dropped."""
    groups: dict[str, list[Touch]] = {}
    limits: dict[str, int | None] = {}
    second = int(chunk.now.timestamp())
    for touch in touches:
        key = f"send-rate:{touch.workspace_id}:{touch.channel}:{second}"
        groups.setdefault(key, []).append(touch)
        limits[key] = settings.CADENCE_SEND_RATES.get(touch.channel)
    counts = _count_sends({key: len(group) for key, group in groups.items() if limits[key]})
    allowed = []
    for key, group in groups.items():
        count = counts.get(key)
        # Every one counts against the second, as if asked one by one.
        slots = len(group) if count is None else max(0, limits[key] - (count - len(group)))
        allowed += group[:slots]
        for touch in group[slots:]:
            _defer(touch, chunk, chunk.now + timedelta(seconds=1))
    return allowed


def _count_sends(wanted: dict[str, int]) -> dict[str, int | None]:
    """Add each counter's wanted sends to this second's count and return the new counts
    (carriers allow about one text a second a number). With Redis, one round trip for all of
    them: a chunk spans hundreds of workspaces. None: the counter was evicted, nothing is held."""
    if not wanted:
        return {}
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # Django's cache API has no batched increment: its Redis client has the pipeline.
        pipeline = backend._cache.get_client(write=True).pipeline(transaction=False)
        for key, count in wanted.items():
            stored = backend.make_and_validate_key(key)
            pipeline.set(stored, 0, ex=5, nx=True)
            pipeline.incrby(stored, count)
        replies = pipeline.execute()
        return dict(zip(wanted, replies[1::2], strict=True))
    counts: dict[str, int | None] = {}
    for key, count in wanted.items():
        cache.add(key, 0, timeout=5)
        try:
            counts[key] = cache.incr(key, count)
        except ValueError:  # evicted between add and incr
            counts[key] = None
    return counts


def render(touch: Touch, chunk: Chunk) -> RenderedTouch | None:
    """The touch's message, with the touch marked `sending`; None when it was skipped because
    a value is missing or the template broke since it was saved."""
    try:
        rendered = render_touch(workspace=touch.workspace, touch=touch, now=chunk.now)
        missing = rendered.missing
        reason = "No value for " + ", ".join(missing) + " and no fallback."
    except InvalidInput as exc:
        missing, reason = ["template"], f"The step's template is broken: {exc.message}"
    if missing:
        _skip(touch, chunk, reason, "template")
        return None
    touch.status = Touch.Status.SENDING
    touch.started_at = chunk.now
    touch.attempts += 1
    touch.variant = rendered.variant
    touch.rendered_subject = rendered.subject[:300]
    touch.rendered_body = rendered.text
    chunk.dirty.append(touch)
    return rendered


def settle(touch: Touch, outcome: SendOutcome, chunk: Chunk) -> str | None:
    """Record what the provider said on a `sending` touch. None leaves it `sending`: the adapter
    broke mid-call, so only reconciliation or a person can tell whether it went out."""
    touch.message = outcome.message
    if outcome.status in (SENT, ALREADY_SENT):
        return _finish(touch, chunk, Touch.Status.SENT, advance=True)
    if outcome.status == WITHDRAWN:  # a reply landed between the claim and the provider call
        return _finish(touch, chunk, Touch.Status.CANCELLED)
    if outcome.status == UNKNOWN:
        return None
    touch.error = outcome.reason[:500]
    if outcome.retryable and touch.attempts < settings.SEND_MAX_ATTEMPTS:
        return _defer(touch, chunk, chunk.now + timedelta(minutes=2**touch.attempts))
    return _finish(touch, chunk, Touch.Status.FAILED, advance=True)


def _finish(touch: Touch, chunk: Chunk, status: str, *, advance: bool = False) -> str:
    touch.status = status
    touch.finished_at = chunk.now
    chunk.dirty.append(touch)
    if advance:
        chunk.advancing.append((touch.enrollment, touch))
    return status


def _defer(touch: Touch, chunk: Chunk, until: datetime) -> str:
    touch.status = Touch.Status.PENDING
    touch.due_at = until
    chunk.dirty.append(touch)
    return DEFERRED


def _skip(touch: Touch, chunk: Chunk, reason: str, code: str) -> str:
    """A step that cannot go out is skipped with the reason on the timeline; the cadence goes on."""
    chunk.activities.append(
        Activity(
            workspace=touch.workspace,
            lead=touch.enrollment.lead,
            kind="send_blocked",
            channel=touch.channel,
            summary=f"Cadence step skipped: {reason}",
            payload={"touch_id": touch.pk, "code": code},
            occurred_at=chunk.now,
        )
    )
    touch.error = reason[:500]
    return _finish(touch, chunk, Touch.Status.SKIPPED, advance=True)


def _step_window(touch: Touch, now: datetime) -> datetime | None:
    step: Step = touch.step
    if not (step.window_start and step.window_end):
        return None
    window = SimpleNamespace(quiet_hours_start=step.window_start, quiet_hours_end=step.window_end)
    return next_window_opening(
        workspace=touch.workspace, lead=touch.enrollment.lead, settings=window, now=now
    )


def _open_task(touch: Touch, now: datetime) -> str:
    """Call and manual steps become the rep's task; the cadence waits for the outcome. The
    step's title and script are filled in for this lead, like a message's would be."""
    step, workspace = touch.step, touch.workspace
    lead = touch.enrollment.lead
    rendered = render_touch(workspace=workspace, touch=touch, now=now)
    title = rendered.subject or step.get_kind_display()
    Task.objects.get_or_create(
        workspace=workspace,
        touch=touch,
        defaults={
            "lead": lead,
            "assignee": lead.owner,
            "kind": Task.Kind.CALL if step.kind == Step.Kind.CALL_TASK else Task.Kind.MANUAL,
            "title": title[:200],
            "notes": rendered.text,
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
        summary=f"Task for the rep: {title}",
        payload={"touch_id": touch.pk},
        occurred_at=now,
    )
    return Touch.Status.WAITING


def _apply_redirect(touch: Touch, redirect, now: datetime) -> str:
    touch.status, touch.finished_at = Touch.Status.CANCELLED, now
    touch.save(update_fields=["status", "finished_at"])
    enrollment, workspace = touch.enrollment, touch.workspace
    if redirect.action == "exit":
        stop(workspace=workspace, enrollment=enrollment, reason=redirect.reason, at=now)
    elif redirect.action == "switch":
        stop(workspace=workspace, enrollment=enrollment, reason="switched", at=now)
        enroll(workspace=workspace, lead=enrollment.lead, cadence=redirect.cadence, now=now)
    else:
        advance(enrollment=enrollment, after=touch, done_at=now, target=redirect.step)
    return REDIRECTED
