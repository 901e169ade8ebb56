import zoneinfo
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import TestCase

from leadfollow.tenancy import workspace_scope
from leads.models import Activity
from leads.services import intake_lead, log_activity
from scoring.models import Holiday, Notification, SlaClock
from scoring.services.sla import sla_tick
from tests.factories import MembershipFactory, RoutingRuleFactory, SlaPolicyFactory

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)


def _new_lead(workspace, when=MONDAY_10AM):
    with (
        time_machine.travel(when, tick=False),
        workspace_scope(workspace),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        return intake_lead(workspace=workspace, fields={"phone": "+14155552671"}).lead


def _clock(workspace, lead):
    with workspace_scope(workspace):
        return SlaClock.objects.get(lead=lead)


def _tick(at):
    with time_machine.travel(at, tick=False):
        return sla_tick()


def test_clock_starts_at_intake_under_the_matching_policy(workspace):
    SlaPolicyFactory(workspace=workspace, minutes=5, warn_at_percent=60)
    clock = _clock(workspace, _new_lead(workspace))
    assert (clock.warn_at, clock.due_at) == (
        MONDAY_10AM + timedelta(minutes=3),
        MONDAY_10AM + timedelta(minutes=5),
    )


def test_first_matching_policy_wins(workspace):
    SlaPolicyFactory(
        workspace=workspace,
        minutes=60,
        position=1,
        conditions={"field": "has_email", "op": "equals", "value": True},
    )
    fast = SlaPolicyFactory(workspace=workspace, minutes=5, position=2)
    assert _clock(workspace, _new_lead(workspace)).policy == fast


def test_business_hours_clock_waits_for_the_morning(workspace):
    SlaPolicyFactory(workspace=workspace, minutes=5, business_hours_only=True)
    friday_night = datetime(2026, 11, 20, 22, 0, tzinfo=NEW_YORK)
    clock = _clock(workspace, _new_lead(workspace, when=friday_night))
    assert clock.due_at == datetime(2026, 11, 23, 9, 5, tzinfo=NEW_YORK)


def test_business_hours_clock_skips_holidays(workspace):
    Holiday.objects.create(workspace=workspace, date=datetime(2026, 11, 23).date(), name="Closed")
    SlaPolicyFactory(workspace=workspace, minutes=5, business_hours_only=True)
    clock = _clock(workspace, _new_lead(workspace))
    assert clock.due_at == datetime(2026, 11, 24, 9, 5, tzinfo=NEW_YORK)


def test_no_matching_policy_starts_no_clock(workspace):
    lead = _new_lead(workspace)
    with workspace_scope(workspace):
        assert not SlaClock.objects.filter(lead=lead).exists()


def test_outbound_touch_meets_the_clock(workspace):
    SlaPolicyFactory(workspace=workspace)
    lead = _new_lead(workspace)
    with workspace_scope(workspace):
        log_activity(
            workspace=workspace, lead=lead, kind="sms_sent", channel="sms", direction="out"
        )
    assert _clock(workspace, lead).met_at is not None


def test_human_touch_policy_ignores_automated_messages(workspace):
    SlaPolicyFactory(workspace=workspace, met_by="human_touch")
    lead = _new_lead(workspace)
    with workspace_scope(workspace):
        log_activity(
            workspace=workspace, lead=lead, kind="email_sent", channel="email", direction="out"
        )
    assert _clock(workspace, lead).met_at is None


def test_warning_and_breach_each_notify_the_owner_once(workspace, rep):
    RoutingRuleFactory(workspace=workspace, member=rep)
    SlaPolicyFactory(workspace=workspace, minutes=10, warn_at_percent=50)
    lead = _new_lead(workspace)
    assert _tick(MONDAY_10AM + timedelta(minutes=6)) == (1, 0)
    assert _tick(MONDAY_10AM + timedelta(minutes=7)) == (0, 0)
    assert _tick(MONDAY_10AM + timedelta(minutes=11)) == (0, 1)
    assert _tick(MONDAY_10AM + timedelta(minutes=12)) == (0, 0)
    with workspace_scope(workspace):
        kinds = sorted(Notification.objects.filter(recipient=rep).values_list("kind", flat=True))
        timeline = set(Activity.objects.filter(lead=lead).values_list("kind", flat=True))
    assert kinds == ["assigned", "sla_breach", "sla_warning"]
    assert {"sla_warning", "sla_breached"} <= timeline


def test_breach_also_tells_the_managers(workspace, rep, manager):
    RoutingRuleFactory(workspace=workspace, member=rep)
    SlaPolicyFactory(workspace=workspace, minutes=5)
    _new_lead(workspace)
    _tick(MONDAY_10AM + timedelta(minutes=6))
    with workspace_scope(workspace):
        assert Notification.objects.filter(recipient=manager, kind="sla_breach").count() == 1


def test_met_clock_never_breaches(workspace):
    SlaPolicyFactory(workspace=workspace, minutes=5)
    lead = _new_lead(workspace)
    with workspace_scope(workspace):
        log_activity(workspace=workspace, lead=lead, kind="call", channel="call", direction="out")
    assert _tick(MONDAY_10AM + timedelta(minutes=6)) == (0, 0)


def test_breach_can_reassign_to_the_next_available_rep(workspace, rep):
    other = MembershipFactory(workspace=workspace)
    RoutingRuleFactory(workspace=workspace, member=rep)
    SlaPolicyFactory(workspace=workspace, minutes=5, reassign_on_breach=True)
    lead = _new_lead(workspace)
    _tick(MONDAY_10AM + timedelta(minutes=6))
    with workspace_scope(workspace):
        lead.refresh_from_db()
        reason = Activity.objects.filter(lead=lead, kind="owner_changed").latest("id").summary
    assert lead.owner == other
    assert "SLA was breached" in reason
