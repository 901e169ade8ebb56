"""The dev outbox plays the lead and the provider.

Each simulated event is built the way the real provider would send it (Twilio's form posts with an
`X-Twilio-Signature`, SendGrid's signed event batches and inbound parse posts, Drop Cowboy's HMAC
webhooks), signed with keys the outbox keeps for its workspace, and handed to the same
`channels.webhooks.receive` that real providers reach. So the demo runs the real flow end to end.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.urls import reverse
from twilio.request_validator import RequestValidator

from channels.adapters.outbox import OUTBOX_EMAIL_DOMAIN, outbox_number
from channels.compliance import channel_settings
from channels.models import Channel, Message, PhoneNumber, Provider, ProviderAccount
from channels.webhooks import IncomingWebhook, WebhookAnswer, receive
from leadfollow.errors import Conflict, InvalidInput

EVENTS_BY_CHANNEL = {
    Channel.EMAIL: ("delivered", "opened", "clicked", "bounced", "replied", "stop"),
    Channel.SMS: ("delivered", "replied", "stop"),
    Channel.CALL: ("answered", "no_answer", "voicemail"),
    Channel.VOICEMAIL: ("delivered", "voicemail", "no_answer"),
}
EVENT_LABELS = {
    "delivered": "Mark delivered",
    "opened": "Open it",
    "clicked": "Click the link",
    "bounced": "Bounce",
    "replied": "Reply",
    "stop": "Send STOP",
    "answered": "Answer",
    "no_answer": "Miss the call",
    "voicemail": "Voicemail",
}
DEFAULT_REPLY = "Thanks for reaching out. Could you call me tomorrow morning?"


def outbox_account(workspace) -> ProviderAccount:
    """The outbox's own keys for the workspace, made on first use, and its fictional number."""
    account = ProviderAccount.objects.filter(workspace=workspace, provider=Provider.OUTBOX).first()
    if account is None:
        private = ec.generate_private_key(ec.SECP256R1())
        public_der = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        account = ProviderAccount(
            workspace=workspace,
            provider=Provider.OUTBOX,
            options={
                "account_sid": "AC" + hashlib.md5(f"outbox-{workspace.pk}".encode()).hexdigest(),  # noqa: S324 - an id, not a secret
                "sendgrid_event_public_key": base64.b64encode(public_der).decode(),
            },
        )
        account.secrets = {
            "twilio_auth_token": secrets.token_hex(16),
            "sendgrid_event_private_key": pem,
            "inbound_secret": secrets.token_urlsafe(24),
            "rvm_webhook_secret": secrets.token_urlsafe(24),
        }
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError:  # made by a concurrent request
            account = ProviderAccount.objects.get(workspace=workspace, provider=Provider.OUTBOX)
    PhoneNumber.objects.get_or_create(
        number=outbox_number(workspace),
        defaults={"workspace": workspace, "provider": Provider.OUTBOX, "label": "Dev outbox"},
    )
    return account


def outbox_active(workspace, channel: str) -> bool:
    return channel_settings(workspace).provider_for(channel) == Provider.OUTBOX


@dataclass(frozen=True)
class Simulated:
    event: str
    answer: WebhookAnswer


def simulate(*, workspace, message: Message, event: str, text: str = "") -> Simulated:
    """Act as the lead or the provider on one outbox message."""
    if message.provider != Provider.OUTBOX or message.direction != Message.Direction.OUTBOUND:
        raise InvalidInput("Only messages the outbox sent can be simulated.", field="message")
    if message.lead.erased_at:
        raise Conflict(
            "This lead's personal data was erased: nothing more can happen to its messages.",
            code="lead_erased",
        )
    if not outbox_active(workspace, message.channel):
        raise Conflict(
            f"{Channel(message.channel).label} goes through a real provider now: its events "
            "come from that provider, not from the outbox.",
            code="outbox_inactive",
        )
    allowed = EVENTS_BY_CHANNEL[message.channel]
    if event not in allowed:
        raise InvalidInput(
            f"“{event}” is not possible for {Channel(message.channel).in_a_sentence}: "
            f"use one of {', '.join(allowed)}.",
            field="event",
        )
    account = outbox_account(workspace)
    builder = _BUILDERS[(message.channel, event)]
    provider, route, incoming = builder(account, message, text.strip() or DEFAULT_REPLY)
    return Simulated(event, receive(provider, route, incoming))


