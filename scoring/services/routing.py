"""Routing: the first matching rule assigns the lead to a member or to a team's next rep.

Team rotation state lives in the team's rows and is read under a row lock, so concurrent
intakes in any number of processes take turns exactly as a single process would.

Who can be routed to (the workspace's members with their availability and time off, its teams
and their seats) is loaded once per change, like the rules: a change to any of those rows is a
rule change. What moves with every lead (the rotation, weights, lead counts for caps) is read
fresh under the team's lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from leadfollow.models import Membership, Workspace
from leadfollow.tenancy import unscoped
from leads.models import Lead
from leads.services.assignment import assign_lead
from leads.services.received import at_intake_end as _at_intake_end
from scoring.availability import available_read_members, open_lead_counts
from scoring.conditions import Test, compile_condition, referenced_fields
from scoring.facts import lead_facts, owner_pending, settle_owner
from scoring.models import RepAvailability, RoutingRule, Team, TeamMember, TimeOff
from scoring.services.notifications import notify_assignment
from scoring.services.rule_sets import cached_rule_set, rules_changed, watch_rule_models
from scoring.services.scores import rule_settings

watch_rule_models(RoutingRule, Team, TeamMember, Membership, RepAvailability, TimeOff)


def _on_user_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """A new name or email reaches the rosters of the user's workspaces."""
    if update_fields is not None and not {"first_name", "last_name", "email"} & set(update_fields):
        return  # a login or a workspace switch
    with unscoped():  # a user belongs to any number of workspaces
        workspace_ids = set(
            Membership.objects.filter(user=instance).values_list("workspace_id", flat=True)
        )
    for workspace_id in workspace_ids:
        rules_changed(workspace_id=workspace_id)


post_save.connect(_on_user_saved, sender=get_user_model(), dispatch_uid="routing.user_saved")


@dataclass(frozen=True)
class _Roster:
    """Who routing can pick. Shared by every lead of the workspace: read-only."""

    members: dict[int, Membership]  # with user and availability
    time_off: dict[int, list[tuple[datetime, datetime]]]  # member id -> (starts, ends)
    teams: dict[int, Team]
    seats: dict[int, list[TeamMember]]  # team id -> seats in rotation order
    # (team id, its free seats) -> its turn's statement and parameters (`_turn`), worked out
    # once: which seats are free changes with the hour, not with every lead.
    turns: dict[tuple[int, tuple[int, ...]], tuple[str, list]] = field(default_factory=dict)

    def away(self, member_ids: list[int], at: datetime) -> set[int]:
        return {
            pk
            for pk in member_ids
            if any(starts <= at < ends for starts, ends in self.time_off.get(pk, ()))
        }


def _roster(workspace: Workspace) -> _Roster:
    def load() -> _Roster:
        members = Membership.objects.filter(workspace=workspace).select_related(
            "user", "availability"
        )
        time_off: dict[int, list[tuple[datetime, datetime]]] = {}
        for member_id, starts, ends in TimeOff.objects.filter(
            workspace=workspace, ends_at__gt=timezone.now()
        ).values_list("membership_id", "starts_at", "ends_at"):
            time_off.setdefault(member_id, []).append((starts, ends))
        seats: dict[int, list[TeamMember]] = {}
        for seat in TeamMember.objects.filter(workspace=workspace):
            seats.setdefault(seat.team_id, []).append(seat)
        teams = {team.pk: team for team in Team.objects.filter(workspace=workspace)}
        return _Roster({m.pk: m for m in members}, time_off, teams, seats)

    return cached_rule_set(workspace_id=workspace.pk, name="routing-roster", load=load)


# A round-robin team's turn, not taken yet: taking it says who gets the lead (None: the team
# was deleted a moment ago).
Turn = Callable[[], Membership | None]


@dataclass(frozen=True)
class RoutingDecision:
    owner: Membership | None
    reason: str
    rule: RoutingRule | None = None
    turn: Turn | None = None  # with `defer_turn`: the owner is whoever this turn gives


