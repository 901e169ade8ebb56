"""How scoring reacts to the leads app: intake steps and activity listeners (registered in apps)."""

from __future__ import annotations

from leadfollow.models import Workspace
from leads.models import Activity, Lead
from scoring.models import LeadScore, ScoringRule
from scoring.services.routing import route_lead
from scoring.services.scores import score_lead
from scoring.services.sla import mark_sla_met, start_sla_clock


def _stored_score(workspace: Workspace, lead: Lead) -> tuple[int, str] | None:
    score = LeadScore.objects.filter(workspace=workspace, lead=lead).first()
    return (score.total, score.band) if score else None


def score_on_intake(*, workspace: Workspace, lead: Lead, is_new: bool) -> None:
    score_lead(workspace=workspace, lead=lead)


def route_on_intake(*, workspace: Workspace, lead: Lead, is_new: bool) -> None:
    if lead.owner_id is None:
        route_lead(workspace=workspace, lead=lead, score=_stored_score(workspace, lead))


def start_sla_on_intake(*, workspace: Workspace, lead: Lead, is_new: bool) -> None:
    if is_new:
        start_sla_clock(workspace=workspace, lead=lead, score=_stored_score(workspace, lead))


def on_activity(*, workspace: Workspace, activity: Activity) -> None:
    """A touch may meet the SLA; an engagement may move the score."""
    if activity.direction == Activity.Direction.OUTBOUND and activity.channel:
        human = activity.actor_id is not None or activity.payload.get("human") is True
        mark_sla_met(
            workspace=workspace, lead_id=activity.lead_id, at=activity.occurred_at, is_human=human
        )
    if ScoringRule.objects.filter(
        workspace=workspace,
        is_active=True,
        kind=ScoringRule.Kind.ENGAGEMENT,
        activity_kind=activity.kind,
    ).exists():
        score_lead(workspace=workspace, lead=activity.lead)
