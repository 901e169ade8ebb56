"""The managers' team board: each member's open leads, tasks, SLA breaches and availability,
and moving one or many leads from one rep to another."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from leadfollow.errors import DomainError
from leadfollow.models import Membership
from leadfollow.roles import manager_required
from leadfollow.selectors import get_membership, workspace_members
from scoring import team_board as board
from scoring.models import Team
from scoring.services.reassignment import LeadsNotReassigned, reassign_leads
from scoring.team_forms import LeadReassignForm


def _id(value) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() else None


def _filters(request: HttpRequest, params) -> tuple[Team | None, Membership | None]:
    """The team to show and the rep whose leads to list; another workspace's ids are a 404."""
    team_id, rep_id = _id(params.get("team")), _id(params.get("rep") or params.get("from_rep"))
    workspace = request.workspace
    team = board.get_team(workspace=workspace, team_id=team_id) if team_id else None
    rep = get_membership(workspace=workspace, membership_id=rep_id) if rep_id else None
    return team, rep


def _context(request: HttpRequest, team, rep, *, problems=None, checked=(), error="") -> dict:
    workspace = request.workspace
    members = board.board_members(workspace=workspace, team=team)
    rep_leads = (
        list(board.open_leads_of(workspace=workspace, member=rep)[: board.OPEN_LEADS_SHOWN])
        if rep
        else []
    )
    problems = problems or {}
    names = {lead.pk: lead.display_name for lead in rep_leads}
    return {
        "rows": board.team_board(workspace=workspace, members=members, now=timezone.now()),
        "teams": board.teams(workspace=workspace),
        "team": team,
        "rep": rep,
        "pick_rows": [(lead, problems.get(lead.pk), lead.pk in checked) for lead in rep_leads],
        "more_leads": len(rep_leads) == board.OPEN_LEADS_SHOWN,
        "targets": [m for m in workspace_members(workspace=workspace) if m != rep],
        "error": error,
        "problem_list": [(names.get(pk, f"Lead #{pk}"), why) for pk, why in problems.items()],
    }


@manager_required
def team_board(request: HttpRequest) -> HttpResponse:
    team, rep = _filters(request, request.GET)
    return render(request, "scoring/team_board.html", _context(request, team, rep))


@manager_required
@require_POST
def team_reassign(request: HttpRequest) -> HttpResponse:
    """Move the ticked leads to another member, all or none; each problem is shown by its lead."""
    team, rep = _filters(request, request.POST)
    form = LeadReassignForm(
        request.POST, members=list(workspace_members(workspace=request.workspace))
    )
    problems, error = {}, ""
    if not form.is_valid():
        error = form.first_error()
    else:
        data = form.cleaned_data
        try:
            moved = reassign_leads(
                workspace=request.workspace,
                lead_ids=data["lead_ids"],
                to_member_id=data["to"],
                from_member_id=data["from_rep"],
                actor=request.membership,
            )
        except LeadsNotReassigned as exc:
            problems, error = exc.problems, exc.message
        except DomainError as exc:
            error = exc.message
        else:
            target = dict(form.fields["to"].choices)[data["to"]]
            noun = "lead" if len(moved) == 1 else "leads"
            messages.success(request, f"Moved {len(moved)} {noun} to {target}.")
            query = urlencode({k: v for k, v in (("team", team and team.pk), ("rep", rep.pk)) if v})
            return redirect(f"{reverse('scoring:team-board')}?{query}")
    checked = set(form.cleaned_data.get("lead_ids") or [])  # kept ticked for another try
    context = _context(request, team, rep, problems=problems, checked=checked, error=error)
    return render(request, "scoring/team_board.html", context, status=400)
