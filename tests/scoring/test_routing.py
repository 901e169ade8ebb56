from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from leadfollow.models import Role
from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Lead
from scoring.models import Notification, RepAvailability, RuleSettings, Team, TimeOff
from scoring.services.routing import decide_route, route_lead
from tests.factories import (
    LeadFactory,
    MembershipFactory,
    RoutingRuleFactory,
    TeamFactory,
    TeamMemberFactory,
)

pytestmark = pytest.mark.django_db


def _route(workspace, lead):
    with workspace_scope(workspace):
        return route_lead(workspace=workspace, lead=lead)


def _team(workspace, strategy=Team.Strategy.ROUND_ROBIN, weights=(1, 1, 1, 1)):
    team = TeamFactory(workspace=workspace, strategy=strategy)
    seats = [TeamMemberFactory(workspace=workspace, team=team, weight=w) for w in weights]
    RoutingRuleFactory(workspace=workspace, team=team)
    return team, [seat.membership for seat in seats]


def test_first_matching_rule_assigns_its_member(workspace, rep):
    RoutingRuleFactory(
        workspace=workspace,
        member=rep,
        conditions={"field": "source", "op": "equals", "value": "Web"},
    )
    lead = LeadFactory(workspace=workspace, source__name="Web")
    assert _route(workspace, lead).owner == rep


def test_assignment_is_logged_with_the_rule_that_made_it(workspace, rep):
    RoutingRuleFactory(workspace=workspace, member=rep, name="Everything to Rosa")
    lead = LeadFactory(workspace=workspace)
    _route(workspace, lead)
    with workspace_scope(workspace):
        activity = Activity.objects.get(lead=lead, kind="owner_changed")
    assert "Everything to Rosa" in activity.summary


def test_assigned_rep_gets_an_in_app_notification(workspace, rep):
    RoutingRuleFactory(workspace=workspace, member=rep)
    _route(workspace, LeadFactory(workspace=workspace))
    with workspace_scope(workspace):
        assert Notification.objects.get().recipient == rep


def test_unavailable_member_is_skipped_for_the_next_rule(workspace, rep):
    away = MembershipFactory(workspace=workspace)
    RepAvailability.objects.create(workspace=workspace, membership=away, is_available=False)
    RoutingRuleFactory(workspace=workspace, member=away)
    RoutingRuleFactory(workspace=workspace, member=rep)
    assert _route(workspace, LeadFactory(workspace=workspace)).owner == rep


def test_rep_on_time_off_is_skipped(workspace, rep):
    away = MembershipFactory(workspace=workspace)
    now = timezone.now()
    TimeOff.objects.create(
        workspace=workspace,
        membership=away,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=2),
    )
    RoutingRuleFactory(workspace=workspace, member=away)
    RoutingRuleFactory(workspace=workspace, member=rep)
    assert _route(workspace, LeadFactory(workspace=workspace)).owner == rep


def test_rep_at_open_lead_cap_is_skipped(workspace, rep):
    full = MembershipFactory(workspace=workspace)
    RepAvailability.objects.create(
        workspace=workspace,
        membership=full,
        open_cap=1,
        working_hours={str(d): [["00:00", "23:59"]] for d in range(7)},
    )
    LeadFactory(workspace=workspace, owner=full)
    RoutingRuleFactory(workspace=workspace, member=full)
    RoutingRuleFactory(workspace=workspace, member=rep)
    assert _route(workspace, LeadFactory(workspace=workspace)).owner == rep


def test_round_robin_takes_turns(workspace):
    _, reps = _team(workspace)
    owners = [_route(workspace, LeadFactory(workspace=workspace)).owner for _ in range(8)]
    assert owners == reps + reps


def test_weighted_team_matches_its_weights_over_a_cycle(workspace):
    _, reps = _team(workspace, Team.Strategy.WEIGHTED, weights=(3, 2, 1))
    owners = Counter(_route(workspace, LeadFactory(workspace=workspace)).owner for _ in range(12))
    assert [owners[rep] for rep in reps] == [6, 4, 2]


def test_least_loaded_picks_the_rep_with_fewest_open_leads(workspace):
    _, reps = _team(workspace, Team.Strategy.LEAST_LOADED, weights=(1, 1))
    LeadFactory(workspace=workspace, owner=reps[0])
    assert _route(workspace, LeadFactory(workspace=workspace)).owner == reps[1]


def test_no_match_goes_to_the_fallback_owner(workspace, manager):
    RuleSettings.objects.create(workspace=workspace, fallback_owner=manager)
    assert _route(workspace, LeadFactory(workspace=workspace)).owner == manager


def test_no_match_and_no_fallback_stays_unassigned(workspace):
    decision = _route(workspace, LeadFactory(workspace=workspace))
    assert decision.owner is None
    assert "unassigned" in decision.reason


def test_dry_run_does_not_advance_the_rotation(workspace):
    team, reps = _team(workspace)
    lead = LeadFactory(workspace=workspace)
    with workspace_scope(workspace):
        first = decide_route(workspace=workspace, lead=lead, dry_run=True).owner
        again = decide_route(workspace=workspace, lead=lead, dry_run=True).owner
        team.refresh_from_db()
    assert first == again == reps[0]
    assert team.last_assigned is None


def test_owned_lead_is_not_rerouted(workspace, rep, manager):
    RoutingRuleFactory(workspace=workspace, member=rep)
    lead = LeadFactory(workspace=workspace, owner=manager)
    assert _route(workspace, lead).owner == manager


def test_removed_member_never_gets_leads(workspace):
    gone = MembershipFactory(workspace=workspace, role=Role.REP, is_active=False)
    RoutingRuleFactory(workspace=workspace, member=gone)
    lead = LeadFactory(workspace=workspace)
    _route(workspace, lead)
    with workspace_scope(workspace):
        assert Lead.objects.get(pk=lead.pk).owner is None
