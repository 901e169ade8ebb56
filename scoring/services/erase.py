"""Erasing a lead (GDPR): the alerts members got about the person lose the person's words."""

from __future__ import annotations

from django.db.models import Case, Value, When

from leadfollow.models import Workspace
from scoring.models import Notification

ERASED_SUFFIX = " (personal data erased)"


def erase_lead_notifications(*, workspace: Workspace, lead) -> None:
    """Erasure step: each notification about the lead keeps only what kind it was ("Lead
    replied (personal data erased)"), since its text quoted the person's name and words."""
    Notification.objects.filter(workspace=workspace, lead=lead).update(
        text=Case(
            *(
                When(kind=kind, then=Value(label + ERASED_SUFFIX))
                for kind, label in Notification.Kind.choices
            ),
            default=Value("Personal data erased"),
        )
    )
