"""The demo workspace's cadences: every preset, and speed to lead for every new lead, so a lead
sent to the demo gets its confirmation email in the outbox within seconds."""

from __future__ import annotations

from cadences.models import Cadence
from cadences.presets import PRESETS, RENURTURE, SPEED_TO_LEAD, install_preset

NEW_LEADS_GROUP = "new-leads"


def seed_demo_cadences(*, workspace, members: dict) -> None:
    """Install each preset once (re-nurture first: speed to lead links to it). A manager's later
    changes to the installed cadences are kept on the next run."""
    for key in (RENURTURE, *(k for k in PRESETS if k != RENURTURE)):
        if Cadence.objects.filter(workspace=workspace, preset=key).exists():
            continue
        cadence = install_preset(workspace, key)
        if key == SPEED_TO_LEAD:
            cadence.auto_enroll = True
            cadence.enrollment_conditions = {"all": []}
            cadence.exclusive_group = NEW_LEADS_GROUP
            cadence.save(
                update_fields=[
                    "auto_enroll",
                    "enrollment_conditions",
                    "exclusive_group",
                    "updated_at",
                ]
            )
