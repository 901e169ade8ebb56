"""Compliance records every send checks: the per-channel suppression list."""

from __future__ import annotations

from django.db import models

from leadfollow.tenancy import WorkspaceOwned


class Suppression(WorkspaceOwned):
    """An address that must never be contacted on a channel.

    The address is kept only as a SHA-256 of its normalised form, so an erased person stays
    suppressed without LeadFollow keeping their email or phone number. `label` is a masked hint
    for people (e.g. "d***@example.com"); it is blank for erased contacts.
    """

    class Reason(models.TextChoices):
        OPT_OUT = "opt_out", "Opted out"
        BOUNCE = "bounce", "Hard bounce"
        SPAM = "spam", "Spam report"
        ERASED = "erased", "Personal data erased"
        MANUAL = "manual", "Added by a manager"

    channel = models.CharField(max_length=16)
    address_hash = models.CharField(max_length=64)
    label = models.CharField(max_length=120, blank=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "channel", "address_hash"], name="suppression_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} suppression ({self.get_reason_display()})"
