"""Reads of the tenancy core shared by middleware, views, the API and other apps."""

from __future__ import annotations

from django.db.models import QuerySet

from leadfollow.errors import NotFound
from leadfollow.models import ApiKey, Invitation, Membership, User, Workspace
from leadfollow.tenancy import unscoped


def memberships_for_user(*, user: User) -> list[Membership]:
    """Every active seat of `user`, across workspaces, with the workspace loaded."""
    # The workspace switcher lists all of a user's workspaces; the filter is the user itself.
    with unscoped():
        return list(
            Membership.objects.select_related("workspace")
            .filter(user=user, is_active=True)
            .order_by("workspace__name")
        )


def current_membership(*, user: User) -> Membership | None:
    """The seat the user works in now: their chosen workspace, else their first one."""
    memberships = memberships_for_user(user=user)
    for membership in memberships:
        if membership.workspace_id == user.current_workspace_id:
            return membership
    return memberships[0] if memberships else None


def workspace_members(*, workspace: Workspace, include_inactive: bool = False) -> QuerySet:
    members = Membership.objects.filter(workspace=workspace).select_related("user")
    if not include_inactive:
        members = members.filter(is_active=True)
    return members.order_by("-is_active", "user__first_name", "user__email")


def get_membership(*, workspace: Workspace, membership_id: int) -> Membership:
    try:
        return Membership.objects.select_related("user").get(workspace=workspace, pk=membership_id)
    except Membership.DoesNotExist as exc:
        raise NotFound("No such member in this workspace.") from exc


def pending_invitations(*, workspace: Workspace) -> list[Invitation]:
    invitations = Invitation.objects.filter(
        workspace=workspace, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")
    return [invitation for invitation in invitations if invitation.is_pending]


def workspace_api_keys(*, workspace: Workspace) -> QuerySet:
    return ApiKey.objects.filter(workspace=workspace).select_related("created_by")


def get_workspace_by_slug(*, slug: str) -> Workspace:
    try:
        return Workspace.objects.get(slug=slug)
    except Workspace.DoesNotExist as exc:
        raise NotFound(f"No workspace with the slug “{slug}”.") from exc


def get_invitation(*, workspace: Workspace, invitation_id: int) -> Invitation:
    try:
        return Invitation.objects.get(workspace=workspace, pk=invitation_id)
    except Invitation.DoesNotExist as exc:
        raise NotFound("No such invitation.") from exc


def get_api_key(*, workspace: Workspace, api_key_id: int) -> ApiKey:
    try:
        return ApiKey.objects.select_related("created_by").get(workspace=workspace, pk=api_key_id)
    except ApiKey.DoesNotExist as exc:
        raise NotFound("No such API key.") from exc
