"""Send one message to a lead: compliance first, at most once, and always on the timeline."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from channels.adapters import NotConfigured, ProviderError, adapter_for
from channels.compliance import Verdict, address_for, channel_settings, check_send
from channels.models import Channel, Message
from channels.sms import count_segments
from leadfollow.models import Membership, Workspace
from leads.models import Lead
from leads.services.activities import log_activity

logger = logging.getLogger(__name__)

SENT, DEFERRED, BLOCKED, FAILED, ALREADY_SENT = "sent", "deferred", "blocked", "failed", "already"

SENT_SUMMARY = {
    Channel.EMAIL: "Email sent",
    Channel.SMS: "Text sent",
    Channel.CALL: "Call placed",
    Channel.VOICEMAIL: "Voicemail drop sent",
}


@dataclass(frozen=True)
class Outgoing:
    """What to send. `details` carries channel extras: a voicemail's audio, a call's bridge."""

    channel: str
    text: str = ""
    subject: str = ""
    html: str = ""
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SendOutcome:
    status: str  # sent, deferred, blocked, failed, already
    message: Message | None = None
    verdict: Verdict | None = None
    reason: str = ""
    retryable: bool = False


def new_token() -> str:
    return secrets.token_hex(12)


def send_message(
    *,
    workspace: Workspace,
    lead: Lead,
    outgoing: Outgoing,
    dedupe_key: str | None = None,
    actor: Membership | None = None,
    automated: bool = True,
    in_reply_to: Message | None = None,
    now: datetime | None = None,
    verdict: Verdict | None = None,
) -> SendOutcome:
    """Send `outgoing` to the lead unless compliance says no; never twice for one `dedupe_key`.

    Call it outside a transaction when possible: the message row is committed as `sending` before
    the provider is called, so a crash mid-call leaves a row to reconcile instead of a resend.
    Deferred sends write nothing: the caller keeps the touch and retries at `verdict.not_before`.
    """
    channel = outgoing.channel
    message = None
    if dedupe_key:
        message = Message.objects.filter(workspace=workspace, dedupe_key=dedupe_key).first()
        if message is not None and not _may_retry(message):
            return SendOutcome(ALREADY_SENT, message, reason="Already sent.")
    settings = channel_settings(workspace)
    if verdict is None or not verdict.allowed:
        # A caller that just checked under its own locks (the cadence dispatcher) passes its
        # verdict; everyone else is checked here.
        verdict = check_send(
            workspace=workspace, lead=lead, channel=channel, now=now, settings=settings
        )
    if verdict.deferred:
        return SendOutcome(DEFERRED, message, verdict, verdict.reason)
    if verdict.blocked:
        log_activity(
            workspace=workspace,
            lead=lead,
            kind="send_blocked",
            channel=channel,
            summary=f"{Channel(channel).label} not sent: {verdict.reason}",
            payload={"code": verdict.code, "reason": verdict.reason, "dedupe_key": dedupe_key},
            actor=actor,
        )
        return SendOutcome(BLOCKED, message, verdict, verdict.reason)
    try:
        adapter = adapter_for(workspace=workspace, channel=channel, settings=settings)
    except NotConfigured as exc:
        return _failed(workspace, lead, channel, message, exc, actor)
    if message is None:
        message = _claim(workspace, lead, outgoing, dedupe_key, actor, in_reply_to, adapter)
        if message is None:  # another worker claimed the same send a moment ago
            existing = Message.objects.get(workspace=workspace, dedupe_key=dedupe_key)
            return SendOutcome(ALREADY_SENT, existing, reason="Already sent.")
    else:
        message.attempts += 1
        message.status = Message.Status.SENDING
        message.save(update_fields=["attempts", "status"])
    try:
        result = adapter.send(message)
    except ProviderError as exc:
        return _failed(workspace, lead, channel, message, exc, actor)
    except Exception as exc:  # noqa: BLE001 - an adapter bug must not leave a row in `sending`
        logger.exception("adapter crashed message_id=%s", message.pk)
        error = ProviderError("The provider's answer could not be read; check it before resending.")
        _failed(workspace, lead, channel, message, error, actor)
        raise exc from None
    message.status = Message.Status.SENT
    message.provider_message_id = result.provider_message_id
    message.sent_at = timezone.now()
    message.error = ""
    message.retryable = False
    message.details = {**message.details, **result.details}
    message.save()
    summary = SENT_SUMMARY[channel] + (f": {message.subject}" if message.subject else "")
    log_activity(
        workspace=workspace,
        lead=lead,
        kind="sent",
        channel=channel,
        direction="out",
        summary=summary,
        payload={"message_id": message.pk, "human": actor is not None, "automated": automated},
        actor=actor,
        occurred_at=message.sent_at,
    )
    return SendOutcome(SENT, message)


def _may_retry(message: Message) -> bool:
    return (
        message.status == Message.Status.FAILED
        and message.retryable
        and message.attempts < django_settings.SEND_MAX_ATTEMPTS
    )


def _claim(workspace, lead, outgoing, dedupe_key, actor, in_reply_to, adapter) -> Message | None:
    segments = count_segments(outgoing.text).segments if outgoing.channel == Channel.SMS else 0
    message = Message(
        workspace=workspace,
        lead=lead,
        channel=outgoing.channel,
        direction=Message.Direction.OUTBOUND,
        provider=adapter.provider,
        status=Message.Status.SENDING,
        to_address=address_for(lead, outgoing.channel),
        subject=outgoing.subject[:300],
        body_text=outgoing.text,
        body_html=outgoing.html,
        segments=segments,
        dedupe_key=dedupe_key,
        # A caller may name the token first, e.g. to put the unsubscribe link in the text.
        token=outgoing.details.get("token") or new_token(),
        in_reply_to=in_reply_to,
        sent_by=actor,
        attempts=1,
        details=dict(outgoing.details),
    )
    message.from_address = adapter.sender_address(message)[:254]
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    return message


def _failed(workspace, lead, channel, message, exc: ProviderError, actor) -> SendOutcome:
    if message is not None:
        message.status = Message.Status.FAILED
        message.error = exc.message[:500]
        message.retryable = exc.retryable
        message.save(update_fields=["status", "error", "retryable"])
    log_activity(
        workspace=workspace,
        lead=lead,
        kind="send_failed",
        channel=channel,
        summary=f"{Channel(channel).label} failed: {exc.message}",
        payload={
            "message_id": message.pk if message else None,
            "reason": exc.message,
            "code": exc.code,
            "retryable": exc.retryable,
        },
        actor=actor,
    )
    return SendOutcome(FAILED, message, reason=exc.message, retryable=exc.retryable)


def text_a_member(*, workspace: Workspace, phone: str, text: str) -> bool:
    """Text a team member (a rep's alert), through the workspace's SMS provider.

    Not a message to a lead: no lead, no cadence, no consent or quiet hours (the rep chose these
    alerts), and nothing is stored. Returns whether the provider took it; failures are logged.
    """
    settings = channel_settings(workspace)
    note = Message(
        workspace=workspace,
        channel=Channel.SMS,
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.SENDING,
        to_address=phone,
        body_text=text[:600],
        token=new_token(),
        details={"mode": "notification"},
    )
    try:
        adapter = adapter_for(workspace=workspace, channel=Channel.SMS, settings=settings)
        note.provider = adapter.provider
        adapter.send(note)
    except ProviderError as exc:
        logger.warning("member alert by text failed workspace=%s: %s", workspace.pk, exc.message)
        return False
    return True
