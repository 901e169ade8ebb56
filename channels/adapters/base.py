"""The adapter interface: one class per channel and provider, each able to send one message.

An adapter knows its provider's wire format and nothing else: compliance, deduplication and the
timeline are the sending service's job. Webhooks are parsed by the provider's webhook module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.urls import reverse

from channels.models import ChannelSettings, Message, ProviderAccount


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    details: dict = field(default_factory=dict)  # what the provider said, kept on the message


class ProviderError(Exception):
    """The provider refused or could not be reached. `message` is in plain words for people.

    `retryable` is true only when sending again cannot reach the lead twice: the provider
    refused before accepting (429, 5xx on a request it rejected) or it honours an idempotency key.
    """

    def __init__(
        self, message: str, *, retryable: bool = False, code: str = "", status: int | None = None
    ):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code
        self.status = status


class NotConfigured(ProviderError):
    """The workspace chose a provider but has not entered its credentials."""


class ChannelAdapter:
    """Base of every adapter. Subclasses set `channel` and `provider` and implement `send`."""

    channel: str = ""
    provider: str = ""
    required_secrets: tuple[str, ...] = ()
    required_options: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        workspace,
        channel: str,
        settings: ChannelSettings,
        account: ProviderAccount | None = None,
    ):
        self.workspace = workspace
        self.channel = channel
        self.settings = settings
        self.account = account
        self.options = account.options if account else {}
        self.secrets = account.secrets if account else {}
        missing = [name for name in self.required_secrets if not self.secrets.get(name)]
        missing += [name for name in self.required_options if not self.options.get(name)]
        if missing:
            raise NotConfigured(
                f"{self.provider.title()} is chosen for {self.channel} but "
                f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
                "a manager can enter them under Settings → Channels."
            )

    def send(self, message: Message) -> SendResult:
        raise NotImplementedError

    def sender_address(self, message: Message) -> str:
        """The from address or number this adapter will use for the message."""
        return ""

    @staticmethod
    def public_url(name: str, *args) -> str:
        """An absolute URL the provider can call back, built from BASE_URL."""
        return django_settings.BASE_URL + reverse(name, args=args)
