"""Sending email through the real sendgrid SDK, against a local SendGrid checked with its spec."""

import pytest

from channels.compliance import channel_settings
from channels.models import Message
from channels.services.sending import Outgoing, send_message
from channels.unsubscribe import unsubscribe_url
from leads.models import Activity
from tests.channels.conftest_sendgrid import *  # noqa: F403
from tests.channels.conftest_sendgrid import API_KEY, NOON, REPLY_DOMAIN, SPEC
from tests.channels.fakes import Reply, assert_matches_spec
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

EMAIL = Outgoing(
    channel="email",
    subject="Your roof quote",
    text="Hi Jordan, here is the quote.",
    html="<html><body><p>Hi Jordan, here is the quote.</p></body></html>",
)


def _send(scope, lead, outgoing=EMAIL, **kwargs):
    return send_message(workspace=scope, lead=lead, outgoing=outgoing, now=NOON, **kwargs)


@pytest.fixture
def sent(scope, lead, sendgrid_account, sendgrid_api):
    """Send one email; return the message and the request SendGrid received."""
    outcome = _send(scope, lead)
    assert outcome.status == "sent", outcome.reason
    [request] = sendgrid_api.requests
    return outcome.message, request


def test_request_matches_sendgrids_spec(sent):
    _, request = sent
    assert_matches_spec(SPEC, request)
    assert request.headers["authorization"] == f"Bearer {API_KEY}"


def test_message_keeps_sendgrids_id(sent):
    message, _ = sent
    assert message.provider_message_id == "sg-msg-0001"


def test_custom_args_name_workspace_message_and_lead(sent, scope, lead):
    message, request = sent
    [personalization] = request.json["personalizations"]
    assert personalization["custom_args"] == {
        "lf_tenant": str(scope.pk),
        "lf_message": str(message.pk),
        "lf_lead": str(lead.pk),
    }
    assert personalization["to"] == [{"email": "jordan.lee@example.com", "name": "Jordan Lee"}]


def test_our_message_id_and_reply_to_carry_the_token(sent):
    message, request = sent
    body = request.json
    assert body["headers"]["Message-ID"] == f"<lf.{message.token}@{REPLY_DOMAIN}>"
    assert body["reply_to"] == {"email": f"reply+{message.token}@{REPLY_DOMAIN}"}
    assert body["from"] == {"email": "alex@acme-roofing.example", "name": "Alex at Acme Roofing"}
    assert message.details["message_id"] == body["headers"]["Message-ID"]


def test_one_click_unsubscribe_headers(sent):
    message, request = sent
    headers = request.json["headers"]
    assert headers["List-Unsubscribe"] == (
        f"<{unsubscribe_url(message)}>, <mailto:unsubscribe+{message.token}@{REPLY_DOMAIN}>"
    )
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_unsubscribe_link_is_in_both_parts(sent):
    message, request = sent
    text, html = (part["value"] for part in request.json["content"])
    link = unsubscribe_url(message)
    assert text.startswith("Hi Jordan")
    assert link in text
    assert f'<a href="{link}" clicktracking="off">' in html
    assert html.endswith("</body></html>")


def test_open_and_click_tracking_are_on(sent):
    _, request = sent
    tracking = request.json["tracking_settings"]
    assert tracking["open_tracking"]["enable"] is True
    assert tracking["click_tracking"]["enable"] is True
    assert tracking["subscription_tracking"]["enable"] is False


def test_text_only_email_gets_a_simple_html_part(scope, lead, sendgrid_account, sendgrid_api):
    _send(scope, lead, Outgoing(channel="email", subject="Hi", text="Line one\nLine <two>"))
    [request] = sendgrid_api.requests
    assert_matches_spec(SPEC, request)
    html = request.json["content"][1]["value"]
    assert html.startswith("<p>Line one<br>Line &lt;two&gt;</p>")


