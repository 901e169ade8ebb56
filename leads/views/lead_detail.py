"""The lead page: header, details, status and owner, notes and the timeline."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leadfollow.errors import DomainError
from leadfollow.roles import member_required
from leadfollow.selectors import workspace_members
from leads import selectors
from leads.lead_forms import LeadEditForm, LeadStateForm, NoteForm, show_service_errors
from leads.services.changes import add_note, update_lead
from leads.views.lead_page import page_context as _context


@member_required()
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = selectors.get_lead(workspace=request.workspace, lead_id=lead_id)
    form = LeadEditForm(request.POST or None, lead=lead)
    if request.method == "POST" and form.is_valid():
        try:
            update_lead(
                workspace=request.workspace,
                lead_id=lead.pk,
                changes=form.changes(),
                actor=request.membership,
            )
        except DomainError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, "Details saved.")
            return redirect("leads:lead-detail", lead_id=lead.pk)
    context = _context(request, lead, edit_form=form if form.is_bound else None)
    return render(request, "leads/lead_detail.html", context, status=400 if form.errors else 200)


@member_required()
@require_POST
def lead_state(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Status and owner; htmx swaps the header and refreshes the timeline out of band."""
    workspace = request.workspace
    lead = selectors.get_lead(workspace=workspace, lead_id=lead_id)
    members = list(workspace_members(workspace=workspace))
    form = LeadStateForm(request.POST, lead=lead, members=members)
    error = None if form.is_valid() else "Choose a status and an owner from the lists."
    if error is None and form.changes():
        try:
            update_lead(
                workspace=workspace,
                lead_id=lead.pk,
                changes=form.changes(),
                actor=request.membership,
            )
        except DomainError as exc:
            error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("leads:lead-detail", lead_id=lead.pk)
    lead = selectors.get_lead(workspace=workspace, lead_id=lead.pk)
    context = _context(request, lead, state_error=error)
    return render(request, "leads/_lead_state_response.html", context)


@member_required()
@require_POST
def lead_note(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Add a note; htmx swaps the note form, and the timeline out of band."""
    lead = selectors.get_lead(workspace=request.workspace, lead_id=lead_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            add_note(
                workspace=request.workspace,
                lead_id=lead.pk,
                text=form.cleaned_data["text"],
                actor=request.membership,
            )
        except DomainError as exc:
            show_service_errors(form, exc)
        else:
            if not request.htmx:
                messages.success(request, "Note added.")
                return redirect("leads:lead-detail", lead_id=lead.pk)
            form = None  # a fresh, empty form under the new note
    template = "leads/_action_response.html" if request.htmx else "leads/lead_detail.html"
    # htmx swaps only 2xx answers: the form with its errors must come back as a 200 there.
    status = 400 if form and form.errors and not request.htmx else 200
    context = _context(request, lead, note_form=form, panel="leads/_note_form.html")
    return render(request, template, context, status=status)
