"""What each provider needs from a workspace: one list serves the settings page, `set_provider`
and the adapters' checks, so a credential is described once."""

from __future__ import annotations

from dataclasses import dataclass

from channels.models import Channel, Provider


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    secret: bool = False  # encrypted at rest, never shown again once saved
    required: bool = True
    help: str = ""


PROVIDER_FIELDS: dict[str, tuple[Field, ...]] = {
    Provider.SENDGRID: (
        Field("api_key", "API key", secret=True, help="A key with Mail Send permission."),
        Field(
            "event_public_key",
            "Event webhook verification key",
            required=False,
            help="From SendGrid → Settings → Mail Settings → Signed Event Webhook.",
        ),
    ),
    Provider.TWILIO: (
        Field("account_sid", "Account SID", help="Starts with AC, from the Twilio console."),
        Field("auth_token", "Auth token", secret=True, help="Also verifies Twilio's webhooks."),
    ),
    Provider.DROPCOWBOY: (
        Field("api_key", "API key", secret=True),
        Field("api_secret", "API secret", secret=True),
        Field("webhook_secret", "Webhook signing secret", secret=True),
        Field("phone_line_id", "Phone line id", help="The caller ID line drops come from."),
        Field("brand_id", "Brand id", required=False, help="From the Trust Center."),
        Field("media_id", "Default recording id", required=False),
    ),
}

# Webhook addresses a manager pastes into the provider's console.
PROVIDER_WEBHOOKS: dict[str, tuple[tuple[str, str], ...]] = {
    Provider.SENDGRID: (
        ("Event webhook", "channels:sendgrid-events"),
        ("Inbound parse", "channels:sendgrid-inbound"),
    ),
    Provider.TWILIO: (("Messaging: a message comes in", "channels:twilio-sms"),),
    Provider.DROPCOWBOY: (("Signed webhook", "channels:rvm"),),
}

CHANNEL_LABELS = dict(Channel.choices)
PROVIDER_LABELS = dict(Provider.choices)


def provider_fields(provider: str) -> tuple[Field, ...]:
    return PROVIDER_FIELDS.get(provider, ())
