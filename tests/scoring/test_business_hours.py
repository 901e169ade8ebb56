import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest

from scoring.business_hours import BusinessHours, add_business_time, is_open

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
HOURS = BusinessHours(
    zone=NEW_YORK,
    weekdays=frozenset(range(5)),
    opens=time(9),
    closes=time(17),
    holidays=frozenset({date(2026, 11, 26)}),  # Thanksgiving
)


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        (ny(2026, 11, 23, 10, 0), 5, ny(2026, 11, 23, 10, 5)),  # inside hours
        (ny(2026, 11, 23, 16, 58), 5, ny(2026, 11, 24, 9, 3)),  # spills into the next morning
        (ny(2026, 11, 23, 22, 0), 5, ny(2026, 11, 24, 9, 5)),  # night: clock starts at opening
        (ny(2026, 11, 21, 12, 0), 60, ny(2026, 11, 23, 10, 0)),  # Saturday: Monday morning
        (ny(2026, 11, 25, 16, 30), 60, ny(2026, 11, 27, 9, 30)),  # skips the holiday
        (ny(2026, 11, 23, 9, 0), 8 * 60, ny(2026, 11, 23, 17, 0)),  # a whole day exactly
    ],
)
def test_business_time_skips_closed_hours(start, minutes, expected):
    assert add_business_time(start, timedelta(minutes=minutes), HOURS) == expected


def test_business_time_across_the_dst_change_counts_real_minutes():
    # 2026-11-01: New York falls back at 02:00. A Friday 16:30 start with 60 minutes ends
    # Monday 09:30 local, which is 14:30 UTC after the change (13:30 before it).
    end = add_business_time(ny(2026, 10, 30, 16, 30), timedelta(minutes=60), HOURS)
    assert end.astimezone(UTC) == datetime(2026, 11, 2, 14, 30, tzinfo=UTC)


def test_is_open_uses_the_workspace_zone():
    assert is_open(datetime(2026, 11, 23, 14, 30, tzinfo=UTC), HOURS)  # 09:30 in New York
    assert not is_open(datetime(2026, 11, 23, 13, 30, tzinfo=UTC), HOURS)  # 08:30


def test_a_workspace_with_no_business_days_is_an_error():
    closed = BusinessHours(zone=NEW_YORK, weekdays=frozenset(), opens=time(9), closes=time(17))
    with pytest.raises(ValueError, match="No business hours"):
        add_business_time(ny(2026, 11, 23, 10), timedelta(minutes=5), closed)
