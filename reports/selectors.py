"""What a report counts: leads that arrived in the range, or any row of a lead that matches the
team, rep, source and cadence filters, always inside the workspace and the viewer's rights."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from cadences.models import Enrollment
from leadfollow.models import Membership, Workspace
from leads.models import Lead
from reports.filters import ReportFilters


def sees_only_own(viewer: Membership | None) -> bool:
    return viewer is not None and not viewer.has_role("manager")


def lead_conditions(*, filters: ReportFilters, viewer: Membership | None, prefix: str = "") -> Q:
    """The lead filters (not the dates) on a row reaching its lead through `prefix` ("lead__").

    A rep (not a manager) only ever gets their own leads."""
    conditions = Q()
    if sees_only_own(viewer):
        conditions &= Q(**{f"{prefix}owner": viewer})
    if filters.rep is not None:
        conditions &= Q(**{f"{prefix}owner": filters.rep})
    if filters.team is not None:
        conditions &= Q(**{f"{prefix}owner__team_seats__team": filters.team})
    if filters.source is not None:
        conditions &= Q(**{f"{prefix}source": filters.source})
    if filters.cadence is not None:
        lead_ref = OuterRef(f"{prefix[:-2]}_id" if prefix else "pk")
        conditions &= Q(Exists(Enrollment.objects.filter(lead=lead_ref, cadence=filters.cadence)))
    return conditions


def report_leads(
    *, workspace: Workspace, filters: ReportFilters, viewer: Membership | None
) -> QuerySet[Lead]:
    """Leads that arrived in the range and match the filters."""
    return Lead.objects.filter(
        lead_conditions(filters=filters, viewer=viewer),
        workspace=workspace,
        created_at__gte=filters.starts_at,
        created_at__lt=filters.ends_at,
    )


def in_range(filters: ReportFilters, field: str) -> Q:
    return Q(**{f"{field}__gte": filters.starts_at, f"{field}__lt": filters.ends_at})


def member_names(*, workspace: Workspace, ids) -> dict[int, str]:
    members = Membership.objects.filter(workspace=workspace, pk__in=[i for i in ids if i])
    return {member.pk: member.user.display_name for member in members.select_related("user")}


def step_label(step) -> str:
    """'Welcome · step 2 (Text message)': the cadence, the step's number and what it does; a
    step removed since keeps its history here, marked as removed."""
    removed = ", removed" if getattr(step, "removed_at", None) else ""
    return f"{step.cadence.name} · step {step.position + 1} ({step.get_kind_display()}{removed})"
