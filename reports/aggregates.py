"""SQL building blocks shared by reports: exact percentiles and elapsed seconds.

Percentiles follow PostgreSQL's `percentile_cont` (linear interpolation between the two
nearest ranks). Postgres computes them in the query; SQLite, used in development and tests,
has no such aggregate, so there the same definition runs over the fetched elapsed times.
Both paths return identical numbers (tests/reports/test_aggregates.py).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection
from django.db.models import Aggregate, Expression, F, FloatField, Func, QuerySet

PERCENTILES = (0.5, 0.9)


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the continuous `fraction` percentile of the input."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Expression, *, fraction: float, **extra) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


class ElapsedSeconds(Func):
    """Seconds from `start` to `end` (PostgreSQL), NULL when either is NULL."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))::double precision"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, end: str, start: str) -> None:
        super().__init__(F(end), F(start))


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """`percentile_cont(fraction)` over sorted `values`, as PostgreSQL defines it."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return values[lower] + (values[upper] - values[lower]) * (position - lower)


def elapsed_percentiles(
    leads: QuerySet,
    *,
    group: Expression | None,
    spans: dict[str, tuple[str, str]],
    fractions: Iterable[float] = PERCENTILES,
) -> dict[object, dict[str, float | None]]:
    """Per group value, the percentiles of each span's elapsed seconds (rounded to 0.1 s).

    `spans` maps a name to (start field, end field); rows whose end is NULL are left out,
    as `percentile_cont` leaves out NULLs. Keys of the inner dict are `<span>_p<percent>`.
    """
    fractions = tuple(fractions)
    grouped = leads.annotate(report_group=group) if group is not None else leads
    if connection.vendor == "postgresql":
        aggregates = {
            _key(name, fraction): PercentileCont(ElapsedSeconds(end, start), fraction=fraction)
            for name, (start, end) in spans.items()
            for fraction in fractions
        }
        if group is None:
            return {None: _rounded(grouped.aggregate(**aggregates))}
        rows = grouped.order_by().values("report_group").annotate(**aggregates)
        return {row.pop("report_group"): _rounded(row) for row in rows}
    return _percentiles_in_python(grouped, group is not None, spans, fractions)


def _percentiles_in_python(leads, grouped, spans, fractions):
    fields = sorted({field for pair in spans.values() for field in pair})
    columns = (["report_group"] if grouped else []) + fields
    samples: dict[object, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in leads.order_by().values_list(*columns).iterator(chunk_size=5000):
        key = row[0] if grouped else None
        times: dict[str, datetime | None] = dict(
            zip(fields, row[1:] if grouped else row, strict=True)
        )
        for name, (start, end) in spans.items():
            if times[start] is not None and times[end] is not None:
                samples[key][name].append((times[end] - times[start]).total_seconds())
    result = {}
    for key, by_span in samples.items():
        values = {name: sorted(by_span.get(name, [])) for name in spans}
        result[key] = _rounded(
            {
                _key(name, fraction): percentile_cont(values[name], fraction)
                for name in spans
                for fraction in fractions
            }
        )
    return result or (
        {None: _rounded(dict.fromkeys(_keys(spans, fractions)))} if not grouped else {}
    )


def _key(name: str, fraction: float) -> str:
    return f"{name}_p{round(fraction * 100)}"


def _keys(spans, fractions) -> list[str]:
    return [_key(name, fraction) for name in spans for fraction in fractions]


def _rounded(values: dict) -> dict[str, float | None]:
    return {key: None if value is None else round(value, 1) for key, value in values.items()}
