"""Rep notifications: in the app always; by email or SMS when the rep chose it."""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from leadfollow.models import Membership, Workspace
from leads.models import Lead
from scoring.models import Notification, RepAvailability

logger = logging.getLogger(__name__)


def notify(
    *, workspace: Workspace, recipient: Membership, kind: str, text: str, lead: Lead | None = None
) -> Notification:
    """Create an in-app notification and, after commit, send it the ways the member chose."""
    notification = Notification.objects.create(
        workspace=workspace, recipient=recipient, kind=kind, text=text[:300], lead=lead
    )
    prefs = RepAvailability.objects.filter(workspace=workspace, membership=recipient).first()
    if prefs is not None and (prefs.notify_by_email or prefs.notify_by_sms):
        transaction.on_commit(partial(_deliver, notification.pk, recipient, prefs, text, lead))
    return notification


def _deliver(notification_id: int, recipient: Membership, prefs, text: str, lead) -> None:
    link = settings.BASE_URL + (reverse("leads:lead-detail", args=[lead.pk]) if lead else "/")
    if prefs.notify_by_email:
        send_mail(
            subject=f"LeadFollow: {text[:80]}",
            message=f"{text}\n\n{link}\n",
            from_email=None,
            recipient_list=[recipient.user.email],
            fail_silently=True,
        )
    if prefs.notify_by_sms and prefs.mobile_phone:
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
