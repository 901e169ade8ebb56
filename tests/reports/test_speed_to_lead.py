"""Speed to lead: exact medians and 90th percentiles, answer-time bands, breakdowns."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from leadfollow.tenancy import workspace_scope
from reports.filters import ReportFilters
from reports.registry import compute_headline, compute_report, get_report
from tests.factories import LeadFactory, LeadSourceFactory
from tests.reports.timeline import lead_at

pytestmark = pytest.mark.django_db

# Monday 8 June 2026, 10:00 in New York (the workspace's zone, UTC-4 in June).
MONDAY_10AM = datetime(2026, 6, 8, 14, 0, tzinfo=UTC)
SATURDAY_NOON = datetime(2026, 6, 6, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _on_wednesday():
    with time_machine.travel(datetime(2026, 6, 10, 16, 0, tzinfo=UTC), tick=False):
        yield


def _june(workspace, **choices) -> ReportFilters:
    return ReportFilters(
        date_from=date(2026, 6, 1), date_to=date(2026, 6, 10), tz=workspace.tzinfo, **choices
    )


def _speed(workspace, viewer=None, **choices):
    with workspace_scope(workspace):
        return compute_report(
            workspace=workspace,
            report=get_report("speed-to-lead"),
            filters=_june(workspace, **choices),
            viewer=viewer,
        )


@pytest.fixture
def six_leads(workspace, rep, manager):
    """Waits to first touch 1, 4, 10, 40 min and 2 h, and one lead nobody touched yet.

    First touch, sorted (s): 60, 240, 600, 2400, 7200 -> median 600; p90 at rank 3.6:
    2400 + 0.6 * 4800 = 5280. Human touch: 600, 600, 3000, 7200 -> median at rank 1.5:
    600 + 0.5 * 2400 = 1800; p90 at rank 2.7: 3000 + 0.7 * 4200 = 5940.
    """
    web = LeadSourceFactory(workspace=workspace, name="Website")
    ads = LeadSourceFactory(workspace=workspace, name="Ads")
    return [
        lead_at(workspace, MONDAY_10AM, touch_after=60, human_after=600, owner=rep, source=web),
        lead_at(workspace, MONDAY_10AM, touch_after=240, owner=rep, source=web),
        lead_at(workspace, MONDAY_10AM, touch_after=600, human_after=600, owner=rep, source=ads),
        lead_at(
            workspace, MONDAY_10AM, touch_after=2400, human_after=3000, owner=manager, source=ads
        ),
        lead_at(
            workspace, MONDAY_10AM, touch_after=7200, human_after=7200, owner=manager, source=ads
        ),
        lead_at(workspace, SATURDAY_NOON, owner=manager, source=ads),
    ]


def _headline(result) -> dict:
    return {figure.key: figure.value for figure in result.headline}


def test_medians_and_90th_percentiles_interpolate_like_percentile_cont(workspace, six_leads):
    assert _headline(_speed(workspace)) == {
        "leads": 6,
        "first_touch_p50": 600.0,
        "first_touch_p90": 5280.0,
        "human_touch_p50": 1800.0,
        "human_touch_p90": 5940.0,
        "within_5_share": 33.3,
        "untouched": 1,
    }


def test_answer_bands_are_shares_of_every_lead_including_untouched(workspace, six_leads):
    bands = _speed(workspace).table("bands").rows
    assert [(r["band"], r["first_touch_leads"], r["first_touch_share"]) for r in bands] == [
        ("Within 5 minutes", 2, 33.3),
        ("5 to 30 minutes", 1, 16.7),
        ("30 to 60 minutes", 1, 16.7),
        ("Over an hour", 1, 16.7),
        ("Not touched yet", 1, 16.7),
    ]
    assert [r["human_touch_leads"] for r in bands] == [0, 2, 1, 1, 2]


def test_exactly_five_minutes_counts_as_within_five(workspace):
    lead_at(workspace, MONDAY_10AM, touch_after=300)
    lead_at(workspace, MONDAY_10AM, touch_after=301)
    bands = _speed(workspace).table("bands").rows
    assert [r["first_touch_leads"] for r in bands] == [1, 1, 0, 0, 0]


def test_by_rep_gives_each_owner_their_own_percentiles(workspace, six_leads, rep, manager):
    rows = {row["rep"]: row for row in _speed(workspace).table("by_rep").rows}
    mine, theirs = rows[rep.user.display_name], rows[manager.user.display_name]
    # rep: 60, 240, 600 -> median 240, p90 at rank 1.8: 240 + 0.8 * 360 = 528
    assert (mine["leads"], mine["first_touch_p50"], mine["first_touch_p90"]) == (3, 240.0, 528.0)
    # manager: 2400, 7200 (and an untouched lead) -> median 4800, p90 2400 + 0.9 * 4800 = 6720
    assert (theirs["leads"], theirs["touched"], theirs["first_touch_p50"]) == (3, 2, 4800.0)
    assert theirs["first_touch_p90"] == 6720.0


def test_by_source_counts_each_source(workspace, six_leads):
    rows = {row["source"]: row for row in _speed(workspace).table("by_source").rows}
    assert (rows["Website"]["leads"], rows["Website"]["within_5_share"]) == (2, 100.0)
    assert (rows["Ads"]["leads"], rows["Ads"]["first_touch_p50"]) == (4, 2400.0)


def test_weekend_leads_show_apart_from_business_hours(workspace, six_leads):
    rows = {row["period"]: row["leads"] for row in _speed(workspace).table("by_period").rows}
    assert rows == {"Business hours": 5, "Nights": 0, "Weekends": 1}


def test_a_late_evening_lead_counts_in_its_local_hour_and_day(workspace):
    # 03:30 UTC on 2 June is 23:30 on Monday 1 June in New York: a night lead of hour 23.
    lead_at(workspace, datetime(2026, 6, 2, 3, 30, tzinfo=UTC), touch_after=90)
    result = _speed(workspace)
    hours = {row["hour"]: row["leads"] for row in result.table("by_hour").rows}
    assert hours["23:00"] == 1
    assert sum(hours.values()) == 1
    periods = {row["period"]: row["leads"] for row in result.table("by_period").rows}
    assert periods["Nights"] == 1


def test_the_range_starts_at_local_midnight(workspace):
    lead_at(workspace, datetime(2026, 6, 1, 3, 59, tzinfo=UTC))  # 31 May, 23:59 in New York
    lead_at(workspace, datetime(2026, 6, 1, 4, 0, tzinfo=UTC))  # 1 June, 00:00
    lead_at(workspace, datetime(2026, 6, 11, 3, 59, tzinfo=UTC))  # 10 June, 23:59
    lead_at(workspace, datetime(2026, 6, 11, 4, 0, tzinfo=UTC))  # 11 June: after the range
    assert _headline(_speed(workspace))["leads"] == 2


def test_no_touched_lead_leaves_percentiles_empty(workspace):
    lead_at(workspace, MONDAY_10AM)
    headline = _headline(_speed(workspace))
    assert (headline["leads"], headline["untouched"], headline["first_touch_p50"]) == (1, 1, None)


def test_a_rep_sees_only_their_own_leads(workspace, six_leads, rep):
    assert _headline(_speed(workspace, viewer=rep))["leads"] == 3


def test_a_manager_sees_every_lead(workspace, six_leads, manager):
    assert _headline(_speed(workspace, viewer=manager))["leads"] == 6


def test_the_rep_filter_narrows_to_that_owner(workspace, six_leads, manager):
    assert _headline(_speed(workspace, rep=manager))["first_touch_p50"] == 4800.0


def test_another_workspace_is_never_counted(workspace, other_workspace, six_leads):
    lead_at(other_workspace, MONDAY_10AM, touch_after=5)
    LeadFactory(workspace=other_workspace)
    assert _headline(_speed(workspace))["leads"] == 6


def test_business_hours_start_at_nine_and_end_before_five_local(workspace):
    # Tuesday 9 June 2026 in New York (UTC-4): 08:59, 09:00, 16:59 and 17:00.
    for utc_hour, minute in ((12, 59), (13, 0), (20, 59), (21, 0)):
        lead_at(workspace, datetime(2026, 6, 9, utc_hour, minute, tzinfo=UTC))
    rows = {row["period"]: row["leads"] for row in _speed(workspace).table("by_period").rows}
    assert rows == {"Business hours": 2, "Nights": 2, "Weekends": 0}


def test_the_headline_alone_matches_the_full_reports(workspace, six_leads, rep):
    for viewer in (None, rep):
        with workspace_scope(workspace):
            alone = compute_headline(
                workspace=workspace,
                report=get_report("speed-to-lead"),
                filters=_june(workspace),
                viewer=viewer,
            )
        assert alone == _speed(workspace, viewer=viewer).headline
