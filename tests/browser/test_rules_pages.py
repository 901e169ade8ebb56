from datetime import date

import pytest
from playwright.sync_api import expect

from leadfollow.tenancy import workspace_scope
from leads.services import intake_lead
from scoring.models import ScoringRule, Team, TeamMember
from scoring.services.audit import record_rule_change, snapshot
from tests.browser.conftest import log_in, shoot
from tests.factories import (
    TEST_PASSWORD,
    HolidayFactory,
    MembershipFactory,
    RoutingRuleFactory,
    ScoringRuleFactory,
    SlaPolicyFactory,
    TeamFactory,
    TeamMemberFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rules(acme_team):
    """A small scoring model, a team, an SLA and a holiday, as a manager would set them up."""
    workspace, manager, rep = acme_team
    ScoringRuleFactory(workspace=workspace, name="Has a phone number", points=10, position=1)
    ScoringRuleFactory(
        workspace=workspace,
        name="Free-mail address",
        points=-10,
        position=2,
        conditions={"field": "email_is_free_mail", "op": "equals", "value": True},
    )
    ScoringRuleFactory(
        workspace=workspace,
        name="Replied",
        kind="engagement",
        activity_kind="replied",
        points=30,
        conditions={},
    )
    team = TeamFactory(workspace=workspace, name="Inside sales")
    TeamMemberFactory(workspace=workspace, team=team, membership=rep)
    SlaPolicyFactory(
        workspace=workspace,
        name="Hot leads: 5 minutes",
        conditions={"field": "score_band", "op": "equals", "value": "hot"},
        business_hours_only=True,
    )
    SlaPolicyFactory(workspace=workspace, name="Everyone else: 1 hour", minutes=60, position=2)
    HolidayFactory(workspace=workspace, name="Company offsite", date=date(2099, 6, 12))
    RoutingRuleFactory(
        workspace=workspace,
        name="Website leads",
        team=team,
        conditions={"field": "source", "op": "in", "value": ["Website", "Google Ads"]},
    )
    RoutingRuleFactory(
        workspace=workspace,
        name="Hot leads to Maya",
        member=manager,
        position=0,
        conditions={"field": "score_band", "op": "equals", "value": "hot"},
    )
    with workspace_scope(workspace):
        rule = ScoringRule.objects.get(name="Has a phone number")
        before = snapshot(rule)
        rule.points = 15
        rule.save()
        record_rule_change(
            workspace=workspace,
            actor=manager,
            subject="scoring_rule",
            subject_id=rule.pk,
            action="updated",
            before=before,
            after=snapshot(rule),
        )
    return workspace, manager, rep


def test_manager_creates_a_rule_with_the_condition_editor_and_tries_it(page, rules):
    workspace, manager, _ = rules
    with workspace_scope(workspace):
        intake_lead(
            workspace=workspace,
            fields={"first_name": "Dana", "last_name": "Kim", "email": "dana@harborview.example",
                    "phone": "+12125550143", "title": "Founder & CEO"},
        )  # fmt: skip
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto("/rules/")
    expect(page.get_by_role("heading", name="Scoring", exact=True)).to_be_visible()
    shoot(page, "rules-scoring")

    page.get_by_role("link", name="+ New fit rule").click()
    page.get_by_label("Name", exact=True).fill("Senior title")
    page.get_by_label("Points").fill("20")
    page.get_by_label("Attribute", exact=True).select_option("title")
    page.get_by_label("Operator", exact=True).select_option("matches_any_word")
    page.get_by_label("Value", exact=True).fill("owner ceo founder")
    page.get_by_role("button", name="+ Add condition").click()
    expect(page.get_by_label("Attribute", exact=True)).to_have_count(2)
    page.get_by_label("Attribute", exact=True).nth(1).select_option("score")
    page.get_by_label("Operator", exact=True).nth(1).select_option("gt")
    page.get_by_label("Value", exact=True).nth(1).fill("lots")
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_text("This condition: gt compares numbers")).to_be_visible()
    expect(page.get_by_label("Value", exact=True).nth(1)).to_have_value("lots")
    shoot(page, "rules-scoring-rule-invalid")

    page.get_by_label("Attribute", exact=True).nth(1).select_option("has_phone")
    page.get_by_label("Operator", exact=True).nth(1).select_option("equals")
    page.get_by_label("Value", exact=True).nth(1).fill("true")
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_text("The scoring rule “Senior title” was added.")).to_be_visible()
    expect(page.locator("#rules-section")).to_contain_text("job title matches any word of owner")

    page.get_by_role("button", name="Move “Senior title” up").click()
    expect(page.locator(".rulelist").first.locator(".rulelist__name").nth(1)).to_have_text(
        "Senior title"
    )

    page.get_by_label("An existing lead").fill("harbor")
    page.get_by_label("Dana Kim").check()
    page.get_by_role("button", name="Try it").click()
    result = page.locator("#try-result")
    expect(result).to_contain_text("Senior title")
    expect(result).to_contain_text("+20")
    expect(result).to_contain_text("Goes to")
    page.mouse.wheel(0, -10000)  # the sticky top bar belongs at the top of the picture
    shoot(page, "rules-scoring-try-it")
    assert page.csp_violations == []


