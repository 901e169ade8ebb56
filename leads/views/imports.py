"""CSV import pages for managers: upload, map columns, dry run, import with live progress."""

from __future__ import annotations

import re
from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leadfollow.errors import DomainError
from leadfollow.forms import add_domain_error
from leadfollow.roles import manager_required
from leads.import_forms import ImportMappingForm, ImportUploadForm
from leads.models import LeadImport, LeadSource
from leads.services import imports

REJECTS_PER_PAGE = 50
RECENT_IMPORTS = 30


@manager_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """The import index: the upload form and the workspace's past imports."""
    posted = request.method == "POST"
    form = ImportUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            lead_import = imports.create_import(
                workspace=request.workspace,
                upload=form.cleaned_data["file"],
                actor=request.membership,
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("leads:import-map", import_id=lead_import.pk)
    past = imports.recent_imports(workspace=request.workspace)[:RECENT_IMPORTS]
    context = {"form": form, "imports": past}
    return render(request, "leads/imports/import_upload.html", context, status=_status(form))


@manager_required
def import_map(request: HttpRequest, import_id: int) -> HttpResponse:
    workspace = request.workspace
    lead_import = imports.get_import(workspace=workspace, import_id=import_id)
    if lead_import.status not in imports.EDITABLE:
        return redirect("leads:import-detail", import_id=lead_import.pk)
    sources = LeadSource.objects.filter(workspace=workspace, kind=LeadSource.Kind.IMPORT)
    form = ImportMappingForm(
        request.POST or None,
        lead_import=lead_import,
        sources=list(sources),
        samples=imports.import_samples(lead_import=lead_import),
    )
    if request.method == "POST" and form.is_valid():
        try:
            imports.map_import_columns(
                workspace=workspace,
                import_id=lead_import.pk,
                mapping=form.mapping(),
                source_id=form.source_id(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("leads:import-detail", import_id=lead_import.pk)
    context = {"lead_import": lead_import, "form": form}
    return render(request, "leads/imports/import_map.html", context, status=_status(form))


@manager_required
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    """The dry run's forecast, then the import's progress; htmx polls the status part."""
    workspace = request.workspace
    lead_import = imports.get_import(workspace=workspace, import_id=import_id)
    if lead_import.status == LeadImport.Status.UPLOADED:
        return redirect("leads:import-map", import_id=lead_import.pk)
    rejects = imports.import_rejects(workspace=workspace, lead_import=lead_import)
    context = {
        "lead_import": lead_import,
        "rejects": Paginator(rejects, REJECTS_PER_PAGE).get_page(request.GET.get("page")),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = (
        "leads/imports/_import_status.html" if partial else "leads/imports/import_detail.html"
    )
    return render(request, template, context)


@manager_required
@require_POST
def import_start(request: HttpRequest, import_id: int) -> HttpResponse:
    try:
        imports.start_import(workspace=request.workspace, import_id=import_id)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        messages.error(request, exc.message)
    return redirect("leads:import-detail", import_id=import_id)


@manager_required
@require_POST
def import_cancel(request: HttpRequest, import_id: int) -> HttpResponse:
    lead_import = imports.cancel_import(workspace=request.workspace, import_id=import_id)
    if lead_import.status == LeadImport.Status.CANCELLED:
        messages.info(request, "Import cancelled. Leads imported before it stopped are kept.")
    return redirect("leads:import-detail", import_id=import_id)


@manager_required
def import_rejects(request: HttpRequest, import_id: int) -> HttpResponse:
    """The rejected rows as a CSV file: the original columns plus the reason."""
    workspace = request.workspace
    lead_import = imports.get_import(workspace=workspace, import_id=import_id)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(lead_import.original_name).stem)[:60] or "leads"
    response = StreamingHttpResponse(
        imports.rejects_csv(workspace=workspace, lead_import=lead_import),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{stem}-rejected-rows.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200
