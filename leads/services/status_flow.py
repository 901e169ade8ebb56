"""A lead's status follows the conversation: the first touch makes a new lead "Contacted", and
its reply makes it "Replied". Reps still set any status by hand; this only ever moves forward
from the early statuses, never back and never past a rep's own later choice."""

from __future__ import annotations

from leadfollow.tenancy import unscoped
from leads.models import Activity, Lead

CONTACTED_FROM = (Lead.Status.NEW, Lead.Status.WORKING)
REPLIED_FROM = (Lead.Status.NEW, Lead.Status.WORKING, Lead.Status.CONTACTED)
WHY = {
    Lead.Status.CONTACTED: "first touch",
    Lead.Status.REPLIED: "the lead replied",
}


def _moves_to(activity: Activity) -> str | None:
    """The status this activity earns the lead, judged from the lead's status in memory."""
    status = activity.lead.status
    if activity.direction == Activity.Direction.INBOUND and activity.kind == "replied":
        return Lead.Status.REPLIED if status in REPLIED_FROM else None
    if (
        activity.direction == Activity.Direction.OUTBOUND
        and activity.channel
        and activity.kind != "send_blocked"
    ):
        return Lead.Status.CONTACTED if status in CONTACTED_FROM else None
    return None


def on_activity(*, workspace, activity: Activity) -> None:
    on_activities(activities=[activity])


def on_activities(*, activities: list[Activity]) -> None:
    """Move the leads these activities earn a new status, in a fixed number of statements."""
    from leads.services.activities import log_activities

    targets: dict[int, tuple[Activity, str]] = {}
    for activity in activities:
        to = _moves_to(activity)
        if to is not None:
            earlier = targets.get(activity.lead_id)
            if earlier is None or to == Lead.Status.REPLIED:
                targets[activity.lead_id] = (activity, to)
    if not targets:
        return
    changes = []
    for to, allowed in (
        (Lead.Status.CONTACTED, CONTACTED_FROM),
        (Lead.Status.REPLIED, REPLIED_FROM),
    ):
        lead_ids = [lead_id for lead_id, (_, status) in targets.items() if status == to]
        if not lead_ids:
            continue
        # The stored status decides: another request may have moved the lead meanwhile. A
        # batch spans workspaces: the leads are the ones these activities were logged on.
        with unscoped():
            moved = list(
                Lead.objects.filter(pk__in=lead_ids, status__in=allowed).values_list("pk", "status")
            )
            Lead.objects.filter(pk__in=[pk for pk, _ in moved], status__in=allowed).update(
                status=to
            )
        for pk, before in moved:
            activity = targets[pk][0]
            activity.lead.status = to
            changes.append(
                Activity(
                    workspace=activity.workspace,
                    lead=activity.lead,
                    kind=Activity.Kind.STATUS_CHANGED,
                    summary=f"Status: {Lead.Status(to).label} ({WHY[to]})",
                    payload={"from": before, "to": to, "automatic": True},
                    occurred_at=activity.occurred_at,
                )
            )
    if changes:
        log_activities(changes)
