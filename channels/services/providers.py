"""Managers choose providers, enter credentials, own phone numbers and send a test."""

from __future__ import annotations

import secrets as secret_tokens
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from channels.adapters import NotConfigured, ProviderError, adapter_for
from channels.compliance import channel_settings
from channels.models import (
    CHANNEL_PROVIDERS,
    Channel,
    ChannelSettings,
    Message,
    PhoneNumber,
    Provider,
    ProviderAccount,
)
from channels.providers import PROVIDER_LABELS, provider_fields
from channels.services.sending import new_token
from leadfollow.errors import Conflict, InvalidInput, NotFound
from leadfollow.models import Membership, Workspace
from leadfollow.tenancy import unscoped
from leads.phones import PhoneInvalid, parse_phone

SETTINGS_FIELDS = (
    "from_name",
    "from_email",
    "reply_domain",
    "help_text",
    "quiet_hours_start",
    "quiet_hours_end",
    "consent_required_sms",
    "consent_required_call",
    "consent_required_voicemail",
    "human_answers",
)


def configured_providers(workspace: Workspace) -> set[str]:
    """Providers whose required credentials are all entered (the outbox needs none)."""
    ready = {Provider.OUTBOX.value}
    for account in ProviderAccount.objects.filter(workspace=workspace):
        if not missing_fields(account):
            ready.add(account.provider)
    return ready


def missing_fields(account: ProviderAccount) -> list[str]:
    stored_secrets, options = account.secrets, account.options
    return [
        field.label
        for field in provider_fields(account.provider)
        if field.required and not (stored_secrets if field.secret else options).get(field.name)
    ]


@transaction.atomic
def update_channel_settings(
    *, workspace: Workspace, changes: dict, actor: Membership | None = None
) -> ChannelSettings:
    """Save providers per channel, sender identity and compliance options together."""
    settings = channel_settings(workspace)
    ready = configured_providers(workspace)
    errors: dict[str, list[str]] = {}
    for channel in Channel:
        name = f"{channel.value}_provider"
        if name not in changes:
            continue
        provider = changes[name]
        if provider not in CHANNEL_PROVIDERS[channel]:
            errors[name] = [f"{PROVIDER_LABELS.get(provider, provider)} cannot send {channel}."]
        elif provider not in ready:
            errors[name] = [
                f"Enter {PROVIDER_LABELS[provider]}'s credentials below before using it."
            ]
        else:
            setattr(settings, name, provider)
    start = changes.get("quiet_hours_start", settings.quiet_hours_start)
    end = changes.get("quiet_hours_end", settings.quiet_hours_end)
    if start >= end:
        errors["quiet_hours_end"] = ["The send window must end after it starts."]
    if settings.email_provider == Provider.SENDGRID and not changes.get(
        "from_email", settings.from_email
    ):
        errors["from_email"] = ["SendGrid needs a verified sender address."]
    if errors:
        raise InvalidInput("Check the highlighted fields.", errors=errors)
    for name in SETTINGS_FIELDS:
        if name in changes:
            setattr(settings, name, changes[name])
    settings.save()
    return settings


@transaction.atomic
def save_provider_account(
    *,
    workspace: Workspace,
    provider: str,
    values: dict,
    actor: Membership | None = None,
) -> ProviderAccount:
    """Store a provider's options and secrets. A blank secret keeps the one already saved."""
    fields = provider_fields(provider)
    if not fields:
        raise InvalidInput(f"{provider} has no settings.", field="provider")
    account, _ = ProviderAccount.objects.select_for_update().get_or_create(
        workspace=workspace, provider=provider
    )
    stored_secrets, options = account.secrets, dict(account.options)
    for field in fields:
        value = (values.get(field.name) or "").strip()
        if field.secret:
            if value:
                stored_secrets[field.name] = value
        else:
            options[field.name] = value
    if provider == Provider.SENDGRID:
        stored_secrets.setdefault("inbound_secret", secret_tokens.token_urlsafe(24))
    if provider == Provider.TWILIO and options.get("account_sid", "")[:2] not in ("", "AC"):
        raise InvalidInput(
            "Check the highlighted fields.",
            errors={"account_sid": ["A Twilio Account SID starts with AC."]},
        )
    account.options, account.secrets, account.updated_by = options, stored_secrets, actor
    account.save()
    return account


