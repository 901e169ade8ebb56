"""Contact and conversion funnel: leads, contacted, replied, meeting, qualified or customer.

Each stage counts the leads that reached it, whatever the order: contacted has a first touch,
replied a first reply, meeting a booked meeting or a status of meeting or later (qualified,
customer), qualified a status of qualified or customer. Shares are of all leads in the row.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q

from cadences.models import Cadence, Enrollment
from leadfollow.models import Membership, Workspace
from leads.models import Lead, LeadSource
from reports.filters import ReportFilters
from reports.registry import Report
from reports.results import Chart, Column, Figure, ReportResult, Table, share
from reports.selectors import report_leads

_WON = [Lead.Status.QUALIFIED, Lead.Status.CUSTOMER]
STAGES = [
    ("leads", "Leads"),
    ("contacted", "Contacted"),
    ("replied", "Replied"),
    ("meeting", "Meeting"),
    ("qualified", "Qualified or customer"),
]


def _stage_conditions(prefix: str) -> dict[str, Q | None]:
    """Each stage's condition on the lead; `prefix` reaches the lead from a related row."""

    def on_lead(**lookups) -> Q:
        return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})

    return {
        "leads": None,
        "contacted": on_lead(first_touch_at__isnull=False),
        "replied": on_lead(first_reply_at__isnull=False),
        "meeting": on_lead(meeting_at__isnull=False)
        | on_lead(status__in=[Lead.Status.MEETING, *_WON]),
        "qualified": on_lead(status__in=_WON),
    }


def _stage_counts(prefix: str = "") -> dict[str, Count]:
    """Count aggregates per stage. Through a related row a lead is counted once."""
    return {
        key: Count(f"{prefix}pk", filter=condition, distinct=bool(prefix))
        for key, condition in _stage_conditions(prefix).items()
    }


def _with_shares(label_key: str, label: str, counts: dict) -> dict:
    row = {label_key: label, "leads": counts["leads"]}
    for key, _stage in STAGES[1:]:
        row[key] = counts[key]
        row[f"{key}_share"] = share(counts[key], counts["leads"])
    return row


_COLUMNS = [Column("leads", "Leads")] + [
    column
    for key, label in STAGES[1:]
    for column in (Column(key, label), Column(f"{key}_share", f"{label} %", "percent"))
]


def compute(workspace: Workspace, filters: ReportFilters, viewer: Membership | None):
    leads = report_leads(workspace=workspace, filters=filters, viewer=viewer)
    overall = leads.order_by().aggregate(**_stage_counts())
    sources = dict(LeadSource.objects.filter(workspace=workspace).values_list("pk", "name"))
    source_rows = sorted(
        (
            _with_shares("source", sources.get(row.pop("source_id"), "No source"), row)
            for row in leads.order_by().values("source_id").annotate(**_stage_counts())
        ),
        key=lambda row: row["source"],
    )
    enrollments = Enrollment.objects.filter(workspace=workspace, lead__in=leads.values("pk"))
    cadences = dict(Cadence.objects.filter(workspace=workspace).values_list("pk", "name"))
    cadence_rows = sorted(
        (
            _with_shares("cadence", cadences[row.pop("cadence_id")], row)
            for row in enrollments.order_by()
            .values("cadence_id")
            .annotate(**_stage_counts("lead__"))
        ),
        key=lambda row: row["cadence"],
    )
    never = leads.filter(~Exists(Enrollment.objects.filter(lead=OuterRef("pk"))))
    unenrolled = never.order_by().aggregate(**_stage_counts())
    if unenrolled["leads"]:
        cadence_rows.append(_with_shares("cadence", "No cadence", unenrolled))
    total = overall["leads"]
    stage_rows = [
        {"stage": label, "leads": overall[key], "share": share(overall[key], total)}
        for key, label in STAGES
    ]
    return ReportResult(
        headline=[
            Figure("leads", "Leads", total),
            Figure("contacted_share", "Contacted", share(overall["contacted"], total), "percent"),
            Figure("replied_share", "Replied", share(overall["replied"], total), "percent"),
            Figure("meeting_share", "Meeting", share(overall["meeting"], total), "percent"),
            Figure(
                "qualified_share",
                "Qualified or customer",
                share(overall["qualified"], total),
                "percent",
            ),
        ],
        tables=[
            Table(
                "stages",
                "Funnel",
                [
                    Column("stage", "Stage", "text"),
                    Column("leads", "Leads"),
                    Column("share", "Share of leads", "percent"),
                ],
                stage_rows,
            ),
            Table(
                "by_source",
                "By source",
                [Column("source", "Source", "text"), *_COLUMNS],
                source_rows,
            ),
            Table(
                "by_cadence",
                "By cadence",
                [Column("cadence", "Cadence", "text"), *_COLUMNS],
                cadence_rows,
            ),
        ],
        charts=[
            Chart(
                "stages",
                "Lead funnel",
                "Number of leads that reached each stage, from all leads in the range to "
                "qualified or customer.",
                "count",
                [(row["stage"], row["leads"]) for row in stage_rows],
            )
        ],
    )


REPORT = Report(
    slug="funnel",
    title="Conversion funnel",
    description=(
        "Leads that were contacted, replied, booked a meeting and qualified, by source and cadence."
    ),
    compute=compute,
)
