"""The dev outbox: what would have been sent, and the lead's and provider's side of it, played
through the real webhook endpoints."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from channels.compliance import channel_settings
from channels.models import Message, Provider, ProviderAccount, WebhookEvent
from channels.services.sending import Outgoing, send_message
from leadfollow.tenancy import unscoped, workspace_scope
from leads.models import Activity, Consent, Lead
from leads.services.changes import erase_lead
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)  # 12:00 in New York


@pytest.fixture
def lead(workspace):
    with workspace_scope(workspace):
        lead = LeadFactory(workspace=workspace, time_zone="America/New_York", first_name="Dana")
        for channel in ("sms", "call"):
            Consent.objects.create(
                workspace=workspace, lead=lead, channel=channel, text="Yes", captured_at=NOON
            )
        return lead


def _send(workspace, lead, channel, **extra) -> Message:
    outgoing = Outgoing(channel=channel, subject="Your solar quote", text="Hi Dana!", **extra)
    with workspace_scope(workspace):
        outcome = send_message(workspace=workspace, lead=lead, outgoing=outgoing, now=NOON)
    assert outcome.status == "sent", outcome.reason
    return outcome.message


def _simulate(api_client, message, event, text=""):
    url = reverse("channels:api-outbox-simulate", args=[message.pk])
    return api_client.post(url, {"event": event, "text": text}, format="json")


def _activities(workspace, kind):
    with workspace_scope(workspace):
        return list(Activity.objects.filter(kind=kind))


def test_api_lists_what_the_outbox_sent(api_client, workspace, lead):
    _send(workspace, lead, "email")
    body = api_client.get(reverse("channels:api-outbox")).json()
    [item] = body["results"]
    assert (item["to_address"], item["subject"], item["status"]) == (
        lead.email,
        "Your solar quote",
        "sent",
    )
    assert "replied" in item["events"]


def test_api_filters_by_channel(api_client, workspace, lead):
    _send(workspace, lead, "email")
    _send(workspace, lead, "sms")
    body = api_client.get(reverse("channels:api-outbox"), {"channel": "sms"}).json()
    assert [item["channel"] for item in body["results"]] == ["sms"]


def test_an_event_the_channel_cannot_have_is_a_field_error(api_client, workspace, lead):
    message = _send(workspace, lead, "sms")
    response = _simulate(api_client, message, "opened")
    assert response.status_code == 400
    assert "not possible for sms" in response.json()["event"][0].lower()


def test_an_unknown_event_is_a_field_error(api_client, workspace, lead):
    message = _send(workspace, lead, "sms")
    response = _simulate(api_client, message, "exploded")
    assert response.status_code == 400
    assert "event" in response.json()


def test_unknown_fields_are_named(api_client, workspace, lead):
    message = _send(workspace, lead, "sms")
    url = reverse("channels:api-outbox-simulate", args=[message.pk])
    response = api_client.post(url, {"event": "replied", "txt": "hi"}, format="json")
    assert response.status_code == 400
    assert "txt" in response.json()


def test_simulation_stops_once_a_real_provider_serves_the_channel(api_client, workspace, lead):
    message = _send(workspace, lead, "email")
    with workspace_scope(workspace):
        ProviderAccount.objects.create(workspace=workspace, provider=Provider.SENDGRID)
        settings = channel_settings(workspace)
        settings.email_provider = Provider.SENDGRID
        settings.save()
    response = _simulate(api_client, message, "delivered")
    assert response.status_code == 409


def test_email_reply_goes_through_inbound_parse_and_is_stored(api_client, workspace, lead):
    message = _send(workspace, lead, "email")
    response = _simulate(api_client, message, "replied", "Sounds good, call me.")
    assert response.status_code == 200, response.json()
    assert response.json()["webhook_status"] == 200
    with workspace_scope(workspace):
        reply = Message.objects.get(direction="in")
    assert reply.in_reply_to_id == message.pk
    assert reply.body_text.startswith("Sounds good, call me.")
    assert "you wrote" not in reply.body_text  # quoted history stripped


def test_email_events_arrive_as_signed_sendgrid_batches(api_client, workspace, lead):
    message = _send(workspace, lead, "email")
    for event in ("delivered", "opened", "clicked"):
        assert _simulate(api_client, message, event).json()["webhook_status"] == 200
    with workspace_scope(workspace):
        message.refresh_from_db()
    assert message.status == "delivered"
    assert message.opened_at is not None
    assert message.clicked_at is not None
    with unscoped():
        assert WebhookEvent.objects.filter(provider="sendgrid", status="processed").count() == 3


def test_email_bounce_suppresses_the_address(api_client, workspace, lead):
    message = _send(workspace, lead, "email")
    _simulate(api_client, message, "bounced")
    with workspace_scope(workspace):
        assert Lead.objects.get(pk=lead.pk).do_not_email is True


def test_email_unsubscribe_opts_out(api_client, workspace, lead):
    message = _send(workspace, lead, "email")
    _simulate(api_client, message, "stop")
    assert _activities(workspace, "opted_out")


def test_sms_reply_arrives_as_a_signed_twilio_post(api_client, workspace, lead):
    message = _send(workspace, lead, "sms")
    response = _simulate(api_client, message, "replied", "Yes please")
    assert response.json()["webhook_status"] == 200
    with workspace_scope(workspace):
        reply = Message.objects.get(direction="in")
    assert (reply.channel, reply.body_text) == ("sms", "Yes please")


def test_sms_stop_opts_the_number_out(api_client, workspace, lead):
    message = _send(workspace, lead, "sms")
    _simulate(api_client, message, "stop")
    with workspace_scope(workspace):
        assert Lead.objects.get(pk=lead.pk).do_not_sms is True


def test_sms_delivered_updates_the_status(api_client, workspace, lead):
    message = _send(workspace, lead, "sms")
    _simulate(api_client, message, "delivered")
    with workspace_scope(workspace):
        message.refresh_from_db()
    assert message.status == "delivered"


def test_answered_call_records_the_outcome(api_client, workspace, lead):
    message = _send(workspace, lead, "call", details={"mode": "bridge"})
    response = _simulate(api_client, message, "answered")
    assert response.json()["webhook_status"] == 200
    assert _activities(workspace, "call_completed")


def test_an_erased_lead_s_message_cannot_be_simulated(api_client, workspace, lead):
    message = _send(workspace, lead, "sms")
    with workspace_scope(workspace):
        erase_lead(workspace=workspace, lead_id=lead.pk)
    response = _simulate(api_client, message, "replied", "Still there?")
    assert response.status_code == 409
    assert _activities(workspace, "replied") == []


def test_outbox_page_offers_no_actions_on_an_erased_lead_s_message(rep_client, workspace, lead):
    _send(workspace, lead, "sms")
    with workspace_scope(workspace):
        erase_lead(workspace=workspace, lead_id=lead.pk)
    page = rep_client.get(reverse("channels:outbox")).content.decode()
    assert "Send STOP" not in page


def test_outbox_page_lists_messages_with_their_actions(rep_client, workspace, lead):
    _send(workspace, lead, "sms")
    page = rep_client.get(reverse("channels:outbox")).content.decode()
    assert "Hi Dana!" in page
    assert "Send STOP" in page


def test_outbox_page_button_replies_and_returns_the_row(rep_client, workspace, lead):
    message = _send(workspace, lead, "sms")
    response = rep_client.post(
        reverse("channels:outbox-simulate", args=[message.pk]),
        {"event": "replied", "text": "Call me at 5"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Call me at 5" in response.content.decode()


def test_outbox_page_shows_a_refused_event_in_the_row(rep_client, workspace, lead):
    message = _send(workspace, lead, "sms")
    response = rep_client.post(
        reverse("channels:outbox-simulate", args=[message.pk]),
        {"event": "opened"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "not possible" in response.content.decode()
