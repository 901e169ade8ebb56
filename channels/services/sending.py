"""Send one message to a lead: compliance first, at most once, and always on the timeline."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from channels.adapters import ChannelAdapter, NotConfigured, ProviderError, adapter_for
from channels.compliance import Verdict, address_for, channel_settings, check_send
from channels.models import Channel, ChannelSettings, Message
from channels.sms import count_segments
from leadfollow.bulk_updates import update_objects
from leadfollow.models import Membership, Workspace
from leadfollow.tenancy import unscoped
from leads.models import Activity, Lead
from leads.services.activities import log_activities, log_activity

logger = logging.getLogger(__name__)

SENT, DEFERRED, BLOCKED, FAILED, ALREADY_SENT = "sent", "deferred", "blocked", "failed", "already"
WITHDRAWN = "withdrawn"  # a batch send stopped (a reply landed) before its provider was called
UNKNOWN = "unknown"  # a batch send whose adapter broke mid-call: it may or may not have gone out
RECHECK_SECONDS = 1.0  # how stale a batch's "still wanted" answer may get between provider calls

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
    status: str  # sent, deferred, blocked, failed, already, withdrawn, unknown
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
        _retry(message)
        message.save(update_fields=["attempts", "status"])
    error, crash = _call_provider(adapter, message)
    if error is not None:
        outcome = _failed(workspace, lead, channel, message, error, actor)
        if crash is not None:
            raise crash from None
        return outcome
    message.save()
    log_activities([_sent_activity(message, actor=actor, automated=automated)])
    return SendOutcome(SENT, message)


@dataclass(frozen=True)
class BatchSend:
    """One message of a batch (a chunk of cadence touches): compliance was already checked."""

    workspace: Workspace
    lead: Lead
    outgoing: Outgoing
    dedupe_key: str
    settings: ChannelSettings


@dataclass
class ClaimedSend:
    send: BatchSend
    message: Message | None = None
    adapter: ChannelAdapter | None = None
    outcome: SendOutcome | None = None  # known before any provider call: sent before, no provider
    failure: ProviderError | None = None


def claim_sends(sends: list[BatchSend]) -> list[ClaimedSend]:
    """Write each send's message as `sending`, in the caller's transaction and a fixed number of
    statements. The caller commits before `deliver_sends`, so a crash mid-call leaves rows to
    reconcile, never a second message. A dedupe key already sent is not claimed again."""
    keys = [send.dedupe_key for send in sends]
    with unscoped():  # a batch spans workspaces: each key is matched with its own workspace
        existing = {
            (message.workspace_id, message.dedupe_key): message
            for message in Message.objects.filter(dedupe_key__in=keys)
        }
    adapters: dict[tuple[int, str], ChannelAdapter | ProviderError] = {}
    claimed, new, retried = [], [], []
    for send in sends:
        item = ClaimedSend(send, existing.get((send.workspace.pk, send.dedupe_key)))
        claimed.append(item)
        if item.message is not None and not _may_retry(item.message):
            item.outcome = SendOutcome(ALREADY_SENT, item.message, reason="Already sent.")
            continue
        item.adapter = _adapter(adapters, send)
        if isinstance(item.adapter, ProviderError):
            item.failure, item.adapter = item.adapter, None
            continue
        if item.message is None:
            item.message = _new_message(send.workspace, send.lead, send.outgoing, send.dedupe_key)
            item.message.from_address = item.adapter.sender_address(item.message)[:254]
            item.message.provider = item.adapter.provider
            new.append(item.message)
        else:
            _retry(item.message)
            retried.append(item.message)
    with unscoped():
        Message.objects.bulk_create(new)
    update_objects(Message, retried, ["attempts", "status"])
    return claimed


def deliver_sends(
    claimed: list[ClaimedSend], *, still_wanted: Callable[[list[ClaimedSend]], set[str]]
) -> list[SendOutcome]:
    """Call the provider for each claimed send (after the claim committed), then record every
    result in one transaction with a fixed number of statements.

    `still_wanted(pending)` names the dedupe keys that may still go out; it is asked before the
    first call and again each RECHECK_SECONDS, so a reply that lands mid-batch stops its send.
    A send no longer wanted is withdrawn: its message row is removed, nothing left LeadFollow.
    """
    outcomes: dict[int, SendOutcome] = {}
    activities, done, withdrawn = [], [], []
    wanted, checked_at = set(), None
    for index, item in enumerate(claimed):
        send, message = item.send, item.message
        if item.outcome is not None:
            outcomes[index] = item.outcome
            continue
        if item.failure is not None:
            outcomes[index] = _failure_outcome(item.failure, None)
            channel = send.outgoing.channel
            activities.append(
                _failed_activity(send.workspace, send.lead, channel, None, item.failure)
            )
            continue
        if checked_at is None or time.monotonic() - checked_at > RECHECK_SECONDS:
            wanted, checked_at = still_wanted(claimed[index:]), time.monotonic()
        if send.dedupe_key not in wanted:
            withdrawn.append(message.pk)
            outcomes[index] = SendOutcome(WITHDRAWN, reason="Stopped before it was sent.")
            continue
        error, crash = _call_provider(item.adapter, message)
        done.append(message)
        if error is None:
            outcomes[index] = SendOutcome(SENT, message)
            activities.append(_sent_activity(message, actor=None, automated=True))
        else:
            outcomes[index] = _failure_outcome(error, message)
            if crash is not None:
                outcomes[index] = SendOutcome(UNKNOWN, message, reason=error.message)
            channel = message.channel
            activities.append(_failed_activity(send.workspace, send.lead, channel, message, error))
    fields = ["status", "provider_message_id", "sent_at", "error", "retryable", "details"]
    with transaction.atomic(), unscoped():
        update_objects(Message, done, fields)
        Message.objects.filter(pk__in=withdrawn, status=Message.Status.SENDING).delete()
        log_activities(activities)
    return [outcomes[index] for index in range(len(claimed))]


def _adapter(adapters: dict, send: BatchSend) -> ChannelAdapter | ProviderError:
    key = (send.workspace.pk, send.outgoing.channel)
    if key not in adapters:
        try:
            adapters[key] = adapter_for(
                workspace=send.workspace, channel=send.outgoing.channel, settings=send.settings
            )
        except NotConfigured as exc:
            adapters[key] = exc
    return adapters[key]


def _may_retry(message: Message) -> bool:
    return (
        message.status == Message.Status.FAILED
        and message.retryable
        and message.attempts < django_settings.SEND_MAX_ATTEMPTS
    )


def _retry(message: Message) -> None:
    message.attempts += 1
    message.status = Message.Status.SENDING


def _new_message(workspace, lead, outgoing, dedupe_key, actor=None, in_reply_to=None) -> Message:
    segments = count_segments(outgoing.text).segments if outgoing.channel == Channel.SMS else 0
    return Message(
        workspace=workspace,
        lead=lead,
        channel=outgoing.channel,
        direction=Message.Direction.OUTBOUND,
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


def _claim(workspace, lead, outgoing, dedupe_key, actor, in_reply_to, adapter) -> Message | None:
    message = _new_message(workspace, lead, outgoing, dedupe_key, actor, in_reply_to)
    message.provider = adapter.provider
    message.from_address = adapter.sender_address(message)[:254]
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    return message


def _call_provider(adapter, message: Message) -> tuple[ProviderError | None, Exception | None]:
    """Send through the adapter and put its answer on the message (unsaved).

    Returns (error, crash): the provider's refusal, and the exception when the adapter itself
    broke, which a single send re-raises and a batch logs, after the message is marked failed.
    """
    try:
        result = adapter.send(message)
    except ProviderError as exc:
        error, crash = exc, None
    except Exception as exc:  # noqa: BLE001 - an adapter bug must not leave a row in `sending`
        logger.exception("adapter crashed message_id=%s", message.pk)
        error = ProviderError("The provider's answer could not be read; check it before resending.")
        crash = exc
    else:
        message.status = Message.Status.SENT
        message.provider_message_id = result.provider_message_id
        message.sent_at = timezone.now()
        message.error = ""
        message.retryable = False
        message.details = {**message.details, **result.details}
        return None, None
    _mark_failed(message, error)
    return error, crash


def _mark_failed(message: Message, exc: ProviderError) -> None:
    message.status = Message.Status.FAILED
    message.error = exc.message[:500]
    message.retryable = exc.retryable


def _sent_activity(message: Message, *, actor, automated: bool) -> Activity:
    summary = SENT_SUMMARY[message.channel] + (f": {message.subject}" if message.subject else "")
    return Activity(
        workspace=message.workspace,
        lead=message.lead,
        kind="sent",
        channel=message.channel,
        direction="out",
        summary=summary,
        payload={"message_id": message.pk, "human": actor is not None, "automated": automated},
        actor=actor,
        occurred_at=message.sent_at,
    )


def _failed_activity(workspace, lead, channel, message, exc: ProviderError, actor=None) -> Activity:
    return Activity(
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
        occurred_at=timezone.now(),
    )


def _failure_outcome(exc: ProviderError, message: Message | None) -> SendOutcome:
    return SendOutcome(FAILED, message, reason=exc.message, retryable=exc.retryable)


def _failed(workspace, lead, channel, message, exc: ProviderError, actor) -> SendOutcome:
    if message is not None:
        _mark_failed(message, exc)
        message.save(update_fields=["status", "error", "retryable"])
    log_activities([_failed_activity(workspace, lead, channel, message, exc, actor)])
    return _failure_outcome(exc, message)


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
