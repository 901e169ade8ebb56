"""A cadence's enrollments: who is in it, where they are, and pausing, resuming, stopping."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cadences import selectors
from cadences.forms import EnrollmentFilterForm
from cadences.services import enrollment as enrollments
from cadences.services.enrollment import get_cadence
from leadfollow.errors import DomainError
from leadfollow.roles import manager_required, member_required

PER_PAGE = 25
ACTIONS = {
    "pause": enrollments.pause,
    "resume": enrollments.resume,
    "stop": partial(enrollments.stop, reason="manual"),
}


@member_required()
def enrollment_list(request: HttpRequest, cadence_id: int) -> HttpResponse:
    cadence = get_cadence(workspace=request.workspace, cadence_id=cadence_id)
    filters = EnrollmentFilterForm(request.GET)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    found = selectors.cadence_enrollments(
        workspace=request.workspace, cadence=cadence, status=status or None
    )
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "cadence": cadence,
        "filters": filters,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "can_edit": request.membership.has_role("manager"),
    }
    wants_table = request.htmx and not request.htmx.history_restore_request
    template = "cadences/_enrollment_table.html" if wants_table else "cadences/enrollments.html"
    return render(request, template, context)


@manager_required
@require_POST
def enrollment_action(request: HttpRequest, enrollment_id: int, action: str) -> HttpResponse:
    workspace = request.workspace
    found = selectors.get_cadence_enrollment(workspace=workspace, enrollment_id=enrollment_id)
    error = None
    try:
        ACTIONS[action](workspace=workspace, enrollment=found, actor=request.membership)
    except DomainError as exc:
        error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("cadences:enrollment-list", cadence_id=found.cadence_id)
    fresh = selectors.get_cadence_enrollment(workspace=workspace, enrollment_id=enrollment_id)
    context = {"enrollment": fresh, "can_edit": True, "row_error": error}
    return render(request, "cadences/_enrollment_row.html", context)
