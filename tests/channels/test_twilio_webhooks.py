"""Twilio's requests to us: inbound texts and status callbacks, signed and verified."""

import json

import pytest
from django.urls import reverse
from twilio.request_validator import RequestValidator

from channels.compliance import channel_settings
from channels.models import Message, WebhookEvent
from channels.outbox import outbox_account, outbox_number
from channels.services.sending import Outgoing, send_message
from leadfollow.tenancy import unscoped, workspace_scope
from leads.models import Activity, Lead
from tests.channels.conftest_twilio import *  # noqa: F403
from tests.channels.conftest_twilio import NOON, WORKSPACE_NUMBER, signed_post
from tests.channels.fakes import SPECS
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

SMS_PATH = "/webhooks/twilio/sms/"


def _inbound(lead_phone: str, body: str, sid: str = "SM" + "1" * 32) -> dict:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "7" * 32,
        "From": lead_phone,
        "To": WORKSPACE_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }


def _text(client, token, lead_phone, body, **extra):
    return signed_post(client, SMS_PATH, {**_inbound(lead_phone, body), **extra}, token)


def _sent_text(scope, lead) -> Message:
    outgoing = Outgoing(channel="sms", text="Want a quote?")
    return send_message(workspace=scope, lead=lead, outgoing=outgoing, now=NOON).message


def _status(client, token, message, **params):
    path = reverse("channels:twilio-status") + f"?m={message.token}"
    return signed_post(client, path, params, token)


# --- signatures -------------------------------------------------------------------------------


def test_signature_matches_the_known_vectors():
    vectors = json.loads((SPECS / "fixtures/twilio_signature_vectors.json").read_text())
    for vector in vectors["vectors"]:
        params = vector.get("params")
        if vector["fixture"]:
            params = json.loads((SPECS / "fixtures" / vector["fixture"]).read_text())["params"]
        validator = RequestValidator(vector["auth_token"])
        assert validator.validate(vector["url"], params, vector["X-Twilio-Signature"])


def test_bad_signature_is_refused_and_nothing_stored(client, auth_token, lead):
    response = signed_post(client, SMS_PATH, _inbound(lead.phone, "hi"), "not-the-token")
    assert response.status_code == 403
    with unscoped():
        assert not WebhookEvent.objects.exists()


def test_missing_signature_is_refused(client, auth_token, lead):
    response = signed_post(client, SMS_PATH, _inbound(lead.phone, "hi"), auth_token, signature="")
    assert response.status_code == 403


def test_signature_over_other_fields_is_refused(client, auth_token, lead):
    params = _inbound(lead.phone, "hi")
    url = "http://127.0.0.1:8000" + SMS_PATH
    signature = RequestValidator(auth_token).compute_signature(url, {**params, "Body": "bye"})
    response = signed_post(client, SMS_PATH, params, auth_token, signature=signature)
    assert response.status_code == 403


def test_text_to_an_unknown_number_is_a_404(client, auth_token, lead):
    params = {**_inbound(lead.phone, "hi"), "To": "+14155559999"}
    assert signed_post(client, SMS_PATH, params, auth_token).status_code == 404


def test_text_without_a_sender_is_a_400(client, auth_token):
    params = _inbound("", "hi")
    assert signed_post(client, SMS_PATH, params, auth_token).status_code == 400


def test_json_body_is_a_400(client, auth_token):
    response = client.post(SMS_PATH, data={"To": WORKSPACE_NUMBER}, content_type="application/json")
    assert response.status_code == 400


# --- inbound texts ----------------------------------------------------------------------------


def test_reply_is_recorded_against_the_last_text(client, scope, auth_token, lead, twilio_api):
    sent = _sent_text(scope, lead)
    response = _text(client, auth_token, lead.phone, "Yes, Tuesday works")
    reply = Message.objects.get(direction="in")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert "<Message>" not in response.content.decode()
    assert (reply.body_text, reply.in_reply_to_id, reply.provider) == (
        "Yes, Tuesday works",
        sent.pk,
        "twilio",
    )


def test_text_from_an_unknown_number_makes_a_new_lead(client, scope, auth_token):
    _text(client, auth_token, "+14155550177", "Do you fit solar panels?")
    lead = Lead.objects.get(phone="+14155550177")
    assert Message.objects.get(direction="in").lead == lead
    assert Activity.objects.filter(lead=lead, kind="replied").exists()


@pytest.mark.parametrize("word", ["STOP", " stop ", "Stop all", "unsubscribe", "QUIT", "revoke"])
def test_stop_keywords_opt_the_number_out(client, scope, auth_token, lead, word):
    _text(client, auth_token, lead.phone, word)
    assert Lead.objects.get(pk=lead.pk).do_not_sms is True
    assert not Message.objects.filter(direction="in").exists()


def test_stop_is_applied_before_twilio_hears_back(client, scope, auth_token, lead):
    _text(client, auth_token, lead.phone, "STOP")
    event = WebhookEvent.objects.get()
    assert event.status == "processed"


@pytest.mark.parametrize("word", ["START", "unstop", "Yes"])
def test_start_keywords_opt_back_in(client, scope, auth_token, lead, word):
    _text(client, auth_token, lead.phone, "STOP", MessageSid="SM" + "2" * 32)
    _text(client, auth_token, lead.phone, word)
    assert Lead.objects.get(pk=lead.pk).do_not_sms is False


