"""The dev outbox page: every message LeadFollow would have sent, and buttons to answer it."""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channels import selectors
from channels.models import Channel
from channels.outbox import EVENT_LABELS, EVENTS_BY_CHANNEL, outbox_active, simulate
from leadfollow.errors import DomainError
from leadfollow.roles import member_required


class SimulateForm(forms.Form):
    event = forms.ChoiceField(choices=[(event, label) for event, label in EVENT_LABELS.items()])
    text = forms.CharField(required=False, max_length=5000)


def _row_context(request: HttpRequest, message, error: str = "") -> dict:
    return {
        "message": message,
        "actions": [(event, EVENT_LABELS[event]) for event in EVENTS_BY_CHANNEL[message.channel]],
        "active": outbox_active(request.workspace, message.channel) and not message.lead.erased_at,
        "replies": selectors.replies_to(workspace=request.workspace, message=message),
        "error": error,
    }


@member_required()
def outbox(request: HttpRequest) -> HttpResponse:
    channel = request.GET.get("channel", "")
    if channel not in Channel.values:
        channel = ""
    found = selectors.outbox_messages(workspace=request.workspace, channel=channel)
    page = Paginator(found, 25).get_page(request.GET.get("page"))
    rows = [_row_context(request, message) for message in page]
    context = {
        "page": page,
        "rows": rows,
        "channel": channel,
        "channels": Channel.choices,
        "inactive": [c.label for c in Channel if not outbox_active(request.workspace, c.value)],
    }
    return render(request, "channels/outbox.html", context)


@member_required()
@require_POST
def outbox_simulate(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.outbox_message(workspace=request.workspace, message_id=message_id)
    form = SimulateForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "Choose what should happen to this message."
    else:
        try:
            simulate(workspace=request.workspace, message=message, **form.cleaned_data)
        except DomainError as exc:
            error = exc.message
    message.refresh_from_db()
    if request.htmx:
        context = _row_context(request, message, error)
        return render(request, "channels/_outbox_row.html", context, status=400 if error else 200)
    if error:
        flash.error(request, error)
    else:
        flash.success(request, f"{EVENT_LABELS[form.cleaned_data['event']]}: done.")
    return redirect("channels:outbox")