# --- Twilio-shaped requests -------------------------------------------------------------------


def _twilio(account, route: str, params: dict, query: str = "") -> tuple[str, str, IncomingWebhook]:
    name = {"sms": "channels:twilio-sms", "status": "channels:twilio-status"}[route]
    url = django_settings.BASE_URL + reverse(name) + (f"?{query}" if query else "")
    form = QueryDict(mutable=True)
    for key, value in params.items():
        form[key] = value
    signature = RequestValidator(account.secrets["twilio_auth_token"]).compute_signature(
        url, params
    )
    incoming = IncomingWebhook(
        url=url,
        headers={
            "x-twilio-signature": signature,
            "content-type": "application/x-www-form-urlencoded",
            "i-twilio-idempotency-token": str(uuid.uuid4()),
        },
        body=form.urlencode().encode(),
        content_type="application/x-www-form-urlencoded",
        form=form,
    )
    return "twilio", route, incoming


def _sms_in(account, message: Message, body: str):
    sid = "SM" + uuid.uuid4().hex
    return _twilio(
        account,
        "sms",
        {
            "MessageSid": sid,
            "SmsSid": sid,
            "SmsMessageSid": sid,
            "AccountSid": account.options["account_sid"],
            "From": message.to_address,
            "To": outbox_number(message.workspace),
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        },
    )


def _sms_status(account, message: Message, status: str):
    return _twilio(
        account,
        "status",
        {
            "MessageSid": message.provider_message_id,
            "SmsSid": message.provider_message_id,
            "MessageStatus": status,
            "SmsStatus": status,
            "AccountSid": account.options["account_sid"],
            "From": message.from_address,
            "To": message.to_address,
            "ApiVersion": "2010-04-01",
        },
        query=f"m={message.token}",
    )


def _call_status(account, message: Message, status: str, answered_by: str, duration: int):
    params = {
        "CallSid": message.provider_message_id,
        "AccountSid": account.options["account_sid"],
        "From": message.from_address,
        "To": message.to_address,
        "CallStatus": status,
        "Direction": "outbound-api",
        "ApiVersion": "2010-04-01",
        "CallbackSource": "call-progress-events",
        "SequenceNumber": "3",
    }
    if answered_by:
        params["AnsweredBy"] = answered_by
    if status == "completed":
        params["CallDuration"] = str(duration)
    return _twilio(account, "status", params, query=f"m={message.token}")


# --- SendGrid-shaped requests -----------------------------------------------------------------


def _sendgrid_events(account, message: Message, event: dict):
    payload = {
        "email": message.to_address,
        "timestamp": int(time.time()),
        "sg_event_id": uuid.uuid4().hex,
        "sg_message_id": f"{message.provider_message_id}.filter0001",
        "lf_tenant": str(message.workspace_id),
        "lf_message": str(message.pk),
        "lf_lead": str(message.lead_id),
        **event,
    }
    body = json.dumps([payload], separators=(",", ":"))
    timestamp = str(int(time.time()))
    key = serialization.load_pem_private_key(
        account.secrets["sendgrid_event_private_key"].encode(), password=None
    )
    signature = key.sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))
    incoming = IncomingWebhook(
        url=django_settings.BASE_URL + reverse("channels:sendgrid-events"),
        headers={
            "content-type": "application/json",
            "x-twilio-email-event-webhook-signature": base64.b64encode(signature).decode(),
            "x-twilio-email-event-webhook-timestamp": timestamp,
        },
        body=body.encode(),
        content_type="application/json",
    )
    return "sendgrid", "events", incoming


