"""The timeline: every change and contact on a lead is an activity."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from leadfollow.models import Membership, Workspace
from leads.models import Activity, Lead


def log_activity(
    *,
    workspace: Workspace,
    lead: Lead,
    kind: str,
    summary: str = "",
    payload: dict | None = None,
    channel: str = "",
    direction: str = "",
    actor: Membership | None = None,
    occurred_at: datetime | None = None,
) -> Activity:
    """Add an event to the lead's timeline and move its last-activity time forward."""
    occurred_at = occurred_at or timezone.now()
    activity = Activity.objects.create(
        workspace=workspace,
        lead=lead,
        kind=kind,
        summary=summary[:300],
        payload=payload or {},
        channel=channel,
        direction=direction,
        actor=actor,
        occurred_at=occurred_at,
    )
    Lead.objects.filter(workspace=workspace, pk=lead.pk).filter(
        Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=occurred_at)
    ).update(last_activity_at=occurred_at)
    if lead.last_activity_at is None or lead.last_activity_at < occurred_at:
        lead.last_activity_at = occurred_at
    return activity
