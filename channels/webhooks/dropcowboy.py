"""Drop Cowboy's signed webhooks: the result of each ringless voicemail drop.

A request finds its message by the token in the URL we gave Drop Cowboy (`?m=<token>`), else by
the drop's `to` and `drop_id` (status webhooks carry no `foreign_id`). The signature is then
checked with the secret of the provider that sent that message: Drop Cowboy's webhook secret, or
the dev outbox's own key when the outbox played Drop Cowboy.

Signature: `X-Signature: sha256=<hex HMAC-SHA256(secret, X-Timestamp + "." + raw body)>`, and a
timestamp more than five minutes off is refused so a captured request cannot be replayed.
`X-Event-Id` names the event: Drop Cowboy tries up to three times and each try carries the same id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from urllib.parse import parse_qs, urlsplit

from channels.adapters.dropcowboy import REASONS
from channels.models import Channel, Message, Provider, ProviderAccount, WebhookEvent
from channels.services import events
from channels.webhooks import Accepted, IncomingWebhook, WebhookRejected, processor, receiver

logger = logging.getLogger(__name__)

MAX_SKEW_SECONDS = 300
# Where each provider keeps the secret Drop Cowboy-shaped requests are signed with.
WEBHOOK_SECRET = {Provider.DROPCOWBOY: "webhook_secret", Provider.OUTBOX: "rvm_webhook_secret"}
DELIVERED = 0
# Drop Cowboy says these numbers must not be tried again.
FINAL_CODES = {4001, 4002, 6011}
STATUS_EVENT, RECEIPT_EVENT = "contact.rvm.status", "contact.rvm.receipt"


# --- Finding the message and checking the signature -------------------------------------------


@receiver(Provider.DROPCOWBOY, "rvm")
def receive_rvm(incoming: IncomingWebhook) -> Accepted:
    timestamp = _fresh_timestamp(incoming)
    token = _token(incoming.url)
    if token:
        candidates = list(_messages().filter(token=token)[:1])
    else:
        data = _data(_payload(incoming))
        to, drop_id = str(data.get("to") or ""), str(data.get("drop_id") or "")
        if not (to and drop_id):
            raise WebhookRejected(400, "The event names no message (data.to and data.drop_id).")
        candidates = list(_messages().filter(to_address=to, provider_message_id=drop_id)[:5])
    if not candidates:
        raise WebhookRejected(404, "Unknown message.")
    # A drop id is the provider's; the signature tells whose message it really is.
    message = next((each for each in candidates if _signed_for(each, incoming, timestamp)), None)
    if message is None:
        raise WebhookRejected(403, "Bad signature.")
    payload = _payload(incoming)
    event_id = incoming.header("x-event-id") or str(payload.get("event_id") or "")
    return Accepted(
        workspace=message.workspace,
        kind="rvm",
        dedupe_key=event_id or hashlib.sha256(incoming.body).hexdigest(),
        headers_to_keep={"x-event-id": event_id, "x-timestamp": timestamp},
    )


def _fresh_timestamp(incoming: IncomingWebhook) -> str:
    timestamp = incoming.header("x-timestamp").strip()
    if not timestamp.isdigit() or not incoming.header("x-signature"):
        raise WebhookRejected(403, "Missing signature.")
    if abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
        raise WebhookRejected(403, "The signature is too old or from the future.")
    return timestamp


def _signed_for(message: Message, incoming: IncomingWebhook, timestamp: str) -> bool:
    account = ProviderAccount.objects.filter(
        workspace=message.workspace, provider=message.provider
    ).first()
    secret = account.secrets.get(WEBHOOK_SECRET[message.provider]) if account else None
    if not secret:
        return False
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + incoming.body, hashlib.sha256
    ).hexdigest()
    given = incoming.header("x-signature").strip()
    return hmac.compare_digest(f"sha256={expected}", given)


def _messages():
    return Message.objects.select_related("workspace").filter(
        channel=Channel.VOICEMAIL,
        direction=Message.Direction.OUTBOUND,
        provider__in=list(WEBHOOK_SECRET),
    )


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("m", [""])[0]


def _payload(incoming: IncomingWebhook) -> dict:
    try:
        payload = json.loads(incoming.body)
    except ValueError as exc:
        raise WebhookRejected(400, "The body is not JSON.") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("data", {}), dict):
        raise WebhookRejected(400, "Expected a JSON object with a `data` object.")
    return payload


def _data(payload: dict) -> dict:
    return payload.get("data") or {}


# --- Applying a stored event ------------------------------------------------------------------


@processor(Provider.DROPCOWBOY, "rvm")
def apply_rvm(event: WebhookEvent) -> None:
    payload = json.loads(event.body)
    data = _data(payload)
    message = _message_of(event, data)
    event_id = event.headers.get("x-event-id") or str(payload.get("event_id") or "")
    if not events.first_time(
        workspace=event.workspace, provider=Provider.DROPCOWBOY, event_id=event_id
    ):
        return
    kind = payload.get("event") or STATUS_EVENT
    if kind == RECEIPT_EVENT:
        proof = data.get("proof_of_delivery_url") or data.get("recording_url")
        if proof:
            message.details = {**message.details, "proof_of_delivery_url": proof}
            message.save(update_fields=["details"])
        return
    if kind != STATUS_EVENT:
        logger.info("dropcowboy event ignored kind=%s event_id=%s", kind, event.pk)
        return
    _apply_status(message, data)


def _message_of(event: WebhookEvent, data: dict) -> Message:
    messages = Message.objects.select_related("lead", "workspace").filter(
        workspace=event.workspace, channel=Channel.VOICEMAIL
    )
    token = _token(event.url)
    if token:
        return messages.get(token=token)
    return messages.get(to_address=str(data.get("to")), provider_message_id=str(data["drop_id"]))


def _apply_status(message: Message, data: dict) -> None:
    code = _reason_code(data)
    found = {"reason_code": code, "drop_id": str(data.get("drop_id") or "")}
    if code == DELIVERED:
        events.record_call_outcome(
            message=message,
            outcome="voicemail",
            summary="Voicemail left in the lead's mailbox",
            details=found,
        )
        return
    words = REASONS.get(code)
    if words is None:
        said = str(data.get("reason") or "").strip().rstrip(".")
        said = said or (f"reason code {code}" if code is not None else "no reason given")
        words = f"Drop Cowboy could not leave the voicemail: {said}."
    events.record_status(
        message=message,
        status=Message.Status.FAILED,
        error=words,
        details={**found, "final": code in FINAL_CODES},
    )


def _reason_code(data: dict) -> int | None:
    try:
        return int(data.get("reason_code"))
    except (TypeError, ValueError):
        # Branch on the number; without one, only the status word is left.
        return DELIVERED if str(data.get("status", "")).lower() == "success" else None
