"""How cadences hear the rest of LeadFollow (registered in apps.ready): replies, opt-outs and
bounces from the channels, status changes and meetings from the timeline, and new leads."""

from __future__ import annotations

import logging

from cadences.models import Cadence
from cadences.services.enrollment import enroll, stop_for_lead
from channels.hooks import LeadSignal
from leadfollow.errors import Conflict, InvalidInput
from leads.models import Lead

logger = logging.getLogger(__name__)

STOPPING_STATUSES = {Lead.Status.QUALIFIED, Lead.Status.UNQUALIFIED, Lead.Status.CUSTOMER}
SIGNAL_REASONS = {"replied": "replied", "opted_out": "opted_out", "bounced": "bounced"}


def on_lead_signal(signal: LeadSignal) -> None:
    """A reply, an opt-out or a bounce stops the lead's follow-ups in the same transaction."""
    reason = SIGNAL_REASONS.get(signal.kind)
    if reason is None:
        return
    stopped = stop_for_lead(
        workspace=signal.workspace, lead=signal.lead, reason=reason, at=signal.at
    )
    if signal.kind == "replied":
        _tell_owner(signal, paused=bool(stopped))


def _tell_owner(signal: LeadSignal, *, paused: bool) -> None:
    from scoring.models import Notification
    from scoring.services.notifications import notify

    lead = Lead.objects.filter(workspace=signal.workspace, pk=signal.lead.pk).first()
    if lead is None or lead.owner is None:
        return
    preview = " ".join((getattr(signal.message, "body_text", "") or "").split())[:120]
    notify(
        workspace=signal.workspace,
        recipient=lead.owner,
        kind=Notification.Kind.REPLY,
        lead=lead,
        text=f"{lead.display_name} replied by {signal.channel}: {preview}"
        + (" Follow-ups stopped." if paused else ""),
    )


def on_activity(*, workspace, activity) -> None:
    kind = activity.kind
    if kind == "status_changed" and activity.payload.get("to") in STOPPING_STATUSES:
        stop_for_lead(
            workspace=workspace, lead=activity.lead, reason="status", at=activity.occurred_at
        )
    elif kind == "meeting_booked":
        stop_for_lead(
            workspace=workspace, lead=activity.lead, reason="meeting", at=activity.occurred_at
        )
    elif kind == "erased":
        stop_for_lead(
            workspace=workspace, lead=activity.lead, reason="erased", at=activity.occurred_at
        )


def enroll_on_intake(*, workspace, lead: Lead, is_new: bool) -> None:
    """Intake step: a new lead joins every active auto-enroll cadence whose conditions match."""
    if not is_new:
        return
    from scoring.conditions import evaluate, referenced_fields
    from scoring.facts import lead_facts

    cadences = list(
        Cadence.objects.filter(workspace=workspace, is_active=True, auto_enroll=True).order_by(
            "name"
        )
    )
    if not cadences:
        return
    needed = set().union(*(referenced_fields(c.enrollment_conditions) for c in cadences))
    facts = lead_facts(workspace=workspace, lead=lead, needed=needed)
    for cadence in cadences:
        conditions = cadence.enrollment_conditions
        if conditions and not evaluate(conditions, facts):
            continue
        try:
            enroll(workspace=workspace, lead=lead, cadence=cadence)
        except (Conflict, InvalidInput) as exc:
            logger.info("auto-enroll skipped lead=%s cadence=%s: %s", lead.pk, cadence.pk, exc)
