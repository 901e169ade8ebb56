from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from leadfollow.tenancy import workspace_scope
from leads.services import intake_lead, log_activity
from scoring.models import LeadScore, RuleSettings
from scoring.services.scores import band_for, score_lead
from tests.factories import LeadFactory, ScoringRuleFactory

pytestmark = pytest.mark.django_db


def _score(workspace, lead):
    with workspace_scope(workspace):
        return score_lead(workspace=workspace, lead=lead)


def test_matching_fit_rule_adds_its_points_and_explains_them(workspace):
    rule = ScoringRuleFactory(workspace=workspace, name="Has a phone", points=15)
    score = _score(workspace, LeadFactory(workspace=workspace))
    assert score.total == 15
    assert score.breakdown == [{"rule_id": rule.pk, "name": "Has a phone", "points": 15}]


def test_non_matching_rule_adds_nothing(workspace):
    ScoringRuleFactory(
        workspace=workspace, conditions={"field": "title", "op": "contains", "value": "CEO"}
    )
    assert _score(workspace, LeadFactory(workspace=workspace, title="Intern")).total == 0


def test_negative_points_subtract(workspace):
    ScoringRuleFactory(workspace=workspace, points=20)
    ScoringRuleFactory(
        workspace=workspace,
        points=-25,
        conditions={"field": "email_is_free_mail", "op": "equals", "value": True},
    )
    assert _score(workspace, LeadFactory(workspace=workspace, email="x@gmail.com")).total == -5


def test_disabled_rule_is_ignored(workspace):
    ScoringRuleFactory(workspace=workspace, is_active=False)
    assert _score(workspace, LeadFactory(workspace=workspace)).total == 0


def test_engagement_points_halve_after_one_half_life(workspace):
    RuleSettings.objects.create(workspace=workspace, engagement_half_life_days=7)
    ScoringRuleFactory(
        workspace=workspace, kind="engagement", activity_kind="replied", points=40, conditions={}
    )
    lead = LeadFactory(workspace=workspace)
    with workspace_scope(workspace):
        log_activity(workspace=workspace, lead=lead, kind="replied")
    with time_machine.travel(timezone.now() + timedelta(days=7), tick=False):
        assert _score(workspace, lead).total == 20


def test_engagement_activity_rescores_the_lead_at_once(workspace):
    ScoringRuleFactory(
        workspace=workspace, kind="engagement", activity_kind="replied", points=30, conditions={}
    )
    lead = LeadFactory(workspace=workspace)
    with workspace_scope(workspace):
        log_activity(workspace=workspace, lead=lead, kind="replied")
        assert LeadScore.objects.get(lead=lead).total == 30


@pytest.mark.parametrize(("total", "band"), [(75, "hot"), (60, "hot"), (59, "warm"), (-10, "cold")])
def test_total_maps_to_the_band_whose_minimum_it_reaches(total, band):
    bands = [{"name": "cold", "min": None}, {"name": "hot", "min": 60}, {"name": "warm", "min": 30}]
    assert band_for(total, bands) == band


def test_intake_scores_the_new_lead(workspace, django_capture_on_commit_callbacks):
    ScoringRuleFactory(workspace=workspace, points=70)
    with workspace_scope(workspace), django_capture_on_commit_callbacks(execute=True):
        result = intake_lead(workspace=workspace, fields={"phone": "+14155552671"})
    with workspace_scope(workspace):
        score = LeadScore.objects.get(lead=result.lead)
    assert (score.total, score.band) == (70, "hot")
