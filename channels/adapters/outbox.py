"""The dev outbox: the default provider for every channel. It sends nothing; the message row it
leaves behind is what the outbox page shows, and that page plays the lead and the provider."""

from __future__ import annotations

from channels.adapters.base import ChannelAdapter, SendResult
from channels.models import Channel, Message, Provider

OUTBOX_EMAIL_DOMAIN = "outbox.leadfollow.test"


def outbox_number(workspace) -> str:
    """A fictional sender number per workspace (+1 555 01xx range is reserved for fiction)."""
    return f"+1555{workspace.pk % 10_000_000:07d}"


class OutboxAdapter(ChannelAdapter):
    provider = Provider.OUTBOX

    def sender_address(self, message: Message) -> str:
        if message.channel == Channel.EMAIL:
            return self.settings.from_email or f"{self.workspace.slug}@{OUTBOX_EMAIL_DOMAIN}"
        return outbox_number(self.workspace)

    def send(self, message: Message) -> SendResult:
        return SendResult(provider_message_id=f"outbox-{message.token}", details={"outbox": True})
