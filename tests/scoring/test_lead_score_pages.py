"""Score, why and SLA state on the lead page and in the leads API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leadfollow.tenancy import workspace_scope
from scoring.models import SlaClock
from scoring.services.scores import score_lead
from scoring.services.sla import start_sla_clock
from tests.factories import LeadFactory, ScoringRuleFactory, SlaPolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_lead(workspace):
    ScoringRuleFactory(workspace=workspace, name="Has a phone", points=40)
    ScoringRuleFactory(
        workspace=workspace,
        name="CEO",
        points=25,
        conditions={"field": "title", "op": "contains", "value": "ceo"},
    )
    SlaPolicyFactory(workspace=workspace, name="Hot in 5", minutes=5)
    lead = LeadFactory(workspace=workspace, phone="+12125550143", title="CEO")
    with workspace_scope(workspace):
        score_lead(workspace=workspace, lead=lead)
        start_sla_clock(workspace=workspace, lead=lead)
    return lead


def test_lead_page_shows_score_why_and_band(rep_client, scored_lead):
    html = rep_client.get(reverse("leads:lead-detail", args=[scored_lead.pk])).content.decode()
    assert 'class="scorebig">65<' in html
    assert "Has a phone" in html
    assert "+40" in html
    assert "+25" in html
    assert "band--hot" in html


def test_lead_page_shows_the_sla_countdown(rep_client, scored_lead):
    html = rep_client.get(reverse("leads:lead-detail", args=[scored_lead.pk])).content.decode()
    assert "First touch due" in html
    assert "Hot in 5" in html


def test_lead_page_shows_a_breached_sla(rep_client, scored_lead, workspace):
    with workspace_scope(workspace):
        SlaClock.objects.filter(lead=scored_lead).update(
            due_at=timezone.now() - timedelta(minutes=1), breached_at=timezone.now()
        )
    html = rep_client.get(reverse("leads:lead-detail", args=[scored_lead.pk])).content.decode()
    assert "SLA breached" in html


def test_api_lead_detail_includes_score_band_breakdown_and_sla(api_client, scored_lead):
    body = api_client.get(reverse("leads:api-lead-detail", args=[scored_lead.pk])).json()
    assert (body["score"], body["band"]) == (65, "hot")
    assert {"rule": "CEO", "points": 25} in body["score_breakdown"]
    assert body["sla"]["due_at"]
    assert body["sla"]["met_at"] is None


def test_api_lead_without_score_says_null(api_client, workspace):
    lead = LeadFactory(workspace=workspace)
    body = api_client.get(reverse("leads:api-lead-detail", args=[lead.pk])).json()
    assert (body["score"], body["band"], body["score_breakdown"], body["sla"]) == (
        None,
        None,
        [],
        None,
    )


def test_api_lead_list_reads_scores_in_a_fixed_number_of_queries(api_client, workspace):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(reverse("leads:api-lead-list")).status_code == 200
        return len(queries)

    LeadFactory(workspace=workspace)
    count()  # the first request also stamps the API key's last use
    few = count()
    for _ in range(5):
        LeadFactory(workspace=workspace)
    assert count() == few
