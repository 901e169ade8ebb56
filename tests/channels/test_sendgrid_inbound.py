"""Replies through SendGrid Inbound Parse: matched to their conversation, stored stripped of the
quoted history, and announced before SendGrid hears back."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels import hooks
from channels.models import Message, ProviderAccount, Suppression, WebhookEvent
from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Lead
from tests.channels.conftest_sendgrid import *  # noqa: F403
from tests.channels.conftest_sendgrid import INBOUND_SECRET, REPLY_DOMAIN
from tests.factories import LeadFactory, MessageFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[1] / "vendor_specs" / "fixtures"
QUOTED = "Thanks, Tuesday works for me.\n\nOn Thu, May 14, 2026 Alex wrote:\n> Shall we meet?\n"


def _fields(message, **overrides) -> dict:
    """Inbound Parse's default fields (the vendor fixture), addressed to the message's token."""
    fields = json.loads((FIXTURE / "sendgrid_inbound_parse.json").read_text())["fields"]
    to = f"reply+{message.token}@{REPLY_DOMAIN}"
    fields.update(
        {
            "to": to,
            "envelope": json.dumps({"to": [to], "from": "jordan.lee@example.com"}),
            "text": QUOTED,
            "headers": fields["headers"].replace("reply+m_1001", f"reply+{message.token}"),
        }
    )
    fields.update(overrides)
    return fields


def _post(client, fields: dict, key: str = INBOUND_SECRET):
    data = {**fields, "attachment1": SimpleUploadedFile("floorplan.pdf", b"%PDF-1.4")}
    url = reverse("channels:sendgrid-inbound") + f"?key={key}"
    return client.post(url, data=data)


def _reply() -> Message:
    return Message.objects.get(direction="in")


def test_reply_is_matched_by_its_reply_to_token(client, sendgrid_account, sent_email):
    response = _post(client, _fields(sent_email))
    assert response.status_code == 200
    reply = _reply()
    assert reply.in_reply_to_id == sent_email.pk
    assert (reply.lead_id, reply.channel, reply.provider) == (
        sent_email.lead_id,
        "email",
        "sendgrid",
    )
    assert reply.subject == "Re: Your quote"


def test_quoted_history_is_stripped(client, sendgrid_account, sent_email):
    _post(client, _fields(sent_email))
    assert _reply().body_text == "Thanks, Tuesday works for me."


def test_reply_is_matched_by_in_reply_to(client, sendgrid_account, sent_email):
    headers = (
        f"From: Jordan <jordan.lee@example.com>\nIn-Reply-To: <lf.{sent_email.token}@x.example>\n"
    )
    fields = _fields(
        sent_email,
        to="Sales <sales@acme-roofing.example>",
        envelope=json.dumps({"to": ["sales@acme-roofing.example"]}),
        headers=headers,
    )
    assert _post(client, fields).status_code == 200
    assert _reply().in_reply_to_id == sent_email.pk


def test_reply_is_matched_by_sendgrids_message_id(client, sendgrid_account, sent_email):
    fields = _fields(
        sent_email,
        to="sales@acme-roofing.example",
        envelope="{}",
        headers="In-Reply-To: <5kTqzWY8QlqgdpjJ1L3ZxQ@geopod-ismtpd-3>\n",
    )
    assert _post(client, fields).status_code == 200
    assert _reply().in_reply_to_id == sent_email.pk


def test_reply_pauses_follow_ups_within_the_request(
    client, sendgrid_account, sent_email, monkeypatch
):
    heard = []
    monkeypatch.setattr(hooks, "_LISTENERS", [heard.append])  # as the cadence engine listens
    _post(client, _fields(sent_email))
    assert [(signal.kind, signal.lead.pk) for signal in heard] == [("replied", sent_email.lead_id)]
    assert Activity.objects.filter(kind="replied").count() == 1


def test_reply_from_another_address_stays_with_the_lead(client, sendgrid_account, sent_email):
    _post(client, _fields(sent_email, **{"from": "Pat <pat@jordans-office.example>"}))
    reply = _reply()
    assert reply.lead_id == sent_email.lead_id
    assert reply.from_address == "pat@jordans-office.example"
    assert reply.details["sender_differs"] is True


def test_reply_keeps_its_message_id_for_threading(client, sendgrid_account, sent_email):
    _post(client, _fields(sent_email))
    assert _reply().details["message_id"] == "<CAF=abc123@mail.example.com>"


def test_retried_delivery_is_stored_once(client, sendgrid_account, sent_email):
    _post(client, _fields(sent_email))
    _post(client, _fields(sent_email))
    assert WebhookEvent.objects.get().deliveries == 2
    assert Message.objects.filter(direction="in").count() == 1


def test_raw_mime_mode_is_understood(client, sendgrid_account, sent_email):
    raw = (
        "From: Jordan Lee <jordan.lee@example.com>\r\n"
        f"To: reply+{sent_email.token}@{REPLY_DOMAIN}\r\n"
        "Subject: Re: Your roof quote\r\n"
        "Message-ID: <raw-1@mail.example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Call me tomorrow.\r\n\r\nOn Mon, Alex wrote:\r\n> Hello\r\n"
    )
    response = _post(client, {"email": raw, "envelope": "{}"})
    assert response.status_code == 200
    assert _reply().body_text == "Call me tomorrow."


def test_unsubscribe_address_opts_the_lead_out(client, sendgrid_account, sent_email):
    to = f"unsubscribe+{sent_email.token}@{REPLY_DOMAIN}"
    _post(client, _fields(sent_email, to=to, envelope=json.dumps({"to": [to]})))
    assert Lead.objects.get(pk=sent_email.lead_id).do_not_email is True
    assert Suppression.objects.filter(reason="opt_out", channel="email").exists()
    assert not Message.objects.filter(direction="in").exists()


def test_wrong_key_is_refused(client, sendgrid_account, sent_email):
    assert _post(client, _fields(sent_email), key="guess").status_code == 403
    assert not WebhookEvent.objects.exists()


def test_missing_key_is_refused(client, sendgrid_account, sent_email):
    response = client.post(reverse("channels:sendgrid-inbound"), data=_fields(sent_email))
    assert response.status_code == 403


def test_another_workspaces_key_is_refused(client, sendgrid_account, sent_email, other_workspace):
    with workspace_scope(other_workspace):
        account = ProviderAccount(workspace=other_workspace, provider="sendgrid")
        account.secrets = {"api_key": "SG.other", "inbound_secret": "other-secret"}
        account.save()
    assert _post(client, _fields(sent_email), key="other-secret").status_code == 403


def test_outbox_key_is_accepted_for_its_workspace(client, sent_email, scope):
    account = ProviderAccount(workspace=scope, provider="outbox")
    account.secrets = {"inbound_secret": "outbox-secret"}
    account.save()
    assert _post(client, _fields(sent_email), key="outbox-secret").status_code == 200


def test_email_to_no_workspaces_address_is_answered_and_dropped(
    client, sendgrid_account, sent_email
):
    fields = _fields(
        sent_email,
        to="reply+0000@x.example",
        envelope="{}",
        headers="In-Reply-To: <someone-else@mail.example>\n",
    )
    assert _post(client, fields).status_code == 200
    assert not WebhookEvent.objects.exists()


def test_token_of_a_text_message_does_not_make_a_conversation(client, sendgrid_account, scope):
    text = MessageFactory(workspace=scope, lead=LeadFactory(workspace=scope), channel="sms")
    assert _post(client, _fields(text, headers="")).status_code == 200
    assert _reply().in_reply_to_id is None


def test_form_without_addresses_is_a_400(client, sendgrid_account):
    response = client.post(reverse("channels:sendgrid-inbound"), data={"subject": "hi"})
    assert response.status_code == 400


def test_reply_is_stored_with_no_scope_open_beforehand(client, workspace):
    with workspace_scope(workspace):
        account = ProviderAccount(workspace=workspace, provider="sendgrid")
        account.secrets = {"api_key": "SG.key", "inbound_secret": INBOUND_SECRET}
        account.save()
        message = MessageFactory(workspace=workspace, lead=LeadFactory(workspace=workspace))
    # The webhook finds and opens the workspace itself.
    assert _post(client, _fields(message)).status_code == 200
    with workspace_scope(workspace):
        assert _reply().in_reply_to_id == message.pk


def test_unreadable_raw_email_is_a_400(client, sendgrid_account, sent_email):
    raw = (
        f"To: reply+{sent_email.token}@{REPLY_DOMAIN}\r\n"
        "Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nhello\r\n"
    )
    assert _post(client, {"email": raw}).status_code == 400
