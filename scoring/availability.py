"""Whether a rep can take a new lead right now: toggle, working hours, time off, caps."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time

from django.db.models import Count, Q

from leadfollow.models import Membership, Workspace
from leads.models import Activity, Lead
from scoring.models import RepAvailability, TimeOff

OPEN_STATUSES = ("new", "working", "contacted", "replied", "meeting")


def _in_working_hours(availability: RepAvailability, workspace: Workspace, at: datetime) -> bool:
    zone = zoneinfo.ZoneInfo(availability.time_zone or workspace.time_zone)
    local = at.astimezone(zone)
    for start, end in (availability.working_hours or {}).get(str(local.weekday()), []):
        if time.fromisoformat(start) <= local.time() < time.fromisoformat(end):
            return True
    return False


def available_members(
    *, workspace: Workspace, candidates: list[Membership], at: datetime
) -> list[Membership]:
    """The candidates who can take a lead at `at`, in the given order. A few queries in all."""
    if not candidates:
        return []
    ids = [member.pk for member in candidates]
    settings = {a.membership_id: a for a in RepAvailability.objects.filter(membership_id__in=ids)}
    away = set(
        TimeOff.objects.filter(
            membership_id__in=ids, starts_at__lte=at, ends_at__gt=at
        ).values_list("membership_id", flat=True)
    )
    return _available(workspace, candidates, settings, away, at)


def available_read_members(
    *, workspace: Workspace, candidates: list[Membership], away: set[int], at: datetime
) -> list[Membership]:
    """available_members for candidates read with their availability (`select_related`);
    `away` holds the ids of those on time off at `at`. No query, unless a cap must be counted."""
    # A member without a saved availability raises an AttributeError (Django's "does not exist").
    settings = {m.pk: m.availability for m in candidates if getattr(m, "availability", None)}
    return _available(workspace, candidates, settings, away, at)


def _available(
    workspace: Workspace,
    candidates: list[Membership],
    settings: dict[int, RepAvailability],
    away: set[int],
    at: datetime,
) -> list[Membership]:
    capped = [a for a in settings.values() if a.daily_cap or a.open_cap]
    open_counts, today_counts = _load(workspace, capped, at)
    result = []
    for member in candidates:
        availability = settings.get(member.pk)
        if not member.is_active or member.pk in away:
            continue
        if availability is not None:
            if not availability.is_available:
                continue
            if not _in_working_hours(availability, workspace, at):
                continue
            if availability.open_cap and open_counts.get(member.pk, 0) >= availability.open_cap:
                continue
            if availability.daily_cap and today_counts.get(member.pk, 0) >= availability.daily_cap:
                continue
        result.append(member)
    return result


def _load(workspace: Workspace, capped: list[RepAvailability], at: datetime):
    if not capped:
        return {}, {}
    ids = [a.membership_id for a in capped]
    open_counts = open_lead_counts(workspace=workspace, member_ids=ids)
    # "Today" is the workspace's calendar day.
    start_of_day = at.astimezone(workspace.tzinfo).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    today = (
        Activity.objects.filter(
            workspace=workspace, kind="owner_changed", occurred_at__gte=start_of_day
        )
        .filter(Q(payload__to__in=ids))
        .values_list("payload__to", flat=True)
    )
    today_counts: dict[int, int] = {}
    for owner_id in today:
        today_counts[owner_id] = today_counts.get(owner_id, 0) + 1
    return open_counts, today_counts


def open_lead_counts(*, workspace: Workspace, member_ids: list[int]) -> dict[int, int]:
    return dict(
        Lead.objects.filter(workspace=workspace, owner_id__in=member_ids, status__in=OPEN_STATUSES)
        .values_list("owner_id")
        .annotate(n=Count("id"))
    )


def in_working_hours(
    *, availability: RepAvailability | None, workspace: Workspace, at: datetime
) -> bool:
    """Whether `at` falls in the rep's working hours. Without settings a rep always works, as
    routing treats them."""
    return availability is None or _in_working_hours(availability, workspace, at)
