"""What reaches a lead or comes back from one: providers, messages, webhooks, compliance."""

from __future__ import annotations

from datetime import time

from django.db import models

from leadfollow.tenancy import WorkspaceOwned
from leads.models import Channel  # one list of channels: a lead's consents use it too


class Suppression(WorkspaceOwned):
    """An address that must never be contacted on a channel.

    The address is kept only as a SHA-256 of its normalised form, so an erased person stays
    suppressed without LeadFollow keeping their email or phone number. `label` is a masked hint
    for people (e.g. "d***@example.com"); it is blank for erased contacts.
    """

    class Reason(models.TextChoices):
        OPT_OUT = "opt_out", "Opted out"
        BOUNCE = "bounce", "Hard bounce"
        SPAM = "spam", "Spam report"
        ERASED = "erased", "Personal data erased"
        MANUAL = "manual", "Added by a manager"

    channel = models.CharField(max_length=16)
    address_hash = models.CharField(max_length=64)
    label = models.CharField(max_length=120, blank=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "channel", "address_hash"], name="suppression_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} suppression ({self.get_reason_display()})"


class Provider(models.TextChoices):
    OUTBOX = "outbox", "Dev outbox"
    SENDGRID = "sendgrid", "SendGrid"
    TWILIO = "twilio", "Twilio"
    DROPCOWBOY = "dropcowboy", "Drop Cowboy"


# The providers each channel can use; the outbox serves every channel.
CHANNEL_PROVIDERS = {
    Channel.EMAIL: (Provider.OUTBOX, Provider.SENDGRID),
    Channel.SMS: (Provider.OUTBOX, Provider.TWILIO),
    Channel.CALL: (Provider.OUTBOX, Provider.TWILIO),
    Channel.VOICEMAIL: (Provider.OUTBOX, Provider.DROPCOWBOY),
}


def _default_quiet_start() -> time:
    return time(8, 0)


def _default_quiet_end() -> time:
    return time(21, 0)


class ChannelSettings(WorkspaceOwned):
    """How a workspace reaches its leads: a provider per channel, sender identity, compliance."""

    class HumanAnswers(models.TextChoices):
        CONNECT = "connect", "Connect the call to the lead's owner"
        HANG_UP = "hang_up", "Apologise and hang up"

    email_provider = models.CharField(max_length=16, default=Provider.OUTBOX)
    sms_provider = models.CharField(max_length=16, default=Provider.OUTBOX)
    call_provider = models.CharField(max_length=16, default=Provider.OUTBOX)
    voicemail_provider = models.CharField(max_length=16, default=Provider.OUTBOX)
    from_name = models.CharField(max_length=120, blank=True)
    from_email = models.EmailField(blank=True)
    # Replies come back to reply+<token>@<reply_domain>, which names the conversation.
    reply_domain = models.CharField(max_length=190, blank=True)
    quiet_hours_start = models.TimeField(default=_default_quiet_start)
    quiet_hours_end = models.TimeField(default=_default_quiet_end)
    consent_required_sms = models.BooleanField(default=True)
    consent_required_call = models.BooleanField(default=True)
    consent_required_voicemail = models.BooleanField(default=True)
    help_text = models.CharField(
        max_length=320,
        blank=True,
        help_text="Answer to an SMS HELP. Name the business and how to stop messages.",
    )
    human_answers = models.CharField(
        max_length=16, choices=HumanAnswers.choices, default=HumanAnswers.HANG_UP
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="channelsettings_one_per_workspace")
        ]
        verbose_name_plural = "channel settings"

    def provider_for(self, channel: str) -> str:
        return getattr(self, f"{channel}_provider")

    def consent_required(self, channel: str) -> bool:
        return bool(getattr(self, f"consent_required_{channel}", False))


