"""Reads of leads shared by the API, pages and other apps."""

from __future__ import annotations

import re
from datetime import datetime

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower, NullIf

from cadences.models import Enrollment
from leadfollow.errors import InvalidInput, NotFound
from leadfollow.models import Membership, Workspace
from leads.models import Account, Activity, Lead, LeadSource


def get_lead(*, workspace: Workspace, lead_id: int) -> Lead:
    # The score and SLA clock (one-to-one, kept by scoring) come in the same query: every view of
    # a lead shows them.
    try:
        return Lead.objects.select_related("account", "source", "owner__user", "score", "sla").get(
            workspace=workspace, pk=lead_id
        )
    except Lead.DoesNotExist as exc:
        raise NotFound("No lead with this id in your workspace.") from exc


def search_leads(
    *,
    workspace: Workspace,
    status: str | None = None,
    owner: int | None = None,
    source: int | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    q: str | None = None,
    unassigned: bool = False,
    ordering: str | None = None,
) -> QuerySet[Lead]:
    """Leads matching every filter given. Unknown owner or source ids are an input error.

    `unassigned` keeps the leads nobody owns. `ordering` is one of LEAD_ORDERINGS (a leading "-"
    for descending); without it the caller orders (the API's cursor does).
    """
    leads = Lead.objects.filter(workspace=workspace, erased_at__isnull=True).select_related(
        "account", "source", "owner__user"
    )
    if status:
        leads = leads.filter(status=status)
    if owner is not None:
        if not Membership.objects.filter(workspace=workspace, pk=owner).exists():
            raise InvalidInput("No member with this id in your workspace.", field="owner")
        leads = leads.filter(owner_id=owner)
    if source is not None:
        if not LeadSource.objects.filter(workspace=workspace, pk=source).exists():
            raise InvalidInput("No lead source with this id in your workspace.", field="source")
        leads = leads.filter(source_id=source)
    if created_after:
        leads = leads.filter(created_at__gte=created_after)
    if created_before:
        leads = leads.filter(created_at__lt=created_before)
    if unassigned:
        leads = leads.filter(owner__isnull=True)
    if q:
        leads = leads.filter(LeadSearch(workspace, q).matches())
    if ordering:
        leads = _ordered(leads, ordering)
    return leads


_PHONE_LIKE = re.compile(r"[\d\s().+\-]+")
ACCOUNTS_BY_VALUE = 100  # a search word's companies passed as values, up to this many


class LeadSearch:
    """The words of a search box: a lead matches when each word is in its name, email, company
    or phone.

    On PostgreSQL every part is read from a trigram index (leads migration 0005), which the
    planner can combine only when each part reads the lead's own columns: the company matches
    through the ids of the accounts whose name has the word, read first (one statement a word)
    and passed as one array value. An array value is also hashed when the planner checks it
    row by row instead, e.g. over the tasks of a rep's queue; an `ARRAY(subquery)` is not."""

    def __init__(self, workspace: Workspace, q: str):
        self.workspace = workspace
        self.words = q.split()[:5]
        self._accounts: dict[str, list[int]] = {}

    def matches(self, prefix: str = "") -> Q:
        """`prefix` reaches the lead from another model, e.g. "lead__" from a task."""
        match = Q()
        for word in self.words:
            match &= self._matches_word(word, prefix)
        return match

    def _matches_word(self, word: str, prefix: str) -> Q:
        match = (
            Q(**{f"{prefix}first_name__icontains": word})
            | Q(**{f"{prefix}last_name__icontains": word})
            | Q(**{f"{prefix}email__icontains": word})
            | self._company_matches(word, prefix)
        )
        # Phones are stored as E.164, so "(415)" or "555-2671" must be searched by their digits.
        digits = re.sub(r"\D", "", word)
        if len(digits) >= 3 and _PHONE_LIKE.fullmatch(word):
            match |= Q(**{f"{prefix}phone__contains": digits})
        return match

    def _company_matches(self, word: str, prefix: str) -> Q:
        accounts = Account.objects.filter(workspace=self.workspace, name__icontains=word)
        in_accounts = Q(**{f"{prefix}account_id__in": accounts.values("pk")})
        if connection.vendor != "postgresql":
            return in_accounts
        if word not in self._accounts:
            ids = accounts.order_by().values_list("pk", flat=True)[: ACCOUNTS_BY_VALUE + 1]
            self._accounts[word] = list(ids)
        if len(self._accounts[word]) > ACCOUNTS_BY_VALUE:
            # A word in many companies' names ("inc") narrows nothing: the other words or
            # filters lead, and a hashed subquery checks it (a long array would cost more to
            # plan than to run).
            return in_accounts
        return Q(_AnyOf(f"{prefix}account_id", self._accounts[word]))


