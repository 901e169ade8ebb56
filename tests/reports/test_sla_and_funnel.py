"""SLA attainment and the contact-and-conversion funnel, with hand-counted figures."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from leadfollow.tenancy import workspace_scope
from reports.filters import ReportFilters
from reports.registry import compute_report, get_report
from tests.factories import (
    CadenceFactory,
    EnrollmentFactory,
    LeadSourceFactory,
    SlaClockFactory,
    SlaPolicyFactory,
)
from tests.reports.timeline import lead_at

pytestmark = pytest.mark.django_db

MONDAY_10AM = datetime(2026, 6, 8, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _on_wednesday():
    with time_machine.travel(datetime(2026, 6, 10, 16, 0, tzinfo=UTC), tick=False):
        yield


def _compute(slug, workspace, viewer=None, **choices):
    filters = ReportFilters(
        date_from=date(2026, 6, 1), date_to=date(2026, 6, 10), tz=workspace.tzinfo, **choices
    )
    with workspace_scope(workspace):
        return compute_report(
            workspace=workspace, report=get_report(slug), filters=filters, viewer=viewer
        )


def _clock(workspace, policy, owner, *, met_after=None, breached=False):
    """A 5-minute clock on a new lead; `met_after` minutes to the touch that stopped it."""
    lead = lead_at(workspace, MONDAY_10AM, owner=owner)
    due = MONDAY_10AM + timedelta(minutes=5)
    return SlaClockFactory(
        workspace=workspace,
        lead=lead,
        policy=policy,
        started_at=MONDAY_10AM,
        due_at=due,
        met_at=None if met_after is None else MONDAY_10AM + timedelta(minutes=met_after),
        breached_at=due if breached else None,
    )


@pytest.fixture
def clocks(workspace, rep, manager):
    fast = SlaPolicyFactory(workspace=workspace, name="Fast")
    slow = SlaPolicyFactory(workspace=workspace, name="Slow")
    return [
        _clock(workspace, fast, rep, met_after=3),  # met
        _clock(workspace, fast, rep, met_after=7, breached=True),  # met late: breached
        _clock(workspace, fast, manager, breached=True),  # breached, never met
        _clock(workspace, fast, manager),  # still open
        _clock(workspace, slow, manager, met_after=1),  # met
        _clock(workspace, slow, manager, met_after=5),  # met exactly at due: in time
    ]


def test_sla_attainment_per_policy(workspace, clocks):
    rows = _compute("sla", workspace).table("by_policy").rows
    assert [
        (r["policy"], r["clocks"], r["met"], r["breached"], r["open"], r["attainment"])
        for r in rows
    ] == [
        ("Fast", 4, 1, 2, 1, 33.3),
        ("Slow", 2, 2, 0, 0, 100.0),
        ("All policies", 6, 3, 2, 1, 60.0),
    ]


def test_sla_headline_judges_only_stopped_or_breached_clocks(workspace, clocks):
    headline = {f.key: f.value for f in _compute("sla", workspace).headline}
    assert headline == {"attainment": 60.0, "met": 3, "breached": 2, "open": 1}


def test_sla_breaches_by_rep(workspace, clocks, rep, manager):
    rows = {r["rep"]: r for r in _compute("sla", workspace).table("by_rep").rows}
    mine, theirs = rows[rep.user.display_name], rows[manager.user.display_name]
    assert (mine["breached"], mine["attainment"]) == (1, 50.0)
    assert (theirs["clocks"], theirs["breached"], theirs["open"], theirs["attainment"]) == (
        4,
        1,
        1,
        66.7,
    )


def test_a_rep_sees_only_their_own_clocks(workspace, clocks, rep):
    headline = {f.key: f.value for f in _compute("sla", workspace, viewer=rep).headline}
    assert headline == {"attainment": 50.0, "met": 1, "breached": 1, "open": 0}


@pytest.fixture
def funnel(workspace):
    web = LeadSourceFactory(workspace=workspace, name="Website")
    ads = LeadSourceFactory(workspace=workspace, name="Ads")
    welcome = CadenceFactory(workspace=workspace, name="Welcome")
    revive = CadenceFactory(workspace=workspace, name="Revive")

    def lead(source, status, *, touched=False, replied=False, meeting=False):
        made = lead_at(workspace, MONDAY_10AM, touch_after=60 if touched else None, source=source)
        made.status = status
        made.first_reply_at = MONDAY_10AM + timedelta(hours=1) if replied else None
        made.meeting_at = MONDAY_10AM + timedelta(days=1) if meeting else None
        made.save(update_fields=["status", "first_reply_at", "meeting_at"])
        return made

    every_stage = lead(web, "qualified", touched=True, replied=True, meeting=True)
    replied = lead(web, "replied", touched=True, replied=True)
    lead(web, "contacted", touched=True)  # in no cadence
    untouched = lead(ads, "new")
    lead(ads, "meeting", touched=True)  # status meeting without a date; in no cadence
    customer = lead(ads, "customer", touched=True, replied=True)
    for enrolled in (every_stage, replied, untouched):
        EnrollmentFactory(lead=enrolled, cadence=welcome, current_step=None)
    EnrollmentFactory(lead=every_stage, cadence=revive, current_step=None, status="exited")
    EnrollmentFactory(lead=every_stage, cadence=revive, current_step=None)  # enrolled twice
    EnrollmentFactory(lead=customer, cadence=revive, current_step=None)
    return welcome


def _stages(row):
    return [row[key] for key in ("leads", "contacted", "replied", "meeting", "qualified")]


def test_funnel_counts_each_stage(workspace, funnel):
    rows = _compute("funnel", workspace).table("stages").rows
    assert [(r["stage"], r["leads"], r["share"]) for r in rows] == [
        ("Leads", 6, 100.0),
        ("Contacted", 5, 83.3),
        ("Replied", 3, 50.0),
        ("Meeting", 3, 50.0),
        ("Qualified or customer", 2, 33.3),
    ]


def test_funnel_by_source(workspace, funnel):
    rows = {r["source"]: r for r in _compute("funnel", workspace).table("by_source").rows}
    assert _stages(rows["Website"]) == [3, 3, 2, 1, 1]
    assert _stages(rows["Ads"]) == [3, 2, 1, 2, 1]
    assert rows["Ads"]["meeting_share"] == 66.7


def test_funnel_by_cadence_counts_a_twice_enrolled_lead_once(workspace, funnel):
    rows = {r["cadence"]: r for r in _compute("funnel", workspace).table("by_cadence").rows}
    assert _stages(rows["Welcome"]) == [3, 2, 2, 1, 1]
    assert _stages(rows["Revive"]) == [2, 2, 2, 2, 2]
    assert _stages(rows["No cadence"]) == [2, 2, 0, 1, 0]


def test_the_cadence_filter_keeps_its_enrolled_leads(workspace, funnel):
    headline = {f.key: f.value for f in _compute("funnel", workspace, cadence=funnel).headline}
    assert (headline["leads"], headline["contacted_share"]) == (3, 66.7)