def _email_reply(account, message: Message, text: str):
    domain = channel_settings(message.workspace).reply_domain or OUTBOX_EMAIL_DOMAIN
    reply_to = f"reply+{message.token}@{domain}"
    message_id = f"<lf.{message.token}@{domain}>"
    form = QueryDict(mutable=True)
    fields = {
        "from": f"{message.lead.display_name} <{message.to_address}>",
        "to": reply_to,
        "subject": f"Re: {message.subject}" if message.subject else "Re:",
        "text": f"{text}\n\nOn {message.created_at:%a, %d %b %Y}, you wrote:\n> "
        + "\n> ".join((message.body_text or "").splitlines()),
        "headers": f"In-Reply-To: {message_id}\nReferences: {message_id}\n",
        "envelope": json.dumps({"to": [reply_to], "from": message.to_address}),
        "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "text": "UTF-8"}),
        "SPF": "pass",
        "attachments": "0",
    }
    for key, value in fields.items():
        form[key] = value
    url = (
        django_settings.BASE_URL
        + reverse("channels:sendgrid-inbound")
        + f"?key={account.secrets['inbound_secret']}"
    )
    incoming = IncomingWebhook(
        url=url,
        headers={"content-type": "multipart/form-data; boundary=outbox"},
        body=form.urlencode().encode(),
        content_type="multipart/form-data",
        form=form,
    )
    return "sendgrid", "inbound", incoming


# --- Drop Cowboy-shaped requests --------------------------------------------------------------


def _rvm_result(account, message: Message, code: int, status: str, reason: str):
    event_id = str(uuid.uuid4())
    body = json.dumps(
        {
            "event_id": event_id,
            "event": "contact.rvm.status",
            "event_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "data": {
                "team_id": "outbox",
                "contact_id": f"c-{message.lead_id}",
                "drop_id": message.provider_message_id,
                "campaign_type": "rvm",
                "status": status,
                "reason": reason,
                "reason_code": code,
                "to": message.to_address,
                "from": message.from_address,
            },
        },
        separators=(",", ":"),
    )
    timestamp = str(int(time.time()))
    digest = hmac.new(
        account.secrets["rvm_webhook_secret"].encode(),
        f"{timestamp}.{body}".encode(),
        hashlib.sha256,
    ).hexdigest()
    incoming = IncomingWebhook(
        url=django_settings.BASE_URL
        + reverse("channels:rvm", args=["dropcowboy"])
        + f"?m={message.token}",
        headers={
            "content-type": "application/json",
            "x-timestamp": timestamp,
            "x-signature": f"sha256={digest}",
            "x-event-id": event_id,
        },
        body=body.encode(),
        content_type="application/json",
    )
    return "dropcowboy", "rvm", incoming


_BUILDERS = {
    (Channel.EMAIL, "delivered"): lambda a, m, t: _sendgrid_events(
        a, m, {"event": "delivered", "response": "250 OK"}
    ),
    (Channel.EMAIL, "opened"): lambda a, m, t: _sendgrid_events(
        a, m, {"event": "open", "useragent": "Mozilla/5.0", "ip": "203.0.113.7"}
    ),
    (Channel.EMAIL, "clicked"): lambda a, m, t: _sendgrid_events(
        a, m, {"event": "click", "url": "https://example.com/pricing", "ip": "203.0.113.7"}
    ),
    (Channel.EMAIL, "bounced"): lambda a, m, t: _sendgrid_events(
        a,
        m,
        {
            "event": "bounce",
            "type": "bounce",
            "status": "5.1.1",
            "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
        },
    ),
    (Channel.EMAIL, "stop"): lambda a, m, t: _sendgrid_events(a, m, {"event": "unsubscribe"}),
    (Channel.EMAIL, "replied"): _email_reply,
    (Channel.SMS, "delivered"): lambda a, m, t: _sms_status(a, m, "delivered"),
    (Channel.SMS, "replied"): _sms_in,
    (Channel.SMS, "stop"): lambda a, m, t: _sms_in(a, m, "STOP"),
    (Channel.CALL, "answered"): lambda a, m, t: _call_status(a, m, "completed", "human", 192),
    (Channel.CALL, "no_answer"): lambda a, m, t: _call_status(a, m, "no-answer", "", 0),
    (Channel.CALL, "voicemail"): lambda a, m, t: _call_status(
        a, m, "completed", "machine_end_beep", 38
    ),
    (Channel.VOICEMAIL, "delivered"): lambda a, m, t: _rvm_result(
        a, m, 0, "success", "Delivered to the mailbox"
    ),
    (Channel.VOICEMAIL, "voicemail"): lambda a, m, t: _rvm_result(
        a, m, 0, "success", "Delivered to the mailbox"
    ),
    (Channel.VOICEMAIL, "no_answer"): lambda a, m, t: _rvm_result(
        a, m, 4001, "failure", "No voicemail box set up"
    ),
}
