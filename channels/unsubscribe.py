"""Unsubscribing from email: the signed link every email carries, and what following it does.

The link names the workspace and the message (`/u/<signed token>/`); the signature is the only
credential, so it works without a login and keeps working as long as the secret key does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.core import signing
from django.urls import reverse

from channels.models import Channel, Message, Suppression
from channels.services import events
from channels.services.suppression import address_hash
from leadfollow.errors import NotFound
from leadfollow.models import Workspace
from leadfollow.tenancy import workspace_scope

logger = logging.getLogger(__name__)

_SALT = "channels.unsubscribe"
LINK_HOW = "unsubscribe link in the email"
MAILTO_HOW = "unsubscribe email"


@dataclass(frozen=True)
class Unsubscribed:
    workspace: Workspace
    message: Message
    newly: bool  # False when the address had already opted out


def unsubscribe_token(message: Message) -> str:
    """A signed, URL-safe token naming the message's workspace and the message."""
    return signing.Signer(salt=_SALT).sign_object([message.workspace_id, message.token])


def unsubscribe_url(message: Message) -> str:
    """The absolute address of the message's unsubscribe page."""
    path = reverse("channels:unsubscribe", args=[unsubscribe_token(message)])
    return django_settings.BASE_URL + path


def masked_address(address: str) -> str:
    """Enough of the address for its owner to recognise it: j***@example.com."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def message_for_token(token: str) -> Message:
    """The outbound email a token names. Raises NotFound for a forged, mangled or stale token."""
    try:
        workspace_id, message_token = signing.Signer(salt=_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise NotFound("This unsubscribe link is not valid.") from exc
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        raise NotFound("This unsubscribe link is not valid.")
    with workspace_scope(workspace):
        message = (
            Message.objects.select_related("workspace", "lead")
            .filter(workspace=workspace, token=message_token, channel=Channel.EMAIL)
            .first()
        )
    if message is None:
        raise NotFound("This unsubscribe link is not valid.")
    return message


def unsubscribe(*, workspace: Workspace, message: Message, how: str = LINK_HOW) -> Unsubscribed:
    """Opt the message's recipient out of email. Idempotent: a second call changes nothing."""
    with workspace_scope(workspace):
        already = Suppression.objects.filter(
            workspace=workspace,
            channel=Channel.EMAIL,
            address_hash=address_hash(message.to_address),
            reason=Suppression.Reason.OPT_OUT,
        ).exists()
        if not already:
            events.opt_out(
                workspace=workspace, channel=Channel.EMAIL, address=message.to_address, how=how
            )
            logger.info("email unsubscribe workspace=%s message=%s", workspace.pk, message.pk)
    return Unsubscribed(workspace, message, newly=not already)
