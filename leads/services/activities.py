"""The timeline: every change and contact on a lead is an activity."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.db import models
from django.utils import timezone

from leadfollow.bulk_inserts import insert_objects
from leadfollow.bulk_updates import Statement, update_by_pk_statements
from leadfollow.models import Membership, Workspace
from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Lead

ActivityListener = Callable[..., None]  # listener(*, workspace, activity) -> None
BatchListener = Callable[..., None]  # listener(*, activities) -> None, any workspaces
_LISTENERS: list[tuple[ActivityListener, BatchListener | None]] = []
# What log_activity and save_with_timeline hold back inside `logged_together()`, one list a
# block, innermost block last: the activities and other new rows, in the order they came.
_held: ContextVar[tuple[list[models.Model], ...]] = ContextVar("held_rows", default=())

# How a lead's time field changes: the latest time, kept unless empty, set, or cleared. WRITE is
# another column the activity records a change of (the owner), written as it is.
LATEST, KEEP, SET, CLEAR, WRITE = "latest", "keep", "set", "clear", "write"
ASSIGN = {
    LATEST: "COALESCE({greatest}({old}, {new}), {new})",
    KEEP: "COALESCE({old}, {new})",
    SET: "{new}",
    CLEAR: "{new}",  # the new value is None
    WRITE: "{new}",
}


def register_activity_listener(
    listener: ActivityListener, *, batch: BatchListener | None = None
) -> None:
    """Let another app react to every new activity (scores, SLA clocks), in the same transaction.

    `batch`, when given, receives the activities of a `log_activities` call at once (they may
    belong to several workspaces), so a listener can read what it needs for all of them together.
    """
    _LISTENERS.append((listener, batch))


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
    lead_columns: dict | None = None,
) -> Activity:
    """Add an event to the lead's timeline and move its last-activity time forward.

    `lead_columns` ({column: value}) is a change of the lead the entry records, already made on
    the object: it is written in the same update as the lead's times (in `logged_together()`,
    when the block ends, like the entry itself)."""
    activity = Activity(
        workspace=workspace,
        lead=lead,
        kind=kind,
        summary=summary,
        payload=payload or {},
        channel=channel,
        direction=direction,
        actor=actor,
        occurred_at=occurred_at or timezone.now(),
    )
    activity.lead_columns = lead_columns or {}
    held = _held.get()
    if held:
        held[-1].append(activity)
        return activity
    log_activities([activity])
    return activity


def save_with_timeline(obj: models.Model) -> models.Model:
    """Save a new row of a model without signal receivers (`insert_objects`) with the timeline:
    inside `logged_together()` when the block ends, in the same statement as its activities
    (the owner's alert, the SLA clock an intake starts), else at once. Until then it has no
    primary key: nothing in the block may need one."""
    held = _held.get()
    if held:
        held[-1].append(obj)
    else:
        insert_objects([obj])
    return obj


@contextmanager
def logged_together() -> Iterator[list[models.Model]]:
    """Hold back what log_activity logs in the block, and write it all when the block ends: one
    statement on PostgreSQL for the activities, the rows held with them (`save_with_timeline`)
    and the lead updates they make, instead of an insert and an update per activity (intake
    logs three or four). The listeners hear of the activities then too. Nested, the inner block
    hands what it holds to the outer one. If the block raises, its rows are dropped with it
    (its transaction rolls back).

    Inside the block they are not saved yet: code in it that reads a lead's timeline finds them
    with held_activities(), not in the database. They are written in the order of the moments
    they record.
    """
    held: list[models.Model] = []
    token = _held.set((*_held.get(), held))
    try:
        yield held
    finally:
        _held.reset(token)
    outer = _held.get()
    if outer:
        outer[-1].extend(held)
    elif held:
        activities = [row for row in held if isinstance(row, Activity)]
        # In the order they happened: an entry logged late may record an earlier moment (an
        # intake gives the owner routing chose at its end, as of when it chose).
        activities.sort(key=lambda activity: activity.occurred_at)
        log_activities(activities, rows=[row for row in held if not isinstance(row, Activity)])


def held_activities() -> list[Activity]:
    """What the enclosing `logged_together()` blocks hold back so far, oldest first."""
    return [row for held in _held.get() for row in held if isinstance(row, Activity)]


def log_activities(
    activities: list[Activity], *, rows: Sequence[models.Model] = ()
) -> list[Activity]:
    """Save unsaved activities of any leads and workspaces with log_activity's bookkeeping, in a
    fixed number of statements: one insert, and one lead update per kind of change; on
    PostgreSQL all in one statement, with the new `rows` of other models held with them."""
    for activity in activities:
        activity.summary = activity.summary[:300]
        activity.occurred_at = activity.occurred_at or timezone.now()
    plans: dict[int, dict[str, tuple[str, datetime | None]]] = {}
    leads: dict[int, Lead] = {}
    for activity in activities:
        leads[activity.lead_id] = activity.lead
        _plan(plans.setdefault(activity.lead_id, {}), activity)
    insert_objects([*rows, *activities], also=_lead_updates(plans))
    for lead_id, plan in plans.items():
        lead = leads[lead_id]
        for field, (how, at) in plan.items():
            if how == WRITE:
                continue  # the caller changed the object already
            current = getattr(lead, field)
            if how == LATEST:
                at = max(current, at) if current else at
            elif how == KEEP:
                at = current or at
            setattr(lead, field, at)
    for listener, batch in _LISTENERS:
        if batch is not None and len(activities) > 1:
            batch(activities=activities)
            continue
        for activity in activities:
            with workspace_scope(activity.workspace):
                listener(workspace=activity.workspace, activity=activity)
    return activities


def _plan(plan: dict[str, tuple[str, datetime | None]], activity: Activity) -> None:
    """Fold one activity into the lead's pending changes, in the order they happened."""
    at = activity.occurred_at
    latest = plan.get("last_activity_at", (LATEST, at))[1]
    plan["last_activity_at"] = (LATEST, max(latest, at))
    for field in _milestones(activity):
        plan.setdefault(field, (KEEP, at))
    awaiting = _awaiting_reply(activity)
    if awaiting is False:
        plan["awaiting_reply_since"] = (CLEAR, None)
    elif awaiting and plan.get("awaiting_reply_since", (None,))[0] in (None, CLEAR):
        # After an answer in this same batch the reply waits from now, not from before.
        cleared = "awaiting_reply_since" in plan
        plan["awaiting_reply_since"] = (SET if cleared else KEEP, at)
    for column, value in getattr(activity, "lead_columns", {}).items():
        plan[column] = (WRITE, value)


def _lead_updates(plans: dict[int, dict]) -> list[Statement]:
    """One UPDATE per shape of change, each lead with its own times; the stored value wins
    where the rule says so (a later last activity, a milestone already reached)."""
    shapes: dict[tuple, list[int]] = {}
    for lead_id, plan in plans.items():
        shape = tuple(sorted((field, how) for field, (how, _) in plan.items()))
        shapes.setdefault(shape, []).append(lead_id)
    statements = []
    for shape, lead_ids in shapes.items():
        fields = [field for field, _ in shape]
        rows = {lead_id: [plans[lead_id][field][1] for field in fields] for lead_id in lead_ids}
        assign = {field: ASSIGN[how] for field, how in shape}
        statements += update_by_pk_statements(Lead, fields, rows, assign=assign)
    return statements


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
