"""SendGrid test support: a local SendGrid API, a workspace set up to use it, an event webhook
key made by the test, and signed event batches.

Test modules import the fixtures with `from tests.channels.conftest_sendgrid import *`.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse

from channels.compliance import channel_settings
from channels.models import ProviderAccount
from leadfollow.tenancy import workspace_scope
from tests.channels.fakes import FakeProvider as _FakeProvider
from tests.channels.fakes import Reply
from tests.factories import LeadFactory, MessageFactory

__all__ = [
    "API_KEY",
    "INBOUND_SECRET",
    "NOON",
    "REPLY_DOMAIN",
    "event_key",
    "event_signature",
    "public_key_text",
    "lead",
    "scope",
    "sendgrid_api",
    "sendgrid_account",
    "sent_email",
    "sign_events",
]

API_KEY = "SG.test-key.abcdef"
INBOUND_SECRET = "parse-secret-4711"
REPLY_DOMAIN = "parse.acme-roofing.example"
NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)
SPEC = "sendgrid/tsg_mail_v3.json"


@pytest.fixture
def scope(workspace):
    with workspace_scope(workspace):
        yield workspace


@pytest.fixture
def sendgrid_account(scope) -> ProviderAccount:
    """The workspace sends email through SendGrid, replies come back to its parse domain."""
    settings = channel_settings(scope)
    settings.email_provider = "sendgrid"
    settings.from_email = "alex@acme-roofing.example"
    settings.from_name = "Alex at Acme Roofing"
    settings.reply_domain = REPLY_DOMAIN
    settings.save()
    account = ProviderAccount(workspace=scope, provider="sendgrid")
    account.secrets = {"api_key": API_KEY, "inbound_secret": INBOUND_SECRET}
    account.save()
    return account


@pytest.fixture
def lead(scope):
    return LeadFactory(
        workspace=scope, first_name="Jordan", last_name="Lee", email="jordan.lee@example.com"
    )


@pytest.fixture
def sent_email(scope, lead):
    return MessageFactory(workspace=scope, lead=lead, provider_message_id="5kTqzWY8QlqgdpjJ1L3ZxQ")


@pytest.fixture
def sendgrid_api(settings, monkeypatch):
    """A local SendGrid that accepts every send; the SDK is pointed at it."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    fake = _FakeProvider().start()
    fake.on("POST", r"^/v3/mail/send$", Reply(202, "", {"X-Message-Id": "sg-msg-0001"}))
    settings.SENDGRID_API_HOST = fake.url
    yield fake
    fake.stop()


@pytest.fixture
def event_key(sendgrid_account) -> ec.EllipticCurvePrivateKey:
    """A P-256 key made by the test; its public half is the workspace's verification key."""
    private = ec.generate_private_key(ec.SECP256R1())
    sendgrid_account.options = {"event_public_key": public_key_text(private)}
    sendgrid_account.save()
    return private


def public_key_text(key) -> str:
    """The public half as SendGrid shows it: base64 of the DER SubjectPublicKeyInfo."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def event_signature(key, timestamp: str, body: str) -> str:
    """SendGrid's signature: base64 DER ECDSA P-256/SHA-256 over timestamp + raw body."""
    raw = key.sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(raw).decode()


def sign_events(
    client, key, events: list[dict] | str, *, timestamp: int | None = None, signature: str = ""
):
    """Post an event batch to the webhook the way SendGrid does, signed with `key`."""
    body = events if isinstance(events, str) else json.dumps(events, separators=(",", ":"))
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = signature or event_signature(key, stamp, body)
    return client.post(
        reverse("channels:sendgrid-events"),
        data=body,
        content_type="application/json",
        headers={
            "X-Twilio-Email-Event-Webhook-Signature": signature,
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        },
    )
