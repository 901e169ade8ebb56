"""Voicemail drops set to "connect a person who answers": put through to the lead's owner, or
an apology and a timeline note when there is nobody to connect to."""

import pytest
from django.test import TestCase
from django.urls import reverse

from channels.compliance import channel_settings
from channels.models import Message
from channels.services.sending import Outgoing, send_message
from leads.models import Activity, Lead
from scoring.models import RepAvailability
from tests.channels.conftest_twilio import *  # noqa: F403
from tests.channels.conftest_twilio import NOON, signed_post
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

AUDIO = "https://cdn.example.com/drops/spring-offer.mp3"
CALL_SID = "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
OWNER_MOBILE = "+14155550188"


@pytest.fixture
def connecting(scope, auth_token):
    found = channel_settings(scope)
    found.human_answers = "connect"
    found.save()
    return auth_token


def _owned_by(lead, mobile: str | None) -> None:
    owner = MembershipFactory(workspace=lead.workspace)
    if mobile is not None:
        RepAvailability.objects.create(
            workspace=lead.workspace, membership=owner, mobile_phone=mobile
        )
    Lead.objects.filter(pk=lead.pk).update(owner=owner)
    lead.refresh_from_db()


def _drop(scope, lead, **details) -> Message:
    outgoing = Outgoing(channel="call", text="Hi, it's Acme.", details={"mode": "drop", **details})
    outcome = send_message(workspace=scope, lead=lead, outgoing=outgoing, now=NOON)
    assert outcome.status == "sent", outcome.reason
    return outcome.message


def _voice(client, token, message, route, **params):
    path = reverse("channels:twilio-voice", args=[route]) + f"?m={message.token}"
    with TestCase.captureOnCommitCallbacks(execute=True):
        return signed_post(client, path, {"CallSid": CALL_SID, **params}, token)


def _notes() -> list[str]:
    return list(
        Activity.objects.filter(kind="call_not_connected").values_list("summary", flat=True)
    )


def test_a_drop_is_sent_with_the_owners_mobile_to_connect_to(scope, connecting, lead, twilio_api):
    _owned_by(lead, "(415) 555-0188")
    assert _drop(scope, lead, audio_url=AUDIO).details["connect_to"] == OWNER_MOBILE


def test_a_person_answering_is_put_through_to_the_owner(
    client, scope, connecting, lead, twilio_api
):
    _owned_by(lead, OWNER_MOBILE)
    message = _drop(scope, lead, audio_url=AUDIO)
    twiml = _voice(client, connecting, message, "drop", AnsweredBy="human").content.decode()
    assert f"<Number>{OWNER_MOBILE}</Number>" in twiml


def test_a_number_the_sender_chose_to_connect_to_is_kept(scope, connecting, lead, twilio_api):
    _owned_by(lead, OWNER_MOBILE)
    message = _drop(scope, lead, audio_url=AUDIO, connect_to="+14155550199")
    assert message.details["connect_to"] == "+14155550199"


def test_with_the_hang_up_setting_no_one_is_looked_up(scope, auth_token, lead, twilio_api):
    _owned_by(lead, OWNER_MOBILE)
    details = _drop(scope, lead, audio_url=AUDIO).details
    assert ("connect_to" in details, "connect_missing" in details) == (False, False)


def test_a_person_answering_a_drop_for_a_lead_without_an_owner_hears_the_apology(
    client, scope, connecting, lead, twilio_api
):
    message = _drop(scope, lead, audio_url=AUDIO)
    twiml = _voice(client, connecting, message, "drop", AnsweredBy="human").content.decode()
    assert "Sorry, we will try you again at a better time." in twiml
    assert twiml.endswith("<Hangup /></Response>")


def test_the_timeline_says_why_a_person_who_answered_was_not_put_through(
    client, scope, connecting, lead, twilio_api
):
    _owned_by(lead, None)
    message = _drop(scope, lead, audio_url=AUDIO)
    _voice(client, connecting, message, "drop", AnsweredBy="human")
    assert _notes() == [
        "A person answered the automated call but could not be put through: "
        "the lead's owner has no mobile number in their settings"
    ]


def test_the_not_put_through_note_is_written_once_per_call(
    client, scope, connecting, lead, twilio_api
):
    message = _drop(scope, lead, audio_url=AUDIO)
    _voice(client, connecting, message, "drop", AnsweredBy="human")
    _voice(client, connecting, message, "amd", AnsweredBy="human")
    assert len(_notes()) == 1


def test_a_machine_answering_writes_no_note(client, scope, connecting, lead, twilio_api):
    message = _drop(scope, lead, audio_url=AUDIO)
    _voice(client, connecting, message, "amd", AnsweredBy="machine_end_beep")
    assert _notes() == []
