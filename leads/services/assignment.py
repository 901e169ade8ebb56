"""Giving a lead an owner: routing rules, SLA reassignment and managers all come through here."""

from __future__ import annotations

from datetime import datetime

from leadfollow.models import Membership, Workspace
from leads.models import Activity, Lead
from leads.services.activities import log_activity


def assign_lead(
    *,
    workspace: Workspace,
    lead: Lead,
    owner: Membership | None,
    reason: str,
    actor: Membership | None = None,
    occurred_at: datetime | None = None,
) -> Lead:
    """Set the lead's owner and log who got it and why. The caller holds the lead's row lock.

    The owner is stored with the timeline entry, in one update with the lead's last-activity
    time: inside `logged_together()` (an intake), when the block ends."""
    previous = lead.owner_id
    if previous == (owner.pk if owner else None):
        return lead
    lead.owner = owner
    name = owner.user.display_name if owner else "the unassigned queue"
    log_activity(
        workspace=workspace,
        lead=lead,
        kind=Activity.Kind.OWNER_CHANGED,
        actor=actor,
        summary=f"Assigned to {name}. {reason}"[:300],
        payload={"from": previous, "to": owner.pk if owner else None, "reason": reason},
        lead_columns={"owner_id": owner.pk if owner else None},
        occurred_at=occurred_at,
    )
    return lead
