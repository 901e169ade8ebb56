"""Scoring rules and scores, routing (teams, rules, rep availability), SLA policies and clocks,
rep notifications, and the audit trail of every rule change."""

from __future__ import annotations

from django.db import models

from leadfollow.tenancy import WorkspaceOwned


def _default_bands() -> list[dict]:
    return [{"name": "hot", "min": 60}, {"name": "warm", "min": 30}, {"name": "cold", "min": None}]


class RuleSettings(WorkspaceOwned):
    """Workspace-wide knobs of the rules: score bands, engagement half-life, fallback owner."""

    bands = models.JSONField(default=_default_bands)
    engagement_half_life_days = models.PositiveSmallIntegerField(default=14)
    fallback_owner = models.ForeignKey(
        "leadfollow.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="rulesettings_one_per_workspace")
        ]


class ScoringRule(WorkspaceOwned):
    """Fit rules score lead data; engagement rules score activities and fade with time."""

    class Kind(models.TextChoices):
        FIT = "fit", "Fit (lead data)"
        ENGAGEMENT = "engagement", "Engagement (activity)"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.FIT)
    conditions = models.JSONField(default=dict, blank=True)
    activity_kind = models.CharField(max_length=32, blank=True)
    points = models.SmallIntegerField()
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class LeadScore(WorkspaceOwned):
    """A lead's current score and why: the rules that matched with their points."""

    lead = models.OneToOneField("leads.Lead", on_delete=models.CASCADE, related_name="score")
    fit = models.IntegerField(default=0)
    engagement = models.FloatField(default=0)
    total = models.IntegerField(default=0, db_index=True)
    band = models.CharField(max_length=32, blank=True, db_index=True)
    breakdown = models.JSONField(default=list)
    computed_at = models.DateTimeField()


class Team(WorkspaceOwned):
    """A group of reps that shares leads by a strategy. Rotation state lives in these rows."""

    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", "Round robin"
        WEIGHTED = "weighted", "Weighted round robin"
        LEAST_LOADED = "least_loaded", "Least loaded (fewest open leads)"

    name = models.CharField(max_length=120)
    strategy = models.CharField(
        max_length=16, choices=Strategy.choices, default=Strategy.ROUND_ROBIN
    )
    manager = models.ForeignKey(
        "leadfollow.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Told when a lead of this team breaches its SLA.",
    )
    last_assigned = models.ForeignKey(
        "TeamMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="team_unique_name")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMember(WorkspaceOwned):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    membership = models.ForeignKey(
        "leadfollow.Membership", on_delete=models.CASCADE, related_name="team_seats"
    )
    weight = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveIntegerField(default=0)
    current_weight = models.IntegerField(default=0)  # smooth weighted round robin state

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "membership"], name="teammember_unique")
        ]
        ordering = ["position", "pk"]


class RoutingRule(WorkspaceOwned):
    """Ordered: the first active rule whose conditions match assigns the lead."""

    name = models.CharField(max_length=120)
    conditions = models.JSONField(default=dict, blank=True)
    member = models.ForeignKey(
        "leadfollow.Membership", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(member__isnull=False, team__isnull=True)
                | models.Q(member__isnull=True, team__isnull=False),
                name="routingrule_one_target",
            )
        ]


def _default_hours() -> dict:
    return {str(day): [["09:00", "17:00"]] for day in range(5)}


def _every_alert_kind() -> list[str]:
    return list(Notification.Kind.values)


class RepAvailability(WorkspaceOwned):
    """When a rep takes new leads, and how they want to be alerted."""

    membership = models.OneToOneField(
        "leadfollow.Membership", on_delete=models.CASCADE, related_name="availability"
    )
    is_available = models.BooleanField(default=True)
    time_zone = models.CharField(max_length=64, blank=True)  # blank: the workspace's
    working_hours = models.JSONField(default=_default_hours)  # weekday -> [[start, end], …]
    daily_cap = models.PositiveIntegerField(null=True, blank=True)
    open_cap = models.PositiveIntegerField(null=True, blank=True)
    # The switch per channel; the kinds say which alerts it carries (Notification.Kind values).
    # Every kind by default, so a rep who only turned a channel on gets what they always got.
    notify_by_email = models.BooleanField(default=False)
    notify_by_sms = models.BooleanField(default=False)
    email_kinds = models.JSONField(default=_every_alert_kind, blank=True)
    sms_kinds = models.JSONField(default=_every_alert_kind, blank=True)
    mobile_phone = models.CharField(max_length=20, blank=True)

    def alert_channels(self, kind: str) -> list[str]:
        """The channels besides the app that carry an alert of this kind."""
        return [
            channel
            for channel, on, kinds in (
                ("email", self.notify_by_email, self.email_kinds),
                ("sms", self.notify_by_sms and bool(self.mobile_phone), self.sms_kinds),
            )
            if on and kind in kinds
        ]


class TimeOff(WorkspaceOwned):
    membership = models.ForeignKey(
        "leadfollow.Membership", on_delete=models.CASCADE, related_name="time_off"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]


class Holiday(WorkspaceOwned):
    """A day the workspace's business-hours SLA clocks do not run."""

    date = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "date"], name="holiday_unique_date")
        ]
        ordering = ["date"]


class SlaPolicy(WorkspaceOwned):
    """How fast a matching lead must be touched. The first active matching policy applies."""

    class MetBy(models.TextChoices):
        ANY_TOUCH = "any_touch", "Any outbound touch"
        HUMAN_TOUCH = "human_touch", "A human touch (call or personal message)"

    name = models.CharField(max_length=120)
    conditions = models.JSONField(default=dict, blank=True)
    minutes = models.PositiveIntegerField()
    met_by = models.CharField(max_length=16, choices=MetBy.choices, default=MetBy.ANY_TOUCH)
    business_hours_only = models.BooleanField(default=False)
    warn_at_percent = models.PositiveSmallIntegerField(default=80)
    reassign_on_breach = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]


class SlaClock(WorkspaceOwned):
    """One lead's speed-to-lead clock under one policy."""

    lead = models.OneToOneField("leads.Lead", on_delete=models.CASCADE, related_name="sla")
    policy = models.ForeignKey(SlaPolicy, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    due_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"],
                name="slaclock_open_due_idx",
                condition=models.Q(met_at__isnull=True, breached_at__isnull=True),
            ),
            models.Index(
                fields=["warn_at"],
                name="slaclock_open_warn_idx",
                condition=models.Q(met_at__isnull=True, warned_at__isnull=True),
            ),
        ]


class Notification(WorkspaceOwned):
    """An in-app alert for one member; also sent by email or SMS when they chose it."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "Lead assigned"
        REPLY = "reply", "Lead replied"
        SLA_WARNING = "sla_warning", "SLA warning"
        SLA_BREACH = "sla_breach", "SLA breached"

    recipient = models.ForeignKey(
        "leadfollow.Membership", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    lead = models.ForeignKey("leads.Lead", null=True, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx"
            )
        ]
        ordering = ["-created_at"]


class RuleChange(WorkspaceOwned):
    """Audit trail: who changed which rule, when, from what to what."""

    actor = models.ForeignKey(
        "leadfollow.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(max_length=32)  # scoring_rule, routing_rule, sla_policy, …
    subject_id = models.PositiveBigIntegerField(null=True)
    action = models.CharField(max_length=16)  # created, updated, deleted, reordered
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
