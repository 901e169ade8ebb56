"""Intake keeps each workspace's rules loaded: every change must reach the very next lead."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from cadences.models import Enrollment
from leadfollow.services.workspaces import update_profile
from leadfollow.tenancy import workspace_scope
from leads.models import Activity
from leads.services import intake_lead
from scoring.models import SlaClock
from scoring.services import rule_sets
from scoring.services.reps import add_time_off, update_availability
from scoring.services.rules import move_rule, set_rule_active
from tests.factories import (
    CadenceFactory,
    MembershipFactory,
    RoutingRuleFactory,
    ScoringRuleFactory,
    SlaPolicyFactory,
    StepFactory,
    TeamFactory,
    TeamMemberFactory,
)

pytestmark = pytest.mark.django_db


def _intake(workspace, email: str):
    with workspace_scope(workspace):
        return intake_lead(workspace=workspace, fields={"email": email}).lead


def test_scoring_rule_added_after_a_lead_scores_the_next_one(workspace):
    ScoringRuleFactory(workspace=workspace, points=10, conditions={})
    assert _intake(workspace, "ann@globex.example").score.total == 10
    ScoringRuleFactory(workspace=workspace, points=5, conditions={})
    assert _intake(workspace, "bob@globex.example").score.total == 15


def test_routing_rule_switched_off_routes_the_next_lead_elsewhere(workspace, rep, manager):
    first = RoutingRuleFactory(workspace=workspace, member=rep, position=1)
    RoutingRuleFactory(workspace=workspace, member=manager, position=2)
    assert _intake(workspace, "ann@globex.example").owner == rep
    with workspace_scope(workspace):
        set_rule_active(
            workspace=workspace,
            subject="routing_rule",
            rule_id=first.pk,
            is_active=False,
            actor=manager,
        )
    assert _intake(workspace, "bob@globex.example").owner == manager


def test_moving_a_routing_rule_up_lets_it_win_the_next_lead(workspace, rep, manager):
    RoutingRuleFactory(workspace=workspace, member=rep, position=1)
    second = RoutingRuleFactory(workspace=workspace, member=manager, position=2)
    assert _intake(workspace, "ann@globex.example").owner == rep
    with workspace_scope(workspace):
        move_rule(
            workspace=workspace,
            subject="routing_rule",
            rule_id=second.pk,
            direction="up",
            actor=manager,
        )
    assert _intake(workspace, "bob@globex.example").owner == manager


def test_rep_deactivated_after_their_rule_was_loaded_gets_no_lead(workspace):
    rep = MembershipFactory(workspace=workspace)
    RoutingRuleFactory(workspace=workspace, member=rep)
    assert _intake(workspace, "ann@globex.example").owner == rep
    rep.is_active = False
    rep.save()
    assert _intake(workspace, "bob@globex.example").owner is None


def test_sla_policy_deleted_after_a_lead_starts_no_clock_for_the_next(workspace):
    policy = SlaPolicyFactory(workspace=workspace)
    _intake(workspace, "ann@globex.example")
    policy.delete()
    _intake(workspace, "bob@globex.example")
    with workspace_scope(workspace):
        assert SlaClock.objects.count() == 1


def test_cadence_set_to_auto_enroll_enrolls_the_next_lead(workspace):
    cadence = CadenceFactory(workspace=workspace)
    StepFactory(cadence=cadence)
    _intake(workspace, "ann@globex.example")
    cadence.auto_enroll = True
    cadence.save()
    bob = _intake(workspace, "bob@globex.example")
    with workspace_scope(workspace):
        assert list(Enrollment.objects.values_list("lead_id", flat=True)) == [bob.pk]


@pytest.mark.django_db(transaction=True)  # each intake its own transaction, as in production
def test_another_process_s_change_is_seen_once_the_shared_token_moves(workspace):
    """Another process replaces the token in the shared cache; this one's loaded rules go."""
    rule = ScoringRuleFactory(workspace=workspace, points=10, conditions={})
    assert _intake(workspace, "ann@globex.example").score.total == 10
    with workspace_scope(workspace):
        type(rule).objects.filter(pk=rule.pk).update(points=20)  # no signal, as elsewhere
    cache.set(f"rule-sets-version:{workspace.pk}", "set-by-another-process", timeout=None)
    assert _intake(workspace, "bob@globex.example").score.total == 20


