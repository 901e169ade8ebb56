"""Reads of the rules pages: rule lists, teams with seats, availability, the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from leadfollow.errors import NotFound
from leadfollow.models import Membership, Workspace
from leadfollow.selectors import workspace_members
from scoring.models import (
    Holiday,
    Notification,
    RepAvailability,
    RoutingRule,
    RuleChange,
    ScoringRule,
    SlaPolicy,
    Team,
    TeamMember,
    TimeOff,
)


def scoring_rules(*, workspace: Workspace) -> dict[str, list[ScoringRule]]:
    """The workspace's scoring rules by kind, in their order."""
    rules = list(ScoringRule.objects.filter(workspace=workspace).order_by("position", "pk"))
    return {kind: [rule for rule in rules if rule.kind == kind] for kind in ScoringRule.Kind.values}


def routing_rules(*, workspace: Workspace) -> list[RoutingRule]:
    return list(
        RoutingRule.objects.filter(workspace=workspace)
        .select_related("member__user", "team")
        .order_by("position", "pk")
    )


def sla_policies(*, workspace: Workspace) -> list[SlaPolicy]:
    return list(SlaPolicy.objects.filter(workspace=workspace).order_by("position", "pk"))


def teams_with_seats(*, workspace: Workspace) -> list[Team]:
    seats = TeamMember.objects.filter(workspace=workspace).select_related("membership__user")
    return list(
        Team.objects.filter(workspace=workspace)
        .select_related("manager__user")
        .prefetch_related(Prefetch("members", queryset=seats))
    )


def holidays(*, workspace: Workspace) -> QuerySet[Holiday]:
    return Holiday.objects.filter(workspace=workspace, date__gte=timezone.localdate()).order_by(
        "date"
    )


@dataclass(frozen=True)
class RepRow:
    member: Membership
    availability: RepAvailability | None
    time_off: list[TimeOff]


def availability_rows(*, workspace: Workspace) -> list[RepRow]:
    """Every active member with their availability and their upcoming time off."""
    members = list(workspace_members(workspace=workspace))
    settings = {a.membership_id: a for a in RepAvailability.objects.filter(workspace=workspace)}
    away: dict[int, list[TimeOff]] = {}
    for item in TimeOff.objects.filter(workspace=workspace, ends_at__gt=timezone.now()):
        away.setdefault(item.membership_id, []).append(item)
    return [RepRow(m, settings.get(m.pk), away.get(m.pk, [])) for m in members]


def upcoming_time_off(*, workspace: Workspace, membership_id: int) -> QuerySet[TimeOff]:
    return TimeOff.objects.filter(
        workspace=workspace, membership_id=membership_id, ends_at__gt=timezone.now()
    ).order_by("starts_at")


def rule_history(*, workspace: Workspace, subject: str | None = None) -> QuerySet[RuleChange]:
    """Audited rule changes, newest first, with who made them."""
    changes = RuleChange.objects.filter(workspace=workspace).select_related("actor__user")
    if subject:
        changes = changes.filter(subject=subject)
    return changes.order_by("-created_at", "-pk")


def member_notifications(*, workspace: Workspace, recipient: Membership) -> QuerySet[Notification]:
    """The member's notifications, newest first, with their leads."""
    return (
        Notification.objects.filter(workspace=workspace, recipient=recipient)
        .select_related("lead")
        .order_by("-created_at", "-pk")
    )


def unread_notification_count(*, workspace: Workspace, recipient: Membership) -> int:
    return Notification.objects.filter(
        workspace=workspace, recipient=recipient, read_at__isnull=True
    ).count()


def get_notification(
    *, workspace: Workspace, recipient: Membership, notification_id: int
) -> Notification:
    """One of the member's own notifications; anyone else's is not found."""
    found = Notification.objects.filter(
        workspace=workspace, recipient=recipient, pk=notification_id
    ).first()
    if found is None:
        raise NotFound("No such notification.")
    return found
