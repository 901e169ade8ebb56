"""The rep's inbox: everything that needs them now, in one queue ordered by urgency.

Four sections, each read by one query that its own index narrows (open SLA clocks, leads awaiting
a reply, open tasks by assignee and due time, meetings to confirm) and counted by a second, so the
inbox costs the same number of queries whether it holds 3 rows or 3,000, and never loads more
than SECTION_LIMIT rows per section (FOCUSED_LIMIT when the rep chose that one section).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from cadences.models import Enrollment, Task
from leadfollow.models import Membership, Role, Workspace
from leads.models import Activity, Lead
from leads.selectors import LeadSearch
from scoring.models import Team

# Rows per section: the mixed view shows each section's most urgent; choosing one section (its
# chip) shows more of it. The counts stay exact either way.
SECTION_LIMIT = 15
FOCUSED_LIMIT = 50
SECTIONS = {
    "sla": "New leads",
    "reply": "Replies",
    "task": "Tasks",
    "meeting": "Meetings",
}
VIEWS = {"mine": "Mine", "team": "My team's", "unassigned": "Unassigned"}
_LEAD_JOINS = ("account", "owner__user", "score")
# The columns a row shows (the name, company, owner, band, phone): a lead, its score and its
# owner's user carry many more, and loading them all cost more than the rows' SQL.
_LEAD_COLUMNS = (
    "workspace_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "erased_at",
    "owner_id",
    "account__name",
    "owner__user__first_name",
    "owner__user__last_name",
    "owner__user__email",
    "score__band",
    "score__total",
)


@dataclass(frozen=True)
class InboxFilters:
    """What the rep asked to see. Ids are not checked: every query is scoped to the workspace,
    so a foreign source or cadence id simply matches nothing."""

    view: str = "mine"
    section: str = ""
    status: str = ""
    source_id: int | None = None
    band: str = ""
    cadence_id: int | None = None
    q: str = ""

    @property
    def is_filtered(self) -> bool:
        return bool(self.status or self.source_id or self.band or self.cadence_id or self.q)


@dataclass(frozen=True)
class InboxItem:
    """One line of the queue: a lead and why it needs the rep."""

    section: str
    lead: Lead
    due_at: datetime  # when it needs the rep: the SLA deadline, the reply's arrival, …
    is_breached: bool = False
    is_later: bool = False  # a task due later today: shown, not yet urgent
    reason: str = ""
    task: Task | None = None

    @property
    def key(self) -> str:
        """Stable across refreshes: the live view marks keys the rep has not seen as new."""
        return f"{self.section}-{self.task.pk if self.task else self.lead.pk}"

    @property
    def score(self) -> int:
        score = getattr(self.lead, "score", None)
        return score.total if score is not None else 0


@dataclass(frozen=True)
class Inbox:
    items: list[InboxItem]
    counts: dict[str, int]
    now: datetime
    teams: list[str] = field(default_factory=list)  # the team view: whose leads it shows

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def is_truncated(self) -> bool:
        """Some rows of a shown section are left out (the counts say how many there are)."""
        shown = Counter(item.section for item in self.items)
        return any(shown[name] < count for name, count in self.counts.items() if shown[name])


def rep_inbox(
    *,
    workspace: Workspace,
    membership: Membership,
    filters: InboxFilters,
    now: datetime | None = None,
) -> Inbox:
    """The member's queue under `filters`: SLA breaches first, then by due time, then by score.

    Views: "mine" (leads they own, tasks assigned to them), "unassigned" (no owner, no
    assignee) and, for managers and owners, "team": an owner sees every member's leads; a
    manager sees the leads of the members of the teams they manage or sit on, or every
    member's when they are on no team yet.
    """
    now = now or timezone.now()
    day_start = timezone.localtime(now, workspace.tzinfo).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    teams: list[str] = []
    owners: list[int] | None = None
    if filters.view == "team" and membership.role == Role.MANAGER:
        mine = Team.objects.filter(workspace=workspace).filter(
            Q(manager=membership) | Q(members__membership=membership)
        )
        # The teams' names and members in one query; the members' ids then go into each
        # section's SQL as values, which the planner can match against the sections' indexes.
        team_members = Team.objects.filter(
            workspace=workspace, pk__in=mine.values("pk")
        ).values_list("name", "members__membership_id")
        teams = sorted({name for name, _member in team_members})
        if teams:
            owners = sorted({member for _name, member in team_members if member is not None})
    search = LeadSearch(workspace, filters.q) if filters.q else None
    scope = _Scope(workspace, membership, filters, owners, search)
    sections = {
        "sla": _sla_rows(scope, now, day_start),
        "reply": _reply_rows(scope),
        "task": _task_rows(scope, now, day_start + timedelta(days=1)),
        "meeting": _meeting_rows(scope),
    }
    items: list[InboxItem] = []
    counts: dict[str, int] = {}
    for name, (rows, total) in sections.items():
        counts[name] = total
        if not filters.section or filters.section == name:
            items.extend(rows)
    items.sort(key=lambda item: (not item.is_breached, item.due_at, -item.score))
    return Inbox(items=items, counts=counts, now=now, teams=teams)


@dataclass(frozen=True)
class _Scope:
    workspace: Workspace
    membership: Membership
    filters: InboxFilters
    owners: list[int] | None  # the team view's member ids; None: every member
    search: LeadSearch | None  # the words of `filters.q`, shared by the sections

    def leads(self, prefix: str = "", person: str = "owner", hide_erased: bool = True) -> Q:
        """Whose rows (the lead's owner, or the task's assignee) and the rep's filters."""
        view, f = self.filters.view, self.filters
        if view == "unassigned":
            whose = Q(**{f"{person}__isnull": True})
        elif view == "team" and self.membership.role != Role.REP:
            whose = (
                Q(**{f"{person}__isnull": False})
                if self.owners is None
                else Q(**{f"{person}_id__in": self.owners})
            )
        else:
            whose = Q(**{person: self.membership})
        match = whose & (Q(**{f"{prefix}erased_at__isnull": True}) if hide_erased else Q())
        if f.status:
            match &= Q(**{f"{prefix}status": f.status})
        if f.source_id:
            match &= Q(**{f"{prefix}source_id": f.source_id})
        if f.band:
            match &= Q(**{f"{prefix}score__band": f.band})
        if f.cadence_id:
            match &= Q(
                Exists(
                    Enrollment.objects.filter(
                        workspace=self.workspace,
                        lead_id=OuterRef(f"{prefix}id"),
                        cadence_id=f.cadence_id,
                        status=Enrollment.Status.ACTIVE,
                    )
                )
            )
        if self.search is not None:
            match &= self.search.matches(prefix)
        return match

    def limit(self, name: str) -> int:
        # A section the rep filtered away still needs its count, not its rows.
        if self.filters.section:
            return FOCUSED_LIMIT if self.filters.section == name else 0
        return SECTION_LIMIT


