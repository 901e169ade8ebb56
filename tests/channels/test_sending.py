from datetime import UTC, datetime

import pytest

from channels import adapters
from channels.adapters.base import ChannelAdapter, ProviderError, SendResult
from channels.compliance import channel_settings
from channels.models import Message, ProviderAccount
from channels.services.sending import Outgoing, send_message
from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Lead
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)  # 12:00 in New York
EMAIL = Outgoing(channel="email", subject="Your roof quote", text="Hi Dana, here it is.")


@pytest.fixture
def scope(workspace):
    with workspace_scope(workspace):
        yield workspace


@pytest.fixture
def lead(scope):
    return LeadFactory(workspace=scope, time_zone="America/New_York")


class ScriptedAdapter(ChannelAdapter):
    """Answers each send with the next scripted outcome: an id, or a ProviderError."""

    provider = "sendgrid"
    script: list = []
    calls = 0

    def send(self, message):
        type(self).calls += 1
        outcome = self.script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return SendResult(outcome)


@pytest.fixture
def scripted(scope, monkeypatch):
    monkeypatch.setitem(adapters.ADAPTERS, ("email", "sendgrid"), f"{__name__}.ScriptedAdapter")
    ScriptedAdapter.script, ScriptedAdapter.calls = [], 0
    settings = channel_settings(scope)
    settings.email_provider = "sendgrid"
    settings.save()
    ProviderAccount.objects.create(workspace=scope, provider="sendgrid")
    return ScriptedAdapter


def _send(scope, lead, **kwargs):
    kwargs.setdefault("now", NOON)
    return send_message(workspace=scope, lead=lead, outgoing=EMAIL, **kwargs)


def test_outbox_send_stores_the_message_as_sent(scope, lead):
    outcome = _send(scope, lead)
    message = Message.objects.get()
    assert outcome.status == "sent"
    assert (message.status, message.provider, message.to_address) == ("sent", "outbox", lead.email)
    assert message.provider_message_id == f"outbox-{message.token}"


def test_sent_message_is_on_the_timeline_as_a_first_touch(scope, lead):
    _send(scope, lead)
    activity = Activity.objects.get(kind="sent")
    assert (activity.channel, activity.direction) == ("email", "out")
    assert "Your roof quote" in activity.summary
    assert Lead.objects.get(pk=lead.pk).first_touch_at is not None


def test_same_dedupe_key_never_sends_twice(scope, lead):
    first = _send(scope, lead, dedupe_key="touch:1")
    second = _send(scope, lead, dedupe_key="touch:1")
    assert (first.status, second.status) == ("sent", "already")
    assert second.message == first.message
    assert Message.objects.count() == 1


def test_deferred_send_writes_nothing(scope, lead):
    settings = channel_settings(scope)
    settings.consent_required_sms = False
    settings.save()
    three_am = datetime(2026, 6, 10, 7, 0, tzinfo=UTC)
    outcome = send_message(
        workspace=scope, lead=lead, outgoing=Outgoing(channel="sms", text="Hi"), now=three_am
    )
    assert outcome.status == "deferred"
    assert outcome.verdict.not_before == datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    assert not Message.objects.exists()
    assert not Activity.objects.filter(kind__in=["sent", "send_blocked"]).exists()


def test_an_email_at_night_goes_out_at_once(scope, lead):
    assert _send(scope, lead, now=datetime(2026, 6, 10, 7, 0, tzinfo=UTC)).status == "sent"


def test_blocked_send_is_an_activity_with_the_reason(scope, lead):
    lead.do_not_email = True
    lead.save()
    outcome = _send(scope, lead)
    activity = Activity.objects.get(kind="send_blocked")
    assert outcome.status == "blocked"
    assert "asked not to be contacted by email" in activity.summary
    assert activity.direction == ""  # a blocked send is no touch
    assert not Message.objects.exists()


def test_provider_without_credentials_fails_in_plain_words(scope, lead, scripted, monkeypatch):
    monkeypatch.setattr(scripted, "required_secrets", ("api_key",))
    outcome = _send(scope, lead)
    assert outcome.status == "failed"
    assert "Settings → Channels" in outcome.reason
    assert Activity.objects.filter(kind="send_failed").exists()


def test_provider_refusal_marks_the_message_failed_with_the_reason(scope, lead, scripted):
    scripted.script = [ProviderError("SendGrid refused the API key.", status=401)]
    outcome = _send(scope, lead, dedupe_key="touch:2")
    message = Message.objects.get()
    assert (message.status, message.error, message.retryable) == (
        "failed",
        "SendGrid refused the API key.",
        False,
    )
    assert outcome.retryable is False


def test_a_non_retryable_failure_is_not_sent_again(scope, lead, scripted):
    scripted.script = [ProviderError("Timed out: it may have been sent.")]
    _send(scope, lead, dedupe_key="touch:3")
    outcome = _send(scope, lead, dedupe_key="touch:3")
    assert outcome.status == "already"
    assert scripted.calls == 1


def test_a_retryable_failure_is_retried_on_the_same_message(scope, lead, scripted):
    scripted.script = [ProviderError("SendGrid is busy.", retryable=True), "sg-123"]
    _send(scope, lead, dedupe_key="touch:4")
    outcome = _send(scope, lead, dedupe_key="touch:4")
    message = Message.objects.get()
    assert outcome.status == "sent"
    assert (message.attempts, message.provider_message_id) == (2, "sg-123")


def test_retries_stop_after_the_attempt_limit(scope, lead, scripted, settings):
    settings.SEND_MAX_ATTEMPTS = 2
    busy = ProviderError("SendGrid is busy.", retryable=True)
    scripted.script = [busy, busy, "never"]
    for _ in range(3):
        _send(scope, lead, dedupe_key="touch:5")
    assert scripted.calls == 2


def test_sms_records_its_segment_count(scope, lead):
    lead.do_not_sms = False
    lead.save()
    settings = channel_settings(scope)
    settings.consent_required_sms = False
    settings.save()
    send_message(
        workspace=scope, lead=lead, outgoing=Outgoing(channel="sms", text="x" * 161), now=NOON
    )
    assert Message.objects.get().segments == 2


def test_a_reps_assignment_alert_goes_out_as_a_text(
    scope, monkeypatch, django_capture_on_commit_callbacks
):
    from scoring.models import RepAvailability
    from scoring.services.notifications import notify_assignment
    from tests.factories import MembershipFactory

    texts = []
    monkeypatch.setattr(
        "channels.adapters.outbox.OutboxAdapter.send",
        lambda self, message: texts.append((message.to_address, message.body_text)),
    )
    rep = MembershipFactory(workspace=scope)
    RepAvailability.objects.create(
        workspace=scope, membership=rep, notify_by_sms=True, mobile_phone="+14155550123"
    )
    lead = LeadFactory(workspace=scope, first_name="Dana", last_name="Kim")
    with django_capture_on_commit_callbacks(execute=True):
        notify_assignment(workspace=scope, lead=lead, owner=rep, reason="Round robin.")
    [(phone, text)] = texts
    assert phone == "+14155550123"
    assert "Dana Kim" in text