def test_manager_edits_a_routing_team(page, rules):
    workspace, manager, rep = rules
    MembershipFactory(
        workspace=workspace, user__first_name="Lena", user__last_name="Ortiz", role="rep"
    )
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto("/rules/routing/")
    shoot(page, "rules-routing")
    page.get_by_role("link", name="Edit Inside sales").click()
    page.get_by_label("Share leads by").select_option("weighted")
    page.get_by_role("checkbox", name="Lena Ortiz").check()
    page.get_by_label("Weight of Lena Ortiz").fill("2")
    page.get_by_label("Team manager").select_option(label="Maya Hill")
    shoot(page, "rules-routing-team")
    page.get_by_role("button", name="Save team").click()
    expect(page.get_by_text("Team “Inside sales” saved.")).to_be_visible()
    expect(page.locator(".teamcard")).to_contain_text("weight 2")
    with workspace_scope(workspace):
        team = Team.objects.get(name="Inside sales")
        assert team.strategy == "weighted"
        assert team.manager_id == manager.pk
        assert TeamMember.objects.filter(team=team).count() == 2
    assert page.csp_violations == []


def test_rules_pages_look_right(page, phone, rules):
    workspace, manager, rep = rules
    log_in(page, manager.user.email, TEST_PASSWORD)
    for path, name in [
        ("/rules/slas/", "rules-slas"),
        ("/rules/slas/policies/new/", "rules-sla-policy-new"),
        ("/rules/availability/", "rules-availability"),
        (f"/rules/availability/{rep.pk}/", "rules-availability-edit"),
        ("/rules/history/", "rules-history"),
        ("/rules/routing/rules/new/", "rules-routing-rule-new"),
    ]:
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        shoot(page, name)
    with workspace_scope(workspace):
        lead = intake_lead(
            workspace=workspace,
            fields={"first_name": "Ethan", "last_name": "Brooks", "email": "ethan@peak.example",
                    "phone": "+13035550112", "company": "Peak Brewing", "title": "Owner"},
        ).lead  # fmt: skip
    page.goto(f"/leads/{lead.pk}/")
    expect(page.locator("#lead-score")).to_contain_text("Has a phone number")
    shoot(page, "rules-lead-score")
    assert page.csp_violations == []
    log_in(phone, rep.user.email, TEST_PASSWORD)
    phone.goto("/rules/")
    expect(phone.get_by_text("Set your own availability")).to_be_visible()
    shoot(phone, "rules-scoring-phone-rep")


def test_deleting_a_rule_asks_once(page, rules):
    workspace, manager, _rep = rules
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto("/rules/")
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Delete “Free-mail address”").click()
    expect(page.locator("#rules-section")).not_to_contain_text("Free-mail address")
    assert questions == ["Delete “Free-mail address”? The history keeps a copy."]
