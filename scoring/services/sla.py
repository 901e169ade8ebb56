"""Speed-to-lead SLA clocks: start at intake, met by the first touch, warned and breached once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from leadfollow.models import Membership, Role, Workspace
from leadfollow.tenancy import unscoped, workspace_scope
from leads.models import Lead
from leads.services import log_activity, save_with_timeline
from leads.services.assignment import assign_lead
from scoring.availability import available_members
from scoring.business_hours import BusinessHours, add_business_time
from scoring.conditions import Test, compile_condition, referenced_fields
from scoring.facts import lead_facts
from scoring.models import Holiday, Notification, SlaClock, SlaPolicy, TeamMember
from scoring.services.notifications import notify
from scoring.services.rule_sets import cached_rule_set, watch_rule_models

watch_rule_models(SlaPolicy, Holiday)

logger = logging.getLogger(__name__)
TICK_BATCH = 200


def business_hours(*, workspace: Workspace) -> BusinessHours:
    holidays = cached_rule_set(
        workspace_id=workspace.pk,
        name="holidays",
        load=lambda: frozenset(
            Holiday.objects.filter(workspace=workspace).values_list("date", flat=True)
        ),
    )
    return BusinessHours(
        zone=workspace.tzinfo,
        weekdays=frozenset(workspace.business_days),
        opens=workspace.business_hours_start,
        closes=workspace.business_hours_end,
        holidays=holidays,
    )


def _active_policies(
    workspace: Workspace,
) -> tuple[list[tuple[SlaPolicy, Test | None]], set[str]]:
    """([(active policy, its prepared conditions or None)] in order, the facts they read),
    loaded once per rule change."""

    def load():
        policies = list(SlaPolicy.objects.filter(workspace=workspace, is_active=True))
        needed = set().union(*(referenced_fields(p.conditions) for p in policies if p.conditions))
        prepared = [
            (p, compile_condition(p.conditions) if p.conditions else None) for p in policies
        ]
        return prepared, needed

    return cached_rule_set(workspace_id=workspace.pk, name="sla", load=load)


def matching_policy(
    *,
    workspace: Workspace,
    lead: Lead,
    score: tuple[int, str] | None = None,
    at: datetime | None = None,
) -> SlaPolicy | None:
    policies, needed = _active_policies(workspace)
    facts = lead_facts(workspace=workspace, lead=lead, needed=needed, score=score, now=at)
    return next((p for p, test in policies if test is None or test(facts)), None)


def deadlines(
    *, workspace: Workspace, policy: SlaPolicy, start: datetime
) -> tuple[datetime, datetime]:
    """(warn_at, due_at) for a clock starting at `start`."""
    full = timedelta(minutes=policy.minutes)
    warn = full * min(max(policy.warn_at_percent, 1), 100) / 100
    if not policy.business_hours_only:
        return start + warn, start + full
    hours = business_hours(workspace=workspace)
    return add_business_time(start, warn, hours), add_business_time(start, full, hours)


def start_sla_clock(
    *, workspace: Workspace, lead: Lead, score: tuple[int, str] | None = None, fresh: bool = False
) -> SlaClock | None:
    """Start the lead's clock under the first matching policy. Safe to call twice.

    `fresh`: the lead was created in this transaction, so it has no clock yet (none is read),
    and the lead learns it has none when no policy matches."""
    if not fresh:
        existing = SlaClock.objects.filter(workspace=workspace, lead=lead).first()
        if existing is not None:
            return existing
    start = lead.created_at or timezone.now()
    policy = matching_policy(workspace=workspace, lead=lead, score=score, at=start)
    if policy is None:
        if fresh:
            Lead.sla.related.set_cached_value(lead, None)  # the answer shows "no SLA" unread
        return None
    warn_at, due_at = deadlines(workspace=workspace, policy=policy, start=start)
    clock = SlaClock(
        workspace=workspace,
        lead=lead,
        policy=policy,
        started_at=start,
        warn_at=warn_at,
        due_at=due_at,
    )
    save_with_timeline(clock)  # at intake: with the timeline, in one statement
    lead.sla = clock  # the intake's answer shows it without reading it back
    return clock


def mark_sla_met(*, workspace: Workspace, lead_id: int, at: datetime, is_human: bool) -> bool:
    """Stop the lead's clock when a touch counts under its policy. Returns whether it did."""
    clock = (
        SlaClock.objects.select_related("policy")
        .filter(workspace=workspace, lead_id=lead_id, met_at__isnull=True)
        .first()
    )
    if clock is None:
        return False
    if clock.policy and clock.policy.met_by == SlaPolicy.MetBy.HUMAN_TOUCH and not is_human:
        return False
    return bool(SlaClock.objects.filter(pk=clock.pk, met_at__isnull=True).update(met_at=at))


