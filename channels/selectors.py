"""Reads of the channels app for pages and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from channels.models import Message, Provider
from leadfollow.errors import NotFound


def outbox_messages(*, workspace, channel: str = "") -> QuerySet[Message]:
    messages = Message.objects.filter(
        workspace=workspace, provider=Provider.OUTBOX, direction=Message.Direction.OUTBOUND
    ).select_related("lead")
    if channel:
        messages = messages.filter(channel=channel)
    return messages.order_by("-id")


def outbox_message(*, workspace, message_id: int) -> Message:
    message = outbox_messages(workspace=workspace).filter(pk=message_id).first()
    if message is None:
        raise NotFound("No such outbox message in this workspace.")
    return message


def replies_to(*, workspace, message: Message) -> QuerySet[Message]:
    return Message.objects.filter(workspace=workspace, in_reply_to=message).order_by("id")
