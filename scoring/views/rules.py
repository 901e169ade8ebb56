"""Ordered rules of every kind (scoring, routing, SLA): create, edit, reorder, on/off, delete.

Each write answers htmx with the page's rule section (or, for the editor, the form with its
errors), and a plain POST with a redirect, so the pages work without JavaScript too.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from leadfollow.errors import DomainError
from leadfollow.forms import add_domain_error
from leadfollow.roles import manager_required
from leadfollow.selectors import workspace_members
from scoring import forms, selectors
from scoring.condition_builder import conditions_from_post, editor_context, editor_context_from_post
from scoring.conditions import InvalidRule
from scoring.models import ScoringRule
from scoring.services import rules


@dataclass(frozen=True)
class Subject:
    label: str
    list_url: str
    section: str  # the partial a write returns to htmx


SUBJECTS = {
    "scoring_rule": Subject("scoring rule", "scoring:rule-list", "scoring/_scoring_rules.html"),
    "routing_rule": Subject("routing rule", "scoring:routing", "scoring/_routing_rules.html"),
    "sla_policy": Subject("SLA policy", "scoring:sla-list", "scoring/_sla_policies.html"),
}


def section_context(request: HttpRequest, subject: str) -> dict:
    workspace = request.workspace
    context = {"can_edit": request.membership.has_role("manager")}
    if subject == "scoring_rule":
        by_kind = selectors.scoring_rules(workspace=workspace)
        context.update(fit_rules=by_kind["fit"], engagement_rules=by_kind["engagement"])
    elif subject == "routing_rule":
        context["routing_rules"] = selectors.routing_rules(workspace=workspace)
    else:
        context["policies"] = selectors.sla_policies(workspace=workspace)
    return context


def _form(request: HttpRequest, subject: str, rule, kind: str):
    data = request.POST if request.method == "POST" else None
    if subject == "scoring_rule":
        fields = ("name", "points", "activity_kind")
        initial = {field: getattr(rule, field) for field in fields} if rule else None
        return forms.ScoringRuleForm(data, kind=kind, initial=initial)
    if subject == "routing_rule":
        members = list(workspace_members(workspace=request.workspace))
        teams = list(selectors.teams_with_seats(workspace=request.workspace))
        initial = forms.routing_initial(rule) if rule else None
        return forms.RoutingRuleForm(data, members=members, teams=teams, initial=initial)
    fields = ("name", "minutes", "met_by", "business_hours_only", "warn_at_percent")
    initial = {f: getattr(rule, f) for f in (*fields, "reassign_on_breach")} if rule else None
    return forms.SlaPolicyForm(data, initial=initial)


@manager_required
def rule_form(request: HttpRequest, subject: str, rule_id: int | None = None) -> HttpResponse:
    """The rule editor: a page, whose form htmx re-renders in place with its errors."""
    workspace, config = request.workspace, SUBJECTS[subject]
    rule = (
        rules.get_rule(workspace=workspace, subject=subject, rule_id=rule_id) if rule_id else None
    )
    kind = rule.kind if rule else request.GET.get("kind", ScoringRule.Kind.FIT)
    if kind not in ScoringRule.Kind.values:
        raise Http404("No such kind of rule.")
    form = _form(request, subject, rule, kind)
    editor = editor_context(rule.conditions if rule else {})
    if request.method == "POST":
        saved = _save(request, subject, rule, form, editor)
        if saved is not None:
            verb = "saved" if rule else "added"
            messages.success(request, f"The {config.label} “{saved.name}” was {verb}.")
            url = reverse(config.list_url)
            if request.htmx:
                return HttpResponse(status=204, headers={"HX-Redirect": url})
            return redirect(url)
        editor = form.editor
    context = {"form": form, "rule": rule, "subject": subject, "config": config, "kind": kind}
    context.update(editor)
    if request.htmx and request.method == "POST":
        return render(request, "scoring/_rule_form.html", context)  # htmx swaps only 2xx
    status = 400 if request.method == "POST" else 200
    return render(request, "scoring/rule_form.html", context, status=status)


def _save(request: HttpRequest, subject: str, rule, form, editor: dict):
    """The saved rule, or None with the errors put on the form and `form.editor`."""
    form.editor = editor_context_from_post(request.POST)
    try:
        conditions = conditions_from_post(request.POST)
    except InvalidRule as exc:
        form.editor = editor_context_from_post(request.POST, exc)
        form.is_valid()
        return None
    if not form.is_valid():
        return None
    values, kwargs = form.values(conditions), {"workspace": request.workspace, "subject": subject}
    try:
        if rule is None:
            return rules.create_rule(**kwargs, values=values, actor=request.membership)
        return rules.update_rule(**kwargs, rule_id=rule.pk, values=values, actor=request.membership)
    except InvalidRule as exc:
        form.editor = editor_context_from_post(request.POST, exc)
    except DomainError as exc:
        add_domain_error(form, exc)
    return None


def _section_response(request: HttpRequest, subject: str, error: str | None = None):
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(SUBJECTS[subject].list_url)
    context = {**section_context(request, subject), "section_error": error}
    return render(request, SUBJECTS[subject].section, context)


@manager_required
@require_POST
def rule_move(request: HttpRequest, subject: str, rule_id: int) -> HttpResponse:
    rule = rules.get_rule(workspace=request.workspace, subject=subject, rule_id=rule_id)
    error = None
    try:
        rules.move_rule(
            workspace=request.workspace,
            subject=subject,
            rule_id=rule.pk,
            direction=request.POST.get("direction", ""),
            actor=request.membership,
        )
    except DomainError as exc:
        error = exc.message
    return _section_response(request, subject, error)


@manager_required
@require_POST
def rule_toggle(request: HttpRequest, subject: str, rule_id: int) -> HttpResponse:
    rule = rules.get_rule(workspace=request.workspace, subject=subject, rule_id=rule_id)
    rules.set_rule_active(
        workspace=request.workspace,
        subject=subject,
        rule_id=rule.pk,
        is_active=request.POST.get("is_active") == "true",
        actor=request.membership,
    )
    return _section_response(request, subject)


@manager_required
@require_POST
def rule_delete(request: HttpRequest, subject: str, rule_id: int) -> HttpResponse:
    rule = rules.get_rule(workspace=request.workspace, subject=subject, rule_id=rule_id)
    rules.delete_rule(
        workspace=request.workspace, subject=subject, rule_id=rule.pk, actor=request.membership
    )
    if not request.htmx:
        messages.success(request, f"The {SUBJECTS[subject].label} “{rule.name}” was deleted.")
    return _section_response(request, subject)
