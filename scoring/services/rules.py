"""Managers' changes to ordered rules: scoring rules, routing rules and SLA policies.

The three kinds share their shape (name, conditions, position, on/off), so one set of actions
serves them all. Every change is validated here, audited in the same transaction, and a change
to scoring rescores the open leads after commit.
"""

from __future__ import annotations

from functools import partial

from django.db import models, transaction
from django.db.models import Max

from leadfollow.errors import Conflict, InvalidInput, NotFound
from leadfollow.models import Membership, Workspace
from scoring import tasks
from scoring.conditions import validate_condition
from scoring.models import RoutingRule, RuleSettings, ScoringRule, SlaPolicy, Team
from scoring.services.audit import record_rule_change, snapshot
from scoring.services.rule_sets import rules_changed
from scoring.services.scores import ENGAGEMENT_KINDS, rule_settings

SUBJECTS: dict[str, type[models.Model]] = {
    "scoring_rule": ScoringRule,
    "routing_rule": RoutingRule,
    "sla_policy": SlaPolicy,
}
MAX_POINTS = 1000
MAX_SLA_MINUTES = 60 * 24 * 30


class RuleNotFound(NotFound):
    pass


class RuleInvalid(InvalidInput):
    pass


def get_rule(*, workspace: Workspace, subject: str, rule_id: int) -> models.Model:
    """One rule of the workspace, or RuleNotFound (also for another workspace's rule)."""
    model = SUBJECTS[subject]
    rule = model.objects.filter(workspace=workspace, pk=rule_id).first()
    if rule is None:
        raise RuleNotFound("No such rule in your workspace.")
    return rule


def enqueue_rescore(workspace: Workspace) -> None:
    """After commit, recompute the open leads' scores (a Celery task; in-process in dev)."""
    transaction.on_commit(partial(tasks.rescore_open_leads.delay, workspace_id=workspace.pk))


def _siblings(workspace: Workspace, subject: str, rule: models.Model | None, values: dict):
    qs = SUBJECTS[subject].objects.filter(workspace=workspace)
    if subject == "scoring_rule":
        qs = qs.filter(kind=values.get("kind") or rule.kind)
    return qs


def _check(workspace: Workspace, subject: str, values: dict) -> dict:
    """The values to save, or RuleInvalid naming the field at fault."""
    values = dict(values)
    values["name"] = (values.get("name") or "").strip()
    if not values["name"]:
        raise RuleInvalid("Give the rule a name.", field="name")
    conditions = values.get("conditions") or {}
    if conditions:
        validate_condition(conditions)
    values["conditions"] = conditions
    check = {
        "scoring_rule": _check_scoring,
        "routing_rule": _check_routing,
        "sla_policy": _check_sla,
    }[subject]
    check(workspace, values)
    return values


def _check_scoring(workspace: Workspace, values: dict) -> None:
    if values.get("kind") not in ScoringRule.Kind.values:
        raise RuleInvalid("Choose fit or engagement.", field="kind")
    points = values.get("points")
    if points is None or not -MAX_POINTS <= points <= MAX_POINTS or points == 0:
        raise RuleInvalid(
            f"Points are a whole number from -{MAX_POINTS} to {MAX_POINTS}, not 0.",
            field="points",
        )
    if values["kind"] == ScoringRule.Kind.ENGAGEMENT:
        if values.get("activity_kind") not in ENGAGEMENT_KINDS:
            raise RuleInvalid("Choose the activity this rule scores.", field="activity_kind")
        values["conditions"] = {}
    else:
        values["activity_kind"] = ""


def _check_routing(workspace: Workspace, values: dict) -> None:
    member_id, team_id = values.get("member_id"), values.get("team_id")
    if bool(member_id) == bool(team_id):
        raise RuleInvalid("Send matching leads to one rep or to one team.", field="target")
    if (
        member_id
        and not Membership.objects.filter(
            workspace=workspace, pk=member_id, is_active=True
        ).exists()
    ):
        raise RuleInvalid("That rep is not an active member of this workspace.", field="target")
    if team_id and not Team.objects.filter(workspace=workspace, pk=team_id).exists():
        raise RuleInvalid("That team is not in this workspace.", field="target")


