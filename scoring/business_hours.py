"""Business-hours arithmetic for SLA clocks: weekly hours plus holidays, in a time zone.

All arithmetic happens on UTC instants: subtracting two aware datetimes that share a zoneinfo
compares wall clocks, which is an hour off across a DST change.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

MAX_DAYS = 400


@dataclass(frozen=True)
class BusinessHours:
    zone: zoneinfo.ZoneInfo
    weekdays: frozenset[int]  # 0 = Monday
    opens: time
    closes: time
    holidays: frozenset[date] = frozenset()

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's open interval as UTC instants, or None when closed all day."""
        if day.weekday() not in self.weekdays or day in self.holidays:
            return None
        start = datetime.combine(day, self.opens, self.zone).astimezone(UTC)
        end = datetime.combine(day, self.closes, self.zone).astimezone(UTC)
        return (start, end) if end > start else None


def add_business_time(start: datetime, duration: timedelta, hours: BusinessHours) -> datetime:
    """The instant `duration` of open time after `start` (which may fall outside hours)."""
    remaining = duration
    cursor = start.astimezone(UTC)
    day = cursor.astimezone(hours.zone).date()
    for _ in range(MAX_DAYS):
        window = hours.window(day)
        if window is not None:
            begin = max(cursor, window[0])
            if begin < window[1]:
                available = window[1] - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("No business hours within a year: check the workspace's business days.")


def is_open(at: datetime, hours: BusinessHours) -> bool:
    window = hours.window(at.astimezone(hours.zone).date())
    return window is not None and window[0] <= at.astimezone(UTC) < window[1]
