"""The cadence builder: its steps in order, added, edited, moved and deleted in place (htmx)."""

from __future__ import annotations

from django.contrib import messages
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


def delete_question(number: int, waiting: int, is_last: bool) -> str:
    """What the manager confirms before deleting a step, with the leads it moves on."""
    if not waiting:
        return f"Delete step {number}?"
    leads = f"{waiting} active lead{'s are' if waiting != 1 else ' is'} on this step"
    if is_last:
        return (
            f"Delete step {number}? {leads}: it is the last step, so they finish the cadence now."
        )
    return f"Delete step {number}? {leads}: they move on to the next step now."


def steps_context(request: HttpRequest, cadence) -> dict:
    workspace = request.workspace
    steps = list(selectors.cadence_steps(workspace=workspace, cadence=cadence))
    waiting = selectors.leads_waiting_on_steps(workspace=workspace, steps=steps) if steps else {}
    for index, step in enumerate(steps):
        step.delay_text = delay_text(step, index == 0)
        step.number = index + 1
        step.waiting = waiting.get(step.pk, 0)
        step.delete_question = delete_question(
            step.number, step.waiting, is_last=index == len(steps) - 1
        )
    return {
        "cadence": cadence,
        "steps": steps,
        "can_edit": request.membership.has_role("manager"),
    }


def _steps_response(
    request: HttpRequest, cadence, error: str | None = None, notice: str = ""
) -> HttpResponse:
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif notice:
            messages.success(request, notice)
        return redirect("cadences:cadence-builder", cadence_id=cadence.pk)
    context = {**steps_context(request, cadence), "steps_error": error, "steps_notice": notice}
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
    error, notice = None, ""
    try:
        removal = builder.delete_step(
            workspace=request.workspace, step_id=step.pk, actor=request.membership
        )
    except DomainError as exc:
        error = exc.message
    else:
        notice = removed_notice(removal)
    return _steps_response(request, step.cadence, error, notice)


def removed_notice(removal: builder.StepRemoval) -> str:
    if not removal.moved:
        return "Step deleted."
    leads = f"{removal.moved} lead{'s' if removal.moved != 1 else ''}"
    if removal.following is None:
        return f"Step deleted. {leads} on it finished the cadence."
    return f"Step deleted. {leads} on it moved on to the next step."
