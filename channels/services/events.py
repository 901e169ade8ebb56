"""What providers tell us, applied to messages, leads and the timeline. Webhook handlers of every
provider (and the dev outbox) end here, so a reply means the same thing whatever carried it."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from channels.hooks import LeadSignal, announce
from channels.models import Channel, EventReceipt, Message, Suppression
from channels.services.sending import new_token
from channels.services.suppression import (
    EMAIL_CHANNELS,
    PHONE_CHANNELS,
    suppress_address,
    unsuppress_address,
)
from leadfollow.models import Workspace
from leads.models import Lead
from leads.normalize import InvalidLead
from leads.services import intake_lead
from leads.services.activities import log_activity

logger = logging.getLogger(__name__)

# Delivery states only move forward: a late "sent" callback never undoes "delivered".
STATUS_RANK = {
    Message.Status.SENDING: 0,
    Message.Status.UNKNOWN: 0,
    Message.Status.SENT: 1,
    Message.Status.DELIVERED: 2,
    Message.Status.UNDELIVERED: 3,
    Message.Status.FAILED: 3,
    Message.Status.BOUNCED: 3,
}
STATUS_SUMMARY = {
    Message.Status.DELIVERED: "Delivered",
    Message.Status.UNDELIVERED: "Not delivered",
    Message.Status.FAILED: "Failed",
    Message.Status.BOUNCED: "Bounced",
}


def first_time(*, workspace, provider: str, event_id: str) -> bool:
    """Record a provider event id; False when it was applied before (a retried delivery)."""
    if not event_id:
        return True
    try:
        with transaction.atomic():
            EventReceipt.objects.create(workspace=workspace, provider=provider, event_id=event_id)
    except IntegrityError:
        return False
    return True


def record_status(
    *, message: Message, status: str, at: datetime | None = None, error: str = "", details=None
) -> bool:
    """Move an outbound message's delivery state forward. Returns whether anything changed."""
    at = at or timezone.now()
    if STATUS_RANK.get(status, 0) <= STATUS_RANK.get(message.status, 0):
        if details:
            message.details = {**message.details, **details}
            message.save(update_fields=["details"])
        return False
    message.status = status
    if status == Message.Status.DELIVERED:
        message.delivered_at = at
    if error:
        message.error = error[:500]
    if details:
        message.details = {**message.details, **details}
    message.save()
    summary = STATUS_SUMMARY.get(status, status.title())
    log_activity(
        workspace=message.workspace,
        lead=message.lead,
        kind=status,
        channel=message.channel,
        summary=f"{summary}: {Channel(message.channel).in_a_sentence}"
        + (f" ({error})" if error else ""),
        payload={"message_id": message.pk, "error": error, **(details or {})},
        occurred_at=at,
    )
    return True


def record_engagement(
    *, message: Message, kind: str, at: datetime | None = None, details: dict | None = None
) -> None:
    """An open or a click on an email. Each one is on the timeline; the first sets the time."""
    at = at or timezone.now()
    stamp = {"opened": "opened_at", "clicked": "clicked_at"}[kind]
    if getattr(message, stamp) is None:
        setattr(message, stamp, at)
        message.save(update_fields=[stamp])
    if message.status in (Message.Status.SENT, Message.Status.SENDING):
        record_status(message=message, status=Message.Status.DELIVERED, at=at)
    url = (details or {}).get("url", "")
    log_activity(
        workspace=message.workspace,
        lead=message.lead,
        kind=kind,
        channel=message.channel,
        summary=f"Opened “{message.subject}”" if kind == "opened" else f"Clicked {url or 'a link'}",
        payload={"message_id": message.pk, **(details or {})},
        occurred_at=at,
    )


# The lead field that holds each channel's address, for a sender we never wrote to.
_ADDRESS_FIELD = {Channel.SMS: "phone", Channel.EMAIL: "email"}


def lead_writing_in(
    *, workspace: Workspace, channel: str, address: str, may_create: bool = True
) -> Lead | None:
    """The lead a message from `address` belongs to when it answers none of ours: the one with
    that address, else (with `may_create`) a new lead, as someone writing to the business is.
    None when there is no such lead to keep it on, or the address is not a usable one."""
    field = _ADDRESS_FIELD[channel]
    lead = Lead.objects.filter(workspace=workspace, **{field: address}).first()
    if lead is not None or not may_create:
        return lead
    try:
        return intake_lead(workspace=workspace, fields={field: address}, via=channel).lead
    except InvalidLead:
        logger.info("inbound %s from an unusable address, not recorded", channel)
        return None


