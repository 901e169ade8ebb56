"""The cadence list with live counts, and creating, editing, switching and deleting cadences."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cadences import selectors
from cadences.forms import CadenceForm
from cadences.presets import PRESETS, install_preset
from cadences.services import builder
from cadences.services.enrollment import get_cadence
from leadfollow.errors import DomainError
from leadfollow.forms import add_domain_error
from leadfollow.roles import manager_required, member_required
from scoring.condition_builder import conditions_from_post, editor_context, editor_context_from_post
from scoring.conditions import InvalidRule


def list_context(request: HttpRequest) -> dict:
    cadences = list(selectors.cadences_with_counts(workspace=request.workspace))
    for cadence in cadences:
        cadence.reply_rate = selectors.reply_rate(cadence)
    can_edit = request.membership.has_role("manager")
    presets = [{"key": key, **preset} for key, preset in PRESETS.items()] if can_edit else []
    return {"cadences": cadences, "can_edit": can_edit, "presets": presets}


@member_required()
def cadence_list(request: HttpRequest) -> HttpResponse:
    return render(request, "cadences/cadence_list.html", list_context(request))


@manager_required
def cadence_form(request: HttpRequest, cadence_id: int | None = None) -> HttpResponse:
    """Create a cadence, or change its settings and enrollment conditions."""
    workspace = request.workspace
    cadence = get_cadence(workspace=workspace, cadence_id=cadence_id) if cadence_id else None
    others = list(selectors.other_cadences(workspace=workspace, cadence=cadence))
    initial = CadenceForm.initial_for(cadence) if cadence else None
    data = request.POST if request.method == "POST" else None
    form = CadenceForm(data, cadences=others, initial=initial)
    editor = editor_context(cadence.enrollment_conditions if cadence else {})
    if request.method == "POST":
        editor, saved = _save(request, form, cadence)
        if saved is not None:
            messages.success(request, f"“{saved.name}” was {'saved' if cadence else 'created'}.")
            return redirect("cadences:cadence-builder", cadence_id=saved.pk)
    context = {"form": form, "cadence": cadence, **editor}
    status = 400 if request.method == "POST" else 200
    return render(request, "cadences/cadence_form.html", context, status=status)


def _save(request: HttpRequest, form: CadenceForm, cadence):
    """(editor context, saved cadence or None with the errors on the form or the editor)."""
    editor = editor_context_from_post(request.POST)
    try:
        conditions = conditions_from_post(request.POST)
    except InvalidRule as exc:
        form.is_valid()
        return editor_context_from_post(request.POST, exc), None
    if not form.is_valid():
        return editor, None
    kwargs = {"workspace": request.workspace, "values": form.values(conditions)}
    try:
        if cadence is None:
            return editor, builder.create_cadence(**kwargs, actor=request.membership)
        saved = builder.update_cadence(**kwargs, cadence_id=cadence.pk, actor=request.membership)
        return editor, saved
    except InvalidRule as exc:
        return editor_context_from_post(request.POST, exc), None
    except DomainError as exc:
        add_domain_error(form, exc)
        return editor, None


@manager_required
@require_POST
def cadence_toggle(request: HttpRequest, cadence_id: int) -> HttpResponse:
    builder.set_cadence_active(
        workspace=request.workspace,
        cadence_id=cadence_id,
        is_active=request.POST.get("is_active") == "true",
        actor=request.membership,
    )
    if request.htmx:
        return render(request, "cadences/_cadence_table.html", list_context(request))
    return redirect("cadences:cadence-list")


@manager_required
@require_POST
def cadence_delete(request: HttpRequest, cadence_id: int) -> HttpResponse:
    cadence = get_cadence(workspace=request.workspace, cadence_id=cadence_id)
    try:
        builder.delete_cadence(
            workspace=request.workspace, cadence_id=cadence.pk, actor=request.membership
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cadences:cadence-edit", cadence_id=cadence.pk)
    messages.success(request, f"“{cadence.name}” was deleted.")
    return redirect("cadences:cadence-list")


@manager_required
@require_POST
def cadence_from_preset(request: HttpRequest, key: str) -> HttpResponse:
    """Copy a preset into the workspace and open it in the builder to adapt."""
    try:
        cadence = install_preset(request.workspace, key, actor=request.membership)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cadences:cadence-list")
    messages.success(request, f"“{cadence.name}” was created from the preset: adapt it here.")
    return redirect("cadences:cadence-builder", cadence_id=cadence.pk)
