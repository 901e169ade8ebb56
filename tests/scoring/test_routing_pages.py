"""The Routing page: routing rules, teams with weights, the fallback owner."""

from __future__ import annotations

import pytest
from django.urls import reverse

from leadfollow.models import Role
from leadfollow.tenancy import workspace_scope
from scoring.models import RoutingRule, RuleChange, RuleSettings, Team, TeamMember
from tests.factories import MembershipFactory, RoutingRuleFactory, TeamFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db


def test_manager_adds_a_routing_rule_to_a_team(manager_client, workspace):
    team = TeamFactory(workspace=workspace, name="Inside sales")
    data = {
        "name": "Website leads",
        "target": f"team:{team.pk}",
        "cond-field": ["source"],
        "cond-key": [""],
        "cond-op": ["equals"],
        "cond-value": ["Website"],
    }
    response = manager_client.post(reverse("scoring:routing-rule-new"), data)
    assert response.status_code == 302
    with workspace_scope(workspace):
        rule = RoutingRule.objects.get()
    assert (rule.team_id, rule.member_id) == (team.pk, None)


def test_routing_rule_to_a_foreign_member_is_refused(manager_client, workspace, other_workspace):
    stranger = MembershipFactory(workspace=other_workspace)
    data = {"name": "Leak", "target": f"member:{stranger.pk}"}
    response = manager_client.post(reverse("scoring:routing-rule-new"), data)
    assert response.status_code == 400
    with workspace_scope(workspace):
        assert not RoutingRule.objects.exists()


def test_routing_rules_are_listed_in_order(rep_client, workspace):
    team = TeamFactory(workspace=workspace)
    RoutingRuleFactory(workspace=workspace, team=team, name="Second", position=2)
    RoutingRuleFactory(workspace=workspace, team=team, name="First", position=1)
    html = rep_client.get(reverse("scoring:routing")).content.decode()
    assert html.index("First") < html.index("Second")


def test_manager_creates_a_weighted_team(manager_client, workspace, rep):
    other = MembershipFactory(workspace=workspace, role=Role.REP)
    data = {
        "name": "Closers",
        "strategy": "weighted",
        "manager": "",
        f"seat-{rep.pk}": "on",
        f"weight-{rep.pk}": "3",
        f"seat-{other.pk}": "on",
        f"weight-{other.pk}": "1",
    }
    response = manager_client.post(reverse("scoring:team-new"), data)
    assert response.status_code == 302
    with workspace_scope(workspace):
        team = Team.objects.get()
        seats = dict(TeamMember.objects.values_list("membership_id", "weight"))
        assert RuleChange.objects.get().subject == "team"
    assert team.strategy == "weighted"
    assert seats == {rep.pk: 3, other.pk: 1}


def test_editing_a_team_removes_unticked_reps(manager_client, workspace, rep):
    seat = TeamMemberFactory(workspace=workspace, membership=rep)
    data = {"name": seat.team.name, "strategy": "round_robin", "manager": ""}
    manager_client.post(reverse("scoring:team-edit", args=[seat.team.pk]), data)
    with workspace_scope(workspace):
        assert not TeamMember.objects.exists()


def test_zero_weight_is_refused(manager_client, workspace, rep):
    data = {"name": "T", "strategy": "weighted", f"seat-{rep.pk}": "on", f"weight-{rep.pk}": "0"}
    response = manager_client.post(reverse("scoring:team-new"), data)
    assert response.status_code == 400
    assert "weight of 1 to 100" in response.content.decode()


def test_team_used_by_a_rule_is_not_deleted(manager_client, workspace):
    team = TeamFactory(workspace=workspace)
    RoutingRuleFactory(workspace=workspace, team=team, name="Everything")
    response = manager_client.post(reverse("scoring:team-delete", args=[team.pk]), follow=True)
    assert "change them first" in response.content.decode()
    with workspace_scope(workspace):
        assert Team.objects.filter(pk=team.pk).exists()
        assert RoutingRule.objects.exists()


def test_manager_sets_the_fallback_owner(manager_client, workspace, rep):
    manager_client.post(reverse("scoring:routing-fallback"), {"fallback_owner": str(rep.pk)})
    with workspace_scope(workspace):
        assert RuleSettings.objects.get().fallback_owner_id == rep.pk


def test_fallback_owner_from_another_workspace_is_refused(
    manager_client, workspace, other_workspace
):
    stranger = MembershipFactory(workspace=other_workspace)
    response = manager_client.post(
        reverse("scoring:routing-fallback"), {"fallback_owner": str(stranger.pk)}
    )
    assert response.status_code == 400
    with workspace_scope(workspace):
        assert not RuleSettings.objects.filter(fallback_owner__isnull=False).exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("scoring:routing-rule-new", {"name": "X", "target": ""}),
        ("scoring:team-new", {"name": "X", "strategy": "round_robin"}),
        ("scoring:routing-fallback", {"fallback_owner": ""}),
    ],
)
def test_rep_gets_403_on_routing_writes(rep_client, workspace, name, data):
    assert rep_client.post(reverse(name), data).status_code == 403
    with workspace_scope(workspace):
        assert not RuleChange.objects.exists()


def test_rep_cannot_edit_a_team(rep_client, workspace):
    team = TeamFactory(workspace=workspace, name="Kept")
    data = {"name": "Renamed", "strategy": "round_robin"}
    assert rep_client.post(reverse("scoring:team-edit", args=[team.pk]), data).status_code == 403
    team.refresh_from_db()
    assert team.name == "Kept"
