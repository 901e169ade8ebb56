"""The cadence builder: its steps in order, added, edited, moved and deleted in place (htmx)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cadences import selectors, templating
from cadences.forms import StepForm
from cadences.models import Step
from cadences.services import builder
from cadences.services.enrollment import get_cadence
from leadfollow.errors import DomainError
from leadfollow.forms import add_domain_error
from leadfollow.roles import manager_required, member_required


def delay_text(step: Step, first: bool) -> str:
    """ "2 days after the previous step", "At once, when enrolled"."""
    after = "when enrolled" if first or step.delay_after == Step.After.ENROLLMENT else None
    if not step.delay:
        return f"At once, {after}" if after else "Right after the previous step"
    unit = step.get_delay_unit_display()
    unit = unit[:-1] if step.delay == 1 else unit
    return f"{step.delay} {unit} {'after enrollment' if after else 'after the previous step'}"


def steps_context(request: HttpRequest, cadence) -> dict:
    steps = list(selectors.cadence_steps(workspace=request.workspace, cadence=cadence))
    for index, step in enumerate(steps):
        step.delay_text = delay_text(step, index == 0)
        step.number = index + 1
    return {
        "cadence": cadence,
        "steps": steps,
        "can_edit": request.membership.has_role("manager"),
    }


def _steps_response(request: HttpRequest, cadence, error: str | None = None) -> HttpResponse:
    if not request.htmx:
        return redirect("cadences:cadence-builder", cadence_id=cadence.pk)
    context = {**steps_context(request, cadence), "steps_error": error}
    response = render(request, "cadences/_steps.html", context)
    response["HX-Retarget"], response["HX-Reswap"] = "#steps-section", "outerHTML"
    return response


@member_required()
def cadence_builder(request: HttpRequest, cadence_id: int) -> HttpResponse:
    cadence = get_cadence(workspace=request.workspace, cadence_id=cadence_id)
    context = {**steps_context(request, cadence), "variables": templating.VARIABLES.items()}
    return render(request, "cadences/builder.html", context)


@manager_required
def step_form(
    request: HttpRequest, cadence_id: int | None = None, step_id: int | None = None
) -> HttpResponse:
    """Add a step (cadence_id) or edit one (step_id): a partial for htmx, else a page."""
    workspace = request.workspace
    step = selectors.get_step(workspace=workspace, step_id=step_id) if step_id else None
    cadence = step.cadence if step else get_cadence(workspace=workspace, cadence_id=cadence_id)
    data = request.POST if request.method == "POST" else None
    form = StepForm(data, initial=StepForm.initial_for(step) if step else None)
    if request.method == "POST" and form.is_valid():
        try:
            if step is None:
                builder.add_step(
                    workspace=workspace,
                    cadence_id=cadence.pk,
                    values=form.values(),
                    actor=request.membership,
                )
            else:
                builder.update_step(
                    workspace=workspace,
                    step_id=step.pk,
                    values=form.values(),
                    actor=request.membership,
                )
            return _steps_response(request, cadence)
        except DomainError as exc:
            add_domain_error(form, exc)
    context = {"form": form, "step": step, "cadence": cadence}
    if request.htmx:
        return render(request, "cadences/_step_form.html", context)  # htmx swaps only 2xx
    context["variables"] = templating.VARIABLES.items()
    status = 400 if request.method == "POST" else 200
    return render(request, "cadences/step_form.html", context, status=status)


@manager_required
@require_POST
def step_move(request: HttpRequest, step_id: int) -> HttpResponse:
    step = selectors.get_step(workspace=request.workspace, step_id=step_id)
    error = None
    try:
        builder.move_step(
            workspace=request.workspace,
            step_id=step.pk,
            direction=request.POST.get("direction", ""),
            actor=request.membership,
        )
    except DomainError as exc:
        error = exc.message
    return _steps_response(request, step.cadence, error)


@manager_required
@require_POST
def step_delete(request: HttpRequest, step_id: int) -> HttpResponse:
    step = selectors.get_step(workspace=request.workspace, step_id=step_id)
    error = None
    try:
        builder.delete_step(workspace=request.workspace, step_id=step.pk, actor=request.membership)
    except DomainError as exc:
        error = exc.message
    return _steps_response(request, step.cadence, error)
