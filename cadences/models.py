"""Cadences: timed multi-channel follow-up. The database is the source of truth for every touch."""

from __future__ import annotations

from django.db import models
from django_scopes import ScopedManager

from leadfollow.tenancy import WorkspaceOwned


class Cadence(WorkspaceOwned):
    """A sequence of steps a lead goes through until they answer, or the last step is done."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    # Leads matching these conditions (the rule language) are enrolled at intake; empty: manual.
    auto_enroll = models.BooleanField(default=False)
    enrollment_conditions = models.JSONField(default=dict, blank=True)
    # An enrolled lead that comes to match these leaves the cadence at its next touch.
    exit_conditions = models.JSONField(default=dict, blank=True)
    business_days_only = models.BooleanField(default=False)
    # Cadences sharing a non-empty group are mutually exclusive for a lead.
    exclusive_group = models.CharField(max_length=60, blank=True)
    # After the last step the lead becomes dormant and joins this cadence some days later.
    renurture_cadence = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    renurture_after_days = models.PositiveSmallIntegerField(default=75)
    preset = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="cadence_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class _CurrentSteps(models.Manager):
    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(removed_at__isnull=True)


class Step(WorkspaceOwned):
    """One step of a cadence. A step leads already reached is not deleted but removed
    (`removed_at`): its touches stay on timelines and in reports, while `Step.objects`, which
    plans, lists and counts steps, no longer sees it. `Step.with_removed` sees every step."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"
        VOICEMAIL_DROP = "voicemail_drop", "Automated call with voicemail drop"
        RINGLESS = "ringless", "Ringless voicemail"
        CALL_TASK = "call_task", "Call task for the rep"
        MANUAL_TASK = "manual_task", "Manual task (e.g. LinkedIn)"

    class Unit(models.TextChoices):
        MINUTES = "minutes", "minutes"
        HOURS = "hours", "hours"
        DAYS = "days", "days"

    class After(models.TextChoices):
        PREVIOUS = "previous", "after the previous step"
        ENROLLMENT = "enrollment", "after enrollment"

    cadence = models.ForeignKey(Cadence, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    delay = models.PositiveIntegerField(default=0)
    delay_unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.MINUTES)
    delay_after = models.CharField(max_length=12, choices=After.choices, default=After.PREVIOUS)
    # Optional per-step window (lead's local time), inside the workspace's quiet hours.
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(null=True, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    # A/B variants: [{"subject": "...", "body": "...", "weight": 1}]; empty: subject/body only.
    variants = models.JSONField(default=list, blank=True)
    # Ordered branches: [{"when": "<event>", "then": "goto|switch|exit", "target": ...}].
    branches = models.JSONField(default=list, blank=True)
    # Call and manual tasks: hours the cadence waits for the rep's outcome before moving on.
    task_timeout_hours = models.PositiveSmallIntegerField(default=24)
    audio_url = models.URLField(blank=True)  # recorded voicemail for drops
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(_manager_class=_CurrentSteps, workspace="workspace")
    with_removed = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.cadence} step {self.position + 1}: {self.get_kind_display()}"

    @property
    def channel(self) -> str:
        return STEP_CHANNELS[self.kind]

    @property
    def is_task(self) -> bool:
        return self.kind in (self.Kind.CALL_TASK, self.Kind.MANUAL_TASK)


STEP_CHANNELS = {
    Step.Kind.EMAIL: "email",
    Step.Kind.SMS: "sms",
    Step.Kind.VOICEMAIL_DROP: "call",
    Step.Kind.RINGLESS: "voicemail",
    Step.Kind.CALL_TASK: "call",
    Step.Kind.MANUAL_TASK: "",
}


class Enrollment(WorkspaceOwned):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        EXITED = "exited", "Exited"

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="enrollments")
    cadence = models.ForeignKey(Cadence, on_delete=models.CASCADE, related_name="enrollments")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    exit_reason = models.CharField(max_length=40, blank=True)
    current_step = models.ForeignKey(
        Step, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enrolled_by = models.ForeignKey(
        "leadfollow.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enrolled_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "cadence"],
                condition=models.Q(status__in=["active", "paused"]),
                name="enrollment_one_live_per_cadence",
            )
        ]
        indexes = [models.Index(fields=["workspace", "cadence", "status"], name="enrollment_idx")]

    def __str__(self) -> str:
        return f"{self.lead_id} in {self.cadence_id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.ACTIVE, self.Status.PAUSED)


class Touch(WorkspaceOwned):
    """One planned action of an enrollment. Due touches are claimed by the dispatcher."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        WAITING = "waiting", "Waiting for the rep"  # a task touch until its outcome
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"
        FLAGGED = "flagged", "Needs a person"  # found mid-send after a crash

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="touches")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="touches")
    sequence = models.PositiveIntegerField()  # 1, 2, 3 … within the enrollment
    channel = models.CharField(max_length=16, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey(
        "lf_channels.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    variant = models.PositiveSmallIntegerField(null=True, blank=True)
    rendered_subject = models.CharField(max_length=300, blank=True)
    rendered_body = models.TextField(blank=True)
    outcome = models.CharField(max_length=32, blank=True)  # tasks: answered, voicemail, …
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            # The dispatcher's claim: pending touches by due time, across workspaces.
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="pending"),
                name="touch_due_idx",
            ),
            models.Index(fields=["workspace", "enrollment", "status"], name="touch_enrollment_idx"),
            models.Index(fields=["status", "queued_at"], name="touch_recovery_idx"),
        ]
        constraints = [
            # Each next touch is planned once: a retried plan never duplicates one.
            models.UniqueConstraint(fields=["enrollment", "sequence"], name="touch_planned_once"),
        ]

    def __str__(self) -> str:
        return f"touch {self.pk} ({self.status}) due {self.due_at:%Y-%m-%d %H:%M}"


class Task(WorkspaceOwned):
    """Work for a rep: a call or manual cadence step, or a follow-up the rep set."""

    class Kind(models.TextChoices):
        CALL = "call", "Call"
        MANUAL = "manual", "Manual step"
        FOLLOW_UP = "follow_up", "Follow-up"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class Outcome(models.TextChoices):
        ANSWERED = "answered", "Answered"
        VOICEMAIL = "voicemail", "Left a voicemail"
        NO_ANSWER = "no_answer", "No answer"
        WRONG_NUMBER = "wrong_number", "Wrong number"
        MEETING_BOOKED = "meeting_booked", "Meeting booked"
        DONE = "done", "Done"

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="tasks")
    assignee = models.ForeignKey(
        "leadfollow.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    touch = models.OneToOneField(
        Touch, null=True, blank=True, on_delete=models.SET_NULL, related_name="task"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        "leadfollow.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["workspace", "assignee", "status", "due_at"], name="task_inbox_idx"
            )
        ]

    def __str__(self) -> str:
        return self.title
