"""Reads of channels for the lead page: the messages behind its timeline, the reply templates."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from channels.models import Channel, Message, ReplyTemplate
from leadfollow.errors import NotFound


def messages_by_id(*, workspace, lead_id: int, ids: Iterable[int]) -> dict[int, Message]:
    """The lead's messages with these ids, in one query, keyed by id (a timeline page's)."""
    wanted = {int(pk) for pk in ids if pk}
    if not wanted:
        return {}
    found = Message.objects.filter(workspace=workspace, lead_id=lead_id, pk__in=wanted).defer(
        "body_html"  # never shown on the lead page: the text part is
    )
    return {message.pk: message for message in found}


def last_inbound(*, workspace, lead_id: int, channel: str) -> Message | None:
    """The lead's latest message to us on `channel`: a rep's reply answers it."""
    return (
        Message.objects.filter(
            workspace=workspace,
            lead_id=lead_id,
            channel=channel,
            direction=Message.Direction.INBOUND,
        )
        .defer("body_html")
        .order_by("-created_at", "-pk")
        .first()
    )


def get_lead_call(*, workspace, lead_id: int, message_id: int) -> Message:
    """An outbound call to the lead (a click-to-call), or NotFound."""
    call = Message.objects.filter(
        workspace=workspace,
        lead_id=lead_id,
        pk=message_id,
        channel=Channel.CALL,
        direction=Message.Direction.OUTBOUND,
    ).first()
    if call is None:
        raise NotFound("No such call to this lead.")
    return call


def reply_templates(*, workspace) -> QuerySet[ReplyTemplate]:
    """The workspace's saved replies, by name."""
    return ReplyTemplate.objects.filter(workspace=workspace).order_by("name", "pk")