class ProviderAccount(WorkspaceOwned):
    """A workspace's credentials at one provider. Secrets are encrypted at rest."""

    provider = models.CharField(max_length=16, choices=Provider.choices)
    # Non-secret settings: account SID, webhook verification key, brand and line ids.
    options = models.JSONField(default=dict, blank=True)
    secrets_encrypted = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "leadfollow.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider"], name="provideraccount_one_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} account"

    @property
    def secrets(self) -> dict:
        from channels.crypto import decrypt_json

        return decrypt_json(self.secrets_encrypted) if self.secrets_encrypted else {}

    @secrets.setter
    def secrets(self, values: dict) -> None:
        from channels.crypto import encrypt_json

        self.secrets_encrypted = encrypt_json(values)


class PhoneNumber(WorkspaceOwned):
    """A number the workspace sends from. Each number belongs to one workspace, so inbound
    texts and calls to it find their tenant."""

    number = models.CharField(max_length=20, unique=True)  # E.164
    label = models.CharField(max_length=80, blank=True)
    provider = models.CharField(max_length=16, choices=Provider.choices, default=Provider.TWILIO)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "number"]

    def __str__(self) -> str:
        return self.number


class Message(WorkspaceOwned):
    """One message or call to or from a lead, on one channel, through one provider."""

    class Direction(models.TextChoices):
        OUTBOUND = "out", "Outbound"
        INBOUND = "in", "Inbound"

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        UNDELIVERED = "undelivered", "Not delivered"
        BOUNCED = "bounced", "Bounced"
        FAILED = "failed", "Failed"
        RECEIVED = "received", "Received"
        UNKNOWN = "unknown", "Needs checking"  # found mid-send after a crash

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    provider = models.CharField(max_length=16, choices=Provider.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    to_address = models.CharField(max_length=254)
    from_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    segments = models.PositiveSmallIntegerField(default=0)
    # Never sent twice: the caller names the send (e.g. "touch:42"), one message per name.
    dedupe_key = models.CharField(max_length=120, null=True, blank=True)  # noqa: DJ001 - unique when set
    # Names the conversation in reply-to addresses and status callback URLs.
    token = models.CharField(max_length=32, unique=True)
    provider_message_id = models.CharField(max_length=120, blank=True, db_index=True)
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    sent_by = models.ForeignKey(
        "leadfollow.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    retryable = models.BooleanField(default=False)
    details = models.JSONField(default=dict, blank=True)  # call outcome, AMD, recording, variant
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "dedupe_key"],
                condition=models.Q(dedupe_key__isnull=False),
                name="message_sent_once",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "lead", "-created_at"], name="message_lead_idx"),
            models.Index(fields=["workspace", "channel", "created_at"], name="message_report_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.channel} to {self.to_address}"

    FINAL_STATUSES = frozenset({"delivered", "undelivered", "bounced", "failed", "received"})


class WebhookEvent(WorkspaceOwned):
    """A provider's request, stored raw before anything else, so nothing it said is lost."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    provider = models.CharField(max_length=16, choices=Provider.choices)
    kind = models.CharField(max_length=32)
    dedupe_key = models.CharField(max_length=120)
    url = models.CharField(max_length=500)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    deliveries = models.PositiveIntegerField(default=1)  # the provider's retries land here
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "dedupe_key"], name="webhookevent_once"
            )
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="webhookevent_status_idx")]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.dedupe_key}"


class EventReceipt(WorkspaceOwned):
    """One provider event applied once: a batch may repeat events another batch carried."""

    provider = models.CharField(max_length=16, choices=Provider.choices)
    event_id = models.CharField(max_length=160)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "event_id"], name="eventreceipt_once"
            )
        ]


class ReplyTemplate(WorkspaceOwned):
    """A saved reply a rep starts from on the lead page, with `{{ lead.first_name }}` variables."""

    name = models.CharField(max_length=120)
    channel = models.CharField(
        max_length=16, choices=[(Channel.SMS, "Text (SMS)"), (Channel.EMAIL, "Email")]
    )
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    created_by = models.ForeignKey(
        "leadfollow.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="replytemplate_unique_name")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
