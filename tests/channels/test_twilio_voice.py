"""Calls through Twilio: click-to-call bridges, voicemail drops with machine detection, the TwiML
our voice routes answer with, and call outcomes on the timeline."""

import pytest
from django.test import TestCase
from django.urls import reverse

from channels.compliance import channel_settings
from channels.models import Message, WebhookEvent
from channels.services.calls import start_click_to_call
from channels.services.providers import send_test
from channels.services.sending import Outgoing, send_message
from leadfollow.errors import InvalidInput
from leads.models import Activity
from tests.channels.conftest_twilio import *  # noqa: F403
from tests.channels.conftest_twilio import (
    NOON,
    WORKSPACE_NUMBER,
    assert_twilio_request,
    signed_post,
)
from tests.channels.fakes import Reply

pytestmark = pytest.mark.django_db

REP_PHONE = "+14155550142"
AUDIO = "https://cdn.example.com/drops/spring-offer.mp3"
CALL_SID = "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"  # the spec's example answer


def _call(scope, lead, rep) -> Message:
    outcome = start_click_to_call(
        workspace=scope, lead=lead, rep=rep, rep_phone="(415) 555-0142", now=NOON
    )
    assert outcome.status == "sent", outcome.reason
    return outcome.message


def _drop(scope, lead, **details) -> Message:
    outgoing = Outgoing(channel="call", text="Hi, it's Acme.", details={"mode": "drop", **details})
    outcome = send_message(workspace=scope, lead=lead, outgoing=outgoing, now=NOON)
    assert outcome.status == "sent", outcome.reason
    return outcome.message


