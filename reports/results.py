"""What a report returns: headline figures, tables and chart series, ready for page, CSV and API.

Values are plain numbers (seconds, percents, counts) so every output shows the same figures;
only the page formats them for reading.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Unit = Literal["count", "percent", "seconds", "text"]


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: float | int | None
    unit: Unit = "count"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: Unit = "count"


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]


@dataclass(frozen=True)
class Chart:
    """A bar chart: one bar per (label, value); `description` says in words what it shows."""

    key: str
    title: str
    description: str
    unit: Unit
    points: list[tuple[str, float | int | None]]


@dataclass(frozen=True)
class ReportResult:
    headline: list[Figure]
    tables: list[Table]
    charts: list[Chart] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        data = asdict(self)
        for chart in data["charts"]:
            chart["points"] = [{"label": label, "value": value} for label, value in chart["points"]]
        return data

    def table(self, key: str) -> Table:
        return next(table for table in self.tables if table.key == key)


def share(part: int, whole: int) -> float | None:
    """A percentage rounded to one decimal; None when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None
