"""SLA attainment: per policy, how many speed-to-lead clocks were met in time, breached or are
still running, and breaches by rep.

A clock is met when it was stopped by its due time; breached when it ran past due (stopped
late or flagged by the SLA tick); open while it has neither stopped nor been flagged.
Attainment is met / (met + breached): clocks still running are not judged yet.
"""

from __future__ import annotations

from django.db.models import Count, F, Q

from leadfollow.models import Membership, Workspace
from reports.filters import ReportFilters
from reports.registry import Report
from reports.results import Chart, Column, Figure, ReportResult, Table, share
from reports.selectors import member_names, report_leads
from scoring.models import SlaClock, SlaPolicy

MET = Q(met_at__isnull=False, met_at__lte=F("due_at"))
BREACHED = Q(met_at__gt=F("due_at")) | Q(met_at__isnull=True, breached_at__isnull=False)
OPEN = Q(met_at__isnull=True, breached_at__isnull=True)
_COUNTS = {
    "clocks": Count("pk"),
    "met": Count("pk", filter=MET),
    "breached": Count("pk", filter=BREACHED),
    "open": Count("pk", filter=OPEN),
}
_COLUMNS = [
    Column("clocks", "Clocks"),
    Column("met", "Met"),
    Column("breached", "Breached"),
    Column("open", "Still open"),
    Column("attainment", "Attainment", "percent"),
]


def _with_attainment(label_key: str, label: str, row: dict) -> dict:
    judged = row["met"] + row["breached"]
    return {label_key: label, **row, "attainment": share(row["met"], judged)}


def _grouped(clocks, field: str) -> dict:
    rows = clocks.order_by().values(field).annotate(**_COUNTS)
    return {row.pop(field): row for row in rows}


def compute(workspace: Workspace, filters: ReportFilters, viewer: Membership | None):
    leads = report_leads(workspace=workspace, filters=filters, viewer=viewer)
    clocks = SlaClock.objects.filter(workspace=workspace, lead__in=leads.values("pk"))
    overall = _with_attainment("policy", "All policies", clocks.aggregate(**_COUNTS))
    policies = dict(SlaPolicy.objects.filter(workspace=workspace).values_list("pk", "name"))
    policy_rows = sorted(
        (
            _with_attainment("policy", policies.get(key, "Deleted policy"), row)
            for key, row in _grouped(clocks, "policy_id").items()
        ),
        key=lambda row: row["policy"],
    )
    by_rep = _grouped(clocks, "lead__owner_id")
    names = member_names(workspace=workspace, ids=by_rep)
    rep_rows = sorted(
        (_with_attainment("rep", names.get(key, "Unassigned"), row) for key, row in by_rep.items()),
        key=lambda row: (-row["breached"], row["rep"]),
    )
    return ReportResult(
        headline=[
            Figure("attainment", "SLA attainment", overall["attainment"], "percent"),
            Figure("met", "Met in time", overall["met"]),
            Figure("breached", "Breached", overall["breached"]),
            Figure("open", "Still open", overall["open"]),
        ],
        tables=[
            Table(
                "by_policy",
                "By policy",
                [Column("policy", "Policy", "text"), *_COLUMNS],
                [*policy_rows, overall] if policy_rows else [],
            ),
            Table("by_rep", "Breaches by rep", [Column("rep", "Rep", "text"), *_COLUMNS], rep_rows),
        ],
        charts=[
            Chart(
                "by_policy",
                "SLA attainment by policy",
                "Percent of judged clocks (met or breached) that were met in time, per policy.",
                "percent",
                [(row["policy"], row["attainment"]) for row in policy_rows],
            ),
            Chart(
                "by_rep",
                "SLA breaches by rep",
                "Number of speed-to-lead clocks that ran past due, per lead owner.",
                "count",
                [(row["rep"], row["breached"]) for row in rep_rows],
            ),
        ],
    )


REPORT = Report(
    slug="sla",
    title="SLA attainment",
    description="Speed-to-lead clocks met, breached and still open, per policy and per rep.",
    compute=compute,
)
