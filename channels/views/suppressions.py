"""Settings → Do not contact: the workspace's suppression list. Reps read it; managers add one
address, upload a list, or remove an entry they added."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channels.models import Channel, Suppression
from channels.services import suppression_lists as service
from channels.suppression_forms import (
    SuppressionAddForm,
    SuppressionFilterForm,
    SuppressionUploadForm,
)
from leadfollow.errors import Conflict, DomainError, NotFound
from leadfollow.forms import add_domain_error
from leadfollow.models import Role
from leadfollow.roles import manager_required, member_required

PER_PAGE = 50
SHOWN_INVALID_LINES = 100
CHANNEL_LABELS = dict(Channel.choices)
REASON_BADGES = {"manual": "manager", "opt_out": "warn", "bounce": "stop", "spam": "stop"}


def _page(request: HttpRequest, *, status: int = 200, **forms) -> HttpResponse:
    filters = SuppressionFilterForm(request.GET, workspace=request.workspace)
    filters.is_valid()  # a bad search is shown on its field; the other filters still apply
    entries = service.do_not_contact_entries(workspace=request.workspace, **filters.search())
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    upload = forms.get("upload")
    context = {
        "filters": filters,
        "page": page,
        "rows": [_row(entry) for entry in page.object_list],
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "can_edit": request.membership.has_role(Role.MANAGER),
        "not_removable": [
            (Suppression.Reason(reason).label, why) for reason, why in service.NOT_REMOVABLE.items()
        ],
        "add_form": forms.get("add_form") or SuppressionAddForm(),
        "upload_form": forms.get("upload_form") or SuppressionUploadForm(),
        "upload": upload,
        "shown_invalid": SHOWN_INVALID_LINES,
        "more_invalid": max(0, len(upload.invalid) - SHOWN_INVALID_LINES) if upload else 0,
    }
    partial = request.htmx and not request.htmx.history_restore_request and status == 200
    template = "channels/_suppression_table.html" if partial else "channels/suppressions.html"
    return render(request, template, context, status=status)


@member_required()
def suppression_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@manager_required
@require_POST
def suppression_add(request: HttpRequest) -> HttpResponse:
    form = SuppressionAddForm(request.POST)
    if form.is_valid():
        try:
            result = service.add_to_do_not_contact(
                workspace=request.workspace, actor=request.membership, **form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _added_words(result))
            return redirect("channels:suppressions")
    return _page(request, add_form=form, status=400)


@manager_required
@require_POST
def suppression_upload(request: HttpRequest) -> HttpResponse:
    form = SuppressionUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            upload = service.upload_do_not_contact(
                workspace=request.workspace,
                content=form.cleaned_data["file"].read(),
                channel=form.cleaned_data["channel"],
                actor=request.membership,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            # Shown at once rather than after a redirect: the invalid lines are not kept anywhere.
            return _page(request, upload=upload)
    return _page(request, upload_form=form, status=400)


@manager_required
@require_POST
def suppression_remove(request: HttpRequest, suppression_id: int) -> HttpResponse:
    try:
        entry = service.remove_from_do_not_contact(
            workspace=request.workspace, suppression_id=suppression_id, actor=request.membership
        )
    except NotFound:
        raise Http404("No such entry.") from None
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        label = entry.label or "The address"
        messages.success(request, f"{label} can get {_noun(entry.channel)} again.")
    return redirect("channels:suppressions")


def _row(entry) -> dict:
    return {
        "entry": entry,
        "channel": CHANNEL_LABELS.get(entry.channel, entry.channel),
        "badge": REASON_BADGES.get(entry.reason, "off"),
        "removable": entry.reason == Suppression.Reason.MANUAL,
    }


def _added_words(result: service.AddResult) -> str:
    if not result.added:
        return f"{result.label} was already on the list."
    nouns = ", ".join(_noun(each) for each in result.added)
    words = f"{result.label} will get no more {nouns}."
    if result.leads_flagged:
        plural = "lead was" if result.leads_flagged == 1 else "leads were"
        words += f" {result.leads_flagged} {plural} flagged."
    return words


def _noun(channel: str) -> str:
    return service.CHANNEL_NOUNS.get(channel, channel)
