"""Settings → Lead sources: managers add and edit sources; every member may look."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_POST

from leadfollow.errors import DomainError
from leadfollow.forms import add_domain_error
from leadfollow.models import Role
from leadfollow.roles import manager_required, member_required
from leads import selectors
from leads.models import Channel, LeadSource
from leads.services import sources
from leads.source_forms import HONEYPOT, SourceForm


@member_required()
def source_list(request: HttpRequest) -> HttpResponse:
    context = {"sources": sources.sources_overview(workspace=request.workspace)}
    return render(request, "leads/sources/source_list.html", context)


@manager_required
def source_new(request: HttpRequest) -> HttpResponse:
    form = SourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            source = sources.create_source(
                workspace=request.workspace, actor=request.membership, **form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"“{source.name}” was added.")
            return redirect("leads:source-detail", source_id=source.pk)
    status = 400 if form.errors else 200
    return render(request, "leads/sources/source_new.html", {"form": form}, status=status)


@member_required()
def source_detail(request: HttpRequest, source_id: int) -> HttpResponse:
    source = selectors.get_source(workspace=request.workspace, source_id=source_id)
    form = SourceForm(request.POST or None, source=source)
    if request.method == "POST":
        if not request.membership.has_role(Role.MANAGER):
            raise PermissionDenied("Only managers and owners can change lead sources.")
        if form.is_valid():
            try:
                sources.update_source(
                    workspace=request.workspace,
                    source_id=source.pk,
                    changes=form.changes(),
                    actor=request.membership,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "Source saved.")
                return redirect("leads:source-detail", source_id=source.pk)
    return _detail_page(request, source, form)


def _detail_page(request: HttpRequest, source: LeadSource, form: SourceForm) -> HttpResponse:
    stats = sources.sources_overview(workspace=request.workspace).get(pk=source.pk)
    context = {
        "source": source,
        "stats": stats,
        "form": form,
        "form_url": request.build_absolute_uri(
            reverse("leads:public-form", args=[source.form_token])
        ),
        "submit_url": request.build_absolute_uri(
            reverse("leads:public-form-submit", args=[source.form_token])
        ),
        "embed_js_url": request.build_absolute_uri(static("js/embed.js")),
        "honeypot": HONEYPOT,
        "consent_channel_labels": [
            label for value, label in Channel.choices if value in source.consent_channels
        ],
        "is_manager": request.membership.has_role(Role.MANAGER),
    }
    status = 400 if form.errors else 200
    return render(request, "leads/sources/source_detail.html", context, status=status)


@manager_required
@require_POST
def source_active(request: HttpRequest, source_id: int) -> HttpResponse:
    source = selectors.get_source(workspace=request.workspace, source_id=source_id)
    is_active = request.POST.get("is_active") == "1"
    sources.set_source_active(
        workspace=request.workspace,
        source_id=source.pk,
        is_active=is_active,
        actor=request.membership,
    )
    state = "switched back on" if is_active else "switched off"
    messages.success(request, f"“{source.name}” was {state}.")
    return redirect("leads:source-detail", source_id=source.pk)


@manager_required
@require_POST
def source_token(request: HttpRequest, source_id: int) -> HttpResponse:
    source = selectors.get_source(workspace=request.workspace, source_id=source_id)
    sources.regenerate_form_token(
        workspace=request.workspace, source_id=source.pk, actor=request.membership
    )
    messages.success(
        request,
        "The form has a new address. Update your website: the old address no longer works.",
    )
    return redirect("leads:source-detail", source_id=source.pk)
