"""Reads of leads shared by the API, pages and other apps."""

from __future__ import annotations

import re
from datetime import datetime

from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Lower, NullIf

from leadfollow.errors import InvalidInput, NotFound
from leadfollow.models import Membership, Workspace
from leads.models import Activity, Lead, LeadSource


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
        for word in q.split()[:5]:
            leads = leads.filter(_matches_word(word))
    if ordering:
        leads = _ordered(leads, ordering)
    return leads


_PHONE_LIKE = re.compile(r"[\d\s().+\-]+")


def _matches_word(word: str) -> Q:
    match = (
        Q(first_name__icontains=word)
        | Q(last_name__icontains=word)
        | Q(email__icontains=word)
        | Q(account__name__icontains=word)
    )
    # Phones are stored as E.164, so "(415)" or "555-2671" must be searched by their digits.
    digits = re.sub(r"\D", "", word)
    if len(digits) >= 3 and _PHONE_LIKE.fullmatch(word):
        match |= Q(phone__contains=digits)
    return match


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
    """The lead's activities, newest first, with their actors."""
    get_lead(workspace=workspace, lead_id=lead_id)
    return (
        Activity.objects.filter(workspace=workspace, lead_id=lead_id)
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
