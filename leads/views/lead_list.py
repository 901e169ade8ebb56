"""The leads list (filters, search, sort, pages, bulk changes) and adding a lead by hand."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from leadfollow.errors import DomainError
from leadfollow.roles import member_required
from leadfollow.selectors import workspace_members
from leads import selectors
from leads.lead_forms import LeadAddForm, LeadBulkForm, LeadFilterForm, show_service_errors
from leads.services.changes import add_lead_by_hand, bulk_update_leads

PER_PAGE = 50
MERGED = "This person already exists: we added the new details to their lead."


def _wants_partial(request: HttpRequest) -> bool:
    # A history restore after a cache miss needs the whole page, not the table.
    return bool(request.htmx) and not request.htmx.history_restore_request


@member_required()
def lead_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    members = list(workspace_members(workspace=workspace))
    sources = list(selectors.lead_sources(workspace=workspace))
    filters = LeadFilterForm(request.GET, members=members, sources=sources)
    filters.is_valid()  # a bad value is shown on its field and ignored; the rest still filter
    params = filters.search_params(workspace=workspace, me=request.membership)
    leads = selectors.search_leads(workspace=workspace, **params)
    page = Paginator(leads, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "sort": filters.ordering,
        "bulk_form": LeadBulkForm(members=members),
    }
    template = "leads/_lead_table.html" if _wants_partial(request) else "leads/lead_list.html"
    return render(request, template, context)


@member_required()
@require_POST
def lead_bulk(request: HttpRequest) -> HttpResponse:
    members = list(workspace_members(workspace=request.workspace))
    form = LeadBulkForm(request.POST, members=members)
    if not form.is_valid():
        messages.error(request, " ".join(message for e in form.errors.values() for message in e))
        return _back_to_list(request, form)
    try:
        changed = bulk_update_leads(
            workspace=request.workspace,
            lead_ids=form.cleaned_data["lead_ids"],
            actor=request.membership,
            **form.changes(),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, form.summary(len(changed)))
    return _back_to_list(request, form)


def _back_to_list(request: HttpRequest, form: LeadBulkForm) -> HttpResponse:
    """Back to the list with the filters the member was looking at."""
    target = form.data.get("next", "")
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    list_url = reverse("leads:lead-list")
    return redirect(target if allowed and target.startswith(list_url) else list_url)


@member_required()
def lead_new(request: HttpRequest) -> HttpResponse:
    members = list(workspace_members(workspace=request.workspace))
    form = LeadAddForm(request.POST or None, members=members, me=request.membership)
    if request.method == "POST" and form.is_valid():
        owner = form.cleaned_data["owner"]
        try:
            result = add_lead_by_hand(
                workspace=request.workspace,
                fields=form.lead_fields(),
                owner_id=int(owner) if owner else None,
                note=form.cleaned_data["note"],
                actor=request.membership,
            )
        except DomainError as exc:
            show_service_errors(form, exc)
        else:
            added = f"{result.lead.display_name} was added."
            messages.success(request, MERGED if result.merged else added)
            return redirect("leads:lead-detail", lead_id=result.lead.pk)
    status = 400 if form.errors else 200
    return render(request, "leads/lead_new.html", {"form": form}, status=status)