def test_loaded_rules_are_kept_while_nothing_changes(workspace):
    loads = []
    for _ in range(2):
        rule_sets.cached_rule_set(workspace_id=workspace.pk, name="t", load=lambda: loads.append(1))
    assert loads == [1]


def _team_of(workspace, *reps):
    team = TeamFactory(workspace=workspace)
    for rep in reps:
        TeamMemberFactory(workspace=workspace, team=team, membership=rep)
    RoutingRuleFactory(workspace=workspace, team=team, conditions={"all": []})
    return team


def test_rep_switched_unavailable_after_their_team_was_loaded_gets_no_lead(workspace, manager):
    ann, bob = MembershipFactory(workspace=workspace), MembershipFactory(workspace=workspace)
    _team_of(workspace, ann, bob)
    assert _intake(workspace, "one@globex.example").owner == ann
    with workspace_scope(workspace):
        update_availability(
            workspace=workspace, membership_id=bob.pk, values={"is_available": False}, actor=manager
        )
    assert _intake(workspace, "two@globex.example").owner == ann


def test_time_off_booked_after_the_team_was_loaded_skips_the_rep(workspace, manager):
    ann, bob = MembershipFactory(workspace=workspace), MembershipFactory(workspace=workspace)
    _team_of(workspace, ann, bob)
    assert _intake(workspace, "one@globex.example").owner == ann
    now = timezone.now()
    with workspace_scope(workspace):
        add_time_off(
            workspace=workspace,
            membership_id=bob.pk,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1),
            note="Holiday",
            actor=manager,
        )
    assert _intake(workspace, "two@globex.example").owner == ann


def test_rep_renamed_after_their_team_was_loaded_is_named_by_the_next_assignment(workspace):
    ann = MembershipFactory(workspace=workspace)
    _team_of(workspace, ann)
    _intake(workspace, "one@globex.example")
    update_profile(user=ann.user, first_name="Annabel", last_name="Lee")
    lead = _intake(workspace, "two@globex.example")
    with workspace_scope(workspace):
        summary = Activity.objects.get(lead=lead, kind=Activity.Kind.OWNER_CHANGED).summary
    assert summary.startswith("Assigned to Annabel Lee.")


def test_seat_added_after_the_team_was_loaded_takes_its_turn(workspace):
    ann, bob = MembershipFactory(workspace=workspace), MembershipFactory(workspace=workspace)
    team = _team_of(workspace, ann)
    assert _intake(workspace, "one@globex.example").owner == ann
    TeamMemberFactory(workspace=workspace, team=team, membership=bob)
    assert _intake(workspace, "two@globex.example").owner == bob


@pytest.mark.django_db(transaction=True)  # the batch's transaction is the outermost one
def test_versions_read_for_a_batch_serve_the_rest_of_its_transaction(workspace, other_workspace):
    for ws in (workspace, other_workspace):
        rule_sets.cached_rule_set(workspace_id=ws.pk, name="t", load=dict)  # tokens exist
    calls = []
    with transaction.atomic():
        rule_sets.read_versions(workspace_ids={workspace.pk, other_workspace.pk})
        original = cache.get
        cache.get = lambda *args, **kwargs: calls.append(args) or original(*args, **kwargs)
        try:
            for ws in (workspace, other_workspace):
                rule_sets.cached_rule_set(workspace_id=ws.pk, name="t", load=dict)
        finally:
            del cache.get
    assert calls == []


def test_a_version_read_for_a_batch_still_sees_a_change_made_in_its_transaction(workspace):
    loads = []
    rule_sets.cached_rule_set(workspace_id=workspace.pk, name="t", load=lambda: loads.append(1))
    with transaction.atomic():
        rule_sets.read_versions(workspace_ids={workspace.pk})
        rule_sets.rules_changed(workspace_id=workspace.pk)
        rule_sets.cached_rule_set(workspace_id=workspace.pk, name="t", load=lambda: loads.append(2))
    assert loads == [1, 2]