def test_without_reply_domain_replies_go_to_the_sender(scope, lead, sendgrid_account, sendgrid_api):
    settings = channel_settings(scope)
    settings.reply_domain = ""
    settings.save()
    message = _send(scope, lead).message
    [request] = sendgrid_api.requests
    body = request.json
    assert body["reply_to"] == {"email": "alex@acme-roofing.example"}
    assert body["headers"]["List-Unsubscribe"] == f"<{unsubscribe_url(message)}>"
    assert body["headers"]["Message-ID"] == f"<lf.{message.token}@acme-roofing.example>"


def test_answer_to_a_reply_threads_under_it(scope, lead, sendgrid_account, sendgrid_api):
    reply = MessageFactory(
        workspace=scope,
        lead=lead,
        direction="in",
        status="received",
        details={"message_id": "<CAF=abc@mail.example.com>", "references": "<lf.1@x.example>"},
    )
    _send(scope, lead, in_reply_to=reply)
    [request] = sendgrid_api.requests
    assert_matches_spec(SPEC, request)
    headers = request.json["headers"]
    assert headers["In-Reply-To"] == "<CAF=abc@mail.example.com>"
    assert headers["References"] == "<lf.1@x.example> <CAF=abc@mail.example.com>"


def test_missing_sender_address_fails_without_calling_sendgrid(
    scope, lead, sendgrid_account, sendgrid_api
):
    settings = channel_settings(scope)
    settings.from_email = ""
    settings.save()
    outcome = _send(scope, lead)
    assert outcome.status == "failed"
    assert "sender address" in outcome.reason
    assert sendgrid_api.requests == []


# --- SendGrid says no -----------------------------------------------------------------------


def _refused(scope, lead, sendgrid_api, reply: Reply):
    sendgrid_api.on("POST", r"^/v3/mail/send$", reply)
    outcome = _send(scope, lead)
    message = Message.objects.get(pk=outcome.message.pk)
    assert outcome.status == "failed"
    return message


def test_refused_api_key_is_said_in_plain_words(scope, lead, sendgrid_account, sendgrid_api):
    body = {"errors": [{"message": "The provided authorization grant is invalid.", "field": None}]}
    message = _refused(scope, lead, sendgrid_api, Reply(401, body))
    assert message.status == "failed"
    assert message.error.startswith("SendGrid refused the API key")
    assert message.retryable is False


def test_bad_request_names_sendgrids_errors(scope, lead, sendgrid_account, sendgrid_api):
    body = {
        "errors": [
            {"message": "Does not contain a valid address.", "field": "from.email"},
            {"message": "The subject is too long.", "field": "subject"},
        ]
    }
    message = _refused(scope, lead, sendgrid_api, Reply(400, body))
    assert message.error == (
        "SendGrid refused the email: Does not contain a valid address (field from.email); "
        "The subject is too long (field subject)."
    )
    assert message.retryable is False
    assert Activity.objects.filter(kind="send_failed").exists()


def test_rate_limit_is_retried(scope, lead, sendgrid_account, sendgrid_api):
    message = _refused(scope, lead, sendgrid_api, Reply(429, {"errors": []}))
    assert message.retryable is True
    assert "limiting" in message.error


def test_server_error_is_retried(scope, lead, sendgrid_account, sendgrid_api):
    message = _refused(scope, lead, sendgrid_api, Reply(500, "oops"))
    assert message.retryable is True
    assert "HTTP 500" in message.error


def test_timeout_is_not_retried(scope, lead, sendgrid_account, sendgrid_api, settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 0.2
    message = _refused(scope, lead, sendgrid_api, Reply(202, hang=True))
    assert message.retryable is False
    assert message.error.startswith("SendGrid did not answer in time")


def test_unreachable_sendgrid_is_not_retried(scope, lead, sendgrid_account, settings):
    settings.SENDGRID_API_HOST = "http://127.0.0.1:9"  # discard port: nothing listens
    outcome = _send(scope, lead)
    assert outcome.status == "failed"
    assert outcome.retryable is False
    assert outcome.reason.startswith("Could not reach SendGrid")


def test_unverified_sender_without_details_gets_a_hint(scope, lead, sendgrid_account, sendgrid_api):
    message = _refused(scope, lead, sendgrid_api, Reply(403, ""))
    assert "verified sender" in message.error
    assert message.retryable is False
