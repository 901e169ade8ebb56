"""The report catalogue. Each report is a module exposing `REPORT`, a `Report` whose `compute`
turns (workspace, filters, viewer) into a `ReportResult`; pages, CSV, API and the weekly
summary all read reports through this registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from leadfollow.errors import NotFound
from leadfollow.models import Membership, Workspace
from reports.filters import ReportFilters
from reports.results import Figure, ReportResult

Compute = Callable[[Workspace, ReportFilters, Membership | None], ReportResult]
Headline = Callable[[Workspace, ReportFilters, Membership | None], list[Figure]]


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    description: str
    compute: Compute
    # A cheaper way to the headline alone, for the overview, the API list and the email.
    headline: Headline | None = None

    @property
    def page_url(self) -> str:
        return reverse(f"reports:{self.slug}")

    @property
    def csv_url(self) -> str:
        return reverse(f"reports:{self.slug}-csv")


def _catalogue() -> dict[str, Report]:
    # Each report module imports `Report` from here: importing them at the top is a cycle.
    from reports import (
        cadence_funnel,
        channels,
        funnel,
        leaderboard,
        sla_attainment,
        speed_to_lead,
    )

    modules = (speed_to_lead, sla_attainment, funnel, channels, cadence_funnel, leaderboard)
    return {module.REPORT.slug: module.REPORT for module in modules}


def all_reports() -> list[Report]:
    return list(_catalogue().values())


def get_report(slug: str) -> Report:
    try:
        return _catalogue()[slug]
    except KeyError as exc:
        raise NotFound("No such report.") from exc


def compute_report(
    *, workspace: Workspace, report: Report, filters: ReportFilters, viewer: Membership | None
) -> ReportResult:
    """Run one report; `viewer` None means the whole workspace (API keys, the weekly email)."""
    return report.compute(workspace, filters, viewer)


def compute_headline(
    *, workspace: Workspace, report: Report, filters: ReportFilters, viewer: Membership | None
) -> list[Figure]:
    """The report's headline figures: the same numbers as its page, computed alone if it can."""
    if report.headline is not None:
        return report.headline(workspace, filters, viewer)
    return report.compute(workspace, filters, viewer).headline
