"""Managers' changes to teams: name, strategy, manager and the seats with their weights."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from leadfollow.errors import InvalidInput, NotFound
from leadfollow.models import Membership, Workspace
from scoring.models import Team, TeamMember
from scoring.services.audit import record_rule_change
from scoring.services.rules import ensure_team_unused

MAX_WEIGHT = 100


@dataclass(frozen=True)
class Seat:
    membership_id: int
    weight: int = 1


class TeamNotFound(NotFound):
    pass


def get_team(*, workspace: Workspace, team_id: int) -> Team:
    team = Team.objects.filter(workspace=workspace, pk=team_id).first()
    if team is None:
        raise TeamNotFound("No such team in your workspace.")
    return team


def _team_snapshot(team: Team) -> dict:
    return {
        "name": team.name,
        "strategy": team.strategy,
        "manager": team.manager_id,
        "members": [
            {"member": seat.membership_id, "weight": seat.weight}
            for seat in TeamMember.objects.filter(workspace=team.workspace, team=team)
        ],
    }


def _check(workspace: Workspace, name: str, strategy: str, manager_id, seats: list[Seat]) -> None:
    if not name.strip():
        raise InvalidInput("Give the team a name.", field="name")
    if strategy not in Team.Strategy.values:
        raise InvalidInput("Choose how the team shares leads.", field="strategy")
    wanted = {seat.membership_id for seat in seats} | ({manager_id} if manager_id else set())
    active = set(
        Membership.objects.filter(workspace=workspace, pk__in=wanted, is_active=True).values_list(
            "pk", flat=True
        )
    )
    if wanted - active:
        raise InvalidInput("Choose active members of this workspace.", field="members")
    if len({seat.membership_id for seat in seats}) != len(seats):
        raise InvalidInput("Each rep takes one seat in a team.", field="members")
    if any(not 1 <= seat.weight <= MAX_WEIGHT for seat in seats):
        raise InvalidInput(f"Weights are 1 to {MAX_WEIGHT}.", field="members")


@transaction.atomic
def save_team(
    *,
    workspace: Workspace,
    team_id: int | None,
    name: str,
    strategy: str,
    manager_id: int | None,
    seats: list[Seat],
    actor: Membership | None,
) -> Team:
    """Create a team (team_id None) or change one. Seats kept keep their place in the rotation."""
    _check(workspace, name, strategy, manager_id, seats)
    if team_id is None:
        team, before = Team(workspace=workspace), None
    else:
        team = Team.objects.select_for_update().filter(workspace=workspace, pk=team_id).first()
        if team is None:
            raise TeamNotFound("No such team in your workspace.")
        before = _team_snapshot(team)
    team.name, team.strategy, team.manager_id = name.strip(), strategy, manager_id
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError as exc:
        raise InvalidInput("Another team has this name.", field="name") from exc
    _sync_seats(workspace, team, seats)
    after = _team_snapshot(team)
    if after != before:
        record_rule_change(
            workspace=workspace,
            actor=actor,
            subject="team",
            subject_id=team.pk,
            action="created" if before is None else "updated",
            before=before,
            after=after,
        )
    return team


def _sync_seats(workspace: Workspace, team: Team, seats: list[Seat]) -> None:
    current = {
        s.membership_id: s for s in TeamMember.objects.filter(workspace=workspace, team=team)
    }
    wanted = {seat.membership_id: seat for seat in seats}
    gone = [pk for pk in current if pk not in wanted]
    if gone:
        if team.last_assigned_id in {current[pk].pk for pk in gone}:
            team.last_assigned = None
            team.save(update_fields=["last_assigned"])
        TeamMember.objects.filter(workspace=workspace, team=team, membership_id__in=gone).delete()
    last = max((s.position for s in current.values()), default=0)
    for seat in seats:
        existing = current.get(seat.membership_id)
        if existing is None:
            last += 1
            TeamMember.objects.create(
                workspace=workspace,
                team=team,
                membership_id=seat.membership_id,
                weight=seat.weight,
                position=last,
            )
        elif existing.weight != seat.weight:
            existing.weight = seat.weight
            existing.save(update_fields=["weight"])


@transaction.atomic
def delete_team(*, workspace: Workspace, team_id: int, actor: Membership | None) -> None:
    """Remove a team no routing rule uses."""
    team = get_team(workspace=workspace, team_id=team_id)
    ensure_team_unused(workspace=workspace, team_id=team.pk)
    before = _team_snapshot(team)
    team.delete()
    record_rule_change(
        workspace=workspace,
        actor=actor,
        subject="team",
        subject_id=team_id,
        action="deleted",
        before=before,
        after=None,
    )
