"""Enrolling by hand from the lead page and from a selection on the leads list."""

import pytest
from django.urls import reverse

from cadences.models import Enrollment
from leadfollow.tenancy import workspace_scope
from tests.factories import CadenceFactory, LeadFactory, StepFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cadence(workspace):
    with workspace_scope(workspace):
        cadence = CadenceFactory(workspace=workspace, name="Speed to lead")
        StepFactory(cadence=cadence, kind="email", delay=1, delay_unit="days")
        return cadence


def _enrolled(workspace) -> list:
    with workspace_scope(workspace):
        return list(Enrollment.objects.values_list("lead_id", flat=True))


def test_lead_page_card_offers_the_active_cadences(rep_client, workspace, cadence):
    lead = LeadFactory(workspace=workspace)
    page = rep_client.get(reverse("cadences:lead-enrollments", args=[lead.pk])).content.decode()
    assert "Speed to lead" in page
    assert "Not in any cadence" in page


def test_rep_enrolls_a_lead_from_its_page(rep_client, workspace, cadence):
    lead = LeadFactory(workspace=workspace)
    response = rep_client.post(
        reverse("cadences:lead-enroll", args=[lead.pk]),
        {"cadence": cadence.pk},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert _enrolled(workspace) == [lead.pk]
    assert "Active" in response.content.decode()


def test_enrolling_twice_says_why_in_the_card(rep_client, workspace, cadence):
    lead = LeadFactory(workspace=workspace)
    url = reverse("cadences:lead-enroll", args=[lead.pk])
    rep_client.post(url, {"cadence": cadence.pk}, headers={"HX-Request": "true"})
    response = rep_client.post(url, {"cadence": cadence.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "already in" in response.content.decode()


def test_a_foreign_cadence_cannot_be_used(rep_client, workspace, other_workspace):
    lead = LeadFactory(workspace=workspace)
    with workspace_scope(other_workspace):
        foreign = CadenceFactory(workspace=other_workspace)
    response = rep_client.post(
        reverse("cadences:lead-enroll", args=[lead.pk]),
        {"cadence": foreign.pk},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert _enrolled(workspace) == []


def test_bulk_enroll_enrolls_the_selection_and_counts_skips(rep_client, workspace, cadence):
    leads = [LeadFactory(workspace=workspace) for _ in range(3)]
    rep_client.post(
        reverse("cadences:lead-enroll", args=[leads[0].pk]),
        {"cadence": cadence.pk},
        headers={"HX-Request": "true"},
    )
    response = rep_client.post(
        reverse("cadences:enroll-bulk"),
        {"cadence": cadence.pk, "lead_ids": [lead.pk for lead in leads]},
        follow=True,
    )
    assert sorted(_enrolled(workspace)) == sorted(lead.pk for lead in leads)
    assert "2 enrolled" in response.content.decode()


def test_bulk_enroll_with_a_foreign_lead_changes_nothing(
    rep_client, workspace, other_workspace, cadence
):
    mine = LeadFactory(workspace=workspace)
    foreign = LeadFactory(workspace=other_workspace)
    rep_client.post(
        reverse("cadences:enroll-bulk"),
        {"cadence": cadence.pk, "lead_ids": [mine.pk, foreign.pk]},
    )
    assert _enrolled(workspace) == []


def test_bulk_enroll_without_a_cadence_is_explained(rep_client, workspace, cadence):
    lead = LeadFactory(workspace=workspace)
    response = rep_client.post(
        reverse("cadences:enroll-bulk"), {"lead_ids": [lead.pk]}, follow=True
    )
    assert "Choose a cadence" in response.content.decode()


def test_leads_list_menu_lists_the_cadences(rep_client, cadence):
    page = rep_client.get(reverse("cadences:enroll-options")).content.decode()
    assert "Speed to lead" in page
