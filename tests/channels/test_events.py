import pytest

from channels.hooks import _LISTENERS, register_lead_signal_listener
from channels.models import Message, Suppression
from channels.services import is_suppressed, suppress_address
from channels.services.events import (
    first_time,
    lead_replied,
    opt_in,
    opt_out,
    record_bounce,
    record_engagement,
    record_status,
)
from channels.services.sending import new_token
from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Lead
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scope(workspace):
    with workspace_scope(workspace):
        yield workspace


@pytest.fixture
def heard():
    signals = []
    saved = list(_LISTENERS)
    register_lead_signal_listener(signals.append)
    yield signals
    _LISTENERS[:] = saved


def _sent(lead, channel="email", **fields):
    return Message.objects.create(
        workspace=lead.workspace,
        lead=lead,
        channel=channel,
        direction="out",
        provider="outbox",
        status=fields.pop("status", "sent"),
        to_address=lead.email if channel == "email" else lead.phone,
        subject="Your quote",
        token=new_token(),
        **fields,
    )


def test_an_event_id_is_applied_once(scope):
    assert first_time(workspace=scope, provider="sendgrid", event_id="ev-1") is True
    assert first_time(workspace=scope, provider="sendgrid", event_id="ev-1") is False


def test_delivery_state_never_moves_backwards(scope):
    message = _sent(LeadFactory(workspace=scope))
    record_status(message=message, status="delivered")
    changed = record_status(message=message, status="sent")
    assert changed is False
    assert Message.objects.get().status == "delivered"
    assert Activity.objects.filter(kind="delivered").count() == 1


def test_an_open_stamps_the_first_time_and_counts_as_delivered(scope):
    message = _sent(LeadFactory(workspace=scope))
    record_engagement(message=message, kind="opened")
    first = Message.objects.get().opened_at
    record_engagement(message=message, kind="opened")
    message.refresh_from_db()
    assert message.opened_at == first
    assert message.status == "delivered"
    assert Activity.objects.filter(kind="opened").count() == 2


def test_a_reply_is_stored_on_the_timeline_and_announced(scope, heard):
    lead = LeadFactory(workspace=scope)
    original = _sent(lead)
    reply = lead_replied(
        workspace=scope,
        lead=lead,
        channel="email",
        text="Sounds good, call me Tuesday.",
        provider="sendgrid",
        in_reply_to=original,
    )
    original.refresh_from_db()
    assert (reply.direction, reply.status) == ("in", "received")
    assert original.replied_at is not None
    assert Lead.objects.get(pk=lead.pk).first_reply_at is not None
    assert [(signal.kind, signal.lead) for signal in heard] == [("replied", lead)]


def test_sms_stop_opts_out_of_every_phone_channel(scope, heard):
    lead = LeadFactory(workspace=scope)
    opt_out(workspace=scope, channel="sms", address=lead.phone, how="replied STOP")
    lead.refresh_from_db()
    assert (lead.do_not_sms, lead.do_not_call, lead.do_not_voicemail) == (True, True, True)
    assert lead.do_not_email is False
    assert is_suppressed(workspace=scope, channel="voicemail", address=lead.phone)
    assert heard[0].kind == "opted_out"


def test_start_lifts_the_opt_out(scope):
    lead = LeadFactory(workspace=scope)
    opt_out(workspace=scope, channel="sms", address=lead.phone, how="replied STOP")
    opt_in(workspace=scope, channel="sms", address=lead.phone, how="replied START")
    lead.refresh_from_db()
    assert lead.do_not_sms is False
    assert not is_suppressed(workspace=scope, channel="sms", address=lead.phone)


def test_start_does_not_lift_a_managers_do_not_call_entry(scope):
    lead = LeadFactory(workspace=scope)
    suppress_address(
        workspace=scope, channel="call", address=lead.phone, reason=Suppression.Reason.MANUAL
    )
    opt_in(workspace=scope, channel="sms", address=lead.phone, how="replied START")
    assert is_suppressed(workspace=scope, channel="call", address=lead.phone)


def test_hard_bounce_suppresses_the_address_and_announces(scope, heard):
    lead = LeadFactory(workspace=scope)
    message = _sent(lead)
    record_bounce(message=message, hard=True, reason="550 mailbox does not exist")
    lead.refresh_from_db()
    assert Message.objects.get().status == "bounced"
    assert lead.do_not_email is True
    assert is_suppressed(workspace=scope, channel="email", address=lead.email)
    assert heard[0].kind == "bounced"


def test_soft_bounce_does_not_suppress(scope, heard):
    lead = LeadFactory(workspace=scope)
    record_bounce(message=_sent(lead), hard=False, reason="mailbox full")
    assert not is_suppressed(workspace=scope, channel="email", address=lead.email)
    assert heard == []


def test_spam_report_suppresses_with_its_own_reason(scope):
    lead = LeadFactory(workspace=scope)
    record_bounce(message=_sent(lead), hard=False, reason="", spam=True)
    assert Suppression.objects.get(channel="email").reason == "spam"
    assert Activity.objects.filter(kind="spam_report").exists()
