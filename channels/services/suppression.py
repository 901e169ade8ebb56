"""The suppression list: addresses that must never be contacted on a channel, kept as hashes."""

from __future__ import annotations

import hashlib

from django.db import transaction

from channels.models import Suppression
from leadfollow.models import Workspace

EMAIL_CHANNELS = ("email",)
PHONE_CHANNELS = ("sms", "call", "voicemail")


def address_hash(address: str) -> str:
    """SHA-256 of a normalised address (lower-cased email or E.164 number)."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


@transaction.atomic
def suppress_address(
    *, workspace: Workspace, channel: str, address: str, reason: str, label: str = ""
) -> Suppression:
    """Put an address on a channel's suppression list. Safe to call twice."""
    suppression, _ = Suppression.objects.get_or_create(
        workspace=workspace,
        channel=channel,
        address_hash=address_hash(address),
        defaults={"reason": reason, "label": label},
    )
    return suppression


def suppress_erased_contact(*, workspace: Workspace, email: str | None, phone: str | None) -> None:
    """Keep an erased person off every channel by the hash of their email and phone alone."""
    for channels, address in ((EMAIL_CHANNELS, email), (PHONE_CHANNELS, phone)):
        if address:
            for channel in channels:
                suppress_address(
                    workspace=workspace,
                    channel=channel,
                    address=address,
                    reason=Suppression.Reason.ERASED,
                )


def is_suppressed(*, workspace: Workspace, channel: str, address: str) -> bool:
    return Suppression.objects.filter(
        workspace=workspace, channel=channel, address_hash=address_hash(address)
    ).exists()


def suppressed_channels(*, workspace: Workspace, email: str | None, phone: str | None) -> set[str]:
    """The channels on which this person's email or phone is suppressed, in one query."""
    wanted: set[tuple[str, str]] = set()
    if email:
        wanted |= {(channel, address_hash(email)) for channel in EMAIL_CHANNELS}
    if phone:
        wanted |= {(channel, address_hash(phone)) for channel in PHONE_CHANNELS}
    if not wanted:
        return set()
    rows = Suppression.objects.filter(
        workspace=workspace, address_hash__in={digest for _, digest in wanted}
    ).values_list("channel", "address_hash")
    return {channel for channel, digest in rows if (channel, digest) in wanted}


def unsuppress_address(*, workspace: Workspace, channel: str, address: str, reasons) -> int:
    """Lift suppressions of the given reasons only: an opt-in never lifts a bounce or an erasure."""
    deleted, _ = Suppression.objects.filter(
        workspace=workspace,
        channel=channel,
        address_hash=address_hash(address),
        reason__in=list(reasons),
    ).delete()
    return deleted
