"""Erasing a lead: its timeline keeps what reports count, and the records around the lead that
hold the person's details (the API's stored answers, rejected import rows) lose them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from leadfollow.models import IdempotencyRecord
from leadfollow.tenancy import unscoped, workspace_scope
from leads.models import Activity, LeadImportReject
from leads.services.call_log import log_call
from leads.services.changes import add_note, erase_lead, update_lead
from tests.factories import LeadFactory, LeadImportFactory

pytestmark = pytest.mark.django_db

LEADS = reverse("leads:api-lead-list")


def _erase(workspace, lead) -> None:
    with workspace_scope(workspace):
        erase_lead(workspace=workspace, lead_id=lead.pk)


def _payloads(workspace, lead, kind: str) -> list[dict]:
    with workspace_scope(workspace):
        return list(Activity.objects.filter(lead=lead, kind=kind).values_list("payload", flat=True))


def test_an_erased_leads_logged_call_keeps_its_outcome_without_its_notes(workspace, rep):
    lead = LeadFactory(workspace=workspace)
    with workspace_scope(workspace):
        log_call(
            workspace=workspace,
            lead_id=lead.pk,
            outcome="answered",
            actor=rep,
            duration_seconds=90,
            notes="Dana's husband picks up after 6",
        )
    _erase(workspace, lead)
    assert _payloads(workspace, lead, "call_logged") == [
        {"outcome": "answered", "duration_seconds": 90, "message_id": None, "human": True}
    ]


def test_an_erased_leads_connected_call_still_counts_on_the_leaderboard(api_client, workspace, rep):
    lead = LeadFactory(workspace=workspace, owner=rep)
    with workspace_scope(workspace):
        log_call(workspace=workspace, lead_id=lead.pk, outcome="answered", actor=rep)
    board = reverse("reports:api-leaderboard")
    before = api_client.get(board).json()
    api_client.delete(reverse("leads:api-lead-detail", args=[lead.pk]))
    assert api_client.get(board).json() == before


def test_an_erased_leads_status_changes_keep_their_statuses(workspace):
    lead = LeadFactory(workspace=workspace)
    with workspace_scope(workspace):
        update_lead(workspace=workspace, lead_id=lead.pk, changes={"status": "contacted"})
    _erase(workspace, lead)
    assert _payloads(workspace, lead, "status_changed") == [{"from": "new", "to": "contacted"}]


def test_an_erased_leads_notes_lose_their_text(workspace, rep):
    lead = LeadFactory(workspace=workspace)
    with workspace_scope(workspace):
        add_note(workspace=workspace, lead_id=lead.pk, text="Dana prefers mornings", actor=rep)
    _erase(workspace, lead)
    assert _payloads(workspace, lead, "note") == [{}]


def test_a_retried_api_request_for_an_erased_lead_gets_its_id_alone(api_client, workspace):
    body = {"first_name": "Dana", "email": "dana@x.example"}
    key = {"Idempotency-Key": "form-7"}
    lead_id = api_client.post(LEADS, body, format="json", headers=key).json()["id"]
    api_client.delete(reverse("leads:api-lead-detail", args=[lead_id]))
    retried = api_client.post(LEADS, body, format="json", headers=key)
    assert (retried.status_code, retried.json()) == (201, {"id": lead_id, "erased": True})


def test_erasing_a_lead_keeps_the_api_answers_about_other_leads(api_client, workspace):
    other = {"first_name": "Ott", "email": "ott@x.example"}
    api_client.post(LEADS, other, format="json", headers={"Idempotency-Key": "form-8"})
    lead = LeadFactory(workspace=workspace)
    api_client.delete(reverse("leads:api-lead-detail", args=[lead.pk]))
    with unscoped():
        [stored] = IdempotencyRecord.objects.values_list("response_body", flat=True)
    assert stored["email"] == "ott@x.example"


def _reject(workspace, values: list[str]) -> LeadImportReject:
    with workspace_scope(workspace):
        return LeadImportReject.objects.create(
            workspace=workspace,
            lead_import=LeadImportFactory(workspace=workspace),
            stage=LeadImportReject.Stage.IMPORT,
            row_number=LeadImportReject.objects.count() + 2,
            values=values,
            reason="The phone number is not valid.",
        )


def test_erasing_a_lead_empties_the_rejected_import_rows_with_its_email(workspace):
    lead = LeadFactory(workspace=workspace, email="dana@x.example")
    reject = _reject(workspace, ["Dana Kim", "DANA@x.example", "555"])
    _erase(workspace, lead)
    with unscoped():
        fresh = LeadImportReject.objects.get(pk=reject.pk)
    assert (fresh.values, fresh.row_number) == ([], reject.row_number)


def test_erasing_a_lead_empties_the_rejected_import_rows_with_its_number(workspace):
    lead = LeadFactory(workspace=workspace, email=None, phone="+14155552671")
    reject = _reject(workspace, ["Dana Kim", "not-an-email", "(415) 555-2671"])
    _erase(workspace, lead)
    with unscoped():
        assert LeadImportReject.objects.get(pk=reject.pk).values == []


def test_erasing_a_lead_keeps_other_rejected_import_rows(workspace):
    lead = LeadFactory(workspace=workspace, email="dana@x.example")
    reject = _reject(workspace, ["Ott Lee", "ott@x.example", "555"])
    _erase(workspace, lead)
    with unscoped():
        assert LeadImportReject.objects.get(pk=reject.pk).values == reject.values
