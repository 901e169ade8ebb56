"""What SendGrid tells us: signed event batches, and replies through Inbound Parse.

Event batches carry our custom args on every event (`lf_tenant`, `lf_message`), which find the
workspace whose key must verify the batch and the message each event is about. Inbound Parse has
no signature: its URL carries the workspace's `inbound_secret` (`?key=`), checked once the
reply's address (`reply+<token>@…`) or In-Reply-To has named the conversation, or, for an email
that answers none of ours, once the workspace's reply domain it was sent to has named the
workspace. Mail to no workspace at all is answered 200 and dropped, so SendGrid stops retrying.
"""

from __future__ import annotations

import binascii
import email
import email.policy
import hmac
import json
import logging
import operator
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message as MimeMessage
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr
from functools import reduce
from urllib.parse import parse_qs, urlsplit

from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.html import strip_tags
from mailparser_reply import EmailReplyParser
from sendgrid.helpers.eventwebhook import EventWebhook

from channels.models import (
    Channel,
    ChannelSettings,
    Message,
    Provider,
    ProviderAccount,
    WebhookEvent,
)
from channels.services import events
from channels.unsubscribe import MAILTO_HOW, unsubscribe
from channels.webhooks import (
    Accepted,
    IncomingWebhook,
    WebhookIgnored,
    WebhookRejected,
    body_digest,
)
from channels.webhooks import processor as webhook_processor
from channels.webhooks import receiver as webhook_receiver
from leadfollow.models import Workspace

logger = logging.getLogger(__name__)
# SpamAssassin's own threshold: mail scoring this or more from an unknown sender is not a lead.
SPAM_SCORE_LIMIT = 5.0

SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature"
TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp"
MAX_SIGNATURE_AGE_SECONDS = 600  # an older signed batch is a replay
PROVIDER_HOW = "unsubscribe link at the provider"
# Where each account keeps the key that verifies event batches signed for the workspace.
EVENT_KEY_OPTION = {
    Provider.SENDGRID: "event_public_key",
    Provider.OUTBOX: "sendgrid_event_public_key",
}
TOKEN_ADDRESS = re.compile(r"^(reply|unsubscribe)\+([0-9a-z]+)@", re.IGNORECASE)
OUR_MESSAGE_ID = re.compile(r"<lf\.([0-9a-z]+)@", re.IGNORECASE)
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "da", "sv", "pl", "cs"]


# --- Event webhook -----------------------------------------------------------------------------


def verify_event_signature(*, public_key: str, body: str, signature: str, timestamp: str) -> bool:
    """SendGrid's ECDSA P-256 signature over `timestamp + raw body`, checked with its SDK."""
    try:
        return EventWebhook(public_key).verify_signature(body, signature, timestamp)
    except (ValueError, TypeError, binascii.Error):  # a mangled key or signature
        return False


@webhook_receiver(Provider.SENDGRID, "events")
def receive_events(incoming: IncomingWebhook) -> Accepted:
    workspace = _event_workspace(_event_batch(incoming.body))
    signer = _event_signer(workspace, incoming)
    return Accepted(
        workspace=workspace,
        kind="events",
        dedupe_key=body_digest(incoming),
        # The outbox page shows the row it just changed, so a simulated batch applies at once.
        inline=signer == Provider.OUTBOX,
        headers_to_keep={"timestamp": incoming.header(TIMESTAMP_HEADER)},
    )


