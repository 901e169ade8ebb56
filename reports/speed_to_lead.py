"""Speed to lead: how long new leads wait for a first touch and for a first human touch.

Waits are measured from intake (`Lead.created_at`) to `first_touch_at` (any touch, automated
included) and to `first_human_touch_at`. Medians and 90th percentiles are `percentile_cont`;
the answer-time bands are (0, 5 min], (5, 30], (30, 60] and over an hour, each as a share of
all leads in the range, untouched leads included.
"""

from __future__ import annotations

from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncTime

from leadfollow.models import Membership, Workspace
from leads.models import LeadSource
from reports.filters import ReportFilters
from reports.registry import Report
from reports.results import Chart, Column, Figure, ReportResult, Table, share
from reports.selectors import member_names, report_leads
from reports.waits import BANDS, wait_breakdowns

PERIODS = {"business": "Business hours", "night": "Nights", "weekend": "Weekends"}


_WAIT_COLUMNS = [
    Column("leads", "Leads"),
    Column("touched", "Touched"),
    Column("first_touch_p50", "Median to first touch", "seconds"),
    Column("first_touch_p90", "90th pct to first touch", "seconds"),
    Column("human_touch_p50", "Median to human touch", "seconds"),
    Column("human_touch_p90", "90th pct to human touch", "seconds"),
    Column("within_5_share", "Touched within 5 min", "percent"),
]


def _row(label_key: str, label: str, figures: dict) -> dict:
    row = {label_key: label}
    for column in _WAIT_COLUMNS:
        if column.key == "within_5_share":
            row[column.key] = share(figures.get("first_touch_within_5", 0), figures["leads"])
        else:
            row[column.key] = figures.get(column.key)
    return row


def _table(key, title, label_key, label_title, rows) -> Table:
    return Table(key, title, [Column(label_key, label_title, "text"), *_WAIT_COLUMNS], rows)


def compute(workspace: Workspace, filters: ReportFilters, viewer: Membership | None):
    leads = _with_arrival(
        report_leads(workspace=workspace, filters=filters, viewer=viewer), workspace, filters
    )
    breakdowns = wait_breakdowns(
        leads,
        {
            "overall": None,
            "rep": F("owner_id"),
            "source": F("source_id"),
            "hour": ExtractHour("created_at", tzinfo=filters.tz),
            "period": F("arrival_period"),
        },
    )
    overall = breakdowns["overall"][None]
    total = overall["leads"]
    by_rep = breakdowns["rep"]
    names = member_names(workspace=workspace, ids=by_rep)
    rep_rows = sorted(
        (_row("rep", names.get(key, "Unassigned"), figures) for key, figures in by_rep.items()),
        key=lambda row: row["rep"],
    )
    by_source = breakdowns["source"]
    sources = dict(LeadSource.objects.filter(workspace=workspace).values_list("pk", "name"))
    source_rows = sorted(
        (_row("source", sources.get(k, "No source"), f) for k, f in by_source.items()),
        key=lambda row: row["source"],
    )
    by_hour = breakdowns["hour"]
    empty = {"leads": 0}
    hour_rows = [_row("hour", f"{hour:02d}:00", by_hour.get(hour, empty)) for hour in range(24)]
    by_period = breakdowns["period"]
    period_rows = [
        _row("period", label, by_period.get(key, empty)) for key, label in PERIODS.items()
    ]
    band_rows = [
        {
            "band": label,
            "first_touch_leads": overall[f"first_touch_{key}"],
            "first_touch_share": share(overall[f"first_touch_{key}"], total),
            "human_touch_leads": overall[f"human_touch_{key}"],
            "human_touch_share": share(overall[f"human_touch_{key}"], total),
        }
        for key, label, _low, _high in BANDS
    ]
    band_rows.append(
        {
            "band": "Not touched yet",
            "first_touch_leads": total - overall["touched"],
            "first_touch_share": share(total - overall["touched"], total),
            "human_touch_leads": total - overall["human_touched"],
            "human_touch_share": share(total - overall["human_touched"], total),
        }
    )
    return ReportResult(
        headline=_headline(overall),
        tables=[
            Table(
                "bands",
                "How fast leads were answered",
                [
                    Column("band", "Answered", "text"),
                    Column("first_touch_leads", "First touch: leads"),
                    Column("first_touch_share", "First touch: share", "percent"),
                    Column("human_touch_leads", "Human touch: leads"),
                    Column("human_touch_share", "Human touch: share", "percent"),
                ],
                band_rows,
            ),
            _table("by_rep", "By rep", "rep", "Rep", rep_rows),
            _table("by_source", "By source", "source", "Source", source_rows),
            _table(
                "by_period", "Business hours, nights and weekends", "period", "Arrived", period_rows
            ),
            _table("by_hour", f"By hour of arrival ({filters.tz})", "hour", "Hour", hour_rows),
        ],
        charts=[
            Chart(
                "bands",
                "Share of leads by time to first touch",
                "Percent of the leads that arrived in the range, by how long they waited "
                "for a first touch; untouched leads are the last bar.",
                "percent",
                [(row["band"], row["first_touch_share"]) for row in band_rows],
            ),
            Chart(
                "by_hour",
                "Median wait for a first touch, by hour of arrival",
                f"Median time from intake to first touch for leads arriving in each hour "
                f"of the day ({filters.tz}); hours without touched leads show no bar.",
                "seconds",
                [(row["hour"], row["first_touch_p50"]) for row in hour_rows],
            ),
        ],
    )


def _headline(overall: dict) -> list[Figure]:
    total = overall["leads"]
    return [
        Figure("leads", "Leads", total),
        Figure("first_touch_p50", "Median to first touch", overall["first_touch_p50"], "seconds"),
        Figure(
            "first_touch_p90",
            "90th percentile to first touch",
            overall["first_touch_p90"],
            "seconds",
        ),
        Figure(
            "human_touch_p50",
            "Median to first human touch",
            overall["human_touch_p50"],
            "seconds",
        ),
        Figure(
            "human_touch_p90",
            "90th percentile to first human touch",
            overall["human_touch_p90"],
            "seconds",
        ),
        Figure(
            "within_5_share",
            "Touched within 5 minutes",
            share(overall["first_touch_within_5"], total),
            "percent",
        ),
        Figure("untouched", "Not touched yet", total - overall["touched"]),
    ]


def headline(workspace: Workspace, filters: ReportFilters, viewer: Membership | None):
    """The headline alone: one pass over the leads, without the breakdowns."""
    leads = report_leads(workspace=workspace, filters=filters, viewer=viewer)
    return _headline(wait_breakdowns(leads, {"overall": None})["overall"][None])


def _with_arrival(leads, workspace: Workspace, filters: ReportFilters):
    """Tag each lead with when it arrived: business hours, night or weekend (workspace zone)."""
    start, end = workspace.business_hours_start, workspace.business_hours_end
    weekdays = [day + 1 for day in workspace.business_days]  # ISO: Monday is 1
    return leads.annotate(
        arrival_weekday=ExtractIsoWeekDay("created_at", tzinfo=filters.tz),
        arrival_time=TruncTime("created_at", tzinfo=filters.tz),
    ).annotate(
        arrival_period=Case(
            When(~Q(arrival_weekday__in=weekdays), then=Value("weekend")),
            When(Q(arrival_time__lt=start) | Q(arrival_time__gte=end), then=Value("night")),
            default=Value("business"),
        )
    )


REPORT = Report(
    slug="speed-to-lead",
    title="Speed to lead",
    description="How long new leads wait for a first touch and for a first human touch.",
    compute=compute,
    headline=headline,
)
