"""The Availability page: who takes new leads when. Managers edit anyone; reps edit themselves."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leadfollow.errors import DomainError
from leadfollow.forms import add_domain_error
from leadfollow.roles import member_required
from scoring import forms, selectors
from scoring.services import reps


@member_required()
def availability(request: HttpRequest) -> HttpResponse:
    rows = selectors.availability_rows(workspace=request.workspace)
    return render(request, "scoring/availability.html", {"rows": rows})


def _edit_page(request, availability, form, time_off_form, status: int = 200) -> HttpResponse:
    context = {
        "availability": availability,
        "member": availability.membership,
        "form": form,
        "time_off_form": time_off_form,
        "time_off": selectors.upcoming_time_off(
            workspace=request.workspace, membership_id=availability.membership_id
        ),
        "zone": forms.rep_zone(request.workspace, availability),
    }
    return render(request, "scoring/availability_form.html", context, status=status)


@member_required()
def availability_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    workspace = request.workspace
    current = reps.availability_for(workspace=workspace, membership_id=membership_id)
    reps.ensure_may_edit(actor=request.membership, membership_id=current.membership_id)
    form = forms.AvailabilityForm(request.POST or None, availability=current)
    if request.method == "POST" and form.is_valid():
        try:
            reps.update_availability(
                workspace=workspace,
                membership_id=current.membership_id,
                values=form.values(),
                actor=request.membership,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Availability saved.")
            return redirect("scoring:availability-edit", membership_id=current.membership_id)
    status = 400 if form.errors else 200
    return _edit_page(request, current, form, forms.TimeOffForm(), status)


@member_required()
@require_POST
def time_off_add(request: HttpRequest, membership_id: int) -> HttpResponse:
    workspace = request.workspace
    current = reps.availability_for(workspace=workspace, membership_id=membership_id)
    reps.ensure_may_edit(actor=request.membership, membership_id=current.membership_id)
    form = forms.TimeOffForm(request.POST)
    if form.is_valid():
        starts_at, ends_at = form.in_zone(forms.rep_zone(workspace, current))
        try:
            reps.add_time_off(
                workspace=workspace,
                membership_id=current.membership_id,
                starts_at=starts_at,
                ends_at=ends_at,
                note=form.cleaned_data["note"],
                actor=request.membership,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Time off booked: no new leads in that time.")
            return redirect("scoring:availability-edit", membership_id=current.membership_id)
    availability_form = forms.AvailabilityForm(availability=current)
    return _edit_page(request, current, availability_form, form, status=400)


@member_required()
@require_POST
def time_off_delete(request: HttpRequest, time_off_id: int) -> HttpResponse:
    time_off = reps.get_time_off(workspace=request.workspace, time_off_id=time_off_id)
    reps.remove_time_off(
        workspace=request.workspace, time_off_id=time_off.pk, actor=request.membership
    )
    messages.success(request, "Time off cancelled.")
    return redirect("scoring:availability-edit", membership_id=time_off.membership_id)