def _event_signer(workspace: Workspace, incoming: IncomingWebhook) -> str:
    """Which of the workspace's accounts signed the batch (SendGrid, or the dev outbox)."""
    signature, timestamp = incoming.header(SIGNATURE_HEADER), incoming.header(TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise WebhookRejected(403, "The event webhook signature is missing.")
    try:
        age = timezone.now().timestamp() - int(timestamp)
    except ValueError:
        raise WebhookRejected(403, "The signature timestamp is not a number.") from None
    if abs(age) > MAX_SIGNATURE_AGE_SECONDS:
        raise WebhookRejected(403, "The signature is too old.")
    for provider, key in _event_keys(workspace):
        if verify_event_signature(
            public_key=key, body=incoming.text, signature=signature, timestamp=timestamp
        ):
            return provider
    raise WebhookRejected(403, "The event webhook signature does not match.")


def _event_batch(body: bytes) -> list[dict]:
    try:
        batch = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected(400, "The body is not JSON.") from None
    if not isinstance(batch, list) or not batch or not all(isinstance(e, dict) for e in batch):
        raise WebhookRejected(400, "The body must be a JSON array of events.")
    return batch


def _event_workspace(batch: list[dict]) -> Workspace:
    # Events without our custom args (mail the account sent by other means) are skipped later.
    tenants = {str(item["lf_tenant"]) for item in batch if item.get("lf_tenant")}
    if len(tenants) > 1:
        raise WebhookRejected(400, "A batch carries events of several workspaces.")
    tenant = _id(tenants.pop() if tenants else "")
    workspace = Workspace.objects.filter(pk=tenant).first() if tenant else None
    if workspace is None:
        raise WebhookRejected(404, "Unknown workspace.")
    return workspace


def _event_keys(workspace: Workspace) -> list[tuple[str, str]]:
    """(provider, key): the workspace's SendGrid verification key, and the dev outbox's."""
    accounts = ProviderAccount.objects.filter(workspace=workspace, provider__in=EVENT_KEY_OPTION)
    keys = [(acc.provider, acc.options.get(EVENT_KEY_OPTION[acc.provider])) for acc in accounts]
    return [(provider, key) for provider, key in keys if key]


@webhook_processor(Provider.SENDGRID, "events")
def apply_events(event: WebhookEvent) -> None:
    """Apply each event of a batch once (by `sg_event_id`); unknown messages are skipped."""
    workspace = event.workspace
    for item in json.loads(event.body):
        if str(item.get("lf_tenant", "")) != str(workspace.pk):
            continue
        event_id = str(item.get("sg_event_id") or "")
        if not events.first_time(
            workspace=workspace, provider=Provider.SENDGRID, event_id=event_id
        ):
            continue
        message = _event_message(workspace, item)
        if message is None:
            logger.info("sendgrid event for unknown message event_id=%s", event_id)
            continue
        handler = EVENT_HANDLERS.get(str(item.get("event", "")))
        if handler is not None:
            handler(message, item, _event_time(item))


def _event_message(workspace: Workspace, item: dict) -> Message | None:
    message_id = _id(item.get("lf_message"))
    if message_id is None:
        return None
    sent = Message.objects.select_related("lead", "workspace").filter(workspace=workspace)
    return sent.filter(pk=message_id, channel=Channel.EMAIL).first()


def _id(value) -> int | None:
    """A custom arg holding one of our ids (always sent as a string of ASCII digits)."""
    text = str(value or "")
    return int(text) if re.fullmatch(r"[0-9]{1,18}", text) else None


def _event_time(item: dict) -> datetime:
    try:
        return datetime.fromtimestamp(int(item["timestamp"]), tz=UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        return timezone.now()


def _delivered(message: Message, item: dict, at: datetime) -> None:
    events.record_status(message=message, status=Message.Status.DELIVERED, at=at)


def _deferred(message: Message, item: dict, at: datetime) -> None:
    deferral = {
        "response": str(item.get("response", ""))[:300],
        "attempt": item.get("attempt"),
        "at": at.isoformat(),
    }
    message.details = {**message.details, "deferred": deferral}
    message.save(update_fields=["details"])


def _dropped(message: Message, item: dict, at: datetime) -> None:
    reason = str(item.get("reason") or "no reason given")[:300]
    events.record_status(
        message=message,
        status=Message.Status.FAILED,
        at=at,
        error=f"SendGrid did not send it: {reason}",
    )
    # SendGrid drops mail to addresses on its own suppression lists; mirror them on ours.
    said = reason.lower()
    if "unsubscribe" in said:
        events.opt_out(
            workspace=message.workspace,
            channel=Channel.EMAIL,
            address=message.to_address,
            how="unsubscribed earlier at the provider",
            at=at,
        )
    elif "bounce" in said:
        events.record_bounce(message=message, hard=True, reason=reason, at=at)
    elif "spam" in said:
        events.record_bounce(message=message, hard=False, spam=True, reason=reason, at=at)


def _bounce(message: Message, item: dict, at: datetime) -> None:
    # "blocked" is a refusal of this one email (a full mailbox, a spam filter): the address lives.
    hard = item.get("type", "bounce") == "bounce"
    reason = str(item.get("reason") or "Bounced")[:300]
    events.record_bounce(message=message, hard=hard, reason=reason, at=at)


def _open(message: Message, item: dict, at: datetime) -> None:
    if item.get("sg_machine_open"):
        # Apple Mail Privacy Protection fetches every image on delivery: no person opened it.
        message.details = {
            **message.details,
            "machine_opens": int(message.details.get("machine_opens", 0)) + 1,
        }
        message.save(update_fields=["details"])
        return
    events.record_engagement(message=message, kind="opened", at=at)


def _click(message: Message, item: dict, at: datetime) -> None:
    url = str(item.get("url", ""))[:500]
    events.record_engagement(message=message, kind="clicked", at=at, details={"url": url})


def _spam_report(message: Message, item: dict, at: datetime) -> None:
    events.record_bounce(message=message, hard=False, spam=True, reason="Spam report", at=at)


def _unsubscribe(message: Message, item: dict, at: datetime) -> None:
    events.opt_out(
        workspace=message.workspace,
        channel=Channel.EMAIL,
        address=message.to_address,
        how=PROVIDER_HOW,
        at=at,
    )


def _resubscribe(message: Message, item: dict, at: datetime) -> None:
    events.opt_in(
        workspace=message.workspace,
        channel=Channel.EMAIL,
        address=message.to_address,
        how="subscribed again at the provider",
        at=at,
    )


EVENT_HANDLERS = {
    "processed": lambda message, item, at: None,
    "delivered": _delivered,
    "deferred": _deferred,
    "dropped": _dropped,
    "bounce": _bounce,
    "open": _open,
    "click": _click,
    "spamreport": _spam_report,
    "unsubscribe": _unsubscribe,
    "group_unsubscribe": _unsubscribe,
    "group_resubscribe": _resubscribe,
}


# --- Inbound Parse -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundEmail:
    """A received email, from Inbound Parse's fields or from its raw MIME ("Send Raw" mode)."""

    headers: MimeMessage
    sender: str
    recipients: list[str]
    subject: str
    text: str
    html: str
    spam_score: float | None = None  # SpamAssassin's, when the Parse setting checks for spam


@dataclass(frozen=True)
class Conversation:
    message: Message  # the email we sent that this one answers
    unsubscribe: bool  # it was sent to unsubscribe+<token>@…


def read_inbound(form: QueryDict) -> InboundEmail:
    """The parts of an Inbound Parse post we use."""
    if form.get("email"):
        mime = email.message_from_string(form["email"], policy=email.policy.default)
        parts = {kind: mime.get_body(preferencelist=(kind,)) for kind in ("plain", "html")}
        text, html = (part.get_content() if part else "" for part in parts.values())
        headers, subject = mime, str(mime.get("Subject", ""))
        addressed = [str(mime.get(name, "")) for name in ("To", "Cc")]
        sender = str(mime.get("From", ""))
    else:
        headers = HeaderParser().parsestr(form.get("headers", ""))
        text, html, subject = form.get("text", ""), form.get("html", ""), form.get("subject", "")
        addressed = form.getlist("to") + form.getlist("cc")
        sender = form.get("from", "")
    try:
        envelope = json.loads(form.get("envelope") or "{}")
        addressed += [str(to) for to in envelope.get("to", [])]
    except (ValueError, AttributeError):
        pass
    recipients = [address for _, address in getaddresses(addressed) if address]
    return InboundEmail(
        headers,
        parseaddr(sender)[1].lower(),
        recipients,
        subject.strip(),
        text,
        html,
        _spam_score(form.get("spam_score")),
    )


def _spam_score(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def find_conversation(inbound: InboundEmail, *, workspace=None) -> Conversation | None:
    """The email being answered: by the token in the address it came to, else by the
    In-Reply-To / References naming our Message-ID or SendGrid's id for the email."""
    sent = Message.objects.select_related("workspace", "lead").filter(
        channel=Channel.EMAIL, direction=Message.Direction.OUTBOUND
    )
    if workspace is not None:
        sent = sent.filter(workspace=workspace)
    for address in inbound.recipients:
        found = TOKEN_ADDRESS.match(address)
        if found and (message := sent.filter(token=found[2].lower()).first()):
            return Conversation(message, unsubscribe=found[1].lower() == "unsubscribe")
    threads = " ".join(
        str(value)
        for name in ("In-Reply-To", "References")
        for value in inbound.headers.get_all(name) or []
    )
    tokens = [token.lower() for token in OUR_MESSAGE_ID.findall(threads)]
    if tokens and (message := sent.filter(token__in=tokens).first()):
        return Conversation(message, unsubscribe=False)
    # SendGrid may rewrite the Message-ID; its own id is the local part (our provider id).
    provider_ids = [part.split("@")[0] for part in re.findall(r"<([^<>@\s]+@[^<>\s]+)>", threads)]
    provider_ids = [each for each in provider_ids if len(each) >= 16]
    if provider_ids and (message := sent.filter(provider_message_id__in=provider_ids).first()):
        return Conversation(message, unsubscribe=False)
    return None


@webhook_receiver(Provider.SENDGRID, "inbound")
def receive_inbound(incoming: IncomingWebhook) -> Accepted:
    form = incoming.form
    if form is None or not (form.get("to") or form.get("envelope") or form.get("email")):
        raise WebhookRejected(400, "Expected an Inbound Parse form post.")
    try:
        inbound = read_inbound(form)
    except (ValueError, LookupError, TypeError):  # a MIME part in an unknown charset or encoding
        raise WebhookRejected(400, "The email could not be read.") from None
    conversation = find_conversation(inbound)
    if conversation is not None:
        workspace = conversation.message.workspace
        if not _inbound_key_matches(workspace, incoming.url):
            raise WebhookRejected(403, "The inbound parse key does not match.")
    else:
        workspace = _workspace_by_reply_domain(inbound, incoming.url)
    own_id = str(inbound.headers.get("Message-ID", "")).strip()
    return Accepted(
        workspace=workspace,
        kind="inbound",
        dedupe_key=f"mid:{own_id}" if own_id else body_digest(incoming),
        # A reply pauses the lead's follow-ups before SendGrid hears back.
        inline=True,
    )


def _workspace_by_reply_domain(inbound: InboundEmail, url: str) -> Workspace:
    """The workspace of an email that names no conversation: the one whose reply domain it was
    sent to, once the key checks out. Mail to no workspace's domain is answered and dropped, as
    SendGrid would otherwise retry it for days; a key that does not match is still refused."""
    domains = {address.rpartition("@")[2].lower() for address in inbound.recipients} - {""}
    candidates = []
    if domains:
        to_domain = reduce(operator.or_, (Q(reply_domain__iexact=domain) for domain in domains))
        claimed = ChannelSettings.objects.select_related("workspace").filter(to_domain)
        candidates = [settings.workspace for settings in claimed]
    if not candidates:
        raise WebhookIgnored("No conversation or workspace's reply domain matches this email.")
    for workspace in candidates:
        if _inbound_key_matches(workspace, url):
            return workspace
    raise WebhookRejected(403, "The inbound parse key does not match.")


def _inbound_key_matches(workspace: Workspace, url: str) -> bool:
    given = (parse_qs(urlsplit(url).query).get("key") or [""])[0].encode()
    accounts = ProviderAccount.objects.filter(
        workspace=workspace, provider__in=[Provider.SENDGRID, Provider.OUTBOX]
    )
    secrets = [account.secrets.get("inbound_secret", "") for account in accounts]
    return bool(given) and any(
        secret and hmac.compare_digest(secret.encode(), given) for secret in secrets
    )


@webhook_processor(Provider.SENDGRID, "inbound")
def apply_inbound(event: WebhookEvent) -> None:
    """Store a reply on its conversation (stripped of quoted history), or honour an
    unsubscribe email."""
    workspace = event.workspace
    inbound = read_inbound(QueryDict(event.body))
    conversation = find_conversation(inbound, workspace=workspace)
    if conversation is None:
        _record_unmatched(workspace, inbound)
        return
    original = conversation.message
    if conversation.unsubscribe:
        unsubscribe(workspace=workspace, message=original, how=MAILTO_HOW)
        return
    text = _reply_text(inbound)
    lead = original.lead
    details = {
        "message_id": str(inbound.headers.get("Message-ID", "")).strip()[:300],
        "references": " ".join(str(inbound.headers.get("References", "")).split())[-600:],
    }
    if inbound.sender and inbound.sender != (lead.email or "").lower():
        details["sender_differs"] = True  # a colleague or another mailbox of the lead's
    events.lead_replied(
        workspace=workspace,
        lead=lead,
        channel=Channel.EMAIL,
        text=text.strip(),
        provider=Provider.SENDGRID,
        subject=inbound.subject,
        html=inbound.html,
        from_address=inbound.sender,
        to_address=next(iter(inbound.recipients), ""),
        provider_message_id=details["message_id"],
        in_reply_to=original,
        details=details,
    )


def _reply_text(inbound: InboundEmail) -> str:
    full_text = inbound.text.strip() or strip_tags(inbound.html).strip()
    return EmailReplyParser(languages=list(REPLY_LANGUAGES)).parse_reply(full_text) or full_text


def _record_unmatched(workspace: Workspace, inbound: InboundEmail) -> None:
    """An email to the workspace's reply domain that answers none of our emails: as with a
    text from a number we never wrote to, it is the sender's message, on their lead's timeline
    (a new lead when nobody has that address), and it pauses their follow-ups."""
    # A known lead's mail is kept whatever its spam score (a lost reply costs more than a spam
    # one); a stranger's spam must not become a lead that cadences then write to.
    lead = events.lead_writing_in(
        workspace=workspace,
        channel=Channel.EMAIL,
        address=inbound.sender,
        may_create=(inbound.spam_score or 0) < SPAM_SCORE_LIMIT,
    )
    if lead is None:
        return
    message_id = str(inbound.headers.get("Message-ID", "")).strip()[:300]
    events.lead_replied(
        workspace=workspace,
        lead=lead,
        channel=Channel.EMAIL,
        text=_reply_text(inbound).strip(),
        provider=Provider.SENDGRID,
        subject=inbound.subject,
        html=inbound.html,
        from_address=inbound.sender,
        to_address=next(iter(inbound.recipients), ""),
        provider_message_id=message_id,
        details={"message_id": message_id, "no_conversation": True},
    )