def provider_account(*, workspace: Workspace, provider: str) -> ProviderAccount | None:
    return ProviderAccount.objects.filter(workspace=workspace, provider=provider).first()


def add_phone_number(
    *, workspace: Workspace, number: str, label: str = "", provider: str = Provider.TWILIO
) -> PhoneNumber:
    """Give the workspace a sending number. A number serves one workspace only: inbound texts
    and calls to it are that workspace's."""
    try:
        e164 = parse_phone(number, default_region=workspace.default_region or "US").e164
    except PhoneInvalid as exc:
        raise InvalidInput(str(exc), field="number") from exc
    with unscoped():
        taken = PhoneNumber.objects.filter(number=e164).exclude(workspace=workspace).exists()
    if taken:
        raise Conflict(
            f"{e164} already belongs to another workspace: release it there first.",
            field="number",
        )
    try:
        with transaction.atomic():
            phone, created = PhoneNumber.objects.get_or_create(
                workspace=workspace,
                number=e164,
                defaults={"label": label[:80], "provider": provider},
            )
    except IntegrityError as exc:  # claimed by another workspace a moment ago
        raise Conflict(f"{e164} already belongs to another workspace.", field="number") from exc
    if not created:
        raise Conflict(f"{e164} is already one of this workspace's numbers.", field="number")
    if not PhoneNumber.objects.filter(workspace=workspace, is_default=True).exists():
        set_default_number(workspace=workspace, number_id=phone.pk)
        phone.refresh_from_db()
    return phone


@transaction.atomic
def set_default_number(*, workspace: Workspace, number_id: int) -> PhoneNumber:
    phone = _number(workspace, number_id)
    PhoneNumber.objects.filter(workspace=workspace).exclude(pk=phone.pk).update(is_default=False)
    PhoneNumber.objects.filter(pk=phone.pk).update(is_default=True)
    return phone


@transaction.atomic
def remove_phone_number(*, workspace: Workspace, number_id: int) -> None:
    phone = _number(workspace, number_id)
    phone.delete()
    if phone.is_default:
        successor = PhoneNumber.objects.filter(workspace=workspace).order_by("number").first()
        if successor is not None:
            PhoneNumber.objects.filter(pk=successor.pk).update(is_default=True)


def _number(workspace: Workspace, number_id: int) -> PhoneNumber:
    phone = PhoneNumber.objects.filter(workspace=workspace, pk=number_id).first()
    if phone is None:
        raise NotFound("No such number in this workspace.")
    return phone


@dataclass(frozen=True)
class TestResult:
    ok: bool
    text: str  # the provider's answer or error, in plain words


def send_test(*, workspace: Workspace, channel: str, to: str, text: str) -> TestResult:
    """Send one message through the channel's provider to a manager's own address.

    It bypasses leads and cadences on purpose: it checks the credentials and sender, nothing else.
    """
    settings = channel_settings(workspace)
    provider = PROVIDER_LABELS[settings.provider_for(channel)]
    if channel == Channel.EMAIL:
        address = to.strip().lower()
        if "@" not in address:
            raise InvalidInput("Enter an email address to send the test to.", field="to")
    else:
        try:
            address = parse_phone(to, default_region=workspace.default_region or "US").e164
        except PhoneInvalid as exc:
            raise InvalidInput(str(exc), field="to") from exc
    try:
        adapter = adapter_for(workspace=workspace, channel=channel, settings=settings)
        probe = Message(
            workspace=workspace,
            channel=channel,
            direction=Message.Direction.OUTBOUND,
            provider=adapter.provider,
            status=Message.Status.SENDING,
            to_address=address,
            subject="LeadFollow test message",
            body_text=text,
            token=new_token(),
            details={"test": True, "mode": "test"},
        )
        result = adapter.send(probe)
    except (NotConfigured, ProviderError) as exc:
        return TestResult(False, f"{provider} did not send it: {exc.message}")
    return TestResult(True, f"{provider} accepted the message (id {result.provider_message_id}).")