def decide_route(
    *,
    workspace: Workspace,
    lead: Lead,
    score: tuple[int, str] | None = None,
    at: datetime | None = None,
    dry_run: bool = False,
    defer_turn: bool = False,
) -> RoutingDecision:
    """Pick the owner. With `dry_run` nothing is locked or advanced (the "try it" panel). With
    `defer_turn`, a round-robin team's turn is left to the caller to take (`decision.turn`)."""
    at = at or timezone.now()
    rules, needed, fallback_id = _routing_setup(workspace)
    roster = _roster(workspace)
    facts = lead_facts(workspace=workspace, lead=lead, needed=needed, score=score, now=at)
    for rule, test in rules:
        if test is not None and not test(facts):
            continue
        if rule.member_id:
            member = roster.members.get(rule.member_id)
            candidates = [member] if member else []
            away = roster.away([rule.member_id], at)
            if available_read_members(workspace=workspace, candidates=candidates, away=away, at=at):
                return RoutingDecision(member, f"Rule “{rule.name}”", rule)
            continue  # the named rep is away or full: the next rule gets its chance
        picked = _pick_from_team(workspace, roster, rule.team_id, at, dry_run, defer_turn)
        if picked is not None:
            owner, team = picked
            reason = f"Rule “{rule.name}”, team {team.name}"
            if isinstance(owner, Membership):
                return RoutingDecision(owner, reason, rule)
            return RoutingDecision(None, reason, rule, turn=owner)
    fallback = roster.members.get(fallback_id) if fallback_id else None
    if fallback is not None and fallback.is_active:
        return RoutingDecision(fallback, "No rule matched: fallback owner")
    return RoutingDecision(None, "No rule matched: left in the unassigned queue")


def _routing_setup(
    workspace: Workspace,
) -> tuple[list[tuple[RoutingRule, Test | None]], set[str], int | None]:
    """([(active rule, its prepared conditions or None)], the facts they read, fallback owner
    id), loaded once per rule change. The rules come without their member and team: those are
    found in the roster."""

    def load():
        rules = list(RoutingRule.objects.filter(workspace=workspace, is_active=True))
        needed = set().union(*(referenced_fields(r.conditions) for r in rules if r.conditions))
        prepared = [(r, compile_condition(r.conditions) if r.conditions else None) for r in rules]
        return prepared, needed, rule_settings(workspace=workspace).fallback_owner_id

    return cached_rule_set(workspace_id=workspace.pk, name="routing", load=load)


def _pick_from_team(
    workspace: Workspace,
    roster: _Roster,
    team_id: int,
    at: datetime,
    dry_run: bool,
    defer_turn: bool = False,
) -> tuple[Membership | Turn, Team] | None:
    """(the team's next free rep, the team), or None when nobody in it can take a lead. With
    `defer_turn`, a round-robin team gives its turn instead of the rep, to be taken later.

    One query locks the team's row and reads whom it assigned last. The lock makes concurrent
    intakes take turns; the rotation's state they share lives in the locked row (last assigned)
    and, for a weighted team, in its seats' weights, read once the lock is held. So are the
    lead counts of a least-loaded team and of capped reps.
    """
    team, seats = roster.teams.get(team_id), roster.seats.get(team_id, [])
    if team is None or not seats:
        return None
    members = [roster.members[seat.membership_id] for seat in seats]
    if team.strategy == Team.Strategy.ROUND_ROBIN and not dry_run and not _capped(members):
        turn = _turn(workspace, roster, team, seats, members, at)
        if turn is None:
            return None
        if defer_turn:
            return turn, team
        owner = turn()
        return (owner, team) if owner is not None else None
    last = Team.objects.filter(workspace=workspace, pk=team_id)
    if not dry_run:
        last = last.select_for_update()
    last_assigned_id = last.values_list("last_assigned_id", flat=True).first()
    free = {
        m.pk
        for m in available_read_members(
            workspace=workspace,
            candidates=members,
            away=roster.away([m.pk for m in members], at),
            at=at,
        )
    }
    if team.strategy == Team.Strategy.WEIGHTED:
        seats = list(TeamMember.objects.filter(workspace=workspace, team_id=team_id))
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
            key=lambda seat: (
                counts.get(seat.membership_id, 0),
                _after(seats, last_assigned_id, seat),
            ),
        )
    else:
        chosen = min(seats_free, key=lambda seat: _after(seats, last_assigned_id, seat))
    if not dry_run:
        # An update, not a save: the rotation moving is not a change to the team.
        Team.objects.filter(workspace=workspace, pk=team_id).update(last_assigned=chosen.pk)
    return roster.members[chosen.membership_id], team


def _capped(members: list[Membership]) -> bool:
    """Whether any of them has a cap, which only lead counts read under the team's lock answer."""
    # A member without a saved availability raises an AttributeError (Django's "does not exist").
    found = [getattr(member, "availability", None) for member in members]
    return any(a is not None and (a.daily_cap or a.open_cap) for a in found)