def _check_sla(workspace: Workspace, values: dict) -> None:
    minutes = values.get("minutes")
    if minutes is None or not 1 <= minutes <= MAX_SLA_MINUTES:
        raise RuleInvalid(
            f"First touch within 1 to {MAX_SLA_MINUTES} minutes (30 days).", field="minutes"
        )
    warn = values.get("warn_at_percent")
    if warn is None or not 1 <= warn <= 99:
        raise RuleInvalid("Warn at 1 to 99 % of the time.", field="warn_at_percent")
    if values.get("met_by") not in SlaPolicy.MetBy.values:
        raise RuleInvalid("Choose what counts as the first touch.", field="met_by")


def _after_change(workspace: Workspace, subject: str) -> None:
    if subject == "scoring_rule":
        enqueue_rescore(workspace)


@transaction.atomic
def create_rule(
    *, workspace: Workspace, subject: str, values: dict, actor: Membership | None
) -> models.Model:
    """Add a rule at the end of its list."""
    values = _check(workspace, subject, values)
    last = _siblings(workspace, subject, None, values).aggregate(n=Max("position"))["n"]
    rule = SUBJECTS[subject].objects.create(workspace=workspace, position=(last or 0) + 1, **values)
    record_rule_change(
        workspace=workspace,
        actor=actor,
        subject=subject,
        subject_id=rule.pk,
        action="created",
        before=None,
        after=snapshot(rule),
    )
    _after_change(workspace, subject)
    return rule


@transaction.atomic
def update_rule(
    *, workspace: Workspace, subject: str, rule_id: int, values: dict, actor: Membership | None
) -> models.Model:
    """Change a rule's fields. A scoring rule keeps its kind (fit or engagement)."""
    rule = _locked(workspace, subject, rule_id)
    if subject == "scoring_rule":
        values = {**values, "kind": rule.kind}
    values = _check(workspace, subject, values)
    before = snapshot(rule)
    for field, value in values.items():
        setattr(rule, field, value)
    rule.save()
    _audit(workspace, actor, subject, rule, "updated", before)
    _after_change(workspace, subject)
    return rule


@transaction.atomic
def set_rule_active(
    *, workspace: Workspace, subject: str, rule_id: int, is_active: bool, actor: Membership | None
) -> models.Model:
    """Turn a rule on or off. Safe to call twice."""
    rule = _locked(workspace, subject, rule_id)
    if rule.is_active == is_active:
        return rule
    before = snapshot(rule)
    rule.is_active = is_active
    rule.save(update_fields=["is_active", "updated_at"])
    _audit(workspace, actor, subject, rule, "enabled" if is_active else "disabled", before)
    _after_change(workspace, subject)
    return rule


