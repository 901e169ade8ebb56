"""Bad requests to POST /api/v1/leads/: each is a clear 4xx naming the problem, nothing is saved."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from leadfollow.tenancy import unscoped
from leads.models import Activity, Consent, Lead
from tests.factories import LeadSourceFactory, MembershipFactory

OK = {"email": "dana@northwind.example"}


@dataclass(frozen=True)
class Bad:
    body: object  # JSON-able value, raw bytes, or a callable (foreign ids) -> JSON-able value
    status: int
    names: str  # must appear in the response body: the field or the part that is wrong
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)


CASES = {
    "missing contact": Bad({"first_name": "Dana"}, 400, "email address or a phone number"),
    "email and phone null": Bad({"email": None, "phone": None}, 400, "email"),
    "blank email and phone": Bad({"email": "  ", "phone": ""}, 400, "email"),
    "bad phone": Bad({"phone": "555"}, 400, "phone"),
    "phone made of words": Bad({"phone": "call me maybe"}, 400, "phone"),
    "bad email": Bad({"email": "dana@"}, 400, "email"),
    "email with a space": Bad({"email": "dana reyes@northwind.example"}, 400, "email"),
    "email longer than any address": Bad({"email": "a" * 250 + "@x.example"}, 400, "email"),
    "unknown field": Bad({**OK, "emial": "typo@x.example"}, 400, "emial"),
    "several unknown fields": Bad({**OK, "nmae": "x", "budget": 5}, 400, "budget"),
    "first name is a number": Bad({**OK, "first_name": 42}, 400, "first_name"),
    "email is a list": Bad({"email": ["a@x.example", "b@x.example"]}, 400, "email"),
    "phone is an object": Bad({"phone": {"number": "+14155552671"}}, 400, "phone"),
    "nested junk in first name": Bad(
        {**OK, "first_name": {"a": {"b": [1, None]}}}, 400, "first_name"
    ),
    "list of objects in last name": Bad({**OK, "last_name": [{"x": 1}]}, 400, "last_name"),
    "boolean company": Bad({**OK, "company": True}, 400, "company"),
    "huge first name": Bad({**OK, "first_name": "D" * 101}, 400, "first_name"),
    "huge company": Bad({**OK, "company": "C" * 1000}, 400, "company"),
    "huge title": Bad({**OK, "title": "T" * 151}, 400, "title"),
    "unknown time zone": Bad({**OK, "time_zone": "Mars/Olympus_Mons"}, 400, "time_zone"),
    "custom fields as text": Bad({**OK, "custom_fields": "vip"}, 400, "custom_fields"),
    "custom fields as a list": Bad({**OK, "custom_fields": ["vip"]}, 400, "custom_fields"),
    "custom field holding an object": Bad(
        {**OK, "custom_fields": {"budget": {"min": 1}}}, 400, "custom_fields"
    ),
    "too many custom fields": Bad(
        {**OK, "custom_fields": {f"f{i}": i for i in range(51)}}, 400, "custom_fields"
    ),
    "huge custom field value": Bad({**OK, "custom_fields": {"notes": "n" * 2001}}, 400, "notes"),
    "consent as text": Bad({**OK, "consent": "yes"}, 400, "consent"),
    "consent without its wording": Bad({**OK, "consent": {"channel": "sms"}}, 400, "text"),
    "consent on an unknown channel": Bad(
        {**OK, "consent": {"channel": "fax", "text": "OK to fax"}}, 400, "channel"
    ),
    "consent with a bad date": Bad(
        {**OK, "consent": {"channel": "sms", "text": "Yes", "captured_at": "yesterday"}},
        400,
        "captured_at",
    ),
    "consent with an unknown field": Bad(
        {**OK, "consent": {"channel": "sms", "text": "Yes", "ip": "1.2.3.4"}}, 400, "ip"
    ),
    "source is a number": Bad({**OK, "source": 7}, 400, "source"),
    "foreign workspace owner id": Bad(lambda ids: {**OK, "owner": ids["member"]}, 400, "owner"),
    "foreign workspace source id": Bad(
        lambda ids: {**OK, "source_id": ids["source"]}, 400, "source_id"
    ),
    "plain text body": Bad(b"email=dana@northwind.example", 415, "text/plain", "text/plain"),
    "form-encoded body": Bad(
        b"email=dana%40northwind.example",
        415,
        "x-www-form-urlencoded",
        "application/x-www-form-urlencoded",
    ),
    "empty body": Bad(b"", 400, "email address or a phone number"),
    "invalid JSON": Bad(b'{"email": "dana@northwind.example",', 400, "JSON parse error"),
    "JSON array body": Bad([OK], 400, "Expected a dictionary"),
    "JSON null body": Bad(None, 400, "non_field_errors"),
    "JSON string body": Bad("dana@northwind.example", 400, "Expected a dictionary"),
    "body over the size limit": Bad(
        {**OK, "custom_fields": {f"note{i}": "n" * 1000 for i in range(5)}}, 413, "KiB"
    ),
    "Idempotency-Key too long": Bad(
        OK, 400, "Idempotency-Key", headers={"HTTP_IDEMPOTENCY_KEY": "k" * 256}
    ),
}


@pytest.fixture
def foreign_ids(other_workspace) -> dict:
    return {
        "member": MembershipFactory(workspace=other_workspace).pk,
        "source": LeadSourceFactory(workspace=other_workspace).pk,
    }


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_lead_is_refused_with_the_problem_named(api_client, foreign_ids, settings, case):
    settings.API_MAX_BODY_BYTES = 4096  # the oversized case stays small
    body = case.body(foreign_ids) if callable(case.body) else case.body
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = api_client.generic(
        "POST",
        reverse("leads:api-lead-list"),
        raw,
        content_type=case.content_type,
        **case.headers,
    )
    assert response.status_code == case.status, response.content
    assert response["Content-Type"] == "application/json"
    assert case.names in response.content.decode()
    with unscoped():
        assert (Lead.objects.count(), Activity.objects.count(), Consent.objects.count()) == (
            0,
            0,
            0,
        )
