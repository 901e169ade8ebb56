"""The notification bell in the top bar and the member's list of notifications."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from leadfollow.roles import member_required
from scoring import selectors
from scoring.services.notifications import mark_notifications_read

PER_PAGE = 50


@member_required()
def notifications(request: HttpRequest) -> HttpResponse:
    """Newest first. The unread ones shown are highlighted this once and marked read."""
    workspace, me = request.workspace, request.membership
    page = Paginator(
        selectors.member_notifications(workspace=workspace, recipient=me), PER_PAGE
    ).get_page(request.GET.get("page"))
    unread = [note.pk for note in page if note.read_at is None]
    response = render(
        request,
        "scoring/notifications.html",
        {"page": page, "unread": set(unread), "bell_unread": 0},
    )
    if unread:
        mark_notifications_read(workspace=workspace, recipient=me, notification_ids=unread)
    return response


def _bell(request: HttpRequest) -> HttpResponse:
    count = selectors.unread_notification_count(
        workspace=request.workspace, recipient=request.membership
    )
    return render(request, "scoring/_notification_bell.html", {"bell_unread": count})


@member_required()
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The bell with its unread count; the top bar polls it."""
    return _bell(request)


@member_required()
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark all read: htmx gets the quiet bell back, a plain form the list."""
    mark_notifications_read(workspace=request.workspace, recipient=request.membership)
    if request.htmx:
        return _bell(request)
    return redirect("scoring:notifications")


@member_required()
@require_http_methods(["GET", "POST"])
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Follow a notification (from the list or an alert email): it is read, and its lead opens."""
    note = selectors.get_notification(
        workspace=request.workspace, recipient=request.membership, notification_id=notification_id
    )
    mark_notifications_read(
        workspace=request.workspace, recipient=request.membership, notification_ids=[note.pk]
    )
    if note.lead_id is None:
        return redirect("scoring:notifications")
    return redirect("leads:lead-detail", lead_id=note.lead_id)
