"""The leads REST API: intake answers, filters and cursors, edits, erasure, bulk, idempotency."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from rest_framework import serializers

from channels.models import Suppression
from channels.services.suppression import address_hash
from leadfollow.services.api_keys import revoke_api_key
from leadfollow.tenancy import unscoped, workspace_scope
from leads import selectors
from leads.models import Activity, Lead
from leads.serializers import IntakeOut
from leads.services import intake_lead, received
from tests.factories import (
    CadenceFactory,
    LeadFactory,
    LeadSourceFactory,
    MembershipFactory,
    RoutingRuleFactory,
    ScoringRuleFactory,
    SlaPolicyFactory,
    StepFactory,
)

LEADS = reverse("leads:api-lead-list")
BULK = reverse("leads:api-lead-bulk")


def _detail(lead_id: int) -> str:
    return reverse("leads:api-lead-detail", args=[lead_id])


def _leads(workspace) -> list[Lead]:
    with workspace_scope(workspace):
        return list(Lead.objects.filter(workspace=workspace).order_by("pk"))


def _emails(response) -> set[str]:
    return {lead["email"] for lead in response.json()["results"]}


# Intake answers


def test_new_lead_is_201_with_normalised_contact(api_client):
    response = api_client.post(
        LEADS, {"email": " Dana@Northwind.Example ", "phone": "(415) 555-2671"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["phone"], body["merged"]) == (
        "dana@northwind.example",
        "+14155552671",
        False,
    )


def test_repeat_inquiry_is_200_with_the_existing_id_and_merged_true(api_client, workspace):
    first = api_client.post(LEADS, {"email": "dana@northwind.example"}, format="json").json()
    response = api_client.post(
        LEADS, {"email": "DANA@northwind.example", "first_name": "Dana"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["merged"]) == (first["id"], True)
    assert len(_leads(workspace)) == 1


@pytest.mark.django_db(transaction=True)  # intake steps run on commit, before the answer
def test_new_lead_answer_shows_the_owner_routing_gave_it(api_client, rep, workspace):
    RoutingRuleFactory(workspace=workspace, member=rep)
    response = api_client.post(LEADS, {"email": "dana@northwind.example"}, format="json")
    assert response.json()["owner"]["id"] == rep.pk


@pytest.mark.django_db(transaction=True)
def test_failing_intake_step_keeps_the_lead_and_the_later_steps(
    api_client, rep, workspace, settings, monkeypatch
):
    def explode(**kwargs):
        raise RuntimeError("rule engine down")

    settings.INTAKE_STEP_MAX_ATTEMPTS = 1  # no retry: the failure is final and logged once
    monkeypatch.setattr(received, "_STEPS", {"explode": explode, **received._STEPS})
    RoutingRuleFactory(workspace=workspace, member=rep)
    response = api_client.post(LEADS, {"email": "dana@northwind.example"}, format="json")
    assert response.status_code == 201
    assert response.json()["owner"]["id"] == rep.pk
    with workspace_scope(workspace):
        failed = Activity.objects.filter(kind=Activity.Kind.STEP_FAILED).count()
    assert failed == 1


def test_revoked_key_cannot_send_leads(api_client, api_key, workspace, owner):
    with workspace_scope(workspace):
        revoke_api_key(workspace=workspace, api_key_id=api_key.api_key.pk, actor=owner)
    response = api_client.post(LEADS, {"email": "dana@northwind.example"}, format="json")
    assert response.status_code == 401
    assert _leads(workspace) == []


# List: filters, search, cursors


def test_list_filters_by_status(api_client, workspace):
    LeadFactory(workspace=workspace, email="new@x.example", status="new")
    LeadFactory(workspace=workspace, email="won@x.example", status="customer")
    response = api_client.get(LEADS, {"status": "customer"})
    assert _emails(response) == {"won@x.example"}


def test_list_filters_by_owner(api_client, workspace, rep):
    LeadFactory(workspace=workspace, email="mine@x.example", owner=rep)
    LeadFactory(workspace=workspace, email="nobodys@x.example")
    response = api_client.get(LEADS, {"owner": rep.pk})
    assert _emails(response) == {"mine@x.example"}


def test_list_filters_by_source(api_client, workspace):
    ads = LeadSourceFactory(workspace=workspace, name="Ads")
    LeadFactory(workspace=workspace, email="ad@x.example", source=ads)
    LeadFactory(workspace=workspace, email="form@x.example")
    response = api_client.get(LEADS, {"source": ads.pk})
    assert _emails(response) == {"ad@x.example"}


def test_list_filters_by_created_range(api_client, workspace):
    for day in (1, 5, 9):
        with time_machine.travel(datetime(2026, 3, day, 12, tzinfo=UTC), tick=False):
            LeadFactory(workspace=workspace, email=f"day{day}@x.example")
    response = api_client.get(
        LEADS, {"created_after": "2026-03-04T00:00:00Z", "created_before": "2026-03-06T00:00:00Z"}
    )
    assert _emails(response) == {"day5@x.example"}


def test_list_searches_names_email_and_company_text(api_client, workspace):
    LeadFactory(workspace=workspace, email="dana@x.example", first_name="Dana", last_name="Reyes")
    LeadFactory(workspace=workspace, email="sam@x.example", first_name="Sam", last_name="Lee")
    response = api_client.get(LEADS, {"q": "reyes"})
    assert _emails(response) == {"dana@x.example"}


def test_list_refuses_an_owner_of_another_workspace(api_client, other_workspace):
    foreign = MembershipFactory(workspace=other_workspace)
    response = api_client.get(LEADS, {"owner": foreign.pk})
    assert response.status_code == 400
    assert "owner" in response.json()


def test_cursor_walks_every_lead_once_newest_first(api_client, workspace):
    made = [LeadFactory(workspace=workspace).pk for _ in range(5)]
    seen, url = [], f"{LEADS}?limit=2"
    while url:
        page = api_client.get(url).json()
        seen += [lead["id"] for lead in page["results"]]
        url = page["next"]
    assert seen == sorted(made, reverse=True)


def test_bad_cursor_is_a_400_naming_the_cursor(api_client):
    response = api_client.get(LEADS, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert "cursor" in response.json()


# Edit


def test_patch_changes_the_fields_sent_and_logs_it(api_client, workspace):
    lead = LeadFactory(workspace=workspace, status="new", title="")
    response = api_client.patch(
        _detail(lead.pk), {"status": "qualified", "title": "Owner"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["title"]) == ("qualified", "Owner")
    with workspace_scope(workspace):
        kinds = set(lead.activities.values_list("kind", flat=True))
    assert {"status_changed", "updated"} <= kinds


def test_patch_with_a_bad_phone_is_400_and_changes_nothing(api_client, workspace):
    lead = LeadFactory(workspace=workspace, phone="+14155552671")
    response = api_client.patch(_detail(lead.pk), {"phone": "555"}, format="json")
    assert response.status_code == 400
    assert "phone" in response.json()
    assert _leads(workspace)[0].phone == "+14155552671"


def test_patch_with_an_unknown_field_is_400_naming_it(api_client, workspace):
    lead = LeadFactory(workspace=workspace)
    response = api_client.patch(_detail(lead.pk), {"stage": "won"}, format="json")
    assert response.status_code == 400
    assert "stage" in response.json()


def test_patch_refuses_an_owner_of_another_workspace(api_client, workspace, other_workspace):
    lead = LeadFactory(workspace=workspace)
    foreign = MembershipFactory(workspace=other_workspace)
    response = api_client.patch(_detail(lead.pk), {"owner": foreign.pk}, format="json")
    assert response.status_code == 400
    assert "owner" in response.json()
    assert _leads(workspace)[0].owner_id is None


# Erase


def test_delete_erases_the_personal_data(api_client, workspace):
    lead = LeadFactory(workspace=workspace, email="dana@x.example", first_name="Dana")
    assert api_client.delete(_detail(lead.pk)).status_code == 204
    body = api_client.get(_detail(lead.pk)).json()
    assert (body["email"], body["phone"], body["first_name"]) == (None, None, "")
    assert body["erased_at"] is not None


def test_delete_keeps_only_a_hash_on_the_suppression_list(api_client, workspace):
    lead = LeadFactory(workspace=workspace, email="dana@x.example")
    api_client.delete(_detail(lead.pk))
    with unscoped():
        rows = list(Suppression.objects.filter(channel="email").values("address_hash", "label"))
    assert rows == [{"address_hash": address_hash("dana@x.example"), "label": ""}]


def test_erased_person_sent_again_is_flagged_do_not_email(api_client, workspace):
    lead = LeadFactory(workspace=workspace, email="dana@x.example")
    api_client.delete(_detail(lead.pk))
    response = api_client.post(LEADS, {"email": "dana@x.example"}, format="json")
    assert response.status_code == 201
    assert response.json()["do_not_email"] is True


# Bulk


def test_bulk_saves_valid_items_and_reports_each_one(api_client, workspace):
    LeadFactory(workspace=workspace, email="known@x.example")
    items = [{"email": "new@x.example"}, {"phone": "555"}, {"email": "known@x.example"}]
    response = api_client.post(BULK, {"leads": items}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["summary"] == {"created": 1, "merged": 1, "invalid": 1}
    assert [r["status"] for r in body["results"]] == ["created", "invalid", "merged"]
    assert "phone" in body["results"][1]["errors"]
    assert len(_leads(workspace)) == 2


def test_bulk_of_500_is_accepted(api_client, workspace):
    items = [{"email": f"lead{i}@x.example"} for i in range(500)]
    response = api_client.post(BULK, {"leads": items}, format="json")
    assert response.json()["summary"]["created"] == 500


def test_bulk_over_500_is_400_and_saves_nothing(api_client, workspace):
    items = [{"email": f"lead{i}@x.example"} for i in range(501)]
    response = api_client.post(BULK, {"leads": items}, format="json")
    assert response.status_code == 400
    assert "leads" in response.json()
    assert _leads(workspace) == []


# Idempotency and rate limits


def test_idempotent_retry_replays_the_first_answer_and_saves_one_lead(api_client, workspace):
    body, key = {"email": "dana@x.example"}, {"HTTP_IDEMPOTENCY_KEY": "form-123"}
    first = api_client.post(LEADS, body, format="json", **key)
    again = api_client.post(LEADS, body, format="json", **key)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert len(_leads(workspace)) == 1


def test_idempotency_key_with_another_body_is_422(api_client, workspace):
    key = {"HTTP_IDEMPOTENCY_KEY": "form-123"}
    api_client.post(LEADS, {"email": "dana@x.example"}, format="json", **key)
    response = api_client.post(LEADS, {"email": "sam@x.example"}, format="json", **key)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert [lead.email for lead in _leads(workspace)] == ["dana@x.example"]


def test_key_over_its_rate_limit_gets_429_with_retry_after(api_client, settings):
    settings.API_RATE_LIMIT = "2/min"
    for _ in range(2):
        api_client.get(LEADS)
    response = api_client.get(LEADS)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60


# Timeline


def test_activities_are_newest_first(api_client, workspace):
    api_client.post(LEADS, {"email": "dana@x.example"}, format="json")
    lead_id = api_client.post(LEADS, {"email": "dana@x.example"}, format="json").json()["id"]
    response = api_client.get(reverse("leads:api-lead-activities", args=[lead_id]))
    kinds = [activity["kind"] for activity in response.json()["results"]]
    assert kinds[:2] == [Activity.Kind.RE_INQUIRY, Activity.Kind.CREATED]


def test_the_intake_answer_is_what_the_declared_fields_make_of_the_lead(workspace, rep):
    """The intake writes its answer by hand; the fields it declares must agree with it."""
    RoutingRuleFactory(workspace=workspace, member=rep)
    ScoringRuleFactory(workspace=workspace, points=15)
    SlaPolicyFactory(workspace=workspace)
    StepFactory(cadence=CadenceFactory(workspace=workspace, auto_enroll=True))
    with workspace_scope(workspace):
        saved = intake_lead(
            workspace=workspace,
            fields={"email": "dana@northwind.example", "company": "Northwind", "title": "CEO"},
        ).lead
        for lead in (saved, selectors.get_lead(workspace=workspace, lead_id=saved.pk)):
            answer = IntakeOut(lead, context={"merged": False})
            declared = serializers.ModelSerializer.to_representation(answer, lead)
            assert json.loads(json.dumps(answer.data)) == json.loads(json.dumps(declared))


@pytest.mark.django_db(transaction=True)
def test_failing_intake_step_saves_the_lead_and_its_timeline_once(
    api_client, rep, workspace, settings, monkeypatch
):
    def explode(**kwargs):
        raise RuntimeError("rule engine down")

    settings.INTAKE_STEP_MAX_ATTEMPTS = 1
    monkeypatch.setattr(received, "_STEPS", {**received._STEPS, "explode": explode})
    RoutingRuleFactory(workspace=workspace, member=rep)
    api_client.post(LEADS, {"email": "dana@northwind.example"}, format="json")
    with workspace_scope(workspace):
        kinds = sorted(Activity.objects.values_list("kind", flat=True))
    assert len(_leads(workspace)) == 1
    assert kinds == ["created", "owner_changed", "step_failed"]
