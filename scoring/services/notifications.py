"""Rep notifications: in the app always; by email or SMS when the rep chose it."""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from leadfollow.models import Membership, Workspace
from leads.models import Lead
from leads.services import save_with_timeline
from scoring.models import Notification, RepAvailability

logger = logging.getLogger(__name__)


def notify(
    *, workspace: Workspace, recipient: Membership, kind: str, text: str, lead: Lead | None = None
) -> Notification:
    """Create an in-app notification and, after commit, send it by email or SMS when the member
    chose that channel for this kind of alert. During an intake the notification is written
    with its timeline (`save_with_timeline`): it has its key by the commit."""
    notification = Notification(
        workspace=workspace, recipient=recipient, kind=kind, text=text[:300], lead=lead
    )
    save_with_timeline(notification)
    prefs = _alert_preferences(workspace, recipient)
    channels = prefs.alert_channels(kind) if prefs is not None else []
    if channels:
        job = partial(_deliver, notification, recipient, prefs, text, lead, channels)
        transaction.on_commit(job)
    return notification


def _alert_preferences(workspace: Workspace, member: Membership) -> RepAvailability | None:
    if Membership.availability.is_cached(member):  # routing read it with the member
        # A member without a saved availability raises an AttributeError ("does not exist").
        return getattr(member, "availability", None)
    return RepAvailability.objects.filter(workspace=workspace, membership=member).first()


def _deliver(
    notification: Notification, recipient: Membership, prefs, text: str, lead, channels: list[str]
) -> None:
    # Through the notification, so following the link also marks it read under the bell.
    link = settings.BASE_URL + reverse("scoring:notification-open", args=[notification.pk])
    if "email" in channels:
        send_mail(
            subject=f"LeadFollow: {text[:80]}",
            message=f"{text}\n\n{link}\n",
            from_email=None,
            recipient_list=[recipient.user.email],
            fail_silently=True,
        )
    if "sms" in channels:
        from channels.services.sending import text_a_member

        text_a_member(
            workspace=recipient.workspace,
            phone=prefs.mobile_phone,
            text=f"LeadFollow: {text} {link}",
        )


def notify_assignment(*, workspace: Workspace, lead: Lead, owner: Membership, reason: str) -> None:
    notify(
        workspace=workspace,
        recipient=owner,
        kind=Notification.Kind.ASSIGNED,
        lead=lead,
        text=f"New lead: {lead.display_name}. {reason}",
    )


def mark_notifications_read(
    *, workspace: Workspace, recipient: Membership, notification_ids: list[int] | None = None
) -> int:
    """Mark the member's unread notifications read: the ones given, or all. Returns how many."""
    unread = Notification.objects.filter(
        workspace=workspace, recipient=recipient, read_at__isnull=True
    )
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())
