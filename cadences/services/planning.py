"""When a step is due: delays in minutes, hours or days, business days only, in the lead's zone."""

from __future__ import annotations

from datetime import datetime, timedelta

from cadences.models import Cadence, Enrollment, Step
from channels.compliance import lead_time_zone
from leads.models import Lead


def due_at(
    *, step: Step, enrollment: Enrollment, lead: Lead, previous_done_at: datetime | None
) -> datetime:
    """The step's due time. Days are calendar days, or business days when the cadence says so;
    they are counted on the lead's wall clock, so a DST change keeps the local hour."""
    cadence = enrollment.cadence
    workspace = enrollment.workspace
    base = enrollment.enrolled_at
    if step.delay_after == Step.After.PREVIOUS and previous_done_at is not None:
        base = previous_done_at
    if step.delay_unit == Step.Unit.MINUTES:
        due = base + timedelta(minutes=step.delay)
    elif step.delay_unit == Step.Unit.HOURS:
        due = base + timedelta(hours=step.delay)
    else:
        zone = lead_time_zone(lead, workspace)
        local = base.astimezone(zone)
        days = step.delay
        if cadence.business_days_only:
            while days > 0:
                local = _wall_add_days(local, 1)
                if _is_business_day(cadence, local):
                    days -= 1
        else:
            local = _wall_add_days(local, days)
        due = local
    if cadence.business_days_only:
        zone = lead_time_zone(lead, workspace)
        local = due.astimezone(zone)
        while not _is_business_day(cadence, local):
            local = _wall_add_days(local, 1)
        due = local
    return due


def _wall_add_days(local: datetime, days: int) -> datetime:
    """Same wall-clock time `days` later in the same zone (zoneinfo resolves DST)."""
    naive = local.replace(tzinfo=None) + timedelta(days=days)
    return naive.replace(tzinfo=local.tzinfo)


def _is_business_day(cadence: Cadence, local: datetime) -> bool:
    return local.weekday() in (cadence.workspace.business_days or [0, 1, 2, 3, 4])


def next_step(cadence: Cadence, after: Step | None) -> Step | None:
    steps = Step.objects.filter(workspace=cadence.workspace, cadence=cadence).order_by(
        "position", "pk"
    )
    return step_after(list(steps), after)


def step_after(steps: list[Step], after: Step | None) -> Step | None:
    """The step after `after` among a cadence's steps ordered by position and id (the first one
    when `after` is None): a later position first, else a later step at the same position."""
    if after is None:
        return steps[0] if steps else None
    later = (step for step in steps if step.position > after.position)
    same = (step for step in steps if step.position == after.position and step.pk > after.pk)
    return next(later, None) or next(same, None)


def spread_seconds(touch_id: int, window: int = 900) -> int:
    """A stable per-touch offset, so touches deferred to one opening do not all fire at once."""
    return (touch_id * 7919) % window


def business_opening(cadence: Cadence, lead: Lead, at: datetime) -> datetime:
    """`at`, moved to the same local time of the next business day when the cadence runs on
    business days only and `at` falls on another day (a Friday-night text waits for Monday)."""
    if not cadence.business_days_only:
        return at
    local = at.astimezone(lead_time_zone(lead, cadence.workspace))
    while not _is_business_day(cadence, local):
        local = _wall_add_days(local, 1)
    return local
