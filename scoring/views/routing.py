"""The Routing page: ordered routing rules, teams with their reps, and the fallback owner."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leadfollow.errors import DomainError
from leadfollow.forms import add_domain_error
from leadfollow.roles import manager_required, member_required
from leadfollow.selectors import workspace_members
from scoring import forms, selectors
from scoring.models import TeamMember
from scoring.services import rules, teams
from scoring.services.scores import rule_settings
from scoring.views.rules import section_context


def _page(request: HttpRequest, fallback_form=None, status: int = 200) -> HttpResponse:
    workspace = request.workspace
    settings = rule_settings(workspace=workspace)
    members = list(workspace_members(workspace=workspace))
    initial = {"fallback_owner": str(settings.fallback_owner_id or "")}
    context = {
        **section_context(request, "routing_rule"),
        "teams": selectors.teams_with_seats(workspace=workspace),
        "fallback_owner": settings.fallback_owner,
        "fallback_form": fallback_form or forms.FallbackForm(members=members, initial=initial),
    }
    return render(request, "scoring/routing.html", context, status=status)


@member_required()
def routing(request: HttpRequest) -> HttpResponse:
    return _page(request)


@manager_required
@require_POST
def fallback(request: HttpRequest) -> HttpResponse:
    members = list(workspace_members(workspace=request.workspace))
    form = forms.FallbackForm(request.POST, members=members)
    if form.is_valid():
        try:
            rules.set_fallback_owner(
                workspace=request.workspace, owner_id=form.owner_id(), actor=request.membership
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Fallback saved.")
            return redirect("scoring:routing")
    return _page(request, fallback_form=form, status=400)


@manager_required
def team_form(request: HttpRequest, team_id: int | None = None) -> HttpResponse:
    """Create or edit a team: name, strategy, manager, and which reps sit in it with what weight."""
    workspace = request.workspace
    team = teams.get_team(workspace=workspace, team_id=team_id) if team_id else None
    seats = (
        dict(
            TeamMember.objects.filter(workspace=workspace, team=team).values_list(
                "membership_id", "weight"
            )
        )
        if team
        else {}
    )
    initial = {"name": team.name, "strategy": team.strategy} if team else {}
    if team and team.manager_id:
        initial["manager"] = str(team.manager_id)
    members = list(workspace_members(workspace=workspace))
    form = forms.TeamForm(request.POST or None, members=members, seats=seats, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = teams.save_team(
                workspace=workspace,
                team_id=team.pk if team else None,
                name=form.cleaned_data["name"],
                strategy=form.cleaned_data["strategy"],
                manager_id=form.manager_id(),
                seats=form.cleaned_data["seats"],
                actor=request.membership,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Team “{saved.name}” saved.")
            return redirect("scoring:routing")
    status = 400 if form.errors else 200
    return render(request, "scoring/team_form.html", {"form": form, "team": team}, status=status)


@manager_required
@require_POST
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    team = teams.get_team(workspace=request.workspace, team_id=team_id)
    try:
        teams.delete_team(workspace=request.workspace, team_id=team.pk, actor=request.membership)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Team “{team.name}” was deleted.")
    return redirect("scoring:routing")