# Each section's SQL orders by its own columns only, so LIMIT stops before joining every row;
# rep_inbox then breaks ties in due time by score.
def _counted(rows: QuerySet, limit: int) -> tuple[list, int]:
    """The first `limit` rows and the count of all. Two statements, not a window count: a
    window makes the database join every matching row, where LIMIT joins only those shown.

    The rows shown are picked by id in a subquery first: when a queue has thousands of rows
    (a team's tasks), PostgreSQL would otherwise join all of them to their leads, accounts and
    owners before sorting, to keep 25."""
    if not limit:
        return [], rows.count()
    return list(rows.filter(pk__in=rows.values("pk")[:limit])), rows.count()


def _sla_rows(scope: _Scope, now: datetime, day_start: datetime) -> tuple[list, int]:
    # Open clocks, and clocks breached today that still wait for their first touch.
    unanswered = Q(sla__isnull=False, sla__met_at__isnull=True) & (
        Q(sla__breached_at__isnull=True) | Q(sla__breached_at__gte=day_start)
    )
    leads = (
        Lead.objects.filter(scope.leads(), unanswered, workspace=scope.workspace)
        .select_related(*_LEAD_JOINS, "sla")
        .only(*_LEAD_COLUMNS, "sla__warn_at", "sla__due_at", "sla__breached_at")
        .order_by("sla__due_at", "pk")
    )
    loaded, total = _counted(leads, scope.limit("sla"))
    items = [
        InboxItem(
            section="sla",
            lead=lead,
            due_at=lead.sla.due_at,
            is_breached=lead.sla.breached_at is not None or lead.sla.due_at <= now,
        )
        for lead in loaded
    ]
    return items, total


def _reply_rows(scope: _Scope) -> tuple[list, int]:
    latest_reply = Activity.objects.filter(
        workspace=scope.workspace, lead_id=OuterRef("pk"), kind="replied"
    ).order_by("-occurred_at", "-pk")
    leads = (
        Lead.objects.filter(
            scope.leads(), workspace=scope.workspace, awaiting_reply_since__isnull=False
        )
        .select_related(*_LEAD_JOINS)
        .only(*_LEAD_COLUMNS, "awaiting_reply_since")
        .annotate(reply_preview=Subquery(latest_reply.values("summary")[:1]))
        .order_by("awaiting_reply_since", "pk")
    )
    loaded, total = _counted(leads, scope.limit("reply"))
    items = [
        InboxItem(
            section="reply",
            lead=lead,
            due_at=lead.awaiting_reply_since,
            reason=lead.reply_preview or "The lead wrote back.",
        )
        for lead in loaded
    ]
    return items, total


def _task_rows(scope: _Scope, now: datetime, day_end: datetime) -> tuple[list, int]:
    tasks = (
        # Erasing a lead cancels its open tasks, so open tasks need no erased-lead filter, and
        # without the rep's filters the count needs no join with the leads at all.
        Task.objects.filter(
            scope.leads(prefix="lead__", person="assignee", hide_erased=False),
            workspace=scope.workspace,
            status=Task.Status.OPEN,
            due_at__lt=day_end,
        )
        .select_related(*(f"lead__{join}" for join in _LEAD_JOINS))
        .only(
            "workspace_id",
            "kind",
            "title",
            "due_at",
            "lead_id",
            *(f"lead__{column}" for column in _LEAD_COLUMNS),
        )
        .order_by("due_at", "pk")
    )
    loaded, total = _counted(tasks, scope.limit("task"))
    items = [
        InboxItem(
            section="task",
            lead=task.lead,
            due_at=task.due_at,
            is_later=task.due_at > now,
            reason=task.title,
            task=task,
        )
        for task in loaded
    ]
    return items, total


def _meeting_rows(scope: _Scope) -> tuple[list, int]:
    leads = (
        Lead.objects.filter(
            scope.leads(),
            workspace=scope.workspace,
            meeting_at__isnull=False,
            meeting_confirmed_at__isnull=True,
        )
        .select_related(*_LEAD_JOINS)
        .only(*_LEAD_COLUMNS, "meeting_at")
        .order_by("meeting_at", "pk")
    )
    loaded, total = _counted(leads, scope.limit("meeting"))
    items = [InboxItem(section="meeting", lead=lead, due_at=lead.meeting_at) for lead in loaded]
    return items, total