@transaction.atomic
def move_rule(
    *, workspace: Workspace, subject: str, rule_id: int, direction: str, actor: Membership | None
) -> models.Model:
    """Swap a rule with its neighbour above ("up") or below ("down"). The order is audited."""
    if direction not in ("up", "down"):
        raise RuleInvalid("Move a rule up or down.", field="direction")
    rule = _locked(workspace, subject, rule_id)
    ordered = list(
        _siblings(workspace, subject, rule, {}).select_for_update().order_by("position", "pk")
    )
    before = [item.pk for item in ordered]
    index = before.index(rule.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return rule
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        item.position = position
    SUBJECTS[subject].objects.bulk_update(ordered, ["position"])
    rules_changed(workspace_id=workspace.pk)  # a bulk update sends no save signal
    record_rule_change(
        workspace=workspace,
        actor=actor,
        subject=subject,
        subject_id=rule.pk,
        action="reordered",
        before={"order": before},
        after={"order": [item.pk for item in ordered]},
    )
    return rule


@transaction.atomic
def delete_rule(
    *, workspace: Workspace, subject: str, rule_id: int, actor: Membership | None
) -> None:
    """Remove a rule. Its audit entries keep what it was."""
    rule = _locked(workspace, subject, rule_id)
    before = snapshot(rule)
    rule.delete()
    record_rule_change(
        workspace=workspace,
        actor=actor,
        subject=subject,
        subject_id=rule_id,
        action="deleted",
        before=before,
        after=None,
    )
    _after_change(workspace, subject)


def _locked(workspace: Workspace, subject: str, rule_id: int) -> models.Model:
    rule = SUBJECTS[subject].objects.select_for_update().filter(workspace=workspace, pk=rule_id)
    found = rule.first()
    if found is None:
        raise RuleNotFound("No such rule in your workspace.")
    return found


def _audit(workspace, actor, subject: str, rule, action: str, before: dict) -> None:
    record_rule_change(
        workspace=workspace,
        actor=actor,
        subject=subject,
        subject_id=rule.pk,
        action=action,
        before=before,
        after=snapshot(rule),
    )


@transaction.atomic
def update_score_settings(
    *,
    workspace: Workspace,
    bands: list[dict],
    engagement_half_life_days: int,
    actor: Membership | None,
) -> RuleSettings:
    """Band thresholds (high to low, the last band catches the rest) and the half-life."""
    names = [(band.get("name") or "").strip() for band in bands]
    if not bands or any(not name for name in names) or len(set(names)) != len(names):
        raise RuleInvalid("Every band needs its own name.", field="bands")
    floors = [band.get("min") for band in bands[:-1]]
    if bands[-1].get("min") is not None or any(floor is None for floor in floors):
        raise RuleInvalid("Every band but the last needs a minimum score.", field="bands")
    if any(high <= low for high, low in zip(floors, floors[1:], strict=False)):
        raise RuleInvalid("Each band's minimum must be above the next band's.", field="bands")
    if not 1 <= engagement_half_life_days <= 365:
        raise RuleInvalid("The half-life is 1 to 365 days.", field="engagement_half_life_days")
    settings = rule_settings(workspace=workspace)
    settings = RuleSettings.objects.select_for_update().get(pk=settings.pk)
    before = {"bands": settings.bands, "half_life": settings.engagement_half_life_days}
    settings.bands = [
        {"name": name, "min": band.get("min")} for name, band in zip(names, bands, strict=True)
    ]
    settings.engagement_half_life_days = engagement_half_life_days
    settings.save()
    after = {"bands": settings.bands, "half_life": settings.engagement_half_life_days}
    if after != before:
        record_rule_change(
            workspace=workspace,
            actor=actor,
            subject="rule_settings",
            subject_id=settings.pk,
            action="updated",
            before=before,
            after=after,
        )
        enqueue_rescore(workspace)
    return settings


@transaction.atomic
def set_fallback_owner(
    *, workspace: Workspace, owner_id: int | None, actor: Membership | None
) -> RuleSettings:
    """Who gets the leads no routing rule takes; None leaves them in the unassigned queue."""
    owner = None
    if owner_id is not None:
        owner = Membership.objects.filter(workspace=workspace, pk=owner_id, is_active=True).first()
        if owner is None:
            raise RuleInvalid("Choose an active member of this workspace.", field="fallback_owner")
    settings = rule_settings(workspace=workspace)
    settings = RuleSettings.objects.select_for_update().get(pk=settings.pk)
    if settings.fallback_owner_id == owner_id:
        return settings
    before = {"fallback_owner": settings.fallback_owner_id}
    settings.fallback_owner = owner
    settings.save(update_fields=["fallback_owner", "updated_at"])
    record_rule_change(
        workspace=workspace,
        actor=actor,
        subject="rule_settings",
        subject_id=settings.pk,
        action="updated",
        before=before,
        after={"fallback_owner": owner_id},
    )
    return settings


def ensure_team_unused(*, workspace: Workspace, team_id: int) -> None:
    """Deleting a team would delete the routing rules that send leads to it: refuse instead."""
    names = list(
        RoutingRule.objects.filter(workspace=workspace, team_id=team_id).values_list(
            "name", flat=True
        )
    )
    if names:
        raise Conflict(
            f"Routing rules send leads to this team ({', '.join(names)}): change them first.",
            code="team_in_use",
        )
