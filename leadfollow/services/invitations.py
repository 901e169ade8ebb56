"""Inviting teammates: single-use links that expire after INVITATION_TTL."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from leadfollow.errors import Conflict, Forbidden, InvalidInput, NotFound
from leadfollow.models import ROLE_RANK, Invitation, Membership, Role, User, Workspace
from leadfollow.tenancy import unscoped, workspace_scope

logger = logging.getLogger(__name__)


class InvitationUnusable(Conflict):
    """The link was used, revoked or has expired."""


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str

    @property
    def url(self) -> str:
        return settings.BASE_URL + reverse("leadfollow:invite-accept", args=[self.token])


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invite_member(
    *, workspace: Workspace, email: str, role: str, actor: Membership
) -> IssuedInvitation:
    """Create an invitation and email its link once the transaction commits."""
    email = email.strip().lower()
    if not actor.has_role(Role.MANAGER):
        raise Forbidden("Only managers and owners can invite teammates.")
    if role not in Role.values:
        raise InvalidInput("Choose owner, manager or rep.", field="role")
    if ROLE_RANK[Role(role)] > ROLE_RANK[Role(actor.role)]:
        raise Forbidden("You cannot invite someone with a role above yours.", code="role_above")
    if Membership.objects.filter(workspace=workspace, user__email=email, is_active=True).exists():
        raise Conflict(f"{email} is already a member.", code="already_member", field="email")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=actor.user,
        expires_at=timezone.now() + settings.INVITATION_TTL,
    )
    issued = IssuedInvitation(invitation=invitation, token=token)
    transaction.on_commit(partial(_email_invitation, issued, workspace, actor.user))
    return issued


def _email_invitation(issued: IssuedInvitation, workspace: Workspace, inviter: User) -> None:
    context = {"issued": issued, "workspace": workspace, "inviter": inviter}
    send_mail(
        subject=f"{inviter.display_name} invited you to {workspace.name} on LeadFollow",
        message=render_to_string("leadfollow/email/invitation.txt", context),
        from_email=None,
        recipient_list=[issued.invitation.email],
    )
    logger.info("invitation emailed invitation_id=%s", issued.invitation.pk)


def get_invitation_by_token(*, token: str) -> Invitation:
    """The invitation behind a link, whatever its state. Raises NotFound for an unknown link."""
    # The person opening the link has no workspace yet: the token hash is the only key.
    with unscoped():
        invitation = (
            Invitation.objects.select_related("workspace", "invited_by")
            .filter(token_hash=hash_token(token))
            .first()
        )
    if invitation is None:
        raise NotFound("This invitation link is not valid. Ask for a new one.")
    return invitation


def check_usable(invitation: Invitation) -> None:
    """Raise InvitationUnusable with a message for the person holding the link."""
    if invitation.accepted_at is not None:
        raise InvitationUnusable("This invitation has already been used.", code="used")
    if invitation.revoked_at is not None:
        raise InvitationUnusable("This invitation was withdrawn.", code="revoked")
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable(
            "This invitation has expired. Ask your manager for a new one.", code="expired"
        )


@transaction.atomic
def accept_invitation(*, token: str, user: User) -> Membership:
    """Join the invitation's workspace as `user`. The link works once."""
    found = get_invitation_by_token(token=token)
    with workspace_scope(found.workspace):
        invitation = Invitation.objects.select_for_update().get(pk=found.pk)
        check_usable(invitation)
        if invitation.email != user.email.lower():
            raise InvitationUnusable(
                f"This invitation is for {invitation.email}. Log in with that address to accept.",
                code="wrong_user",
            )
        membership, _ = Membership.objects.update_or_create(
            workspace=found.workspace,
            user=user,
            defaults={"role": invitation.role, "is_active": True},
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    user.current_workspace = found.workspace
    user.save(update_fields=["current_workspace"])
    return membership


@transaction.atomic
def revoke_invitation(*, workspace: Workspace, invitation_id: int, actor: Membership) -> Invitation:
    """Withdraw a pending invitation so its link stops working."""
    if not actor.has_role(Role.MANAGER):
        raise Forbidden("Only managers and owners can withdraw invitations.")
    try:
        invitation = Invitation.objects.select_for_update().get(
            workspace=workspace, pk=invitation_id
        )
    except Invitation.DoesNotExist as exc:
        raise NotFound("No such invitation.") from exc
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation
