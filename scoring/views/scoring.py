"""The Scoring page: fit and engagement rules, bands and half-life, and the "try it" panel."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leadfollow.errors import DomainError
from leadfollow.forms import add_domain_error
from leadfollow.roles import manager_required, member_required
from leads import selectors as lead_selectors
from leads.lead_forms import show_service_errors
from scoring import forms
from scoring.services import rules
from scoring.services.preview import preview_rules
from scoring.services.scores import rule_settings
from scoring.views.rules import section_context

LEAD_PICKS = 8


def _page(request: HttpRequest, settings_form=None, status: int = 200) -> HttpResponse:
    settings = rule_settings(workspace=request.workspace)
    context = {
        **section_context(request, "scoring_rule"),
        "rule_settings": settings,
        "settings_form": settings_form
        or forms.ScoreSettingsForm(
            bands=settings.bands,
            initial={"engagement_half_life_days": settings.engagement_half_life_days},
        ),
        "try_form": forms.TryForm(),
    }
    return render(request, "scoring/scoring.html", context, status=status)


@member_required()
def rule_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@manager_required
@require_POST
def score_settings(request: HttpRequest) -> HttpResponse:
    """Band thresholds and the engagement half-life."""
    settings = rule_settings(workspace=request.workspace)
    form = forms.ScoreSettingsForm(request.POST, bands=settings.bands)
    if form.is_valid():
        try:
            rules.update_score_settings(
                workspace=request.workspace,
                bands=form.bands(),
                engagement_half_life_days=form.cleaned_data["engagement_half_life_days"],
                actor=request.membership,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Bands saved. Open leads are being rescored.")
            return redirect("scoring:rule-list")
    return _page(request, settings_form=form, status=400)


@member_required()
def try_rules(request: HttpRequest) -> HttpResponse:
    """What the rules would do to a lead or to sample values. Nothing is saved."""
    form = forms.TryForm(request.GET or None)
    preview, error = None, None
    if form.is_bound and form.is_valid():
        lead_id = form.cleaned_data["lead"]
        try:
            preview = preview_rules(
                workspace=request.workspace,
                lead_id=lead_id,
                sample=None if lead_id else form.sample(),
            )
        except DomainError as exc:
            show_service_errors(form, exc)
    if form.is_bound and form.errors:
        error = "Check the sample values."
    context = {"try_form": form, "preview": preview, "try_error": error}
    if request.htmx:
        return render(request, "scoring/_try_result.html", context)
    return render(request, "scoring/try.html", context)


@member_required()
def try_lead_search(request: HttpRequest) -> HttpResponse:
    """Leads to try the rules on: matches of the search, else the newest."""
    query = request.GET.get("q", "").strip()[:100]
    leads = lead_selectors.search_leads(
        workspace=request.workspace, q=query or None, ordering="-created"
    )[:LEAD_PICKS]
    return render(request, "scoring/_try_leads.html", {"leads": leads, "q": query})