def _post(client, path, params, token):
    """Post as Twilio would, running the work queued for after the commit (tasks) at once."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return signed_post(client, path, params, token)


def _voice(client, token, message, route, **params):
    path = reverse("channels:twilio-voice", args=[route]) + f"?m={message.token}"
    return _post(client, path, {"CallSid": CALL_SID, **params}, token)


def _call_status(client, token, message, status, sequence, **params):
    path = reverse("channels:twilio-status") + f"?m={message.token}"
    params = {"CallSid": CALL_SID, "CallStatus": status, "SequenceNumber": sequence, **params}
    return _post(client, path, params, token)


def _on_timeline(kind="call_completed"):
    return list(Activity.objects.filter(kind=kind).values_list("summary", flat=True))


# --- click-to-call ----------------------------------------------------------------------------


def test_click_to_call_rings_the_rep_from_the_workspace_number(
    scope, auth_token, lead, rep, twilio_api
):
    message = _call(scope, lead, rep)
    [request] = twilio_api.requests
    assert_twilio_request(request, "CreateCall")
    assert request.form["To"] == [REP_PHONE]
    assert request.form["From"] == [WORKSPACE_NUMBER]
    assert request.form["Url"] == [
        f"http://127.0.0.1:8000/webhooks/twilio/voice/bridge/?m={message.token}"
    ]
    assert request.form["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert "MachineDetection" not in request.form


def test_click_to_call_keeps_the_bridge_on_the_message(scope, auth_token, lead, rep, twilio_api):
    message = _call(scope, lead, rep)
    assert (message.channel, message.to_address, message.sent_by) == ("call", lead.phone, rep)
    assert message.details["rep_phone"] == REP_PHONE
    assert message.provider_message_id == CALL_SID


def test_click_to_call_to_an_opted_out_lead_is_blocked(scope, auth_token, lead, rep, twilio_api):
    lead.do_not_call = True
    lead.save()
    outcome = start_click_to_call(
        workspace=scope, lead=lead, rep=rep, rep_phone=REP_PHONE, now=NOON
    )
    assert outcome.status == "blocked"
    assert not twilio_api.requests


def test_click_to_call_needs_a_valid_rep_phone(scope, auth_token, lead, rep, twilio_api):
    with pytest.raises(InvalidInput) as error:
        start_click_to_call(workspace=scope, lead=lead, rep=rep, rep_phone="12", now=NOON)
    assert error.value.field == "rep_phone"


def test_bridge_twiml_whispers_then_dials_the_lead(
    client, scope, auth_token, lead, rep, twilio_api
):
    message = _call(scope, lead, rep)
    response = _voice(client, auth_token, message, "bridge", CallStatus="in-progress")
    twiml = response.content.decode()
    assert response["Content-Type"].startswith("text/xml")
    assert "<Say>Calling Dana Reyes now.</Say>" in twiml
    assert f'callerId="{WORKSPACE_NUMBER}"' in twiml
    assert f"<Number>{lead.phone}</Number>" in twiml


def test_bridge_route_refuses_a_bad_signature(client, scope, auth_token, lead, rep, twilio_api):
    message = _call(scope, lead, rep)
    path = reverse("channels:twilio-voice", args=["bridge"]) + f"?m={message.token}"
    assert signed_post(client, path, {"CallSid": CALL_SID}, "forged").status_code == 403


def test_answered_bridge_records_the_leads_leg(client, scope, auth_token, lead, rep, twilio_api):
    message = _call(scope, lead, rep)
    _voice(
        client, auth_token, message, "dialed", DialCallStatus="completed", DialCallDuration="192"
    )
    _call_status(client, auth_token, message, "completed", "3", CallDuration="230")
    assert _on_timeline() == ["Call answered, 3 min 12 s"]
    message.refresh_from_db()
    assert (message.status, message.details["duration_seconds"]) == ("delivered", 192)


def test_lead_not_answering_a_bridge_is_a_no_answer(
    client, scope, auth_token, lead, rep, twilio_api
):
    message = _call(scope, lead, rep)
    _voice(client, auth_token, message, "dialed", DialCallStatus="no-answer", DialCallDuration="0")
    _call_status(client, auth_token, message, "completed", "3", CallDuration="31")
    assert _on_timeline() == ["No answer"]


def test_rep_not_answering_says_the_lead_was_never_dialled(
    client, scope, auth_token, lead, rep, twilio_api
):
    message = _call(scope, lead, rep)
    _call_status(client, auth_token, message, "no-answer", "2")
    assert _on_timeline() == ["Not connected: the rep's phone did not answer"]


def test_repeated_and_late_call_callbacks_change_nothing(
    client, scope, auth_token, lead, twilio_api
):
    message = _drop(scope, lead, audio_url=AUDIO)
    _call_status(client, auth_token, message, "no-answer", "2")
    _call_status(client, auth_token, message, "no-answer", "2")
    _call_status(client, auth_token, message, "ringing", "1")
    message.refresh_from_db()
    assert _on_timeline() == ["No answer"]
    assert message.status == "undelivered"
    assert WebhookEvent.objects.get(dedupe_key=f"{CALL_SID}:no-answer:2").deliveries == 2


# --- voicemail drops --------------------------------------------------------------------------


def test_voicemail_drop_detects_the_machine_asynchronously(scope, auth_token, lead, twilio_api):
    message = _drop(scope, lead, audio_url=AUDIO)
    [request] = twilio_api.requests
    assert_twilio_request(request, "CreateCall")
    assert request.form["To"] == [lead.phone]
    assert request.form["MachineDetection"] == ["DetectMessageEnd"]
    assert request.form["AsyncAmd"] == ["true"]
    assert request.form["AsyncAmdStatusCallback"] == [
        f"http://127.0.0.1:8000/webhooks/twilio/voice/amd/?m={message.token}"
    ]


def test_voicemail_drop_without_a_recording_or_text_is_not_placed(
    scope, auth_token, lead, twilio_api
):
    outgoing = Outgoing(channel="call", details={"mode": "drop"})
    outcome = send_message(workspace=scope, lead=lead, outgoing=outgoing, now=NOON)
    assert (outcome.status, outcome.retryable) == ("failed", False)
    assert not twilio_api.requests


def test_drop_route_holds_the_line_until_detection_decides(
    client, scope, auth_token, lead, twilio_api
):
    message = _drop(scope, lead, audio_url=AUDIO)
    twiml = _voice(client, auth_token, message, "drop").content.decode()
    assert "<Pause" in twiml
    assert "<Play>" not in twiml


def test_drop_route_plays_the_recording_to_a_machine(client, scope, auth_token, lead, twilio_api):
    message = _drop(scope, lead, audio_url=AUDIO)
    twiml = _voice(client, auth_token, message, "drop", AnsweredBy="machine_end_beep")
    assert f"<Play>{AUDIO}</Play><Hangup />" in twiml.content.decode()


def test_machine_detected_steers_the_call_to_play_the_recording(
    client, scope, auth_token, lead, twilio_api
):
    message = _drop(scope, lead, audio_url=AUDIO)
    _voice(client, auth_token, message, "amd", AnsweredBy="machine_end_beep")
    update = twilio_api.requests[-1]
    assert_twilio_request(update, "UpdateCall")
    assert update.path.endswith(f"/Calls/{CALL_SID}.json")
    assert f"<Play>{AUDIO}</Play>" in update.form["Twiml"][0]


def test_person_answering_a_drop_hears_a_polite_goodbye(
    client, scope, auth_token, lead, twilio_api
):
    message = _drop(scope, lead, audio_url=AUDIO)
    _voice(client, auth_token, message, "amd", AnsweredBy="human")
    twiml = twilio_api.requests[-1].form["Twiml"][0]
    assert "Hello, this is Acme Roofing." in twiml
    assert twiml.endswith("<Hangup /></Response>")
    assert "<Play>" not in twiml


def test_person_answering_a_drop_is_connected_when_the_setting_says_so(
    client, scope, auth_token, lead, twilio_api
):
    found = channel_settings(scope)
    found.human_answers = "connect"
    found.save()
    message = _drop(scope, lead, audio_url=AUDIO, connect_to="+14155550188")
    twiml = _voice(client, auth_token, message, "drop", AnsweredBy="human").content.decode()
    assert "<Number>+14155550188</Number>" in twiml
    assert "<Hangup" not in twiml


def test_steering_a_call_that_already_ended_is_noted_not_retried(
    client, scope, auth_token, lead, twilio_api
):
    message = _drop(scope, lead, audio_url=AUDIO)
    body = {"code": 21220, "message": "Call is not in-progress", "status": 400}
    twilio_api.on("POST", r"/Calls/CA\w+\.json$", Reply(400, body))
    _voice(client, auth_token, message, "amd", AnsweredBy="machine_end_beep")
    message.refresh_from_db()
    assert "21220" in message.details["amd_error"]
    assert message.details["answered_by"] == "machine_end_beep"


def test_drop_reaching_a_machine_is_a_voicemail_left(client, scope, auth_token, lead, twilio_api):
    message = _drop(scope, lead, audio_url=AUDIO)
    _call_status(
        client,
        auth_token,
        message,
        "completed",
        "3",
        CallDuration="38",
        AnsweredBy="machine_end_beep",
    )
    assert _on_timeline() == ["Voicemail left, 38 s"]


def test_voice_route_for_a_text_message_is_a_404(client, scope, auth_token, lead, twilio_api):
    outcome = send_message(
        workspace=scope, lead=lead, outgoing=Outgoing(channel="sms", text="Hi"), now=NOON
    )
    response = _voice(client, auth_token, outcome.message, "drop")
    assert response.status_code == 404


def test_settings_test_call_says_the_text(scope, auth_token, twilio_api):
    result = send_test(workspace=scope, channel="call", to="+14155550142", text="Testing")
    [request] = twilio_api.requests
    assert_twilio_request(request, "CreateCall")
    assert request.form["Twiml"] == [
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Testing</Say><Hangup /></Response>'
    ]
    assert result.ok, result.text
