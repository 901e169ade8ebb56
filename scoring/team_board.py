"""Reads of the managers' team board: per member, the work on their plate and whether they are in.

A fixed number of queries whatever the team's size: members, lead counts, task counts,
availability and time off each come in one grouped query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

from cadences.selectors import task_counts_by_assignee
from leadfollow.errors import NotFound
from leadfollow.models import Membership, Workspace
from leadfollow.selectors import workspace_members
from leads.models import Lead
from leads.selectors import OPEN_STATUSES
from scoring.availability import in_working_hours
from scoring.models import RepAvailability, Team, TimeOff

TIME_OFF_AHEAD = timedelta(days=14)  # time off this close shows on the card
OPEN_LEADS_SHOWN = 200  # a rep's open leads listed for reassignment, newest first


@dataclass(frozen=True)
class BoardRow:
    member: Membership
    open_leads: int
    replies_waiting: int
    breaches_today: int
    overdue_tasks: int
    due_today_tasks: int
    is_available: bool  # the rep's own "taking new leads" switch
    is_working_now: bool  # inside their working hours
    time_off: TimeOff | None  # current, else the next one within TIME_OFF_AHEAD
    is_away: bool  # on that time off right now


def get_team(*, workspace: Workspace, team_id: int) -> Team:
    team = Team.objects.filter(workspace=workspace, pk=team_id).first()
    if team is None:
        raise NotFound("No team with this id in your workspace.")
    return team


def board_members(*, workspace: Workspace, team: Team | None = None) -> list[Membership]:
    """Active members, or the active members with a seat on `team`."""
    members = workspace_members(workspace=workspace)
    if team is not None:
        members = members.filter(team_seats__team=team)
    return list(members)


def team_board(*, workspace: Workspace, members: list[Membership], now: datetime) -> list[BoardRow]:
    """One row per member with their open leads, waiting replies, SLA breaches today (on the
    workspace's calendar), overdue and due-today tasks, and availability."""
    ids = [member.pk for member in members]
    start_of_day = now.astimezone(workspace.tzinfo).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    leads = {
        row["owner_id"]: row
        for row in Lead.objects.filter(
            workspace=workspace, owner_id__in=ids, erased_at__isnull=True
        )
        .values("owner_id")
        .annotate(
            open_leads=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            replies_waiting=Count("id", filter=Q(awaiting_reply_since__isnull=False)),
            breaches_today=Count("id", filter=Q(sla__breached_at__gte=start_of_day)),
        )
        .order_by()
    }
    tasks = task_counts_by_assignee(workspace=workspace, member_ids=ids, now=now)
    settings = {
        a.membership_id: a
        for a in RepAvailability.objects.filter(workspace=workspace, membership_id__in=ids)
    }
    time_off: dict[int, TimeOff] = {}
    for item in TimeOff.objects.filter(
        workspace=workspace,
        membership_id__in=ids,
        ends_at__gt=now,
        starts_at__lt=now + TIME_OFF_AHEAD,
    ).order_by("-starts_at"):
        time_off[item.membership_id] = item  # the earliest wins: it overwrites later ones
    return [_row(member, leads, tasks, settings, time_off, workspace, now) for member in members]


def _row(member, leads, tasks, settings, time_off, workspace, now) -> BoardRow:
    counts = leads.get(member.pk, {})
    task_counts = tasks.get(member.pk, {})
    availability = settings.get(member.pk)
    off = time_off.get(member.pk)
    return BoardRow(
        member=member,
        open_leads=counts.get("open_leads", 0),
        replies_waiting=counts.get("replies_waiting", 0),
        breaches_today=counts.get("breaches_today", 0),
        overdue_tasks=task_counts.get("overdue", 0),
        due_today_tasks=task_counts.get("due_today", 0),
        is_available=availability is None or availability.is_available,
        is_working_now=in_working_hours(availability=availability, workspace=workspace, at=now),
        time_off=off,
        is_away=off is not None and off.starts_at <= now,
    )


def open_leads_of(*, workspace: Workspace, member: Membership) -> QuerySet[Lead]:
    """The member's open leads, newest first, with what the reassign list shows."""
    return (
        Lead.objects.filter(
            workspace=workspace, owner=member, status__in=OPEN_STATUSES, erased_at__isnull=True
        )
        .select_related("account", "score", "sla")
        .order_by("-created_at", "-pk")
    )


def teams(*, workspace: Workspace) -> list[Team]:
    return list(Team.objects.filter(workspace=workspace).order_by("name"))
