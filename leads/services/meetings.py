"""Meetings: a rep books one with the lead; it waits in the owner's inbox until confirmed."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from leadfollow.errors import InvalidInput
from leadfollow.models import Membership, Workspace
from leads.models import Lead
from leads.services.activities import log_activity
from leads.services.changes import lead_for_update, log_changes

# A meeting booked this far in the past is a typo, not a record of one that happened.
OLDEST_BOOKING_DAYS = 30


@transaction.atomic
def book_meeting(
    *,
    workspace: Workspace,
    lead_id: int,
    at: datetime,
    actor: Membership | None = None,
    note: str = "",
    confirmed: bool = False,
) -> Lead:
    """Record a meeting with the lead at `at`. The lead's status becomes "Meeting booked" and
    its follow-ups stop (the cadence engine listens for `meeting_booked`)."""
    now = timezone.now()
    if timezone.is_naive(at):
        raise InvalidInput("Give the meeting's time with its time zone.", field="at")
    if (now - at).days > OLDEST_BOOKING_DAYS:
        raise InvalidInput(
            f"That is more than {OLDEST_BOOKING_DAYS} days ago; check the date.", field="at"
        )
    lead = lead_for_update(workspace, lead_id)
    before = {"status": lead.status, "owner_id": lead.owner_id}
    lead.meeting_at = at
    lead.meeting_confirmed_at = now if confirmed else None
    if lead.status not in (Lead.Status.QUALIFIED, Lead.Status.CUSTOMER):
        lead.status = Lead.Status.MEETING
    lead.save(update_fields=["meeting_at", "meeting_confirmed_at", "status", "updated_at"])
    log_changes(workspace, lead, before, actor)
    local = timezone.localtime(at, timezone.get_current_timezone())
    log_activity(
        workspace=workspace,
        lead=lead,
        kind="meeting_booked",
        actor=actor,
        summary=f"Meeting booked for {local:%a %b} {local.day}, {local:%I:%M %p}".replace(" 0", " ")
        + (f": {note.strip()[:200]}" if note.strip() else ""),
        payload={"at": at.isoformat(), "note": note.strip()[:1000], "confirmed": confirmed},
    )
    return lead


@transaction.atomic
def confirm_meeting(*, workspace: Workspace, lead_id: int, actor: Membership | None = None) -> Lead:
    """The rep confirmed the booked meeting with the lead; it leaves the inbox."""
    lead = lead_for_update(workspace, lead_id)
    if lead.meeting_at is None:
        raise InvalidInput("This lead has no meeting booked.", field="meeting")
    if lead.meeting_confirmed_at is not None:
        return lead
    lead.meeting_confirmed_at = timezone.now()
    lead.save(update_fields=["meeting_confirmed_at", "updated_at"])
    log_activity(
        workspace=workspace,
        lead=lead,
        kind="meeting_confirmed",
        actor=actor,
        summary="Meeting confirmed",
        payload={"at": lead.meeting_at.isoformat()},
    )
    return lead
