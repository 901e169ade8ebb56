"""The timeline: every change and contact on a lead is an activity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db.models import DateTimeField, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from leadfollow.models import Membership, Workspace
from leads.models import Activity, Lead

ActivityListener = Callable[..., None]  # listener(*, workspace, activity) -> None
_LISTENERS: list[ActivityListener] = []


def register_activity_listener(listener: ActivityListener) -> None:
    """Let another app react to every new activity (scores, SLA clocks), in the same transaction."""
    _LISTENERS.append(listener)


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
    # One statement moves the last-activity time forward and stamps any first-time milestone.
    stamped = Value(occurred_at, output_field=DateTimeField())
    changes = {"last_activity_at": Coalesce(Greatest("last_activity_at", stamped), stamped)}
    milestones = _milestones(activity)
    changes.update({field: Coalesce(field, stamped) for field in milestones})
    awaiting = _awaiting_reply(activity)
    if awaiting is not None:
        changes["awaiting_reply_since"] = (
            Coalesce("awaiting_reply_since", stamped) if awaiting else None
        )
    Lead.objects.filter(workspace=workspace, pk=lead.pk).update(**changes)
    if lead.last_activity_at is None or lead.last_activity_at < occurred_at:
        lead.last_activity_at = occurred_at
    for field in milestones:
        if getattr(lead, field) is None:
            setattr(lead, field, occurred_at)
    if awaiting is not None:
        lead.awaiting_reply_since = (lead.awaiting_reply_since or occurred_at) if awaiting else None
    for listener in _LISTENERS:
        listener(workspace=workspace, activity=activity)
    return activity


def _is_human_touch(activity: Activity) -> bool:
    return (
        activity.direction == Activity.Direction.OUTBOUND
        and bool(activity.channel)
        and (activity.actor_id is not None or activity.payload.get("human") is True)
    )


def _awaiting_reply(activity: Activity) -> bool | None:
    """True when the lead's reply now waits for an answer, False when a rep just answered,
    None when this activity changes neither."""
    if activity.direction == Activity.Direction.INBOUND and activity.kind == "replied":
        return True
    if _is_human_touch(activity):
        return False
    return None


def _milestones(activity: Activity) -> list[str]:
    if activity.direction == Activity.Direction.OUTBOUND and activity.channel:
        human = _is_human_touch(activity)
        return ["first_touch_at", "first_human_touch_at"] if human else ["first_touch_at"]
    if activity.direction == Activity.Direction.INBOUND and activity.kind == "replied":
        return ["first_reply_at"]
    return []
