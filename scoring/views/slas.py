"""The SLAs page: speed-to-lead policies and the workspace's holidays."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leadfollow.errors import DomainError
from leadfollow.forms import add_domain_error
from leadfollow.roles import manager_required, member_required
from scoring import forms, selectors
from scoring.services import reps
from scoring.views.rules import section_context


def _page(request: HttpRequest, holiday_form=None, status: int = 200) -> HttpResponse:
    context = {
        **section_context(request, "sla_policy"),
        "holidays": selectors.holidays(workspace=request.workspace),
        "holiday_form": holiday_form or forms.HolidayForm(),
    }
    return render(request, "scoring/slas.html", context, status=status)


@member_required()
def sla_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@manager_required
@require_POST
def holiday_add(request: HttpRequest) -> HttpResponse:
    form = forms.HolidayForm(request.POST)
    if form.is_valid():
        try:
            holiday = reps.add_holiday(
                workspace=request.workspace,
                day=form.cleaned_data["date"],
                name=form.cleaned_data["name"],
                actor=request.membership,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{holiday.name} added: SLA clocks pause that day.")
            return redirect("scoring:sla-list")
    return _page(request, holiday_form=form, status=400)


@manager_required
@require_POST
def holiday_delete(request: HttpRequest, holiday_id: int) -> HttpResponse:
    holiday = reps.get_holiday(workspace=request.workspace, holiday_id=holiday_id)
    reps.remove_holiday(
        workspace=request.workspace, holiday_id=holiday.pk, actor=request.membership
    )
    messages.success(request, f"{holiday.name} removed.")
    return redirect("scoring:sla-list")