@transaction.atomic
def lead_replied(
    *,
    workspace,
    lead: Lead,
    channel: str,
    text: str,
    provider: str,
    at: datetime | None = None,
    subject: str = "",
    html: str = "",
    from_address: str = "",
    to_address: str = "",
    provider_message_id: str = "",
    in_reply_to: Message | None = None,
    details: dict | None = None,
) -> Message:
    """The lead wrote back. Stored as a reply, put on the timeline, and announced: the cadence
    engine pauses the lead's follow-ups in this same transaction."""
    at = at or timezone.now()
    reply = Message.objects.create(
        workspace=workspace,
        lead=lead,
        channel=channel,
        direction=Message.Direction.INBOUND,
        provider=provider,
        status=Message.Status.RECEIVED,
        to_address=to_address[:254],
        from_address=from_address[:254],
        subject=subject[:300],
        body_text=text,
        body_html=html,
        token=new_token(),
        provider_message_id=provider_message_id[:120],
        in_reply_to=in_reply_to,
        details=details or {},
        sent_at=at,
    )
    if in_reply_to is not None and in_reply_to.replied_at is None:
        in_reply_to.replied_at = at
        in_reply_to.save(update_fields=["replied_at"])
    preview = " ".join(text.split())[:200]
    log_activity(
        workspace=workspace,
        lead=lead,
        kind="replied",
        channel=channel,
        direction="in",
        summary=f"Replied by {Channel(channel).in_a_sentence}: {preview}",
        payload={"message_id": reply.pk, "in_reply_to": in_reply_to.pk if in_reply_to else None},
        occurred_at=at,
    )
    announce(LeadSignal("replied", workspace, lead, channel, at, reply))
    return reply


@transaction.atomic
def opt_out(
    *, workspace, channel: str, address: str, how: str, at: datetime | None = None
) -> list[Lead]:
    """The person behind `address` asked to stop. Suppress the address on the channel (and its
    siblings: a STOP by text also stops calls and voicemail drops) and flag every lead using it."""
    at = at or timezone.now()
    siblings = PHONE_CHANNELS if channel in PHONE_CHANNELS else EMAIL_CHANNELS
    for each in siblings:
        suppress_address(
            workspace=workspace,
            channel=each,
            address=address,
            reason=Suppression.Reason.OPT_OUT,
            label=_mask(address),
        )
    leads = _flag_leads(
        workspace,
        channel,
        address,
        siblings,
        True,
        kind="opted_out",
        summary=f"Opted out of {Channel(channel).in_a_sentence} ({how})",
        payload={"how": how, "channels": list(siblings)},
        at=at,
    )
    for lead in leads:
        announce(LeadSignal("opted_out", workspace, lead, channel, at, reason=how))
    return leads


@transaction.atomic
def opt_in(
    *, workspace, channel: str, address: str, how: str, at: datetime | None = None
) -> list[Lead]:
    """The person asked to hear from us again (START). Lifts only their own opt-out: a bounce, a
    spam report, an erasure or a manager's do-not-contact entry stays."""
    at = at or timezone.now()
    siblings = PHONE_CHANNELS if channel in PHONE_CHANNELS else EMAIL_CHANNELS
    for each in siblings:
        unsuppress_address(
            workspace=workspace,
            channel=each,
            address=address,
            reasons=[Suppression.Reason.OPT_OUT],
        )
    return _flag_leads(
        workspace,
        channel,
        address,
        siblings,
        False,
        kind="opted_in",
        summary=f"Opted back in to {Channel(channel).in_a_sentence} ({how})",
        payload={"how": how},
        at=at,
    )


