"""The Scoring page: rules, bands, try it; who may change what; the audit trail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from leadfollow.tenancy import workspace_scope
from leads.models import Account, Activity, Lead, LeadSource
from scoring.models import LeadScore, RuleChange, RuleSettings, ScoringRule
from tests.factories import LeadFactory, ScoringRuleFactory

pytestmark = pytest.mark.django_db

NEW_FIT = reverse("scoring:scoring-rule-new") + "?kind=fit"


def _rule_post(**extra) -> dict:
    return {
        "name": "Senior title",
        "points": "15",
        "cond-match": "all",
        "cond-field": ["title"],
        "cond-key": [""],
        "cond-op": ["matches_any_word"],
        "cond-value": ["owner ceo founder"],
        **extra,
    }


def _rules(workspace):
    with workspace_scope(workspace):
        return list(ScoringRule.objects.order_by("position"))


def test_manager_creates_a_fit_rule(manager_client, workspace):
    response = manager_client.post(NEW_FIT, _rule_post())
    assert response.status_code == 302
    (rule,) = _rules(workspace)
    assert (rule.name, rule.points, rule.kind) == ("Senior title", 15, "fit")
    assert rule.conditions == {
        "all": [{"field": "title", "op": "matches_any_word", "value": "owner ceo founder"}]
    }


def test_creating_a_rule_is_audited_with_its_author(manager_client, manager, workspace):
    manager_client.post(NEW_FIT, _rule_post())
    with workspace_scope(workspace):
        change = RuleChange.objects.get()
    assert (change.actor_id, change.subject, change.action) == (
        manager.pk,
        "scoring_rule",
        "created",
    )
    assert change.before is None
    assert change.after["name"] == "Senior title"


def test_saving_a_rule_rescores_open_leads(
    manager_client, workspace, django_capture_on_commit_callbacks
):
    lead = LeadFactory(workspace=workspace, title="CEO", status="new")
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(NEW_FIT, _rule_post())
    with workspace_scope(workspace):
        score = LeadScore.objects.get(lead=lead)
    assert score.total == 15
    assert score.breakdown[0]["name"] == "Senior title"


def test_invalid_condition_comes_back_inline_on_its_row(manager_client, workspace):
    post = _rule_post(**{"cond-field": ["title", "score"], "cond-key": ["", ""]})
    post.update({"cond-op": ["contains", "gt"], "cond-value": ["ceo", "lots"]})
    response = manager_client.post(NEW_FIT, post, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert 'id="rule-form"' in html
    assert "<html" not in html
    assert "conditions__row--invalid" in html
    assert "This condition: gt compares numbers" in html
    assert 'value="lots"' in html  # what the manager typed stays
    assert _rules(workspace) == []


def test_invalid_json_condition_is_shown_on_the_json_box(manager_client, workspace):
    response = manager_client.post(NEW_FIT, _rule_post(**{"cond-json": '{"all": [{"op": 1}]}'}))
    assert response.status_code == 400
    assert "is not an attribute a rule can read" in response.content.decode()
    assert _rules(workspace) == []


def test_manager_edits_a_rule(manager_client, workspace):
    rule = ScoringRuleFactory(workspace=workspace, name="Old", points=5)
    url = reverse("scoring:scoring-rule-edit", args=[rule.pk])
    response = manager_client.post(url, _rule_post(name="Has a title", points="7"))
    assert response.status_code == 302
    (rule,) = _rules(workspace)
    assert (rule.name, rule.points) == ("Has a title", 7)


def test_htmx_save_redirects_the_page(manager_client, workspace):
    response = manager_client.post(NEW_FIT, _rule_post(), HTTP_HX_REQUEST="true")
    assert response.headers["HX-Redirect"] == reverse("scoring:rule-list")


def test_engagement_rule_needs_an_activity(manager_client, workspace):
    url = reverse("scoring:scoring-rule-new") + "?kind=engagement"
    response = manager_client.post(url, {"name": "Replied", "points": "20"})
    assert response.status_code == 400
    assert _rules(workspace) == []


def test_move_up_swaps_with_the_rule_above(manager_client, workspace):
    first = ScoringRuleFactory(workspace=workspace, name="First", position=1)
    second = ScoringRuleFactory(workspace=workspace, name="Second", position=2)
    url = reverse("scoring:scoring-rule-move", args=[second.pk])
    response = manager_client.post(url, {"direction": "up"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="rules-section"' in response.content.decode()
    assert [rule.pk for rule in _rules(workspace)] == [second.pk, first.pk]


def test_reorder_is_audited_with_both_orders(manager_client, workspace):
    first = ScoringRuleFactory(workspace=workspace, position=1)
    second = ScoringRuleFactory(workspace=workspace, position=2)
    manager_client.post(
        reverse("scoring:scoring-rule-move", args=[first.pk]), {"direction": "down"}
    )
    with workspace_scope(workspace):
        change = RuleChange.objects.get()
    assert change.before == {"order": [first.pk, second.pk]}
    assert change.after == {"order": [second.pk, first.pk]}


def test_disable_turns_a_rule_off(manager_client, workspace):
    rule = ScoringRuleFactory(workspace=workspace)
    url = reverse("scoring:scoring-rule-toggle", args=[rule.pk])
    manager_client.post(url, {"is_active": "false"}, HTTP_HX_REQUEST="true")
    assert _rules(workspace)[0].is_active is False


def test_delete_removes_the_rule_and_keeps_a_copy(manager_client, workspace):
    rule = ScoringRuleFactory(workspace=workspace, name="Gone soon")
    manager_client.post(reverse("scoring:scoring-rule-delete", args=[rule.pk]))
    assert _rules(workspace) == []
    with workspace_scope(workspace):
        assert RuleChange.objects.get(action="deleted").before["name"] == "Gone soon"


def test_manager_sets_band_thresholds(manager_client, workspace):
    data = {"band_0": "70", "band_1": "40", "engagement_half_life_days": "7"}
    response = manager_client.post(reverse("scoring:score-settings"), data)
    assert response.status_code == 302
    with workspace_scope(workspace):
        settings = RuleSettings.objects.get()
    assert settings.bands == [
        {"name": "hot", "min": 70},
        {"name": "warm", "min": 40},
        {"name": "cold", "min": None},
    ]
    assert settings.engagement_half_life_days == 7


def test_bands_out_of_order_are_refused(manager_client, workspace):
    data = {"band_0": "20", "band_1": "40", "engagement_half_life_days": "14"}
    response = manager_client.post(reverse("scoring:score-settings"), data)
    assert response.status_code == 400
    assert "above the next band" in response.content.decode()


def test_rep_reads_the_rules_without_edit_buttons(rep_client, workspace):
    ScoringRuleFactory(workspace=workspace, name="Has a phone")
    html = rep_client.get(reverse("scoring:rule-list")).content.decode()
    assert "Has a phone" in html
    assert "+ New fit rule" not in html
    assert "Save bands" not in html


@pytest.mark.parametrize(
    ("name", "args", "data"),
    [
        ("scoring:scoring-rule-new", [], _rule_post()),
        ("scoring:scoring-rule-edit", ["rule"], _rule_post()),
        ("scoring:scoring-rule-move", ["rule"], {"direction": "up"}),
        ("scoring:scoring-rule-toggle", ["rule"], {"is_active": "false"}),
        ("scoring:scoring-rule-delete", ["rule"], {}),
        ("scoring:score-settings", [], {"band_0": "1", "band_1": "0"}),
    ],
)
def test_rep_gets_403_on_every_scoring_write(rep_client, workspace, name, args, data):
    rule = ScoringRuleFactory(workspace=workspace, name="Untouched")
    url = reverse(name, args=[rule.pk for _ in args])
    assert rep_client.post(url, data).status_code == 403
    (kept,) = _rules(workspace)
    assert (kept.name, kept.is_active) == ("Untouched", True)
    with workspace_scope(workspace):
        assert not RuleChange.objects.exists()


def _row_counts(workspace) -> dict:
    with workspace_scope(workspace):
        return {
            model.__name__: model.objects.count()
            for model in (Lead, Account, LeadSource, LeadScore, Activity, RuleChange, RuleSettings)
        }


def test_try_it_with_sample_values_shows_score_and_writes_nothing(rep_client, workspace):
    ScoringRuleFactory(
        workspace=workspace,
        name="Big budget",
        points=25,
        conditions={"field": "custom.budget", "op": "gt", "value": 5000},
    )
    before = _row_counts(workspace)
    response = rep_client.get(
        reverse("scoring:rule-try"),
        {
            "email": "ana@bigco.example",
            "company": "Big Co",
            "source": "Expo",
            "custom": "budget: 8000",
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "Big budget" in html
    assert "+25" in html
    assert "The unassigned queue" in html
    assert _row_counts(workspace) == before


def test_try_it_on_an_existing_lead_changes_nothing(manager_client, workspace):
    lead = LeadFactory(workspace=workspace, title="Founder")
    ScoringRuleFactory(
        workspace=workspace,
        name="Founder",
        conditions={"field": "title", "op": "contains", "value": "founder"},
    )
    before = _row_counts(workspace)
    response = manager_client.get(reverse("scoring:rule-try"), {"lead": lead.pk})
    assert "Founder" in response.content.decode()
    assert _row_counts(workspace) == before


def test_try_it_refuses_another_workspaces_lead(manager_client, other_workspace):
    foreign = LeadFactory(workspace=other_workspace, first_name="Secret")
    response = manager_client.get(
        reverse("scoring:rule-try"), {"lead": foreign.pk}, HTTP_HX_REQUEST="true"
    )
    assert "No lead with this id" in response.content.decode()
    assert "Secret" not in response.content.decode()


def test_try_it_bad_sample_email_says_so(manager_client, workspace):
    response = manager_client.get(
        reverse("scoring:rule-try"), {"email": "not-an-email"}, HTTP_HX_REQUEST="true"
    )
    assert "is not a valid email address" in response.content.decode()


def test_lead_search_for_try_it_finds_by_email(manager_client, workspace):
    LeadFactory(workspace=workspace, email="zoe@harbor.example", first_name="Zoe")
    LeadFactory(workspace=workspace, email="max@other.example", first_name="Max")
    html = manager_client.get(reverse("scoring:rule-try-leads"), {"q": "harbor"}).content.decode()
    assert "Zoe" in html
    assert "Max" not in html
