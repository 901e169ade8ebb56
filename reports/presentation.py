"""How report figures read on the page and in CSV: durations in words, bar geometry for SVG."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.contrib.humanize.templatetags.humanize import intcomma

from reports.results import Chart, ReportResult, Table

BAR_ROW = 44  # px per bar: its label line, then the bar


def format_value(value, unit: str) -> str:
    """A figure for people: '2 min 30 s', '42.9 %', '1,204'; a missing figure is '—'."""
    if value is None:
        return "—"
    if unit == "seconds":
        return format_duration(value)
    if unit == "percent":
        return f"{value:.1f} %"
    if unit == "count":
        return intcomma(value)
    return str(value)


def format_duration(seconds: float) -> str:
    whole = round(seconds)
    if whole < 60:
        return f"{seconds:.0f} s" if seconds >= 1 or seconds == 0 else f"{seconds:.1f} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the value as people read it
    width: float  # percent of the plot width
    label_y: int
    bar_y: int


def chart_bars(chart: Chart) -> tuple[list[Bar], int]:
    """Bars scaled to the largest value, and the SVG's height."""
    largest = max((value for _label, value in chart.points if value), default=0)
    bars = [
        Bar(
            label=str(label),
            text=format_value(value, chart.unit),
            width=round(100 * value / largest, 2) if value and largest else 0,
            label_y=index * BAR_ROW + 14,
            bar_y=index * BAR_ROW + 20,
        )
        for index, (label, value) in enumerate(chart.points)
    ]
    return bars, max(len(bars) * BAR_ROW, BAR_ROW)


def display_rows(table: Table) -> list[list[tuple[str, bool]]]:
    """Each row's cells as (text, is a number): numbers align right, words left."""
    return [
        [(format_value(row.get(c.key), c.unit), c.unit != "text") for c in table.columns]
        for row in table.rows
    ]


_UNITS = {"seconds": " (seconds)", "percent": " (%)"}


def csv_text(result: ReportResult, table_key: str | None = None) -> str:
    """Every table (or one), raw numbers, each under its title and separated by a blank line."""
    out = io.StringIO()
    writer = csv.writer(out)
    tables = [result.table(table_key)] if table_key else result.tables
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        if not table_key:
            writer.writerow([table.title])
        writer.writerow([c.label + _UNITS.get(c.unit, "") for c in table.columns])
        for row in table.rows:
            writer.writerow(["" if row.get(c.key) is None else row[c.key] for c in table.columns])
    return out.getvalue()