@transaction.atomic
def record_bounce(
    *, message: Message, hard: bool, reason: str, at: datetime | None = None, spam: bool = False
) -> None:
    """An email bounced or was reported as spam. Hard bounces and spam reports suppress the
    address for good and stop the lead's follow-ups."""
    at = at or timezone.now()
    if spam:
        log_activity(
            workspace=message.workspace,
            lead=message.lead,
            kind="spam_report",
            channel=message.channel,
            summary="Marked the email as spam",
            payload={"message_id": message.pk},
            occurred_at=at,
        )
    else:
        record_status(
            message=message,
            status=Message.Status.BOUNCED,
            at=at,
            error=reason,
            details={"hard": hard},
        )
    if not (hard or spam):
        return
    suppress_address(
        workspace=message.workspace,
        channel=message.channel,
        address=message.to_address,
        reason=Suppression.Reason.SPAM if spam else Suppression.Reason.BOUNCE,
        label=_mask(message.to_address),
    )
    Lead.objects.filter(workspace=message.workspace, pk=message.lead_id).update(
        **{f"do_not_{message.channel}": True}
    )
    announce(
        LeadSignal(
            "bounced",
            message.workspace,
            message.lead,
            message.channel,
            at,
            message,
            reason="spam report" if spam else reason,
        )
    )


def _flag_leads(workspace, channel, address, siblings, value: bool, *, kind, summary, payload, at):
    """Set the do-not-contact flags of every lead at `address` and note it on their timelines."""
    leads = list(_leads_at(workspace, channel, address))
    for lead in leads:
        Lead.objects.filter(workspace=workspace, pk=lead.pk).update(
            **{f"do_not_{each}": value for each in siblings}
        )
        log_activity(
            workspace=workspace,
            lead=lead,
            kind=kind,
            channel=channel,
            summary=summary,
            payload=payload,
            occurred_at=at,
        )
    return leads


def _leads_at(workspace, channel: str, address: str):
    field = "email" if channel == Channel.EMAIL else "phone"
    return Lead.objects.filter(workspace=workspace, **{field: address.strip().lower()})


def _mask(address: str) -> str:
    """A hint for people reading the suppression list: d***@example.com, +1415***2671."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"[:120]
    return f"{address[:5]}***{address[-4:]}" if len(address) > 9 else "***"


# How a call ended: the outcome's words on the timeline and the delivery state it means.
CALL_OUTCOMES = {
    "answered": ("Call answered", Message.Status.DELIVERED),
    "voicemail": ("Went to voicemail", Message.Status.DELIVERED),
    "no_answer": ("No answer", Message.Status.UNDELIVERED),
    "busy": ("Line busy", Message.Status.UNDELIVERED),
    "canceled": ("Call canceled", Message.Status.UNDELIVERED),
    "failed": ("Call failed", Message.Status.FAILED),
}


@transaction.atomic
def record_call_outcome(
    *,
    message: Message,
    outcome: str,
    at: datetime | None = None,
    duration_seconds: int | None = None,
    answered_by: str = "",
    recording_url: str = "",
    summary: str = "",
    details: dict | None = None,
) -> bool:
    """How a call, voicemail drop or ringless voicemail ended (an outcome of CALL_OUTCOMES).

    Recorded once per message: a repeated or late callback changes nothing and returns False.
    Keeps duration, who answered and the recording on the message, and puts one
    `call_completed` activity on the timeline ("Call answered, 3 min 12 s"; `summary` replaces
    the outcome's words, the duration is added to it).
    """
    at = at or timezone.now()
    words, status = CALL_OUTCOMES[outcome]
    message = Message.objects.select_for_update().get(workspace=message.workspace, pk=message.pk)
    if message.details.get("outcome"):
        return False
    found = {
        "outcome": outcome,
        "duration_seconds": duration_seconds,
        "answered_by": answered_by,
        "recording_url": recording_url,
        **(details or {}),
    }
    found = {key: value for key, value in found.items() if value not in (None, "")}
    message.details = {**message.details, **found}
    if STATUS_RANK.get(status, 0) > STATUS_RANK.get(message.status, 0):
        message.status = status
        if status == Message.Status.DELIVERED:
            message.delivered_at = at
    message.save()
    summary = (summary or words) + (f", {_duration(duration_seconds)}" if duration_seconds else "")
    log_activity(
        workspace=message.workspace,
        lead=message.lead,
        kind="call_completed",
        channel=message.channel,
        direction="out",
        summary=summary,
        payload={"message_id": message.pk, **found},
        occurred_at=at,
    )
    return True


def _duration(seconds: int) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    if not minutes:
        return f"{seconds} s"
    return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
