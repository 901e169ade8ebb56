"""What other apps hear from the channels: a lead replied, opted out, or bounced.

The cadence engine registers here to pause follow-ups; channels never import it. Listeners run
inside the transaction that recorded the event, so a reply and the pause it causes commit together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from leads.models import Lead


@dataclass(frozen=True)
class LeadSignal:
    kind: str  # replied, opted_out, bounced
    workspace: object
    lead: Lead
    channel: str
    at: datetime
    message: object | None = None  # the inbound reply or the bounced outbound message
    reason: str = ""


Listener = Callable[[LeadSignal], None]
_LISTENERS: list[Listener] = []


def register_lead_signal_listener(listener: Listener) -> None:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def announce(signal: LeadSignal) -> None:
    for listener in list(_LISTENERS):
        listener(signal)
