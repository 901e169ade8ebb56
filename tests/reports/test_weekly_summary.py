"""The weekly summary email: last week's headline to managers and owners, once per week."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from leadfollow.tenancy import unscoped, workspace_scope
from reports.models import WeeklySummary
from reports.weekly_summary import last_full_week, send_weekly_summary, summaries_tick
from tests.factories import MembershipFactory
from tests.reports.timeline import lead_at

pytestmark = pytest.mark.django_db

# Monday 15 June 2026 in New York (UTC-4): 07:59 and 08:30.
BEFORE_EIGHT = datetime(2026, 6, 15, 11, 59, tzinfo=UTC)
MONDAY_MORNING = datetime(2026, 6, 15, 12, 30, tzinfo=UTC)
LAST_WEEK = date(2026, 6, 8)


@pytest.fixture
def team(workspace, owner, manager, rep):
    # Two leads last week (one answered in 3 minutes), one this week that must not count.
    lead_at(workspace, datetime(2026, 6, 9, 14, 0, tzinfo=UTC), touch_after=180)
    lead_at(workspace, datetime(2026, 6, 14, 14, 0, tzinfo=UTC))
    lead_at(workspace, datetime(2026, 6, 15, 12, 0, tzinfo=UTC), touch_after=5)
    return owner, manager, rep


def test_the_week_turns_at_eight_on_monday_in_the_workspace_zone(workspace):
    assert last_full_week(workspace=workspace, now=BEFORE_EIGHT) is None
    assert last_full_week(workspace=workspace, now=MONDAY_MORNING) == LAST_WEEK


def test_later_in_the_week_the_last_full_week_is_still_due(workspace):
    sunday = datetime(2026, 6, 21, 23, 0, tzinfo=UTC)  # 19:00 in New York
    assert last_full_week(workspace=workspace, now=sunday) == LAST_WEEK


def test_managers_and_owners_get_last_weeks_headline(workspace, team, mailoutbox, settings):
    settings.BASE_URL = "https://app.leadfollow.example"
    owner, manager, rep = team
    with time_machine.travel(MONDAY_MORNING, tick=False):
        summaries_tick()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([owner.user.email, manager.user.email])
    body = mailoutbox[0].body
    assert mailoutbox[0].subject == "LeadFollow: Acme Roofing, week of Jun 8"
    assert "Speed to lead\n  Leads: 2\n  Median to first touch: 3 min\n" in body
    assert "https://app.leadfollow.example/reports/?date_from=2026-06-08&date_to=2026-06-14" in body


def test_a_second_tick_the_same_week_sends_nothing(workspace, team, mailoutbox):
    with time_machine.travel(MONDAY_MORNING, tick=False):
        summaries_tick()
        summaries_tick()
    assert len(mailoutbox) == 2
    with unscoped():
        assert WeeklySummary.objects.get().recipients == 2


def test_a_retried_send_of_a_claimed_week_is_a_no_op(workspace, team, mailoutbox):
    with workspace_scope(workspace), time_machine.travel(MONDAY_MORNING, tick=False):
        first = send_weekly_summary(workspace=workspace, week_start=LAST_WEEK)
        again = send_weekly_summary(workspace=workspace, week_start=LAST_WEEK)
    assert (first.recipients, again, len(mailoutbox)) == (2, None, 2)


def test_nothing_goes_out_before_eight_on_monday(workspace, team, mailoutbox):
    with time_machine.travel(BEFORE_EIGHT, tick=False):
        assert summaries_tick() == 0
    assert mailoutbox == []


def test_each_workspace_reads_only_its_own_figures(workspace, other_workspace, team, mailoutbox):
    MembershipFactory(workspace=other_workspace, role="manager")
    lead_at(other_workspace, datetime(2026, 6, 9, 14, 0, tzinfo=UTC), touch_after=60)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        summaries_tick()
    other = next(m for m in mailoutbox if "Globex" in m.subject)
    assert "  Leads: 1\n" in other.body
