"""Rep availability (toggle, working hours, caps, alerts), time off, and workspace holidays.

Managers change anyone's availability; a rep changes only their own.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time

from django.db import IntegrityError, transaction

from leadfollow.errors import Forbidden, InvalidInput, NotFound
from leadfollow.models import Membership, Role, Workspace
from scoring.models import Holiday, Notification, RepAvailability, TimeOff
from scoring.services.audit import record_rule_change, snapshot

MAX_CAP = 10_000


def _member(workspace: Workspace, membership_id: int) -> Membership:
    member = (
        Membership.objects.select_related("user")
        .filter(workspace=workspace, pk=membership_id)
        .first()
    )
    if member is None:
        raise NotFound("No such member in your workspace.")
    return member


def ensure_may_edit(*, actor: Membership, membership_id: int) -> None:
    """Managers edit anyone's availability; reps only their own."""
    if not actor.has_role(Role.MANAGER) and actor.pk != membership_id:
        raise Forbidden("Only managers change another rep's availability.")


def availability_for(*, workspace: Workspace, membership_id: int) -> RepAvailability:
    """The member's availability row, or an unsaved one with the defaults."""
    member = _member(workspace, membership_id)
    found = RepAvailability.objects.filter(workspace=workspace, membership=member).first()
    return found or RepAvailability(workspace=workspace, membership=member)


def _check_hours(hours: dict) -> None:
    for day, spans in hours.items():
        if day not in {str(n) for n in range(7)}:
            raise InvalidInput("Working hours are given per weekday.", field="working_hours")
        for start, end in spans:
            if time.fromisoformat(start) >= time.fromisoformat(end):
                raise InvalidInput("Each day's hours must end after they start.", field="hours")


@transaction.atomic
def update_availability(
    *, workspace: Workspace, membership_id: int, values: dict, actor: Membership
) -> RepAvailability:
    """Save a rep's availability and alert preferences."""
    ensure_may_edit(actor=actor, membership_id=membership_id)
    if values.get("time_zone"):
        try:
            zoneinfo.ZoneInfo(values["time_zone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput("Choose a time zone from the list.", field="time_zone") from exc
    _check_hours(values.get("working_hours", {}))
    for cap in ("daily_cap", "open_cap"):
        if values.get(cap) is not None and not 1 <= values[cap] <= MAX_CAP:
            raise InvalidInput(f"A cap is 1 to {MAX_CAP}, or empty for none.", field=cap)
    for field in ("email_kinds", "sms_kinds"):
        if not set(values.get(field, [])) <= set(Notification.Kind.values):
            raise InvalidInput("Choose alerts from the list.", field=field)
    if values.get("notify_by_sms") and not values.get("mobile_phone"):
        raise InvalidInput("Give a mobile number to get texts.", field="mobile_phone")
    availability = availability_for(workspace=workspace, membership_id=membership_id)
    before = snapshot(availability) if availability.pk else None
    for field, value in values.items():
        setattr(availability, field, value)
    availability.save()
    record_rule_change(
        workspace=workspace,
        actor=actor,
        subject="availability",
        subject_id=membership_id,
        action="updated" if before else "created",
        before=before,
        after=snapshot(availability),
    )
    return availability


@transaction.atomic
def add_time_off(
    *,
    workspace: Workspace,
    membership_id: int,
    starts_at: datetime,
    ends_at: datetime,
    note: str,
    actor: Membership,
) -> TimeOff:
    """Book time off: the rep takes no new leads in between."""
    ensure_may_edit(actor=actor, membership_id=membership_id)
    member = _member(workspace, membership_id)
    if ends_at <= starts_at:
        raise InvalidInput("Time off must end after it starts.", field="ends_at")
    time_off = TimeOff.objects.create(
        workspace=workspace, membership=member, starts_at=starts_at, ends_at=ends_at, note=note
    )
    record_rule_change(
        workspace=workspace,
        actor=actor,
        subject="time_off",
        subject_id=time_off.pk,
        action="created",
        before=None,
        after=snapshot(time_off),
    )
    return time_off


def get_time_off(*, workspace: Workspace, time_off_id: int) -> TimeOff:
    found = TimeOff.objects.filter(workspace=workspace, pk=time_off_id).first()
    if found is None:
        raise NotFound("No such time off in your workspace.")
    return found


@transaction.atomic
def remove_time_off(*, workspace: Workspace, time_off_id: int, actor: Membership) -> TimeOff:
    """Cancel booked time off."""
    time_off = get_time_off(workspace=workspace, time_off_id=time_off_id)
    ensure_may_edit(actor=actor, membership_id=time_off.membership_id)
    before = snapshot(time_off)
    time_off.delete()
    record_rule_change(
        workspace=workspace,
        actor=actor,
        subject="time_off",
        subject_id=time_off_id,
        action="deleted",
        before=before,
        after=None,
    )
    return time_off


@transaction.atomic
def add_holiday(*, workspace: Workspace, day: date, name: str, actor: Membership) -> Holiday:
    """A day business-hours SLA clocks skip."""
    if not name.strip():
        raise InvalidInput("Name the holiday.", field="name")
    try:
        with transaction.atomic():
            holiday = Holiday.objects.create(workspace=workspace, date=day, name=name.strip())
    except IntegrityError as exc:
        raise InvalidInput("This day is already a holiday.", field="date") from exc
    record_rule_change(
        workspace=workspace,
        actor=actor,
        subject="holiday",
        subject_id=holiday.pk,
        action="created",
        before=None,
        after=snapshot(holiday),
    )
    return holiday


def get_holiday(*, workspace: Workspace, holiday_id: int) -> Holiday:
    found = Holiday.objects.filter(workspace=workspace, pk=holiday_id).first()
    if found is None:
        raise NotFound("No such holiday in your workspace.")
    return found


@transaction.atomic
def remove_holiday(*, workspace: Workspace, holiday_id: int, actor: Membership) -> Holiday:
    """Clocks run again on that day. Clocks already started keep their deadlines."""
    holiday = get_holiday(workspace=workspace, holiday_id=holiday_id)
    before = snapshot(holiday)
    holiday.delete()
    record_rule_change(
        workspace=workspace,
        actor=actor,
        subject="holiday",
        subject_id=holiday_id,
        action="deleted",
        before=before,
        after=None,
    )
    return holiday
