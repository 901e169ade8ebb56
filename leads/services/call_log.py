"""Calls a rep logs by hand: after a click-to-call, or made from another phone."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from leadfollow.errors import InvalidInput, NotFound
from leadfollow.models import Membership, Workspace
from leads.models import Activity, Lead
from leads.services.activities import log_activity
from leads.services.meetings import book_meeting

# The same words as a call task's outcomes, so reports read one vocabulary.
CALL_OUTCOMES = {
    "answered": "Answered",
    "voicemail": "Left a voicemail",
    "no_answer": "No answer",
    "wrong_number": "Wrong number",
    "meeting_booked": "Meeting booked",
}
LONGEST_CALL_MINUTES = 600


@transaction.atomic
def log_call(
    *,
    workspace: Workspace,
    lead_id: int,
    outcome: str,
    actor: Membership,
    duration_seconds: int | None = None,
    notes: str = "",
    message_id: int | None = None,
    meeting_at: datetime | None = None,
) -> Activity:
    """Put a rep's call on the timeline as their outbound call: it counts as the lead's first
    human touch and answers a waiting reply. "Meeting booked" also books the meeting (which
    stops the lead's cadences); `message_id` ties it to the click-to-call it follows."""
    if outcome not in CALL_OUTCOMES:
        raise InvalidInput("Choose how the call went.", field="outcome")
    if duration_seconds is not None and not 0 <= duration_seconds <= LONGEST_CALL_MINUTES * 60:
        raise InvalidInput(
            f"Give a duration between 0 and {LONGEST_CALL_MINUTES} minutes.", field="duration"
        )
    if outcome == "meeting_booked" and meeting_at is None:
        raise InvalidInput("Give the meeting's date and time.", field="meeting_at")
    lead = Lead.objects.filter(workspace=workspace, pk=lead_id, erased_at__isnull=True).first()
    if lead is None:
        raise NotFound("No lead with this id in your workspace.")
    notes = notes.strip()
    summary = f"Call: {CALL_OUTCOMES[outcome].lower()}"
    if duration_seconds:
        minutes, seconds = divmod(duration_seconds, 60)
        summary += f", {minutes} min" + (f" {seconds} s" if seconds else "")
    activity = log_activity(
        workspace=workspace,
        lead=lead,
        kind="call_logged",
        channel="call",
        direction=Activity.Direction.OUTBOUND,
        actor=actor,
        summary=summary,
        payload={
            "outcome": outcome,
            "duration_seconds": duration_seconds,
            "notes": notes[:2000],
            "message_id": message_id,
            "human": True,
        },
    )
    if outcome == "meeting_booked":
        book_meeting(
            workspace=workspace, lead_id=lead.pk, at=meeting_at, actor=actor, note=notes[:200]
        )
    return activity
