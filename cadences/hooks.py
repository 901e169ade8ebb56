"""How cadences hear the rest of LeadFollow (registered in apps.ready): replies, opt-outs and
bounces from the channels, status changes and meetings from the timeline, and new leads."""

from __future__ import annotations

import copy
import logging

from cadences.models import Cadence, Enrollment, Step
from cadences.serializers import hold_enrollments
from cadences.services.enrollment import enroll, stop_for_lead
from channels.hooks import LeadSignal
from leadfollow.errors import Conflict, InvalidInput
from leads.models import Lead
from scoring.services.rule_sets import cached_rule_set, watch_rule_models

logger = logging.getLogger(__name__)

STOPPING_STATUSES = {Lead.Status.QUALIFIED, Lead.Status.UNQUALIFIED, Lead.Status.CUSTOMER}
SIGNAL_REASONS = {"replied": "replied", "opted_out": "opted_out", "bounced": "bounced"}
watch_rule_models(Cadence, Step)  # intake keeps the auto-enroll cadences loaded


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


def enroll_on_intake(*, workspace, lead: Lead, is_new: bool, fresh: bool = False) -> None:
    """Intake step: a new lead joins every active auto-enroll cadence whose conditions match.

    A lead created in this transaction (`fresh`) has no enrollments but the ones made here, and
    it comes back holding them, so the intake's answer shows them without reading them back."""
    if not is_new:
        return
    from scoring.conditions import evaluate
    from scoring.facts import lead_facts

    cadences, needed = _auto_enroll_cadences(workspace)
    made: list[Enrollment] = []
    if cadences:
        facts = lead_facts(workspace=workspace, lead=lead, needed=needed)
    for shared, first_step in cadences:
        conditions = shared.enrollment_conditions
        if conditions and not evaluate(conditions, facts):
            continue
        # The loaded cadence serves every lead: this enrollment gets its own copy, which holds
        # this request's workspace instead of loading one.
        cadence = copy.copy(shared)
        cadence.workspace = workspace
        try:
            made.append(
                enroll(
                    workspace=workspace,
                    lead=lead,
                    cadence=cadence,
                    first_step=first_step,
                    live=list(made) if fresh else None,
                )
            )
        except (Conflict, InvalidInput) as exc:
            logger.info("auto-enroll skipped lead=%s cadence=%s: %s", lead.pk, cadence.pk, exc)
    if fresh:
        hold_enrollments(lead, made)


def _auto_enroll_cadences(workspace) -> tuple[list[tuple[Cadence, Step | None]], set[str]]:
    """([(auto-enroll cadence, its first step)], the facts their conditions read), by name,
    loaded once per change to a cadence or a step."""
    from scoring.conditions import referenced_fields

    def load():
        cadences = list(
            Cadence.objects.filter(workspace=workspace, is_active=True, auto_enroll=True).order_by(
                "name"
            )
        )
        firsts = {}
        for step in Step.objects.filter(workspace=workspace, cadence__in=cadences).order_by(
            "-position", "-pk"
        ):
            firsts[step.cadence_id] = step  # ordered last to first: the first one stays
        conditions = [c.enrollment_conditions for c in cadences if c.enrollment_conditions]
        needed = set().union(*(referenced_fields(node) for node in conditions))
        return [(cadence, firsts.get(cadence.pk)) for cadence in cadences], needed

    return cached_rule_set(workspace_id=workspace.pk, name="auto-enroll", load=load)
