from datetime import UTC, datetime, time

import pytest

from channels.compliance import channel_settings, check_send
from channels.services import suppress_address
from leadfollow.tenancy import workspace_scope
from leads.models import Consent
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)  # 12:00 in New York


@pytest.fixture
def scope(workspace):
    with workspace_scope(workspace):
        yield workspace


def _consent(lead, channel):
    Consent.objects.create(
        workspace=lead.workspace, lead=lead, channel=channel, text="Yes, text me.", captured_at=NOON
    )


def _lead(workspace, **fields):
    fields.setdefault("time_zone", "America/New_York")
    return LeadFactory(workspace=workspace, **fields)


def test_email_inside_the_window_is_allowed(scope):
    verdict = check_send(workspace=scope, lead=_lead(scope), channel="email", now=NOON)
    assert verdict.allowed


def test_lead_without_a_phone_cannot_be_texted(scope):
    verdict = check_send(workspace=scope, lead=_lead(scope, phone=None), channel="sms", now=NOON)
    assert (verdict.outcome, verdict.code) == ("blocked", "no_address")


def test_opted_out_lead_is_blocked_with_the_reason(scope):
    lead = _lead(scope, do_not_email=True)
    verdict = check_send(workspace=scope, lead=lead, channel="email", now=NOON)
    assert verdict.code == "opted_out"
    assert "asked not to be contacted by email" in verdict.reason


def test_suppressed_address_is_blocked(scope):
    lead = _lead(scope)
    suppress_address(workspace=scope, channel="email", address=lead.email, reason="bounce")
    verdict = check_send(workspace=scope, lead=lead, channel="email", now=NOON)
    assert verdict.code == "suppressed"


def test_sms_needs_recorded_consent_when_the_workspace_requires_it(scope):
    verdict = check_send(workspace=scope, lead=_lead(scope), channel="sms", now=NOON)
    assert verdict.code == "no_consent"


def test_sms_with_consent_inside_the_window_is_allowed(scope):
    lead = _lead(scope)
    _consent(lead, "sms")
    assert check_send(workspace=scope, lead=lead, channel="sms", now=NOON).allowed


def test_sms_consent_does_not_cover_ringless_voicemail(scope):
    lead = _lead(scope)
    _consent(lead, "sms")
    verdict = check_send(workspace=scope, lead=lead, channel="voicemail", now=NOON)
    assert verdict.code == "no_consent"


def test_call_consent_covers_ringless_voicemail(scope):
    lead = _lead(scope)
    _consent(lead, "call")
    assert check_send(workspace=scope, lead=lead, channel="voicemail", now=NOON).allowed


def test_workspace_may_send_sms_without_consent_when_it_says_so(scope):
    settings = channel_settings(scope)
    settings.consent_required_sms = False
    settings.save()
    assert check_send(workspace=scope, lead=_lead(scope), channel="sms", now=NOON).allowed


def test_text_at_3am_lead_time_waits_for_8am_lead_time(scope):
    lead = _lead(scope, time_zone="America/Los_Angeles")
    _consent(lead, "sms")
    three_am_la = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)
    verdict = check_send(workspace=scope, lead=lead, channel="sms", now=three_am_la)
    assert verdict.deferred
    assert verdict.not_before == datetime(2026, 6, 10, 15, 0, tzinfo=UTC)  # 08:00 PDT
    assert "08:00 lead time" in verdict.reason


def test_text_at_10pm_lead_time_waits_for_the_next_morning(scope):
    lead = _lead(scope, time_zone="Europe/Paris")
    _consent(lead, "sms")
    ten_pm_paris = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)
    verdict = check_send(workspace=scope, lead=lead, channel="sms", now=ten_pm_paris)
    assert verdict.not_before == datetime(2026, 6, 11, 6, 0, tzinfo=UTC)  # 08:00 CEST


def test_window_opening_after_a_dst_change_keeps_8am_local(scope):
    lead = _lead(scope, time_zone="America/New_York")
    _consent(lead, "sms")
    # Saturday 7 March 2026, 23:00 EST; clocks go forward overnight.
    late_saturday = datetime(2026, 3, 8, 4, 0, tzinfo=UTC)
    verdict = check_send(workspace=scope, lead=lead, channel="sms", now=late_saturday)
    assert verdict.not_before == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # 08:00 EDT


def test_time_zone_comes_from_the_phone_when_the_lead_has_none(scope):
    lead = LeadFactory(workspace=scope, time_zone="", phone="+14155552671")
    _consent(lead, "sms")
    early = datetime(2026, 6, 10, 13, 0, tzinfo=UTC)  # 09:00 New York, 06:00 California
    assert check_send(workspace=scope, lead=lead, channel="sms", now=early).deferred


def test_time_zone_falls_back_to_the_workspace(scope):
    scope.time_zone = "Asia/Tokyo"
    scope.save()
    # +1 500 numbers are not tied to one zone by the numbering plan.
    lead = LeadFactory(workspace=scope, time_zone="", phone="+15005550006")
    _consent(lead, "sms")
    midnight_tokyo = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)
    verdict = check_send(workspace=scope, lead=lead, channel="sms", now=midnight_tokyo)
    assert verdict.deferred


def test_email_is_not_held_by_quiet_hours(scope):
    midnight = datetime(2026, 6, 10, 4, 0, tzinfo=UTC)
    assert check_send(workspace=scope, lead=_lead(scope), channel="email", now=midnight).allowed


def test_a_call_at_midnight_waits_for_the_window(scope):
    lead = _lead(scope)
    _consent(lead, "call")
    midnight = datetime(2026, 6, 10, 4, 0, tzinfo=UTC)
    assert check_send(workspace=scope, lead=lead, channel="call", now=midnight).deferred


def test_custom_quiet_hours_apply(scope):
    settings = channel_settings(scope)
    settings.quiet_hours_start, settings.quiet_hours_end = time(10, 0), time(17, 0)
    settings.save()
    nine_am = datetime(2026, 6, 10, 13, 0, tzinfo=UTC)
    lead = _lead(scope)
    _consent(lead, "sms")
    verdict = check_send(workspace=scope, lead=lead, channel="sms", now=nine_am)
    assert verdict.not_before == datetime(2026, 6, 10, 14, 0, tzinfo=UTC)
