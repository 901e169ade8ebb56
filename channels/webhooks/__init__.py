"""Webhooks that lose nothing: verify, store raw, answer, then apply.

Each provider module registers a receiver per kind of request. A receiver finds the workspace,
verifies the signature with that workspace's key, and returns what to store; the event is stored
raw (a retried delivery lands on the same row) and then processed, inline for replies and
opt-outs (so follow-ups pause before the provider hears back) and in a task for the rest.

The dev outbox builds and signs its simulated requests the same way and hands them to `receive`,
so the demo runs exactly the code real providers reach.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import QueryDict
from django.utils import timezone

from channels.models import WebhookEvent
from leadfollow.tenancy import unscoped, workspace_scope

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingWebhook:
    """A provider's request as received: the exact URL it called, headers, raw body."""

    url: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    content_type: str = ""
    form: QueryDict | None = None  # parsed form fields (form and multipart posts)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class WebhookRejected(Exception):
    """Refuse the request: 400 malformed, 403 bad signature, 404 unknown workspace or number."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class WebhookIgnored(Exception):
    """Answer 2xx and keep nothing: a request no workspace claims, which the provider would
    otherwise retry for days (mail to an address of no workspace). Logged."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Accepted:
    """A verified request, ready to store. `inline` processes it before answering."""

    workspace: object
    kind: str
    dedupe_key: str
    inline: bool = False
    reply: Callable[[WebhookEvent], tuple[str, str]] | None = None  # -> (body, content type)
    headers_to_keep: dict = field(default_factory=dict)


Receiver = Callable[[IncomingWebhook], Accepted]
Processor = Callable[[WebhookEvent], None]
RECEIVERS: dict[tuple[str, str], Receiver] = {}
PROCESSORS: dict[tuple[str, str], Processor] = {}


def receiver(provider: str, kind: str):
    def register(function: Receiver) -> Receiver:
        RECEIVERS[(provider, kind)] = function
        return function

    return register


def processor(provider: str, kind: str):
    def register(function: Processor) -> Processor:
        PROCESSORS[(provider, kind)] = function
        return function

    return register


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    body: str = ""
    content_type: str = "text/plain"


def body_digest(incoming: IncomingWebhook) -> str:
    return hashlib.sha256(incoming.body).hexdigest()


def receive(provider: str, route: str, incoming: IncomingWebhook) -> WebhookAnswer:
    """Verify, store and (maybe) process one request. Never raises for bad input."""
    handler = RECEIVERS.get((provider, route))
    if handler is None:
        return WebhookAnswer(404, "Unknown webhook.")
    try:
        with unscoped():  # the receiver finds the workspace; nothing is read before that
            accepted = handler(incoming)
    except WebhookRejected as rejected:
        logger.info("webhook rejected provider=%s route=%s: %s", provider, route, rejected)
        return WebhookAnswer(rejected.status, rejected.message)
    except WebhookIgnored as ignored:
        logger.warning("webhook ignored provider=%s route=%s: %s", provider, route, ignored)
        return WebhookAnswer(200, ignored.message)
    with workspace_scope(accepted.workspace):
        event, is_new = store(provider, accepted, incoming)
        if is_new:
            if accepted.inline:
                process_event(event)
            else:
                from channels import tasks

                transaction.on_commit(
                    partial(
                        tasks.process_webhook_event.delay,
                        workspace_id=event.workspace_id,
                        event_id=event.pk,
                    )
                )
        if accepted.reply is not None:
            body, content_type = accepted.reply(event)
            return WebhookAnswer(200, body, content_type)
    return WebhookAnswer(200, "")


def store(provider: str, accepted: Accepted, incoming: IncomingWebhook):
    """Save the raw request once; a retried delivery only counts itself on the first row."""
    values = {
        "workspace": accepted.workspace,
        "provider": provider,
        "dedupe_key": accepted.dedupe_key[:120],
    }
    existing = WebhookEvent.objects.filter(**values).first()
    if existing is None:
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(
                    **values,
                    kind=accepted.kind,
                    url=incoming.url[:500],
                    headers=accepted.headers_to_keep,
                    body=incoming.text,
                )
            return event, True
        except IntegrityError:  # the same delivery raced in on another worker
            existing = WebhookEvent.objects.get(**values)
    WebhookEvent.objects.filter(pk=existing.pk).update(deliveries=F("deliveries") + 1)
    return existing, False


def process_event(event: WebhookEvent) -> bool:
    """Apply a stored event. A failure is kept on the row (with the error) to re-process later."""
    function = PROCESSORS.get((event.provider, event.kind))
    if function is None:
        event.status, event.error = WebhookEvent.Status.FAILED, "No processor for this kind."
        event.save(update_fields=["status", "error"])
        return False
    event.attempts += 1
    try:
        with transaction.atomic():
            function(event)
    except Exception as exc:  # noqa: BLE001 - stored raw: a failed apply is retried, never lost
        logger.exception("webhook processing failed event_id=%s", event.pk)
        event.status, event.error = WebhookEvent.Status.FAILED, repr(exc)[:2000]
        event.save(update_fields=["status", "error", "attempts"])
        return False
    event.status, event.error = WebhookEvent.Status.PROCESSED, ""
    event.processed_at = timezone.now()
    event.save(update_fields=["status", "error", "attempts", "processed_at"])
    return True
