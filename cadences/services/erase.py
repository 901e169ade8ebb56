"""Erasing a lead (GDPR): its cadence touches keep their counts but lose their words."""

from __future__ import annotations

from cadences.models import Touch
from leadfollow.models import Workspace


def erase_lead_touches(*, workspace: Workspace, lead) -> None:
    """Erasure step: blank what the lead's touches said to them (rendered with their name and
    details) and any error that quoted their address. Status, channel, variant, outcome and
    times stay, so cadence reports count the touches as before."""
    Touch.objects.filter(workspace=workspace, enrollment__lead=lead).update(
        rendered_subject="", rendered_body="", error=""
    )
