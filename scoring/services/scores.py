"""Scores: fit from lead data plus engagement from activities, fading with a half-life."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.utils import timezone

from leadfollow.models import Workspace
from leads.models import Activity, Lead
from scoring.availability import OPEN_STATUSES
from scoring.conditions import Test, compile_condition, referenced_fields
from scoring.facts import lead_facts
from scoring.models import LeadScore, RuleSettings, ScoringRule
from scoring.services.rule_sets import cached_rule_set, watch_rule_models

watch_rule_models(ScoringRule, RuleSettings)

# Activity kinds engagement rules can score. The channel and inbox apps log these kinds.
ENGAGEMENT_KINDS = {
    "email_opened": "Opened an email",
    "email_clicked": "Clicked a link",
    "pricing_visited": "Visited the pricing link",
    "replied": "Replied",
    "call_answered": "Answered a call",
    "meeting_booked": "Booked a meeting",
    "form_submitted": "Submitted a form",
    "re_inquiry": "Asked again",
}


@dataclass(frozen=True)
class ScoreLine:
    rule_id: int | None
    name: str
    points: float


@dataclass
class ScoreResult:
    fit: int = 0
    engagement: float = 0.0
    lines: list[ScoreLine] = field(default_factory=list)
    band: str = ""

    @property
    def total(self) -> int:
        return round(self.fit + self.engagement)


def rule_settings(*, workspace: Workspace) -> RuleSettings:
    """The workspace's settings row, created with defaults on first use."""
    settings, _ = RuleSettings.objects.get_or_create(workspace=workspace)
    return settings


def band_for(total: int, bands: list[dict]) -> str:
    """The first band (ordered high to low) whose minimum the total reaches."""
    for band in sorted(bands, key=lambda b: math.inf if b.get("min") is None else -b["min"]):
        if band.get("min") is None or total >= band["min"]:
            return band["name"]
    return ""


def active_scoring_rules(*, workspace: Workspace) -> list[ScoringRule]:
    return list(ScoringRule.objects.filter(workspace=workspace, is_active=True))


FitRules = tuple[list[tuple[ScoringRule, Test | None]], set[str]]


def _prepare_fit(rules: list[ScoringRule]) -> FitRules:
    """([(fit rule, its prepared conditions or None)], the facts they read)."""
    fit = [rule for rule in rules if rule.kind == ScoringRule.Kind.FIT]
    needed = set().union(*(referenced_fields(rule.conditions) for rule in fit if rule.conditions))
    return [(r, compile_condition(r.conditions) if r.conditions else None) for r in fit], needed


@dataclass(frozen=True)
class _ScoringSetup:
    rules: list[ScoringRule]
    settings: RuleSettings
    engagement_kinds: frozenset[str]
    fit: FitRules


def _scoring_setup(workspace: Workspace) -> _ScoringSetup:
    """The active rules and settings, loaded once per rule change (read-only: shared)."""

    def load() -> _ScoringSetup:
        rules = active_scoring_rules(workspace=workspace)
        kinds = frozenset(r.activity_kind for r in rules if r.kind == ScoringRule.Kind.ENGAGEMENT)
        return _ScoringSetup(rules, rule_settings(workspace=workspace), kinds, _prepare_fit(rules))

    return cached_rule_set(workspace_id=workspace.pk, name="scoring", load=load)


def is_scored_engagement(*, workspace: Workspace, activity_kind: str) -> bool:
    """Whether an active engagement rule scores this kind of activity."""
    return activity_kind in _scoring_setup(workspace).engagement_kinds


def compute_score(
    *,
    workspace: Workspace,
    lead: Lead,
    rules: list[ScoringRule],
    settings: RuleSettings,
    now: datetime | None = None,
    activities: list[tuple[str, datetime]] | None = None,
    fit: FitRules | None = None,
) -> ScoreResult:
    """Score a lead without saving anything: the "try it" panel uses this too. `fit` is the
    rules' fit part prepared already (`_prepare_fit`)."""
    now = now or timezone.now()
    fit_rules, needed = fit or _prepare_fit(rules)
    facts = lead_facts(workspace=workspace, lead=lead, needed=needed, now=now)
    result = ScoreResult()
    for rule, test in fit_rules:
        if test is None or test(facts):
            result.fit += rule.points
            result.lines.append(ScoreLine(rule.pk, rule.name, rule.points))
    engagement_rules = [rule for rule in rules if rule.kind == ScoringRule.Kind.ENGAGEMENT]
    if engagement_rules:
        if activities is None:
            activities = _engagement_activities(workspace, lead, engagement_rules)
        half_life = max(settings.engagement_half_life_days, 1) * 86400
        for rule in engagement_rules:
            points = sum(
                rule.points * 0.5 ** (max((now - at).total_seconds(), 0) / half_life)
                for kind, at in activities
                if kind == rule.activity_kind
            )
            if points:
                result.engagement += points
                result.lines.append(ScoreLine(rule.pk, rule.name, round(points, 1)))
    result.band = band_for(result.total, settings.bands)
    return result


def _engagement_activities(workspace, lead: Lead, rules) -> list[tuple[str, datetime]]:
    if not lead.pk:
        return []
    kinds = {rule.activity_kind for rule in rules}
    return list(
        Activity.objects.filter(workspace=workspace, lead=lead, kind__in=kinds).values_list(
            "kind", "occurred_at"
        )[:1000]
    )


def score_lead(
    *, workspace: Workspace, lead: Lead, activities: list[tuple[str, datetime]] | None = None
) -> LeadScore:
    """Recompute and store the lead's score with its breakdown. The lead keeps it (`lead.score`),
    so the intake steps after scoring read it without a query. `activities` ((kind, occurred
    at) of the lead's timeline) spares reading them when the caller holds them all."""
    setup = _scoring_setup(workspace)
    result = compute_score(
        workspace=workspace,
        lead=lead,
        rules=setup.rules,
        settings=setup.settings,
        activities=activities,
        fit=setup.fit,
    )
    score = _store(workspace, lead, result)
    lead.score = score
    return score


def rescore_open_leads(*, workspace: Workspace) -> int:
    """Recompute every open lead's score after the rules changed. Returns how many."""
    rules = active_scoring_rules(workspace=workspace)
    settings = rule_settings(workspace=workspace)
    leads = Lead.objects.filter(
        workspace=workspace, status__in=OPEN_STATUSES, erased_at__isnull=True
    ).select_related("account", "source", "owner__user")
    done = 0
    for lead in leads.iterator(chunk_size=500):
        result = compute_score(workspace=workspace, lead=lead, rules=rules, settings=settings)
        _store(workspace, lead, result)
        done += 1
    return done


def _store(workspace: Workspace, lead: Lead, result: ScoreResult) -> LeadScore:
    """One upsert (INSERT … ON CONFLICT UPDATE): no read first, no savepoint."""
    score = LeadScore(
        workspace=workspace,
        lead=lead,
        fit=result.fit,
        engagement=result.engagement,
        total=result.total,
        band=result.band,
        breakdown=[asdict(line) for line in result.lines],
        computed_at=timezone.now(),
    )
    LeadScore.objects.bulk_create(
        [score],
        update_conflicts=True,
        unique_fields=["lead"],
        update_fields=["fit", "engagement", "total", "band", "breakdown", "computed_at"],
    )
    return score
