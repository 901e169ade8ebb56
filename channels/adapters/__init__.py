"""Which adapter serves a workspace's channel: the provider it chose, else the dev outbox."""

from __future__ import annotations

from django.utils.module_loading import import_string

from channels.adapters.base import ChannelAdapter, NotConfigured, ProviderError, SendResult
from channels.models import Channel, ChannelSettings, Provider, ProviderAccount

ADAPTERS = {
    (Channel.EMAIL, Provider.OUTBOX): "channels.adapters.outbox.OutboxAdapter",
    (Channel.SMS, Provider.OUTBOX): "channels.adapters.outbox.OutboxAdapter",
    (Channel.CALL, Provider.OUTBOX): "channels.adapters.outbox.OutboxAdapter",
    (Channel.VOICEMAIL, Provider.OUTBOX): "channels.adapters.outbox.OutboxAdapter",
    (Channel.EMAIL, Provider.SENDGRID): "channels.adapters.sendgrid.SendGridEmail",
    (Channel.SMS, Provider.TWILIO): "channels.adapters.twilio.TwilioSms",
    (Channel.CALL, Provider.TWILIO): "channels.adapters.twilio.TwilioVoice",
    (Channel.VOICEMAIL, Provider.DROPCOWBOY): "channels.adapters.dropcowboy.DropCowboyVoicemail",
}


def adapter_for(*, workspace, channel: str, settings: ChannelSettings) -> ChannelAdapter:
    """The adapter for the provider the workspace chose for this channel.

    Raises NotConfigured when the chosen provider has no credentials yet.
    """
    provider = settings.provider_for(channel)
    path = ADAPTERS.get((channel, provider))
    if path is None:
        raise NotConfigured(f"{provider} cannot send {channel}.")
    account = None
    if provider != Provider.OUTBOX:
        account = ProviderAccount.objects.filter(workspace=workspace, provider=provider).first()
    return import_string(path)(
        workspace=workspace, channel=channel, settings=settings, account=account
    )


__all__ = [
    "ADAPTERS",
    "ChannelAdapter",
    "NotConfigured",
    "ProviderError",
    "SendResult",
    "adapter_for",
]
