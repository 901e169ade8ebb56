"""An intake takes a round-robin team's turn at its end, and nothing downstream notices."""

import pytest

from cadences.models import Enrollment
from leadfollow.tenancy import workspace_scope
from leads.models import Activity
from leads.services import intake_lead, received
from scoring.models import SlaClock, Team
from tests.factories import (
    CadenceFactory,
    MembershipFactory,
    RoutingRuleFactory,
    SlaPolicyFactory,
    StepFactory,
    TeamFactory,
    TeamMemberFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_rep(workspace):
    """The one rep of a round-robin team that catches every lead."""
    team = TeamFactory(workspace=workspace, strategy=Team.Strategy.ROUND_ROBIN)
    rep = MembershipFactory(workspace=workspace)
    TeamMemberFactory(workspace=workspace, team=team, membership=rep)
    RoutingRuleFactory(workspace=workspace, team=team, conditions={"all": []}, position=0)
    return rep


def _intake(workspace):
    with workspace_scope(workspace):
        return intake_lead(workspace=workspace, fields={"email": "dana@northwind.example"}).lead


def _owned_by(rep) -> dict:
    return {"field": "owner", "op": "equals", "value": rep.user.email}


def test_an_sla_policy_for_the_owner_sees_the_rep_the_team_gives(workspace, team_rep):
    SlaPolicyFactory(workspace=workspace, conditions=_owned_by(team_rep))
    lead = _intake(workspace)
    with workspace_scope(workspace):
        assert SlaClock.objects.filter(lead=lead).exists()


def test_a_cadence_for_the_owner_s_leads_sees_the_rep_the_team_gives(workspace, team_rep):
    cadence = CadenceFactory(
        workspace=workspace, auto_enroll=True, enrollment_conditions=_owned_by(team_rep)
    )
    StepFactory(cadence=cadence, delay=1, delay_unit="hours")
    lead = _intake(workspace)
    with workspace_scope(workspace):
        assert Enrollment.objects.filter(lead=lead, cadence=cadence).exists()


def test_the_assignment_is_on_the_timeline_where_it_was_decided(workspace, team_rep):
    cadence = CadenceFactory(workspace=workspace, auto_enroll=True)
    StepFactory(cadence=cadence, delay=1, delay_unit="hours")
    lead = _intake(workspace)
    with workspace_scope(workspace):
        kinds = list(
            Activity.objects.filter(lead=lead)
            .order_by("occurred_at")
            .values_list("kind", flat=True)
        )
    assert kinds == ["created", "owner_changed", "enrolled"]


def test_a_team_deleted_before_its_turn_leaves_the_lead_to_the_next_rule(
    workspace, team_rep, rep, monkeypatch
):
    RoutingRuleFactory(workspace=workspace, member=rep, conditions={"all": []}, position=1)

    def delete_the_team(*, workspace, lead, is_new, fresh):
        Team.objects.filter(workspace=workspace).delete()

    monkeypatch.setattr(received, "_STEPS", {**received._STEPS, "delete": delete_the_team})
    lead = _intake(workspace)
    assert lead.owner == rep
