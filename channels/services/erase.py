"""Erasing a lead (GDPR): its messages keep their counts but lose every word and address.

Messages stay as rows (channel, direction, status, times), so reports count them as before.
The providers' raw requests about the person are emptied too: a stored webhook carries their
number or address and what they wrote, in form, multipart or JSON encodings that no redaction
can follow reliably, so the whole body goes.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from urllib.parse import quote

from django.db.models import Q

from channels.models import Message, Suppression, WebhookEvent
from channels.services.suppression import address_hash
from channels.tasks import MAX_PROCESSING_ATTEMPTS
from leadfollow.models import Workspace

ERASED_EVENT_ERROR = "Emptied when the lead's personal data was erased."
# Needles per UPDATE: each is one LIKE, and SQLite caps the parameters of one statement.
_NEEDLES_PER_STATEMENT = 200
_SHORTEST_ID = 12


def erase_lead_messages(*, workspace: Workspace, lead) -> None:
    """Erasure step: blank the lead's messages, empty the webhooks that spoke of them, and
    drop the masked hints of the person's suppressions.

    Runs in the erasure's transaction, before the lead's email and phone are cleared."""
    messages = Message.objects.filter(workspace=workspace, lead=lead)
    names = list(messages.values_list("token", "provider_message_id"))
    messages.update(
        to_address="",
        from_address="",
        subject="",
        body_text="",
        body_html="",
        error="",
        details={},  # call recordings, transcripts, MMS media and clicked links live here
    )
    _empty_webhook_events(workspace, _needles(lead, names))
    # An earlier opt-out or bounce of theirs stays (with its reason), without its masked hint.
    hashes = [address_hash(address) for address in (lead.email, lead.phone) if address]
    Suppression.objects.filter(workspace=workspace, address_hash__in=hashes).update(label="")


def _needles(lead, names: list[tuple[str, str]]) -> list[str]:
    """What a provider's request about this person contains: their address or number (as sent,
    URL-encoded, or without the "+"), or the token or provider id of one of their messages."""
    needles = {token for token, _ in names}
    # A short id (a provider's counter) would match inside other requests; those requests
    # carry the person's number or address anyway.
    needles |= {sid for _, sid in names if len(sid) >= _SHORTEST_ID}
    if lead.email:
        needles |= {lead.email, quote(lead.email, safe="")}
    if lead.phone:
        needles.add(lead.phone.lstrip("+"))  # inside "+1…", "%2B1…" and JSON alike
    return sorted(needles)


def _empty_webhook_events(workspace: Workspace, needles: list[str]) -> None:
    for start in range(0, len(needles), _NEEDLES_PER_STATEMENT):
        chunk = needles[start : start + _NEEDLES_PER_STATEMENT]
        matches = reduce(or_, (Q(body__icontains=needle) for needle in chunk))
        events = WebhookEvent.objects.filter(matches, workspace=workspace)
        # An event not applied yet never will be: emptied, it is closed instead of retried.
        events.exclude(status=WebhookEvent.Status.PROCESSED).update(
            status=WebhookEvent.Status.FAILED,
            error=ERASED_EVENT_ERROR,
            attempts=MAX_PROCESSING_ATTEMPTS,
        )
        events.update(body="", headers={})
