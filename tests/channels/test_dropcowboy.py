"""Ringless voicemail through Drop Cowboy: the drop request, its failures, and the signed result
webhook. Drop Cowboy publishes no OpenAPI file, so the fake server's recorded requests are checked
against the shape its current API documents (see vendor-specs/RVM.md)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from channels.adapters.dropcowboy import idempotency_key
from channels.compliance import channel_settings
from channels.models import Message, Provider, ProviderAccount, WebhookEvent
from channels.outbox import simulate
from channels.services.sending import Outgoing, new_token, send_message
from leadfollow.tenancy import unscoped, workspace_scope
from leads.models import Activity, Consent
from tests.channels.fakes import FakeProvider, Reply
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)  # 12:00 in New York
SECRET = "whsec-test-" + uuid.uuid4().hex
QUEUED = Reply(202, {"status": "queued", "message_id": "drop-8f2c"})
DROP = Outgoing(channel="voicemail", text="Hi Dana, it's Sam from Acme Roofing.")
WEBHOOK = reverse("channels:rvm", args=["dropcowboy"])


@pytest.fixture
def fake(settings):
    provider = FakeProvider().start()
    settings.DROPCOWBOY_API_BASE_URL = provider.url
    settings.PROVIDER_TIMEOUT_SECONDS = 0.5
    settings.BASE_URL = "https://app.leadfollow.test"
    yield provider
    provider.stop()


@pytest.fixture
def scope(workspace):
    with workspace_scope(workspace):
        yield workspace


@pytest.fixture
def account(scope):
    account = ProviderAccount(
        workspace=scope,
        provider=Provider.DROPCOWBOY,
        options={"phone_line_id": "line-77", "brand_id": "brand-3", "media_id": "media-default"},
    )
    account.secrets = {"api_key": "key-123", "api_secret": "secret-456", "webhook_secret": SECRET}
    account.save()
    settings = channel_settings(scope)
    settings.voicemail_provider = Provider.DROPCOWBOY
    settings.save()
    return account


@pytest.fixture
def lead(scope):
    lead = LeadFactory(workspace=scope, first_name="Dana", time_zone="America/New_York")
    Consent.objects.create(
        workspace=scope, lead=lead, channel="voicemail", text="Yes, call me", captured_at=NOON
    )
    return lead


def _send(scope, lead, outgoing=DROP, **kwargs):
    kwargs.setdefault("now", NOON)
    return send_message(workspace=scope, lead=lead, outgoing=outgoing, **kwargs)


# --- Sending ----------------------------------------------------------------------------------


def test_drop_is_posted_with_the_account_keys_and_an_idempotency_key(fake, account, lead):
    fake.on("POST", r"^/rvm$", QUEUED)
    outcome = _send(account.workspace, lead)
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/rvm")
    assert request.headers["content-type"] == "application/json"
    assert (request.headers["x-key"], request.headers["x-secret"]) == ("key-123", "secret-456")
    assert request.headers["idempotency-key"] == str(uuid.UUID(request.headers["idempotency-key"]))
    assert request.headers["idempotency-key"] == idempotency_key(outcome.message)


def test_drop_body_names_number_line_recording_brand_and_callback(fake, account, lead):
    fake.on("POST", r"^/rvm$", QUEUED)
    message = _send(account.workspace, lead).message
    assert fake.requests[0].json == {
        "to": lead.phone,
        "phone_line_id": "line-77",
        "media_id": "media-default",
        "foreign_id": message.token,
        "callback_url": f"https://app.leadfollow.test{WEBHOOK}?m={message.token}",
        "brand_id": "brand-3",
    }


def test_the_steps_own_recording_wins_over_the_default(fake, account, lead):
    fake.on("POST", r"^/rvm$", QUEUED)
    _send(account.workspace, lead, Outgoing(channel="voicemail", details={"media_id": "m-9"}))
    assert fake.requests[0].json["media_id"] == "m-9"


def test_without_a_recording_the_text_is_read_by_a_voice(fake, account, lead):
    account.options = {"phone_line_id": "line-77"}
    account.save()
    fake.on("POST", r"^/rvm$", QUEUED)
    outgoing = Outgoing(channel="voicemail", text="Hi Dana!", details={"voice_id": "v-amy"})
    _send(account.workspace, lead, outgoing)
    body = fake.requests[0].json
    assert (body["voice_id"], body["tts_body"]) == ("v-amy", "Hi Dana!")
    assert "media_id" not in body
    assert "brand_id" not in body


def test_text_longer_than_drop_cowboy_reads_fails_before_calling_it(fake, account, lead):
    account.options = {"phone_line_id": "line-77", "voice_id": "v-amy"}
    account.save()
    outcome = _send(account.workspace, lead, Outgoing(channel="voicemail", text="a" * 1201))
    assert outcome.status == "failed"
    assert "1,200" in outcome.reason
    assert fake.requests == []


def test_queued_drop_marks_the_message_sent_with_the_drop_id(fake, account, lead):
    fake.on("POST", r"^/rvm$", QUEUED)
    outcome = _send(account.workspace, lead)
    assert outcome.status == "sent"
    assert (outcome.message.status, outcome.message.provider_message_id) == ("sent", "drop-8f2c")


def test_a_retry_after_a_server_error_reuses_the_idempotency_key(fake, account, lead):
    fake.on("POST", r"^/rvm$", Reply(503, {"message": "try later"}))
    first = _send(account.workspace, lead, dedupe_key="touch:1")
    fake.on("POST", r"^/rvm$", QUEUED)
    second = _send(account.workspace, lead, dedupe_key="touch:1")
    assert (first.status, first.retryable) == ("failed", True)
    assert second.status == "sent"
    keys = {request.headers["idempotency-key"] for request in fake.requests}
    assert len(fake.requests) == 2
    assert len(keys) == 1


def test_a_timeout_is_retryable_because_the_key_makes_it_safe(fake, account, lead):
    fake.on("POST", r"^/rvm$", Reply(202, hang=True))
    outcome = _send(account.workspace, lead)
    assert (outcome.status, outcome.retryable) == ("failed", True)
    assert "did not answer in time" in outcome.message.error


def test_rate_limiting_is_retryable(fake, account, lead):
    fake.on("POST", r"^/rvm$", Reply(429, {"message": "slow down"}))
    outcome = _send(account.workspace, lead)
    assert (outcome.status, outcome.retryable) == ("failed", True)


def test_bad_credentials_are_named_in_plain_words_and_not_retried(fake, account, lead):
    fake.on("POST", r"^/rvm$", Reply(401, {"message": "Unauthorized"}))
    outcome = _send(account.workspace, lead)
    assert (outcome.status, outcome.retryable) == ("failed", False)
    assert "refused the API key or secret" in outcome.message.error


def test_a_refusal_with_a_reason_code_is_explained(fake, account, lead):
    fake.on("POST", r"^/rvm$", Reply(400, {"message": "Insufficient funds", "reason_code": 3000}))
    outcome = _send(account.workspace, lead)
    assert (outcome.status, outcome.retryable) == ("failed", False)
    assert "no funds left" in outcome.message.error


def test_an_unexplained_refusal_carries_the_providers_words(fake, account, lead):
    fake.on("POST", r"^/rvm$", Reply(422, {"message": "brand_id is not approved"}))
    outcome = _send(account.workspace, lead)
    assert outcome.message.error == "Drop Cowboy refused the voicemail: brand_id is not approved."
    assert outcome.retryable is False


def test_missing_credentials_fail_without_a_request(fake, account, lead):
    account.secrets = {"api_key": "key-123"}
    account.save()
    outcome = _send(account.workspace, lead)
    assert outcome.status == "failed"
    assert "api_secret" in outcome.reason
    assert fake.requests == []


# --- The signed result webhook ----------------------------------------------------------------


@pytest.fixture
def drop(account, lead):
    return Message.objects.create(
        workspace=account.workspace,
        lead=lead,
        channel="voicemail",
        direction="out",
        provider=Provider.DROPCOWBOY,
        status="sent",
        to_address=lead.phone,
        token=new_token(),
        provider_message_id="drop-8f2c",
    )


def _event(message, code=0, reason="Delivered", event="contact.rvm.status", **data) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "event": event,
        "event_at": "2026-06-10T16:05:00Z",
        "data": {
            "team_id": "team-1",
            "contact_id": "c-1",
            "drop_id": message.provider_message_id,
            "campaign_type": "rvm",
            "status": "success" if code == 0 else "failure",
            "reason": reason,
            "reason_code": code,
            "to": message.to_address,
            "from": "+12125550100",
            **data,
        },
    }


def _post(client, body, *, token="", secret=SECRET, timestamp=None, event_id=None, signature=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    headers = {
        "HTTP_X_TIMESTAMP": timestamp,
        "HTTP_X_SIGNATURE": signature if signature is not None else f"sha256={digest}",
    }
    if event_id or isinstance(body, dict):
        headers["HTTP_X_EVENT_ID"] = event_id or body["event_id"]
    url = WEBHOOK + (f"?m={token}" if token else "")
    return client.post(url, raw, content_type="application/json", **headers)


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """Post a signed event and run the processing task it queues."""

    def post(body, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return _post(client, body, **kwargs)

    return post


def _reloaded(message) -> Message:
    with workspace_scope(message.workspace):
        return Message.objects.get(pk=message.pk)


def test_a_signed_delivery_marks_the_voicemail_left(deliver, drop):
    response = deliver(_event(drop), token=drop.token)
    message = _reloaded(drop)
    assert response.status_code == 200
    assert (message.status, message.details["outcome"]) == ("delivered", "voicemail")
    with workspace_scope(drop.workspace):
        [activity] = Activity.objects.filter(kind="call_completed")
    assert activity.summary == "Voicemail left in the lead's mailbox"


def test_a_status_webhook_without_the_token_is_matched_by_number_and_drop_id(deliver, drop):
    response = deliver(_event(drop))
    assert response.status_code == 200
    assert _reloaded(drop).status == "delivered"


def test_a_bad_signature_is_refused_and_nothing_is_stored(client, drop):
    response = _post(client, _event(drop), token=drop.token, secret="not-the-secret")
    assert response.status_code == 403
    with unscoped():
        assert not WebhookEvent.objects.exists()


def test_a_missing_signature_is_refused(client, drop):
    assert _post(client, _event(drop), token=drop.token, signature="").status_code == 403


def test_a_stale_timestamp_is_refused_even_when_signed(client, drop):
    stale = int(time.time()) - 301
    assert _post(client, _event(drop), token=drop.token, timestamp=stale).status_code == 403


def test_a_signed_body_that_is_not_json_is_a_400(client, drop):
    response = _post(client, b"{not json", token=drop.token, event_id="evt-1")
    assert response.status_code == 400


def test_an_unknown_message_token_is_a_404(client, drop):
    assert _post(client, _event(drop), token="f" * 24).status_code == 404


def test_an_unknown_drop_is_a_404(client, drop):
    body = _event(drop, drop_id="drop-nobody-sent")
    assert _post(client, body).status_code == 404


def test_another_workspaces_secret_cannot_sign_for_this_message(client, drop, other_workspace):
    with workspace_scope(other_workspace):
        theirs = ProviderAccount(workspace=other_workspace, provider=Provider.DROPCOWBOY)
        theirs.secrets = {"webhook_secret": "their-secret"}
        theirs.save()
    response = _post(client, _event(drop), token=drop.token, secret="their-secret")
    assert response.status_code == 403


def test_a_retried_event_is_recorded_once(deliver, drop):
    body = _event(drop)
    deliver(body, token=drop.token)
    deliver(body, token=drop.token)
    with unscoped():
        event = WebhookEvent.objects.get()
    assert event.deliveries == 2
    with workspace_scope(drop.workspace):
        assert Activity.objects.filter(kind="call_completed").count() == 1


@pytest.mark.parametrize(
    ("code", "words", "final"),
    [
        (4001, "no voicemail box set up", True),
        (4002, "voicemail box is full", True),
        (3000, "no funds left", False),
        (3001, "cannot use the recording", False),
        (3007, "refused the API key or secret", False),
        (4010, "no usable phone line", False),
        (6011, "provider has no consent on file", True),
    ],
)
def test_each_failure_code_is_explained(deliver, drop, code, words, final):
    deliver(_event(drop, code=code, reason="provider text"), token=drop.token)
    message = _reloaded(drop)
    assert message.status == "failed"
    assert words in message.error
    assert message.details["final"] is final


def test_an_unknown_failure_code_keeps_the_providers_reason(deliver, drop):
    deliver(_event(drop, code=5123, reason="Carrier rejected the drop"), token=drop.token)
    message = _reloaded(drop)
    assert message.status == "failed"
    assert message.error == "Drop Cowboy could not leave the voicemail: Carrier rejected the drop."


def test_a_failure_is_on_the_timeline(deliver, drop):
    deliver(_event(drop, code=4002, reason="Mailbox full"), token=drop.token)
    with workspace_scope(drop.workspace):
        [activity] = Activity.objects.filter(kind="failed")
    assert "voicemail box is full" in activity.summary


def test_a_receipt_keeps_the_proof_recording(deliver, drop):
    body = _event(drop, event="contact.rvm.receipt", proof_of_delivery_url="https://p.test/1.mp3")
    deliver(body, token=drop.token)
    message = _reloaded(drop)
    assert message.details["proof_of_delivery_url"] == "https://p.test/1.mp3"
    assert message.status == "sent"


def test_the_outbox_plays_drop_cowboy_with_its_own_key(
    scope, lead, settings, django_capture_on_commit_callbacks
):
    settings.BASE_URL = "https://app.leadfollow.test"
    outcome = _send(scope, lead)
    with django_capture_on_commit_callbacks(execute=True):
        simulated = simulate(workspace=scope, message=outcome.message, event="no_answer")
    message = _reloaded(outcome.message)
    assert simulated.answer.status == 200
    assert message.status == "failed"
    assert "no voicemail box" in message.error
