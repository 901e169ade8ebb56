"""Public services of the leads app. Other apps import from here."""

from leads.services.activities import log_activity, save_with_timeline
from leads.services.intake import ConsentInput, IntakeResult, intake_lead
from leads.services.received import lead_received, register_intake_step

__all__ = [
    "ConsentInput",
    "IntakeResult",
    "intake_lead",
    "lead_received",
    "log_activity",
    "register_intake_step",
    "save_with_timeline",
]
