"""Sending texts through Twilio: the real SDK against a local Twilio, checked against its spec."""

import pytest

from channels.models import Message, PhoneNumber, Suppression
from channels.services.providers import send_test
from channels.services.sending import Outgoing, send_message
from leads.models import Lead
from tests.channels.conftest_twilio import *  # noqa: F403
from tests.channels.conftest_twilio import NOON, WORKSPACE_NUMBER, assert_twilio_request
from tests.channels.fakes import Reply

pytestmark = pytest.mark.django_db

TEXT = Outgoing(channel="sms", text="Hi Dana, your roof quote is ready.")


def _send(scope, lead, **kwargs):
    return send_message(workspace=scope, lead=lead, outgoing=TEXT, now=NOON, **kwargs)


def _refuse(twilio_api, status, code=None, message="Refused"):
    body = {"code": code, "message": message, "more_info": "", "status": status}
    twilio_api.on("POST", r"/Messages\.json$", Reply(status, body))


def test_text_is_sent_with_a_spec_valid_request(scope, auth_token, lead, twilio_api):
    outcome = _send(scope, lead)
    [request] = twilio_api.requests
    assert_twilio_request(request, "CreateMessage")
    assert request.form["To"] == [lead.phone]
    assert request.form["From"] == [WORKSPACE_NUMBER]
    assert request.form["Body"] == [TEXT.text]
    assert outcome.status == "sent"
    assert outcome.message.provider_message_id == "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"


def test_status_callback_url_names_the_message(scope, auth_token, lead, twilio_api):
    outcome = _send(scope, lead)
    [callback] = twilio_api.requests[0].form["StatusCallback"]
    assert callback.endswith(f"/webhooks/twilio/status/?m={outcome.message.token}")


def test_account_credentials_are_sent_as_basic_auth(scope, auth_token, lead, twilio_api):
    _send(scope, lead)
    request = twilio_api.requests[0]
    assert request.path.startswith("/2010-04-01/Accounts/AC7777")
    assert request.headers["authorization"].startswith("Basic ")


def test_region_in_the_environment_does_not_move_the_host(
    scope, auth_token, lead, twilio_api, monkeypatch
):
    monkeypatch.setenv("TWILIO_REGION", "us1")
    monkeypatch.setenv("TWILIO_EDGE", "ashburn")
    assert _send(scope, lead).status == "sent"
    assert len(twilio_api.requests) == 1


def test_workspace_without_a_twilio_number_fails_in_plain_words(
    scope, auth_token, lead, twilio_api
):
    PhoneNumber.objects.all().delete()
    outcome = _send(scope, lead)
    assert outcome.status == "failed"
    assert "no Twilio number" in outcome.reason
    assert not twilio_api.requests


def test_invalid_number_fails_and_is_not_retried(scope, auth_token, lead, twilio_api):
    _refuse(twilio_api, 400, 21211, "The 'To' number is not a valid phone number.")
    outcome = _send(scope, lead)
    message = Message.objects.get()
    assert (message.status, message.retryable) == ("failed", False)
    assert "not a valid number" in message.error
    assert "21211" in outcome.reason


def test_unsubscribed_recipient_opts_the_number_out(scope, auth_token, lead, twilio_api):
    _refuse(twilio_api, 400, 21610, "Attempt to send to unsubscribed recipient")
    outcome = _send(scope, lead)
    assert "unsubscribed" in outcome.reason
    assert Lead.objects.get(pk=lead.pk).do_not_sms is True
    assert Suppression.objects.filter(channel="sms", reason="opt_out").exists()


def test_unknown_error_code_keeps_twilios_words(scope, auth_token, lead, twilio_api):
    _refuse(twilio_api, 400, 21999, "Something new went wrong.")
    outcome = _send(scope, lead)
    assert outcome.reason == (
        "Twilio refused the text: Something new went wrong. (Twilio error 21999)"
    )


def test_rate_limit_is_retryable(scope, auth_token, lead, twilio_api):
    _refuse(twilio_api, 429, 20429, "Too Many Requests")
    outcome = _send(scope, lead)
    assert (outcome.status, outcome.retryable) == ("failed", True)
    assert "limiting" in outcome.reason


def test_server_error_is_retryable(scope, auth_token, lead, twilio_api):
    _refuse(twilio_api, 503, None, "Service Unavailable")
    outcome = _send(scope, lead)
    assert outcome.retryable is True
    assert "HTTP 503" in outcome.reason


def test_retryable_failure_is_sent_on_the_next_attempt(scope, auth_token, lead, twilio_api):
    _refuse(twilio_api, 503)
    _send(scope, lead, dedupe_key="touch:1")
    twilio_api.replies.pop(0)  # Twilio is back
    outcome = _send(scope, lead, dedupe_key="touch:1")
    assert outcome.status == "sent"
    assert Message.objects.get().attempts == 2


def test_timeout_is_not_retried_because_the_text_may_have_gone(
    scope, auth_token, lead, twilio_api, settings
):
    settings.PROVIDER_TIMEOUT_SECONDS = 0.2
    twilio_api.on("POST", r"/Messages\.json$", Reply(201, hang=True))
    outcome = _send(scope, lead)
    message = Message.objects.get()
    assert (message.status, message.retryable) == ("failed", False)
    assert "did not answer in time" in outcome.reason


def test_unreachable_twilio_is_not_retried(scope, auth_token, lead, settings):
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    outcome = _send(scope, lead)
    assert (outcome.status, outcome.retryable) == ("failed", False)
    assert "Could not reach Twilio" in outcome.reason


def test_unreadable_answer_fails_without_retry(scope, auth_token, lead, twilio_api):
    twilio_api.on("POST", r"/Messages\.json$", Reply(201, "<html>proxy error</html>"))
    outcome = _send(scope, lead)
    assert (outcome.status, outcome.retryable) == ("failed", False)
    assert "could not be read" in outcome.reason


def test_settings_test_send_texts_without_a_status_callback(scope, auth_token, twilio_api):
    result = send_test(workspace=scope, channel="sms", to="+14155550142", text="Testing")
    [request] = twilio_api.requests
    assert_twilio_request(request, "CreateMessage")
    assert "StatusCallback" not in request.form
    assert result.ok, result.text
