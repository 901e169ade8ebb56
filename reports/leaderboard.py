"""Rep leaderboard: per member, leads worked, first-touch speed, calls, replies and meetings.

Over the range: leads worked are the distinct leads a member touched (outbound activities they
did); calls are the calls they logged, connected when answered or a meeting came of it; the
median wait is from intake to first human touch on the leads they own that arrived in the
range; replies and meetings booked are those on the leads they own.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, F, Q

from leadfollow.models import Membership, Workspace
from leads.models import Activity
from reports.aggregates import elapsed_percentiles
from reports.filters import ReportFilters
from reports.registry import Report
from reports.results import Chart, Column, Figure, ReportResult, Table
from reports.selectors import in_range, lead_conditions, report_leads, sees_only_own

CONNECTED = ["answered", "meeting_booked"]
_COUNTS = ["calls", "connected", "replies", "meetings"]


def _members(workspace, filters, viewer):
    members = Membership.objects.filter(workspace=workspace, is_active=True)
    if sees_only_own(viewer):
        members = members.filter(pk=viewer.pk)
    if filters.rep is not None:
        members = members.filter(pk=filters.rep.pk)
    if filters.team is not None:
        members = members.filter(team_seats__team=filters.team)
    return list(members.select_related("user"))


def _activity_counts(activities, ids: list[int]) -> dict[int, dict[str, int]]:
    """Per member: leads worked, calls made and connected (as the actor), replies and meetings
    (on the leads they own). Three narrow queries, each the cheapest way to its figures."""
    out = Activity.Direction.OUTBOUND
    counts = {member_id: dict.fromkeys(["leads", *_COUNTS], 0) for member_id in ids}
    if not ids:
        return counts  # e.g. a team with no one on it: no activity can match
    by_actor = activities.filter(actor_id__in=ids, direction=out).order_by()
    calls = by_actor.values("actor_id").annotate(
        calls=Count("pk", filter=Q(kind="call_logged")),
        connected=Count("pk", filter=Q(kind="call_logged", payload__outcome__in=CONNECTED)),
    )
    on_owned = (
        activities.filter(lead__owner_id__in=ids, kind__in=["replied", "meeting_booked"])
        .order_by()
        .values("lead__owner_id")
        .annotate(
            replies=Count("pk", filter=Q(kind="replied")),
            meetings=Count("pk", filter=Q(kind="meeting_booked")),
        )
    )
    for row in [*calls, *on_owned]:
        member_id = row.pop("actor_id", None) or row.pop("lead__owner_id")
        counts[member_id].update(row)
    # COUNT(DISTINCT) would sort every activity; counting the distinct pairs hashes them.
    pairs = by_actor.values("actor_id", "lead_id").distinct()
    sql, params = pairs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT actor_id, count(*) FROM ({sql}) AS pairs GROUP BY actor_id", params)
        for member_id, leads in cursor.fetchall():
            counts[member_id]["leads"] = leads
    return counts


def compute(workspace: Workspace, filters: ReportFilters, viewer: Membership | None):
    members = _members(workspace, filters, viewer)
    # The member filters (rep, team, own) pick the rows; the lead filters apply to the leads.
    lead_only = ReportFilters(
        date_from=filters.date_from,
        date_to=filters.date_to,
        tz=filters.tz,
        source=filters.source,
        cadence=filters.cadence,
    )
    activities = Activity.objects.filter(
        in_range(filters, "occurred_at"),
        lead_conditions(filters=lead_only, viewer=None, prefix="lead__"),
        workspace=workspace,
    )
    ids = [member.pk for member in members]
    worked = _activity_counts(activities, ids)
    owned_leads = report_leads(workspace=workspace, filters=lead_only, viewer=None).filter(
        owner_id__in=ids
    )
    waits = elapsed_percentiles(
        owned_leads,
        group=F("owner_id"),
        spans={"human_touch": ("created_at", "first_human_touch_at")},
        fractions=(0.5,),
    )
    rows = [
        {
            "rep": member.user.display_name,
            "leads_worked": worked[member.pk]["leads"],
            "human_touch_p50": waits.get(member.pk, {}).get("human_touch_p50"),
            "calls": worked[member.pk]["calls"],
            "connected": worked[member.pk]["connected"],
            "replies": worked[member.pk]["replies"],
            "meetings": worked[member.pk]["meetings"],
        }
        for member in members
    ]
    rows.sort(key=lambda row: (-row["leads_worked"], -row["meetings"], row["rep"]))
    return ReportResult(
        headline=[
            Figure("leads_worked", "Leads worked", sum(r["leads_worked"] for r in rows)),
            Figure("calls", "Calls made", sum(r["calls"] for r in rows)),
            Figure("connected", "Calls connected", sum(r["connected"] for r in rows)),
            Figure("meetings", "Meetings booked", sum(r["meetings"] for r in rows)),
        ],
        tables=[
            Table(
                "reps",
                "Leaderboard",
                [
                    Column("rep", "Rep", "text"),
                    Column("leads_worked", "Leads worked"),
                    Column("human_touch_p50", "Median to first human touch", "seconds"),
                    Column("calls", "Calls made"),
                    Column("connected", "Calls connected"),
                    Column("replies", "Replies"),
                    Column("meetings", "Meetings booked"),
                ],
                rows,
            )
        ],
        charts=[
            Chart(
                "leads_worked",
                "Leads worked by rep",
                "Number of distinct leads each member touched in the range.",
                "count",
                [(row["rep"], row["leads_worked"]) for row in rows],
            ),
            Chart(
                "meetings",
                "Meetings booked by rep",
                "Meetings booked on the leads each member owns.",
                "count",
                [(row["rep"], row["meetings"]) for row in rows],
            ),
        ],
    )


REPORT = Report(
    slug="leaderboard",
    title="Rep leaderboard",
    description="Leads worked, first-touch speed, calls made and connected, replies and meetings.",
    compute=compute,
)
