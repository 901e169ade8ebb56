"""Enrolling by hand: one lead from its page, or a selection from the leads list."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from cadences import selectors
from cadences.services.enrollment import enroll, get_cadence
from leadfollow.errors import DomainError
from leadfollow.roles import member_required
from leads.models import Lead
from leads.selectors import get_lead

MAX_BULK = 500


class EnrollForm(forms.Form):
    cadence = forms.IntegerField(error_messages={"required": "Choose a cadence."})


@member_required()
def lead_enrollments(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The lead page's cadence card: its enrollments and a form to enroll it."""
    return _card(request, get_lead(workspace=request.workspace, lead_id=lead_id))


def _card(request: HttpRequest, lead: Lead, error: str = "", status: int = 200) -> HttpResponse:
    context = {
        "lead": lead,
        "enrollments": selectors.lead_enrollments(workspace=request.workspace, lead=lead),
        "cadences": selectors.enrollable_cadences(workspace=request.workspace),
        "error": error,
    }
    return render(request, "cadences/_lead_enrollments.html", context, status=status)


@member_required()
@require_POST
def lead_enroll(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_lead(workspace=request.workspace, lead_id=lead_id)
    form = EnrollForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "Choose a cadence."
    else:
        try:
            cadence = get_cadence(
                workspace=request.workspace, cadence_id=form.cleaned_data["cadence"]
            )
            enroll(
                workspace=request.workspace, lead=lead, cadence=cadence, actor=request.membership
            )
        except DomainError as exc:
            error = exc.message
    if request.htmx:
        return _card(request, lead, error, status=400 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{lead.display_name} is enrolled.")
    return redirect("leads:lead-detail", lead_id=lead.pk)


@member_required()
def enroll_options(request: HttpRequest) -> HttpResponse:
    """The leads list's "enroll in" menu, filled when the page loads."""
    cadences = selectors.enrollable_cadences(workspace=request.workspace)
    return render(request, "cadences/_enroll_options.html", {"cadences": cadences})


@member_required()
@require_POST
def enroll_bulk(request: HttpRequest) -> HttpResponse:
    """Enroll the selected leads; leads already in the cadence (or in an exclusive one) are
    skipped and counted, the others enrolled."""
    ids = [value for value in request.POST.getlist("lead_ids") if value.isdigit()][:MAX_BULK]
    back = _back(request)
    if not ids:
        messages.error(request, "Select the leads to enroll first.")
        return back
    try:
        cadence = get_cadence(
            workspace=request.workspace, cadence_id=int(request.POST.get("cadence") or 0)
        )
    except DomainError:
        messages.error(request, "Choose a cadence to enroll them in.")
        return back
    leads = list(Lead.objects.filter(workspace=request.workspace, pk__in=ids))
    if len(leads) != len(set(ids)):
        messages.error(request, "Some selected leads are not in this workspace: nothing changed.")
        return back
    enrolled, skipped = 0, []
    for lead in leads:
        try:
            enroll(
                workspace=request.workspace, lead=lead, cadence=cadence, actor=request.membership
            )
            enrolled += 1
        except DomainError as exc:
            skipped.append(f"{lead.display_name} ({exc.message})")
    text = f"{enrolled} enrolled in “{cadence.name}”."
    if skipped:
        text += f" Skipped {len(skipped)}: " + "; ".join(skipped[:5])
        text += "…" if len(skipped) > 5 else ""
    (messages.success if enrolled else messages.warning)(request, text)
    return back


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    list_url = reverse("leads:lead-list")
    return redirect(target if allowed and target.startswith(list_url) else list_url)
