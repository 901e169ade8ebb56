"""How scoring reacts to the leads app: intake steps and activity listeners (registered in apps)."""

from __future__ import annotations

from leadfollow.models import Workspace
from leadfollow.tenancy import unscoped, workspace_scope
from leads.models import Activity, Lead
from leads.services.activities import held_activities
from leads.services.received import steps_run_together
from scoring.models import LeadScore, SlaClock
from scoring.services.routing import route_lead
from scoring.services.rule_sets import read_versions
from scoring.services.scores import is_scored_engagement, score_lead
from scoring.services.sla import mark_sla_met, start_sla_clock


def _stored_score(workspace: Workspace, lead: Lead) -> tuple[int, str] | None:
    """The score the scoring step just stored on the lead, else the saved one."""
    if Lead.score.is_cached(lead):
        score = getattr(lead, "score", None)  # a cached "no score" raises AttributeError
    else:
        score = LeadScore.objects.filter(workspace=workspace, lead=lead).first()
    return (score.total, score.band) if score else None


def score_on_intake(*, workspace: Workspace, lead: Lead, is_new: bool, fresh: bool = False) -> None:
    # A lead created in this transaction has no timeline but what its intake holds back.
    timeline = None
    if fresh:
        timeline = [(a.kind, a.occurred_at) for a in held_activities() if a.lead_id == lead.pk]
    score_lead(workspace=workspace, lead=lead, activities=timeline)


def route_on_intake(*, workspace: Workspace, lead: Lead, is_new: bool, fresh: bool = False) -> None:
    if lead.owner_id is None:
        route_lead(
            workspace=workspace,
            lead=lead,
            score=_stored_score(workspace, lead),
            at_intake_end=steps_run_together(),
        )


def start_sla_on_intake(
    *, workspace: Workspace, lead: Lead, is_new: bool, fresh: bool = False
) -> None:
    if is_new:
        score = _stored_score(workspace, lead)
        start_sla_clock(workspace=workspace, lead=lead, score=score, fresh=fresh)


def on_activity(*, workspace: Workspace, activity: Activity) -> None:
    """A touch may meet the SLA; an engagement may move the score."""
    if activity.direction == Activity.Direction.OUTBOUND and activity.channel:
        human = activity.actor_id is not None or activity.payload.get("human") is True
        mark_sla_met(
            workspace=workspace, lead_id=activity.lead_id, at=activity.occurred_at, is_human=human
        )
    if is_scored_engagement(workspace=workspace, activity_kind=activity.kind):
        score_lead(workspace=workspace, lead=activity.lead)


def on_activities(*, activities: list[Activity]) -> None:
    """on_activity for a batch (a chunk of cadence sends, from many workspaces): one query finds
    the leads with an open SLA clock, the cached rule sets say which kinds score, and only the
    activities that may stop a clock or move a score go through on_activity."""
    leads = {a.lead_id for a in activities if a.direction == Activity.Direction.OUTBOUND}
    clocked = set()
    if leads:  # an intake's batch has no touch: nothing to look up
        # A batch spans workspaces: clocks are matched by their lead.
        with unscoped():
            clocked = set(
                SlaClock.objects.filter(lead_id__in=leads, met_at__isnull=True).values_list(
                    "lead_id", flat=True
                )
            )
    read_versions(workspace_ids={activity.workspace_id for activity in activities})
    for activity in activities:
        workspace = activity.workspace
        with workspace_scope(workspace):
            scored = is_scored_engagement(workspace=workspace, activity_kind=activity.kind)
            if scored or activity.lead_id in clocked:
                on_activity(workspace=workspace, activity=activity)
