"""Erasing a lead blanks its messages and empties the providers' webhooks about them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels.models import Message, WebhookEvent
from channels.services.erase import ERASED_EVENT_ERROR
from channels.services.suppression import suppress_address
from channels.tasks import MAX_PROCESSING_ATTEMPTS, retry_failed_webhooks
from leadfollow.tenancy import unscoped, workspace_scope
from leads.services.changes import erase_lead
from tests.factories import LeadFactory, MessageFactory

pytestmark = pytest.mark.django_db

PHONE = "+14155552671"


def _erase(workspace, lead) -> None:
    with workspace_scope(workspace):
        erase_lead(workspace=workspace, lead_id=lead.pk)


def _fresh(row):
    with unscoped():
        return type(row).objects.get(pk=row.pk)


def _event(workspace, body: str, **fields) -> WebhookEvent:
    with workspace_scope(workspace):
        return WebhookEvent.objects.create(
            workspace=workspace,
            provider="twilio",
            kind="sms",
            dedupe_key=f"SM{WebhookEvent.objects.count()}",
            url="https://app.example/webhooks/twilio/sms/",
            headers={"x-twilio-signature": "sig"},
            body=body,
            **fields,
        )


def _sms(workspace, lead, **fields) -> Message:
    return MessageFactory(
        workspace=workspace,
        lead=lead,
        channel="sms",
        provider="twilio",
        to_address=lead.phone,
        from_address="+14155550100",
        body_text="Hi Dana, still keen on the roof?",
        provider_message_id="SM0123456789abcdef0123456789abcdef",
        **fields,
    )


def test_erasing_a_lead_blanks_its_messages_words_and_addresses(workspace):
    lead = LeadFactory(workspace=workspace, phone=PHONE)
    message = _sms(
        workspace,
        lead,
        subject="Roof",
        body_html="<p>Hi Dana</p>",
        error=f"Could not reach {PHONE}",
        details={"media": ["https://api.twilio.example/Media/ME1"], "recording_url": "https://r"},
    )
    _erase(workspace, lead)
    fresh = _fresh(message)
    words = (fresh.to_address, fresh.from_address, fresh.subject, fresh.body_text, fresh.body_html)
    assert (words, fresh.error, fresh.details) == (("",) * 5, "", {})


def test_erasing_a_lead_keeps_its_messages_counted(workspace):
    lead = LeadFactory(workspace=workspace, phone=PHONE)
    message = _sms(workspace, lead, status="delivered")
    _erase(workspace, lead)
    fresh = _fresh(message)
    assert (fresh.lead_id, fresh.channel, fresh.direction, fresh.status, fresh.sent_at) == (
        lead.pk,
        "sms",
        "out",
        "delivered",
        message.sent_at,
    )


def test_erasing_a_lead_empties_a_webhook_carrying_its_number(workspace):
    lead = LeadFactory(workspace=workspace, phone=PHONE)
    event = _event(
        workspace, "From=%2B14155552671&Body=Call+me", status=WebhookEvent.Status.PROCESSED
    )
    _erase(workspace, lead)
    fresh = _fresh(event)
    assert (fresh.body, fresh.headers, fresh.status) == ("", {}, WebhookEvent.Status.PROCESSED)


def test_erasing_a_lead_empties_a_webhook_naming_one_of_its_messages(workspace):
    lead = LeadFactory(workspace=workspace, phone=PHONE)
    message = _sms(workspace, lead)
    event = _event(workspace, f"MessageSid={message.provider_message_id}&MessageStatus=sent")
    _erase(workspace, lead)
    assert _fresh(event).body == ""


def test_erasing_a_lead_empties_a_webhook_carrying_its_email(workspace):
    lead = LeadFactory(workspace=workspace, email="dana.k@x.example", phone=None)
    event = _event(workspace, '[{"email": "Dana.K@x.example", "event": "open"}]')
    _erase(workspace, lead)
    assert _fresh(event).body == ""


def test_a_webhook_not_yet_applied_is_closed_when_its_lead_is_erased(workspace):
    lead = LeadFactory(workspace=workspace, phone=PHONE)
    event = _event(workspace, "From=%2B14155552671&Body=Call+me")
    _erase(workspace, lead)
    fresh = _fresh(event)
    assert (fresh.status, fresh.error, fresh.attempts) == (
        WebhookEvent.Status.FAILED,
        ERASED_EVENT_ERROR,
        MAX_PROCESSING_ATTEMPTS,
    )


def test_an_emptied_webhook_is_never_retried(workspace):
    lead = LeadFactory(workspace=workspace, phone=PHONE)
    _event(workspace, "From=%2B14155552671&Body=Call+me")
    _erase(workspace, lead)
    assert retry_failed_webhooks(now=timezone.now() + timedelta(minutes=5)) == 0


def test_erasing_a_lead_leaves_another_leads_messages_and_webhooks(workspace):
    lead = LeadFactory(workspace=workspace, phone=PHONE)
    other = LeadFactory(workspace=workspace, phone="+14155550199")
    message = _sms(workspace, other)
    event = _event(workspace, "From=%2B14155550199&Body=Yes")
    _erase(workspace, lead)
    assert (_fresh(message).body_text, _fresh(event).body) == (message.body_text, event.body)


def test_erasing_a_lead_leaves_the_same_person_in_another_workspace(workspace, other_workspace):
    lead = LeadFactory(workspace=workspace, phone=PHONE)
    theirs = LeadFactory(workspace=other_workspace, phone=PHONE)
    message = _sms(other_workspace, theirs)
    event = _event(other_workspace, "From=%2B14155552671&Body=Call+me")
    _erase(workspace, lead)
    assert (_fresh(message).to_address, _fresh(event).body) == (PHONE, event.body)


def test_erasing_a_lead_drops_the_masked_hint_of_its_earlier_opt_out(workspace):
    lead = LeadFactory(workspace=workspace, phone=PHONE)
    with workspace_scope(workspace):
        opt_out = suppress_address(
            workspace=workspace, channel="sms", address=PHONE, reason="opt_out", label="+1***2671"
        )
    _erase(workspace, lead)
    fresh = _fresh(opt_out)
    assert (fresh.label, fresh.reason) == ("", "opt_out")


def test_a_short_provider_id_does_not_empty_other_webhooks(workspace):
    lead = LeadFactory(workspace=workspace, phone=PHONE)
    MessageFactory(workspace=workspace, lead=lead, provider_message_id="42")
    event = _event(workspace, '{"drop_id": "4217", "phone_number": "+12125550143"}')
    _erase(workspace, lead)
    assert _fresh(event).body == event.body