class _AnyOf(Func):
    """PostgreSQL's `column = ANY(array)`, the ids passed as one array value."""

    arity = 1
    output_field = BooleanField()

    def __init__(self, column: str, ids: list[int]):
        super().__init__(F(column))
        self.ids = ids

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} = ANY(%s::bigint[])", (*params, self.ids)


# Pipeline order, not the alphabet's: sorting by status groups leads by how far along they are.
_STATUS_RANK = Case(
    *(When(status=value, then=Value(rank)) for rank, value in enumerate(Lead.Status.values)),
    default=Value(len(Lead.Status.values)),
)
LEAD_ORDERINGS = {
    # A lead known only by an email address sorts under it, as the list shows it.
    "name": (Lower(Coalesce(NullIf("first_name", Value("")), "email")), Lower("last_name")),
    "created": ("created_at",),
    "activity": ("last_activity_at",),
    "status": (_STATUS_RANK,),
}


def _ordered(leads: QuerySet[Lead], ordering: str) -> QuerySet[Lead]:
    descending = ordering.startswith("-")
    keys = LEAD_ORDERINGS.get(ordering.lstrip("-"))
    if keys is None:
        raise InvalidInput(f"Sort by one of: {', '.join(LEAD_ORDERINGS)}.", field="sort")
    expressions = [F(key) if isinstance(key, str) else key for key in keys]
    # Leads never touched sort last either way: "no activity" is not the oldest activity.
    ordered = [
        expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True)
        for expr in expressions
    ]
    return leads.order_by(*ordered, "-id" if descending else "id")


def lead_timeline(*, workspace: Workspace, lead_id: int) -> QuerySet[Activity]:
    """The lead's activities, newest first, with their actors; NotFound for a foreign lead."""
    return lead_activities(lead=get_lead(workspace=workspace, lead_id=lead_id))


def lead_activities(*, lead: Lead) -> QuerySet[Activity]:
    """The timeline of a lead already read from its workspace (the lead page has it)."""
    return (
        Activity.objects.filter(workspace_id=lead.workspace_id, lead_id=lead.pk)
        .select_related("actor__user")
        .order_by("-occurred_at", "-id")
    )


def get_source(*, workspace: Workspace, source_id: int) -> LeadSource:
    try:
        return LeadSource.objects.get(workspace=workspace, pk=source_id)
    except LeadSource.DoesNotExist as exc:
        raise NotFound("No lead source with this id in your workspace.") from exc


def lead_sources(*, workspace: Workspace) -> QuerySet[LeadSource]:
    """The workspace's lead sources, by name."""
    return LeadSource.objects.filter(workspace=workspace).order_by("name")


# Accounts: the companies leads work at, so a rep can reach a second person there.
OPEN_STATUSES = ("new", "working", "contacted", "replied", "meeting")  # still being worked


def accounts_with_counts(*, workspace: Workspace, q: str = "") -> QuerySet[Account]:
    """Accounts by name with their lead counts (all and still open), one query; `q` searches
    the name and the domain."""
    live = Q(leads__erased_at__isnull=True)
    accounts = Account.objects.filter(workspace=workspace).annotate(
        lead_count=Count("leads", filter=live),
        open_count=Count("leads", filter=live & Q(leads__status__in=OPEN_STATUSES)),
    )
    for word in q.split()[:5]:
        accounts = accounts.filter(Q(name__icontains=word) | Q(domain__icontains=word))
    return accounts.order_by(Lower("name"), "pk")


def get_account(*, workspace: Workspace, account_id: int) -> Account:
    try:
        return Account.objects.get(workspace=workspace, pk=account_id)
    except Account.DoesNotExist as exc:
        raise NotFound("No account with this id in your workspace.") from exc


def account_contacts(*, workspace: Workspace, account: Account) -> QuerySet[Lead]:
    """The account's people in pipeline order, with owner, score and whether a cadence is
    working on them now: one query for any number of contacts."""
    in_cadence = Enrollment.objects.filter(
        workspace=workspace, lead=OuterRef("pk"), status=Enrollment.Status.ACTIVE
    )
    return (
        Lead.objects.filter(workspace=workspace, account=account, erased_at__isnull=True)
        .select_related("owner__user", "score")
        .annotate(in_cadence=Exists(in_cadence))
        .order_by(_STATUS_RANK, Lower("first_name"), Lower("last_name"), "pk")
    )


def account_status_counts(*, workspace: Workspace, account: Account) -> list[tuple[str, int]]:
    """(status label, number of contacts) in pipeline order, only statuses someone is in."""
    counts = dict(
        Lead.objects.filter(workspace=workspace, account=account, erased_at__isnull=True)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [(label, counts[value]) for value, label in Lead.Status.choices if counts.get(value)]
