"""Speed-to-lead figures for several groupings of the same leads: counts, answer-time bands
and percentiles of the waits to first touch and to first human touch.

On PostgreSQL one pass computes every grouping (GROUPING SETS, `percentile_cont` over arrays
of fractions), so 100,000 leads are read and sorted once per report, not once per table.
Elsewhere (SQLite) each grouping is its own ORM aggregate, with the percentiles taken by
`reports.aggregates`; both give the same figures (tests/reports/test_aggregates.py).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Expression, F, Q, QuerySet

from reports.aggregates import PERCENTILES, ElapsedSeconds, elapsed_percentiles

SPANS = {
    "first_touch": ("created_at", "first_touch_at"),
    "human_touch": ("created_at", "first_human_touch_at"),
}
# (key, label, lower bound exclusive, upper bound inclusive), in minutes.
BANDS = [
    ("within_5", "Within 5 minutes", None, 5),
    ("within_30", "5 to 30 minutes", 5, 30),
    ("within_60", "30 to 60 minutes", 30, 60),
    ("over_hour", "Over an hour", 60, None),
]


def wait_breakdowns(
    leads: QuerySet, groups: dict[str, Expression | None]
) -> dict[str, dict[object, dict]]:
    """Per grouping name, per group value, the figures; a None expression is one overall group."""
    if connection.vendor == "postgresql":
        try:
            return _in_one_pass(leads, groups)
        except EmptyResultSet:  # filters no row can match: the ORM answers that without SQL
            pass
    return {name: _breakdown(leads, group) for name, group in groups.items()}


def _band(field: str, low: int | None, high: int | None) -> Q:
    condition = Q(**{f"{field}__isnull": False})
    if low is not None:
        condition &= Q(**{f"{field}__gt": F("created_at") + timedelta(minutes=low)})
    if high is not None:
        condition &= Q(**{f"{field}__lte": F("created_at") + timedelta(minutes=high)})
    return condition


def _breakdown(leads, group) -> dict[object, dict]:
    aggregates = {
        "leads": Count("pk"),
        "touched": Count("pk", filter=Q(first_touch_at__isnull=False)),
        "human_touched": Count("pk", filter=Q(first_human_touch_at__isnull=False)),
    }
    for key, _label, low, high in BANDS:
        for span, (_start, end) in SPANS.items():
            aggregates[f"{span}_{key}"] = Count("pk", filter=_band(end, low, high))
    if group is None:
        counts = {None: leads.order_by().aggregate(**aggregates)}
    else:
        rows = leads.annotate(report_group=group).order_by().values("report_group")
        counts = {row.pop("report_group"): row for row in rows.annotate(**aggregates)}
    waits = elapsed_percentiles(leads, group=group, spans=SPANS)
    return {key: {**row, **waits.get(key, {})} for key, row in counts.items()}


def _seconds_band(column: str, low: int | None, high: int | None) -> str:
    conditions = [f"{column} IS NOT NULL"]
    if low is not None:
        conditions.append(f"{column} > {low * 60}")
    if high is not None:
        conditions.append(f"{column} <= {high * 60}")
    return " AND ".join(conditions)


def _in_one_pass(leads, groups) -> dict[str, dict[object, dict]]:
    keyed = {name: group for name, group in groups.items() if group is not None}
    columns = {name: f"g_{name}" for name in keyed}
    inner = leads.annotate(
        **{columns[name]: group for name, group in keyed.items()},
        **{f"w_{span}": ElapsedSeconds(end, start) for span, (start, end) in SPANS.items()},
    ).values(*columns.values(), *(f"w_{span}" for span in SPANS))
    sql, params = inner.order_by().query.sql_with_params()
    fractions = ", ".join(str(float(f)) for f in PERCENTILES)
    selects = [
        "count(*) AS leads",
        "count(w_first_touch) AS touched",
        "count(w_human_touch) AS human_touched",
    ]
    for key, _label, low, high in BANDS:
        for span in SPANS:
            band = _seconds_band(f"w_{span}", low, high)
            selects.append(f"count(*) FILTER (WHERE {band}) AS {span}_{key}")
    for span in SPANS:
        selects.append(
            f"percentile_cont(ARRAY[{fractions}]) WITHIN GROUP (ORDER BY w_{span}) AS {span}_pct"
        )
    names = list(columns.values())
    sets = ["()" if group is None else f"({columns[name]})" for name, group in groups.items()]
    grouping = f"GROUPING({', '.join(names)})" if names else "0"
    # MATERIALIZED: the zone conversions run once per lead, not once per grouping's sort.
    query = (
        f"WITH waits AS MATERIALIZED ({sql}) "
        f"SELECT {grouping}, {', '.join(names + selects)} FROM waits "
        f"GROUP BY GROUPING SETS ({', '.join(sets)})"
    )
    # GROUPING() sets a bit for every column a set leaves out: each set's mask names it.
    masks = {}
    for name, group in groups.items():
        mask = (1 << len(names)) - 1
        if group is not None:
            mask ^= 1 << (len(names) - 1 - names.index(columns[name]))
        masks[mask] = name
    result: dict[str, dict[object, dict]] = {name: {} for name in groups}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        fields = [column.name for column in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(fields, values, strict=True))
            name = masks[values[0]]
            key = row[columns[name]] if name in columns else None
            if isinstance(key, Decimal):
                key = int(key)  # EXTRACT answers numeric; the ORM path gives ints: keys match
            result[name][key] = _figures(row)
    return result


def _figures(row: dict) -> dict:
    figures = {"leads": row["leads"], "touched": row["touched"]}
    figures["human_touched"] = row["human_touched"]
    for key, _label, _low, _high in BANDS:
        for span in SPANS:
            figures[f"{span}_{key}"] = row[f"{span}_{key}"]
    for span in SPANS:
        values = row[f"{span}_pct"] or [None] * len(PERCENTILES)
        for fraction, value in zip(PERCENTILES, values, strict=True):
            figures[f"{span}_p{round(fraction * 100)}"] = None if value is None else round(value, 1)
    return figures
