"""Routing: the first matching rule assigns the lead to a member or to a team's next rep.

Team rotation state lives in the team's rows and is read under a row lock, so concurrent
intakes in any number of processes take turns exactly as a single process would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from leadfollow.models import Membership, Workspace
from leads.models import Lead
from leads.services.assignment import assign_lead
from scoring.availability import available_members, open_lead_counts
from scoring.conditions import evaluate, referenced_fields
from scoring.facts import lead_facts
from scoring.models import RoutingRule, Team, TeamMember
from scoring.services.notifications import notify_assignment
from scoring.services.rule_sets import cached_rule_set, watch_rule_models
from scoring.services.scores import rule_settings

watch_rule_models(RoutingRule)


@dataclass(frozen=True)
class RoutingDecision:
    owner: Membership | None
    reason: str
    rule: RoutingRule | None = None


def decide_route(
    *,
    workspace: Workspace,
    lead: Lead,
    score: tuple[int, str] | None = None,
    at: datetime | None = None,
    dry_run: bool = False,
) -> RoutingDecision:
    """Pick the owner. With `dry_run` nothing is locked or advanced (the "try it" panel)."""
    at = at or timezone.now()
    rules, needed, fallback_id = _routing_setup(workspace)
    facts = lead_facts(workspace=workspace, lead=lead, needed=needed, score=score, now=at)
    for rule in rules:
        if rule.conditions and not evaluate(rule.conditions, facts):
            continue
        if rule.member_id:
            member = _member(workspace, rule.member_id)
            if available_members(workspace=workspace, candidates=[member], at=at):
                return RoutingDecision(member, f"Rule “{rule.name}”", rule)
            continue  # the named rep is away or full: the next rule gets its chance
        picked = _pick_from_team(workspace, rule.team_id, at, dry_run)
        if picked is not None:
            owner, team = picked
            return RoutingDecision(owner, f"Rule “{rule.name}”, team {team.name}", rule)
    fallback = _member(workspace, fallback_id) if fallback_id else None
    if fallback is not None and fallback.is_active:
        return RoutingDecision(fallback, "No rule matched: fallback owner")
    return RoutingDecision(None, "No rule matched: left in the unassigned queue")


def _routing_setup(workspace: Workspace) -> tuple[list[RoutingRule], set[str], int | None]:
    """(active rules, the facts they read, fallback owner id), loaded once per rule change.
    The rules come without their member and team: those are read fresh where a rule matches."""

    def load():
        rules = list(RoutingRule.objects.filter(workspace=workspace, is_active=True))
        needed = set().union(*(referenced_fields(r.conditions) for r in rules if r.conditions))
        return rules, needed, rule_settings(workspace=workspace).fallback_owner_id

    return cached_rule_set(workspace_id=workspace.pk, name="routing", load=load)


def _member(workspace: Workspace, member_id: int) -> Membership | None:
    return (
        Membership.objects.select_related("user").filter(workspace=workspace, pk=member_id).first()
    )


def _pick_from_team(workspace: Workspace, team_id: int, at: datetime, dry_run: bool):
    """(the team's next free rep, the team), or None when nobody in it can take a lead.

    One query locks the team's row and reads its seats. The lock makes concurrent intakes take
    turns; the rotation's state they share lives in the locked row (last assigned), except for
    a weighted team's seat weights, which are read again once the lock is held.
    """
    seats = TeamMember.objects.filter(workspace=workspace, team_id=team_id).select_related(
        "team", "membership__user"
    )
    if not dry_run:
        seats = seats.select_for_update(of=("team",))
    seats = list(seats)
    if not seats:
        return None
    team = seats[0].team
    if team.strategy == Team.Strategy.WEIGHTED and not dry_run:
        seats = list(
            TeamMember.objects.filter(workspace=workspace, team=team).select_related(
                "membership__user"
            )
        )
    free = {
        m.pk
        for m in available_members(
            workspace=workspace, candidates=[seat.membership for seat in seats], at=at
        )
    }
    seats_free = [seat for seat in seats if seat.membership_id in free]
    if not seats_free:
        return None
    if team.strategy == Team.Strategy.WEIGHTED:
        chosen = _smooth_weighted(seats_free, dry_run)
    elif team.strategy == Team.Strategy.LEAST_LOADED:
        counts = open_lead_counts(
            workspace=workspace, member_ids=[s.membership_id for s in seats_free]
        )
        chosen = min(
            seats_free,
            key=lambda seat: (counts.get(seat.membership_id, 0), _after(seats, team, seat)),
        )
    else:
        chosen = min(seats_free, key=lambda seat: _after(seats, team, seat))
    if not dry_run:
        team.last_assigned = chosen
        team.save(update_fields=["last_assigned"])
    return chosen.membership, team


def _after(seats: list[TeamMember], team: Team, seat: TeamMember) -> int:
    """Distance of `seat` after the last assigned seat in the rotation (1 = next in line)."""
    order = [s.pk for s in seats]
    last = order.index(team.last_assigned_id) if team.last_assigned_id in order else -1
    return (order.index(seat.pk) - last - 1) % len(order)


def _smooth_weighted(seats: list[TeamMember], dry_run: bool) -> TeamMember:
    """Smooth weighted round robin: each cycle of sum(weights) picks gives each seat its weight."""
    total = sum(seat.weight for seat in seats)
    for seat in seats:
        seat.current_weight += seat.weight
    chosen = max(seats, key=lambda seat: seat.current_weight)
    chosen.current_weight -= total
    if not dry_run:
        TeamMember.objects.bulk_update(seats, ["current_weight"])
    return chosen


@transaction.atomic(savepoint=False)  # intake runs each step in a savepoint of its own
def route_lead(
    *, workspace: Workspace, lead: Lead, score: tuple[int, str] | None = None
) -> RoutingDecision:
    """Assign an unowned lead by the routing rules, log why, and alert the new owner."""
    if lead.owner_id:
        return RoutingDecision(lead.owner, "Already owned")
    decision = decide_route(workspace=workspace, lead=lead, score=score)
    if decision.owner is not None:
        assign_lead(workspace=workspace, lead=lead, owner=decision.owner, reason=decision.reason)

        notify_assignment(
            workspace=workspace, lead=lead, owner=decision.owner, reason=decision.reason
        )
    return decision
