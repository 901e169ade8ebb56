"""Leads, the companies they work for, where they came from, their consent and their timeline."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q

from leadfollow.tenancy import WorkspaceOwned


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    CALL = "call", "Call"
    VOICEMAIL = "voicemail", "Ringless voicemail"

    @property
    def in_a_sentence(self) -> str:
        """The channel's name inside a sentence: "email", "SMS", "call", "ringless voicemail"."""
        return self.label if self.label.isupper() else self.label.lower()


class Account(WorkspaceOwned):
    """A company. Leads with the same business email domain join the same account."""

    name = models.CharField(max_length=200)
    # NULL, not "", means no domain: the unique constraint then ignores it.
    domain = models.CharField(max_length=253, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "domain"], name="account_unique_domain"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _form_token() -> str:
    return secrets.token_urlsafe(12)


def _default_consent_channels() -> list[str]:
    return [Channel.SMS.value, Channel.CALL.value, Channel.VOICEMAIL.value]


class LeadSource(WorkspaceOwned):
    """Where leads come from: an API integration, a hosted web form, an import, or by hand."""

    class Kind(models.TextChoices):
        API = "api", "API"
        FORM = "form", "Web form"
        IMPORT = "import", "CSV import"
        MANUAL = "manual", "Added by hand"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.API)
    form_token = models.CharField(max_length=32, unique=True, default=_form_token)
    consent_text = models.TextField(blank=True)
    # The channels the consent box's wording agrees to: each gets its own consent record.
    consent_channels = models.JSONField(default=_default_consent_channels, blank=True)
    thank_you_message = models.TextField(blank=True)
    redirect_url = models.URLField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="leadsource_unique_name"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Lead(WorkspaceOwned):
    """A person who asked to hear from us. Email and phone are each unique in a workspace."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        WORKING = "working", "Working"
        CONTACTED = "contacted", "Contacted"
        REPLIED = "replied", "Replied"
        MEETING = "meeting", "Meeting booked"
        QUALIFIED = "qualified", "Qualified"
        UNQUALIFIED = "unqualified", "Unqualified"
        DORMANT = "dormant", "Dormant"
        CUSTOMER = "customer", "Customer"

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    # NULL means "none": the per-workspace unique constraints skip absent addresses.
    email = models.CharField(max_length=254, null=True, blank=True)  # noqa: DJ001 (lower-cased)
    phone = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001 (E.164)
    phone_region = models.CharField(max_length=2, blank=True)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    title = models.CharField(max_length=150, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    source = models.ForeignKey(
        LeadSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    owner = models.ForeignKey(
        "leadfollow.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_leads",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    time_zone = models.CharField(max_length=64, blank=True)  # explicit; else derived
    do_not_email = models.BooleanField(default=False)
    do_not_sms = models.BooleanField(default=False)
    do_not_call = models.BooleanField(default=False)
    do_not_voicemail = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_touch_at = models.DateTimeField(null=True, blank=True)
    first_human_touch_at = models.DateTimeField(null=True, blank=True)
    first_reply_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    # The lead's oldest reply that no one has answered yet; a human touch clears it.
    awaiting_reply_since = models.DateTimeField(null=True, blank=True)
    # A booked meeting; it waits in the owner's inbox until the rep confirms it.
    meeting_at = models.DateTimeField(null=True, blank=True)
    meeting_confirmed_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "email"],
                condition=Q(email__isnull=False),
                name="lead_unique_email",
            ),
            models.UniqueConstraint(
                fields=["workspace", "phone"],
                condition=Q(phone__isnull=False),
                name="lead_unique_phone",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "status", "-created_at"], name="lead_status_idx"),
            models.Index(fields=["workspace", "owner", "-created_at"], name="lead_owner_idx"),
            models.Index(
                fields=["workspace", "owner", "awaiting_reply_since"],
                name="lead_awaiting_reply_idx",
                condition=Q(awaiting_reply_since__isnull=False),
            ),
            models.Index(
                fields=["workspace", "owner", "meeting_at"],
                name="lead_meeting_to_confirm_idx",
                condition=Q(meeting_at__isnull=False, meeting_confirmed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        if self.erased_at:
            return "Erased lead"
        return self.full_name or self.email or self.phone or f"Lead #{self.pk}"


class Consent(WorkspaceOwned):
    """What the lead agreed to, where and when, in the exact words they were shown."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    text = models.TextField()
    captured_at = models.DateTimeField()
    source_url = models.URLField(max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-captured_at"]


class Activity(WorkspaceOwned):
    """One event on a lead's timeline. Later apps add their own kinds."""

    class Kind(models.TextChoices):
        CREATED = "created", "Lead created"
        RE_INQUIRY = "re_inquiry", "Re-inquiry"
        UPDATED = "updated", "Details changed"
        STATUS_CHANGED = "status_changed", "Status changed"
        OWNER_CHANGED = "owner_changed", "Owner changed"
        NOTE = "note", "Note"
        CONSENT = "consent", "Consent recorded"
        FORM_SUBMITTED = "form_submitted", "Form submitted"
        IMPORTED = "imported", "Imported"
        ERASED = "erased", "Personal data erased"
        STEP_FAILED = "step_failed", "Automation step failed"

    class Direction(models.TextChoices):
        NONE = "", "—"
        INBOUND = "in", "Inbound"
        OUTBOUND = "out", "Outbound"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=32)
    channel = models.CharField(max_length=16, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices, blank=True)
    actor = models.ForeignKey(
        "leadfollow.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=300, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["workspace", "lead", "-occurred_at"], name="activity_timeline_idx"
            ),
            models.Index(fields=["workspace", "kind", "occurred_at"], name="activity_report_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on lead {self.lead_id}"


def _import_upload_to(instance: LeadImport, filename: str) -> str:
    # The member's file name stays in `original_name`; on disk a random name avoids clashes.
    return f"imports/{instance.workspace_id}/{secrets.token_hex(12)}.csv"


class LeadImport(WorkspaceOwned):
    """A CSV file a manager uploads: its column mapping, dry run, and the import's progress.

    The file lives in the default storage, so a worker on another machine can read it.
    `processed_rows` counts the data rows already committed; a retried import resumes after them.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        MAPPED = "mapped", "Columns mapped"
        VALIDATING = "validating", "Checking rows"
        PREVIEWED = "previewed", "Ready to import"
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    file = models.FileField(upload_to=_import_upload_to, max_length=200)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    encoding = models.CharField(max_length=16, default="utf-8")
    delimiter = models.CharField(max_length=1, default=",")
    headers = models.JSONField(default=list)
    # One target per column, in column order: "email", "custom:Budget", "" (ignored), …
    mapping = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        "leadfollow.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.ForeignKey(
        LeadSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="imports"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0)  # percent of the running stage
    # The dry run's forecast, kept next to what the import really did.
    preview_created = models.PositiveIntegerField(default=0)
    preview_merged = models.PositiveIntegerField(default=0)
    preview_rejected = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    merged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_active(self) -> bool:
        """A background task is working on it: the status page keeps polling."""
        return self.status in {self.Status.VALIDATING, self.Status.QUEUED, self.Status.RUNNING}

    @property
    def has_run(self) -> bool:
        return self.status in {
            self.Status.RUNNING,
            self.Status.DONE,
            self.Status.FAILED,
            self.Status.CANCELLED,
        }


class LeadImportReject(WorkspaceOwned):
    """A row that was (or, in the dry run, would be) rejected, with its cells and the reasons."""

    class Stage(models.TextChoices):
        PREVIEW = "preview", "Dry run"
        IMPORT = "import", "Import"

    lead_import = models.ForeignKey(LeadImport, on_delete=models.CASCADE, related_name="rejects")
    stage = models.CharField(max_length=8, choices=Stage.choices)
    row_number = models.PositiveIntegerField()  # as a spreadsheet numbers it: the header is 1
    values = models.JSONField(default=list)
    reason = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "lead_import", "stage", "row_number"],
                name="leadimportreject_unique_row",
            ),
        ]
        ordering = ["row_number"]

    def __str__(self) -> str:
        return f"row {self.row_number} of import {self.lead_import_id}"

    @property
    def filled_values(self) -> list[str]:
        return [value for value in self.values if value.strip()]
