"""The lead page's clock: the lead's local time, and "outside calling hours" exactly when the
workspace's quiet hours would hold a call."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import time_machine
from django.urls import reverse

from channels.compliance import channel_settings, check_send
from leadfollow.tenancy import workspace_scope
from leads.views.lead_page import lead_clock
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

BADGE = "Outside calling hours"
# 18:30 in New York, 15:30 in Los Angeles.
EVENING = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)


def _quiet_hours(workspace, start: time, end: time) -> None:
    with workspace_scope(workspace):
        settings = channel_settings(workspace)
        settings.quiet_hours_start, settings.quiet_hours_end = start, end
        settings.consent_required_call = False  # only the clock decides here
        settings.save()


def _page(client, lead) -> str:
    return client.get(reverse("leads:lead-detail", args=[lead.pk])).content.decode()


@time_machine.travel(EVENING, tick=False)
def test_the_badge_shows_after_the_workspaces_own_calling_hours_end(rep_client, workspace):
    _quiet_hours(workspace, time(9), time(17))
    lead = LeadFactory(workspace=workspace, time_zone="America/New_York")
    assert BADGE in _page(rep_client, lead)


@time_machine.travel(datetime(2026, 11, 24, 3, 30, tzinfo=UTC), tick=False)  # 22:30 New York
def test_no_badge_while_a_wider_calling_window_is_open(rep_client, workspace):
    _quiet_hours(workspace, time(7), time(23))
    lead = LeadFactory(workspace=workspace, time_zone="America/New_York")
    assert BADGE not in _page(rep_client, lead)


@time_machine.travel(datetime(2026, 11, 24, 2, 30, tzinfo=UTC), tick=False)  # 21:30 NY, 18:30 LA
def test_a_lead_without_a_zone_is_timed_by_their_phone_numbers_zone(rep_client, workspace):
    lead = LeadFactory(workspace=workspace, time_zone="", phone="+14155552671")
    body = _page(rep_client, lead)
    assert "Mon 6:30 PM</strong> in Los Angeles" in body
    assert BADGE not in body


@pytest.mark.parametrize("hour", [7, 8, 12, 16, 17, 23])
def test_the_badge_agrees_with_the_send_check_for_calls(workspace, hour):
    _quiet_hours(workspace, time(8), time(17))
    lead = LeadFactory(workspace=workspace, time_zone="Europe/Berlin")
    now = datetime(2026, 11, 23, hour, 0, tzinfo=UTC)  # Berlin is UTC+1 in November
    with workspace_scope(workspace):
        outside = lead_clock(workspace=workspace, lead=lead, now=now).is_outside_window
        held = check_send(workspace=workspace, lead=lead, channel="call", now=now).deferred
    assert outside is held