def _turn(
    workspace: Workspace,
    roster: _Roster,
    team: Team,
    seats: list[TeamMember],
    members: list[Membership],
    at: datetime,
) -> Turn | None:
    """_pick_from_team for a round-robin team whose reps have no caps: who is free depends on
    the roster and the clock only, so the rotation moves in one statement, the turn returned
    (None when nobody is free). Taking it takes the team's row lock, reads whom the team
    assigned last and stores the next free seat after it, which gets the lead."""
    away = roster.away([m.pk for m in members], at)
    free = {
        m.pk
        for m in available_read_members(workspace=workspace, candidates=members, away=away, at=at)
    }
    seats_free = tuple(seat.pk for seat in seats if seat.membership_id in free)
    if not seats_free:
        return None
    key = (team.pk, seats_free)
    if key not in roster.turns:
        roster.turns[key] = _turn_statement(seats, seats_free)
    sql, turns = roster.turns[key]

    def take() -> Membership | None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [*turns, team.pk, workspace.pk])
            row = cursor.fetchone()
        if row is None:  # the team was deleted a moment ago
            return None
        chosen = next(seat for seat in seats if seat.pk == row[0])
        return roster.members[chosen.membership_id]

    return take


def _turn_statement(seats: list[TeamMember], seats_free: tuple[int, ...]) -> tuple[str, list]:
    """The UPDATE that moves the team's rotation to the free seat after the one it stores, and
    its parameters but the team's and workspace's ids. A CASE of the stored last seat, so the
    read and the move are one step under the row lock."""
    free = [seat for seat in seats if seat.pk in seats_free]
    following = {
        last.pk: min(free, key=lambda seat: _after(seats, last.pk, seat)).pk for last in seats
    }
    first = min(free, key=lambda seat: _after(seats, None, seat)).pk
    quote = connection.ops.quote_name
    table = quote(Team._meta.db_table)
    column = quote(Team._meta.get_field("last_assigned").column)
    cases = " ".join("WHEN %s THEN %s" for _ in following)
    sql = (
        f"UPDATE {table} SET {column} = CASE {column} {cases} ELSE %s END "
        f"WHERE {quote('id')} = %s AND {quote('workspace_id')} = %s RETURNING {column}"
    )
    return sql, [*(n for pair in following.items() for n in pair), first]


def _after(seats: list[TeamMember], last_assigned_id: int | None, seat: TeamMember) -> int:
    """Distance of `seat` after the last assigned seat in the rotation (1 = next in line)."""
    order = [s.pk for s in seats]
    last = order.index(last_assigned_id) if last_assigned_id in order else -1
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
    *,
    workspace: Workspace,
    lead: Lead,
    score: tuple[int, str] | None = None,
    at_intake_end: bool = False,
) -> RoutingDecision:
    """Assign an unowned lead by the routing rules, log why, and alert the new owner.

    With `at_intake_end` (an intake whose steps run together), a round-robin team's turn is
    taken when the intake ends, so the team's row lock, held until commit, is held for the
    intake's last statements only and concurrent intakes queue on it briefly. The owner is
    settled earlier if a later step's rules read it (`lead_facts`)."""
    if lead.owner_id:
        return RoutingDecision(lead.owner, "Already owned")
    decision = decide_route(workspace=workspace, lead=lead, score=score, defer_turn=at_intake_end)
    if decision.turn is not None:
        decided_at = timezone.now()  # the timeline shows the assignment where it was decided
        owner_pending(lead, partial(_take_turn, workspace, lead, score, decision, decided_at))
        _at_intake_end(partial(settle_owner, lead))
    elif decision.owner is not None:
        _give(workspace, lead, decision.owner, decision.reason)
    return decision


def _take_turn(workspace, lead, score, decision: RoutingDecision, decided_at: datetime) -> None:
    owner = decision.turn()
    if owner is None:  # the team is gone: route again, from the rules as they are now
        route_lead(workspace=workspace, lead=lead, score=score)
        return
    _give(workspace, lead, owner, decision.reason, decided_at)


def _give(
    workspace: Workspace, lead: Lead, owner: Membership, reason: str, at: datetime | None = None
) -> None:
    assign_lead(workspace=workspace, lead=lead, owner=owner, reason=reason, occurred_at=at)
    notify_assignment(workspace=workspace, lead=lead, owner=owner, reason=reason)