def sla_tick(*, now: datetime | None = None) -> tuple[int, int]:
    """Warn and breach every due clock exactly once. Returns (warned, breached).

    Runs across workspaces (beat or `run_scheduler`). Each clock is claimed under a row lock
    with SKIP LOCKED and stamped before anyone is told, so two ticks never notify twice.
    """
    now = now or timezone.now()
    warned = _claim(now, "warn_at", "warned_at", _warn)
    breached = _claim(now, "due_at", "breached_at", _breach)
    return warned, breached


def _claim(now: datetime, due_field: str, stamp_field: str, handle) -> int:
    done = 0
    with transaction.atomic():
        # The tick serves every workspace; each claimed clock is then handled in its own scope.
        with unscoped():
            clocks = list(
                SlaClock.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(**{f"{due_field}__lte": now, f"{stamp_field}__isnull": True})
                .filter(met_at__isnull=True)
                .select_related("workspace", "policy", "lead__owner__user")
                .order_by(due_field)[:TICK_BATCH]
            )
        for clock in clocks:
            with workspace_scope(clock.workspace):
                setattr(clock, stamp_field, now)
                clock.save(update_fields=[stamp_field])
                handle(clock, now)
                done += 1
    return done


def _warn(clock: SlaClock, now: datetime) -> None:
    lead, workspace = clock.lead, clock.workspace
    minutes = max(int((clock.due_at - now).total_seconds() // 60), 0)
    log_activity(
        workspace=workspace,
        lead=lead,
        kind="sla_warning",
        summary=f"SLA warning: {minutes} min left to first touch",
        payload={"due_at": clock.due_at.isoformat(), "policy": clock.policy_id},
    )
    if lead.owner_id:
        notify(
            workspace=workspace,
            recipient=lead.owner,
            kind=Notification.Kind.SLA_WARNING,
            lead=lead,
            text=f"{lead.display_name}: first touch due in {minutes} min",
        )


def _breach(clock: SlaClock, now: datetime) -> None:
    lead, workspace = clock.lead, clock.workspace
    log_activity(
        workspace=workspace,
        lead=lead,
        kind="sla_breached",
        summary="SLA breached: no first touch in time",
        payload={"due_at": clock.due_at.isoformat(), "policy": clock.policy_id},
    )
    text = f"SLA breached: {lead.display_name} got no first touch in time"
    for recipient in _breach_recipients(workspace, lead):
        notify(
            workspace=workspace,
            recipient=recipient,
            kind=Notification.Kind.SLA_BREACH,
            lead=lead,
            text=text,
        )
    if clock.policy and clock.policy.reassign_on_breach:
        _reassign(workspace, lead, now)


def _breach_recipients(workspace: Workspace, lead: Lead) -> list[Membership]:
    recipients = [lead.owner] if lead.owner_id else []
    managers = [
        seat.team.manager
        for seat in TeamMember.objects.filter(
            workspace=workspace, membership_id=lead.owner_id
        ).select_related("team__manager")
        if seat.team.manager_id
    ]
    if not managers:
        managers = list(
            Membership.objects.filter(
                workspace=workspace, is_active=True, role__in=[Role.MANAGER, Role.OWNER]
            )
        )
    return list({m.pk: m for m in recipients + managers if m is not None}.values())


def _reassign(workspace: Workspace, lead: Lead, now: datetime) -> None:
    seats = TeamMember.objects.filter(workspace=workspace, team__members__membership=lead.owner)
    candidates = [
        s.membership
        for s in seats.select_related("membership__user").distinct()
        if s.membership_id != lead.owner_id
    ]
    if not candidates:
        candidates = list(
            Membership.objects.filter(workspace=workspace, is_active=True, role=Role.REP)
            .exclude(pk=lead.owner_id)
            .select_related("user")
        )
    free = available_members(workspace=workspace, candidates=candidates, at=now)
    if not free:
        logger.info("sla breach: nobody available to take lead_id=%s", lead.pk)
        return
    locked = Lead.objects.select_for_update().get(workspace=workspace, pk=lead.pk)
    assign_lead(
        workspace=workspace, lead=locked, owner=free[0], reason="Reassigned: the SLA was breached"
    )
    notify(
        workspace=workspace,
        recipient=free[0],
        kind=Notification.Kind.ASSIGNED,
        lead=locked,
        text=f"Reassigned to you after an SLA breach: {locked.display_name}",
    )
