"""Reads of leads shared by the API, pages and other apps."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from leadfollow.errors import InvalidInput, NotFound
from leadfollow.models import Membership, Workspace
from leads.models import Activity, Lead, LeadSource


def get_lead(*, workspace: Workspace, lead_id: int) -> Lead:
    try:
        return Lead.objects.select_related("account", "source", "owner__user").get(
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
) -> QuerySet[Lead]:
    """Leads matching every filter given. Unknown owner or source ids are an input error."""
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
    if q:
        words = q.split()
        for word in words[:5]:
            leads = leads.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
                | Q(phone__contains=word.lstrip("+"))
                | Q(account__name__icontains=word)
            )
    return leads


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