def test_yes_from_a_lead_who_never_opted_out_is_a_reply(client, scope, auth_token, lead):
    _text(client, auth_token, lead.phone, "Yes")
    assert Message.objects.get(direction="in").body_text == "Yes"


def test_help_answers_with_the_workspace_help_text(client, scope, auth_token, lead):
    found = channel_settings(scope)
    found.help_text = "Acme Roofing: quotes by text. Reply STOP to stop."
    found.save()
    response = _text(client, auth_token, lead.phone, "help")
    assert "<Message>Acme Roofing: quotes by text. Reply STOP to stop.</Message>" in (
        response.content.decode()
    )
    assert not Message.objects.filter(direction="in").exists()


def test_help_without_help_text_names_the_workspace_and_stop(client, scope, auth_token, lead):
    body = _text(client, auth_token, lead.phone, "INFO").content.decode()
    assert "Acme Roofing" in body
    assert "Reply STOP to opt out" in body


def test_duplicate_delivery_is_recorded_once(client, scope, auth_token, lead):
    _text(client, auth_token, lead.phone, "Call me")
    _text(client, auth_token, lead.phone, "Call me")
    assert Message.objects.filter(direction="in").count() == 1
    assert WebhookEvent.objects.get().deliveries == 2
    assert Activity.objects.filter(kind="replied").count() == 1


def test_outbox_number_is_verified_with_the_outbox_token(client, scope, lead):
    token = outbox_account(scope).secrets["twilio_auth_token"]
    params = {**_inbound(lead.phone, "Hello"), "To": outbox_number(scope)}
    assert signed_post(client, SMS_PATH, params, token).status_code == 200
    assert Message.objects.get(direction="in").provider == "outbox"


# --- status callbacks -------------------------------------------------------------------------


def test_delivered_callback_marks_the_text_delivered(
    client, scope, auth_token, lead, twilio_api, django_capture_on_commit_callbacks
):
    sent = _sent_text(scope, lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = _status(
            client, auth_token, sent, MessageSid=sent.provider_message_id, MessageStatus="delivered"
        )
    sent.refresh_from_db()
    assert response.status_code == 200
    assert sent.status == "delivered"


def test_undelivered_callback_explains_the_error(
    client, scope, auth_token, lead, twilio_api, django_capture_on_commit_callbacks
):
    sent = _sent_text(scope, lead)
    with django_capture_on_commit_callbacks(execute=True):
        _status(
            client,
            auth_token,
            sent,
            MessageSid=sent.provider_message_id,
            MessageStatus="undelivered",
            ErrorCode="30006",
        )
    sent.refresh_from_db()
    assert sent.status == "undelivered"
    assert sent.error == ("The number is a landline or cannot receive texts (Twilio error 30006)")


def test_opted_out_error_on_delivery_opts_the_number_out(
    client, scope, auth_token, lead, twilio_api, django_capture_on_commit_callbacks
):
    sent = _sent_text(scope, lead)
    with django_capture_on_commit_callbacks(execute=True):
        _status(
            client,
            auth_token,
            sent,
            MessageSid=sent.provider_message_id,
            MessageStatus="failed",
            ErrorCode="21610",
        )
    assert Lead.objects.get(pk=lead.pk).do_not_sms is True


def test_late_sent_callback_never_moves_a_delivered_text_back(
    client, scope, auth_token, lead, twilio_api, django_capture_on_commit_callbacks
):
    sent = _sent_text(scope, lead)
    sid = sent.provider_message_id
    with django_capture_on_commit_callbacks(execute=True):
        _status(client, auth_token, sent, MessageSid=sid, MessageStatus="delivered")
        _status(client, auth_token, sent, MessageSid=sid, MessageStatus="sent")
        _status(client, auth_token, sent, MessageSid=sid, MessageStatus="queued")
    sent.refresh_from_db()
    assert sent.status == "delivered"
    assert WebhookEvent.objects.count() == 3


def test_status_for_an_unknown_message_is_a_404(client, auth_token):
    path = reverse("channels:twilio-status") + "?m=nosuchtoken"
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    assert signed_post(client, path, params, auth_token).status_code == 404


def test_status_without_a_message_token_is_a_400(client, auth_token):
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    assert (
        signed_post(client, reverse("channels:twilio-status"), params, auth_token).status_code
        == 400
    )


def test_status_with_a_bad_signature_is_refused(client, scope, auth_token, lead, twilio_api):
    sent = _sent_text(scope, lead)
    path = reverse("channels:twilio-status") + f"?m={sent.token}"
    params = {"MessageSid": sent.provider_message_id, "MessageStatus": "delivered"}
    assert signed_post(client, path, params, "forged").status_code == 403


def test_status_for_another_workspaces_message_needs_its_token(
    client, auth_token, other_workspace, lead, twilio_api
):
    with workspace_scope(other_workspace):
        other = LeadFactory(workspace=other_workspace)
        message = Message.objects.create(
            workspace=other_workspace,
            lead=other,
            channel="sms",
            direction="out",
            provider="twilio",
            status="sent",
            to_address=other.phone,
            token="othertoken",
        )
    path = reverse("channels:twilio-status") + f"?m={message.token}"
    params = {"MessageSid": "SM9", "MessageStatus": "delivered"}
    assert signed_post(client, path, params, auth_token).status_code == 403
