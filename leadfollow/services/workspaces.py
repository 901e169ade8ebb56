"""Sign-up, workspaces, members and their roles."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from leadfollow.errors import Conflict, Forbidden, InvalidInput, NotFound
from leadfollow.models import ROLE_RANK, Membership, Role, User, Workspace
from leadfollow.tenancy import unscoped, workspace_scope

RESERVED_SLUGS = {"admin", "api", "static", "settings", "new", "demo-template"}


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "workspace"
    if base in RESERVED_SLUGS:
        base = f"{base}-team"
    slug, n = base, 2
    while Workspace.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _validated(workspace: Workspace) -> Workspace:
    try:
        workspace.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(messages[0], field=field) from exc
    return workspace


@transaction.atomic
def create_workspace(
    *,
    owner: User,
    name: str,
    time_zone: str = "UTC",
    default_region: str = "US",
    slug: str | None = None,
) -> Workspace:
    """Create a workspace with `owner` as its first owner and make it their current one."""
    workspace = _validated(
        Workspace(
            name=name.strip(),
            slug=slug or _unique_slug(name),
            time_zone=time_zone,
            default_region=default_region.upper(),
        )
    )
    try:
        with transaction.atomic():
            workspace.save()
    except IntegrityError as exc:
        raise Conflict("That workspace address is taken.", code="slug_taken", field="slug") from exc
    with workspace_scope(workspace):
        Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    owner.current_workspace = workspace
    owner.save(update_fields=["current_workspace"])
    return workspace


def create_user(*, email: str, full_name: str, password: str) -> User:
    """Create a login. The password must pass the configured validators."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(
            "An account with this email already exists. Log in instead.",
            code="email_taken",
            field="email",
        )
    first, _, last = full_name.strip().partition(" ")
    user = User(email=email, first_name=first, last_name=last)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), code="weak_password", field="password") from exc
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def sign_up(
    *, email: str, password: str, full_name: str, workspace_name: str, time_zone: str = "UTC"
) -> User:
    """Create a user and their first workspace, with the user as its owner."""
    user = create_user(email=email, full_name=full_name, password=password)
    create_workspace(owner=user, name=workspace_name, time_zone=time_zone)
    return user


@transaction.atomic
def update_workspace(*, workspace: Workspace, actor: Membership, **fields) -> Workspace:
    """Change a workspace's name, time zone, phone region or business hours."""
    _require(actor, Role.MANAGER)
    locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
    _validated(locked).save()
    return locked


def _require(actor: Membership, role: Role) -> None:
    if not actor.has_role(role):
        raise Forbidden(f"Only a {role.label.lower()} or above can do this.")


def _get_membership(workspace: Workspace, membership_id: int) -> Membership:
    try:
        return (
            Membership.objects.select_for_update()
            .select_related("user")
            .get(workspace=workspace, pk=membership_id)
        )
    except Membership.DoesNotExist as exc:
        raise NotFound("No such member in this workspace.") from exc


def _check_can_manage(actor: Membership, target: Membership, new_role: str | None = None) -> None:
    _require(actor, Role.MANAGER)
    outranked = ROLE_RANK[Role(target.role)] > ROLE_RANK[Role(actor.role)]
    grants_above = new_role and ROLE_RANK[Role(new_role)] > ROLE_RANK[Role(actor.role)]
    if outranked or grants_above:
        raise Forbidden("You cannot change a member whose role is above yours.")


def _ensure_another_owner(workspace: Workspace, target: Membership) -> None:
    if target.role != Role.OWNER:
        return
    others = Membership.objects.filter(workspace=workspace, role=Role.OWNER, is_active=True)
    if not others.exclude(pk=target.pk).exists():
        raise Conflict("A workspace needs at least one owner.", code="last_owner")


@transaction.atomic
def remove_member(*, workspace: Workspace, membership_id: int, actor: Membership) -> Membership:
    """Take a member's seat away. Their history stays; they can be invited back."""
    target = _get_membership(workspace, membership_id)
    _check_can_manage(actor, target)
    if not target.is_active:
        return target
    _ensure_another_owner(workspace, target)
    target.is_active = False
    target.save(update_fields=["is_active", "updated_at"])
    return target


@transaction.atomic
def change_member_role(
    *, workspace: Workspace, membership_id: int, role: str, actor: Membership
) -> Membership:
    """Give a member another role. Nobody grants a role above their own."""
    if role not in Role.values:
        raise InvalidInput("Choose owner, manager or rep.", field="role")
    target = _get_membership(workspace, membership_id)
    _check_can_manage(actor, target, new_role=role)
    if target.role == Role.OWNER and role != Role.OWNER:
        _ensure_another_owner(workspace, target)
    target.role = role
    target.save(update_fields=["role", "updated_at"])
    return target


def switch_workspace(*, user: User, workspace_id: int) -> Membership:
    """Make another of the user's workspaces the current one."""
    # A user's memberships span workspaces by nature: read them across scopes, filtered by user.
    with unscoped():
        membership = (
            Membership.objects.select_related("workspace")
            .filter(user=user, workspace_id=workspace_id, is_active=True)
            .first()
        )
    if membership is None:
        raise NotFound("You are not a member of that workspace.")
    user.current_workspace = membership.workspace
    user.save(update_fields=["current_workspace"])
    return membership


def update_profile(*, user: User, first_name: str, last_name: str) -> User:
    """Change the name teammates and leads see."""
    user.first_name, user.last_name = first_name.strip(), last_name.strip()
    user.save(update_fields=["first_name", "last_name"])
    return user
