"""The "try it" panel: what the rules would do to a lead, without changing anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from leadfollow.models import Workspace
from leads import selectors as lead_selectors
from leads.models import Account, Lead, LeadSource
from leads.normalize import clean_lead_fields
from leads.phones import time_zone_for_phone
from scoring.models import SlaPolicy
from scoring.services.routing import RoutingDecision, decide_route
from scoring.services.scores import ScoreResult, active_scoring_rules, compute_score, rule_settings
from scoring.services.sla import deadlines, matching_policy


@dataclass(frozen=True)
class Preview:
    lead: Lead
    score: ScoreResult
    decision: RoutingDecision
    policy: SlaPolicy | None
    due_at: datetime | None
    is_sample: bool


def preview_rules(
    *,
    workspace: Workspace,
    lead_id: int | None = None,
    sample: dict | None = None,
    at: datetime | None = None,
) -> Preview:
    """Score, route and time an existing lead or sample values. Writes nothing.

    Everything runs on an unsaved lead or read-only paths, inside a transaction that is always
    rolled back, so even a default row created on first use (the workspace's rule settings)
    is not kept. Raises InvalidLead for bad sample values, NotFound for a foreign lead.
    """
    at = at or timezone.now()
    with transaction.atomic():
        try:
            if lead_id is not None:
                lead = lead_selectors.get_lead(workspace=workspace, lead_id=lead_id)
            else:
                lead = _sample_lead(workspace, sample or {}, at)
            return _preview(workspace, lead, at, is_sample=lead_id is None)
        finally:
            transaction.set_rollback(True)


def _sample_lead(workspace: Workspace, sample: dict, at: datetime) -> Lead:
    fields = clean_lead_fields(
        workspace, {k: v for k, v in sample.items() if k != "source"}, require_contact=False
    )
    company = fields.pop("company", "")
    if not fields.get("time_zone"):
        fields["time_zone"] = time_zone_for_phone(fields.get("phone")) or ""
    lead = Lead(workspace=workspace, created_at=at, **fields)
    if company:
        lead.account = Account(workspace=workspace, name=company)
    if sample.get("source"):
        lead.source = LeadSource(
            workspace=workspace, name=sample["source"], kind=LeadSource.Kind.FORM
        )
    return lead


def _preview(workspace: Workspace, lead: Lead, at: datetime, *, is_sample: bool) -> Preview:
    score = compute_score(
        workspace=workspace,
        lead=lead,
        rules=active_scoring_rules(workspace=workspace),
        settings=rule_settings(workspace=workspace),
        now=at,
    )
    pair = (score.total, score.band)
    decision = decide_route(workspace=workspace, lead=lead, score=pair, at=at, dry_run=True)
    policy = matching_policy(workspace=workspace, lead=lead, score=pair, at=at)
    due_at = deadlines(workspace=workspace, policy=policy, start=at)[1] if policy else None
    return Preview(lead, score, decision, policy, due_at, is_sample)
