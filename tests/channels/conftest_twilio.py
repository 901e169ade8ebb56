"""Twilio test support: a local Twilio API, a workspace set up to use it, signed webhook posts,
and the vendor-spec check (schema plus Twilio's `x-twilio.conditional` rules) for each request.

Test modules import the fixtures with `from tests.channels.conftest_twilio import *`.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from functools import cache
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from twilio.request_validator import RequestValidator

from channels.compliance import channel_settings
from channels.models import PhoneNumber, ProviderAccount
from leadfollow.tenancy import workspace_scope
from leads.models import Consent
from tests.channels.fakes import SPECS, Reply, assert_matches_spec
from tests.channels.fakes import FakeProvider as _FakeProvider
from tests.factories import LeadFactory

__all__ = [
    "ACCOUNT_SID",
    "NOON",
    "WORKSPACE_NUMBER",
    "assert_twilio_request",
    "auth_token",
    "lead",
    "scope",
    "signed_post",
    "spec_example",
    "twilio_api",
]

SPEC = "twilio/twilio_api_v2010.json"
ACCOUNT_SID = "AC" + "7" * 32
WORKSPACE_NUMBER = "+14155550100"
NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)  # 12:00 in New York


@cache
def _spec() -> dict:
    return json.loads((SPECS / SPEC).read_text())


def _operation(operation_id: str) -> dict:
    for item in _spec()["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return operation
    raise KeyError(operation_id)


def spec_example(operation_id: str) -> dict:
    """The vendor's own example answer for an operation (what the SDK must be able to read)."""
    responses = _operation(operation_id)["responses"]
    content = next(iter(responses.values()))["content"]["application/json"]
    return next(iter(content["examples"].values()))["value"]


def assert_twilio_request(recorded, operation_id: str) -> None:
    """The request matches the spec's schema and its one-of rules the schema cannot express."""
    assert_matches_spec(SPEC, recorded)
    form = recorded.form
    rules = _operation(operation_id).get("x-twilio", {}).get("conditional", [])
    for group in rules:
        names = ["".join(part.title() for part in name.split("_")) for name in group]
        present = [name for name in names if name in form]
        assert len(present) == 1, f"{operation_id} needs exactly one of {names}, got {present}"


@pytest.fixture
def twilio_api(settings, monkeypatch):
    """A local Twilio answering with the spec's examples; the SDK is pointed at it."""
    fake = _FakeProvider().start()
    settings.TWILIO_API_BASE_URL = fake.url
    settings.PROVIDER_TIMEOUT_SECONDS = 2
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    fake.on("POST", r"/Messages\.json$", Reply(201, spec_example("CreateMessage")))
    fake.on("POST", r"/Calls\.json$", Reply(201, spec_example("CreateCall")))
    fake.on("POST", r"/Calls/CA\w+\.json$", Reply(200, spec_example("UpdateCall")))
    yield fake
    fake.stop()


@pytest.fixture
def scope(workspace):
    with workspace_scope(workspace):
        yield workspace


@pytest.fixture
def auth_token(scope) -> str:
    """The workspace sends texts and calls through Twilio; returns its auth token."""
    token = secrets.token_hex(16)
    account = ProviderAccount(
        workspace=scope, provider="twilio", options={"account_sid": ACCOUNT_SID}
    )
    account.secrets = {"auth_token": token}
    account.save()
    PhoneNumber.objects.create(
        workspace=scope, number=WORKSPACE_NUMBER, provider="twilio", is_default=True
    )
    found = channel_settings(scope)
    found.sms_provider = found.call_provider = "twilio"
    found.save()
    return token


@pytest.fixture
def lead(scope):
    lead = LeadFactory(
        workspace=scope, time_zone="America/New_York", first_name="Dana", last_name="Reyes"
    )
    for channel in ("sms", "call"):
        Consent.objects.create(
            workspace=scope, lead=lead, channel=channel, text="Yes", captured_at=NOON
        )
    return lead


def signed_post(client, path: str, params: dict, token: str, *, signature: str | None = None):
    """POST a form the way Twilio does, signed over the exact URL and every field."""
    url = django_settings.BASE_URL + path
    if signature is None:
        signature = RequestValidator(token).compute_signature(url, params)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    return client.post(
        path,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )
