"""Settings pages: your profile; the workspace, its members and its API keys (managers)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leadfollow import selectors
from leadfollow.errors import DomainError
from leadfollow.forms import (
    ApiKeyForm,
    InviteForm,
    ProfileForm,
    RoleForm,
    WorkspaceSettingsForm,
    add_domain_error,
)
from leadfollow.models import Role
from leadfollow.roles import manager_required, member_required
from leadfollow.services import api_keys, invitations, workspaces


@member_required()
def settings_index(request: HttpRequest) -> HttpResponse:
    if request.membership.has_role(Role.MANAGER):
        return redirect("leadfollow:workspace-settings")
    return redirect("leadfollow:profile")


@member_required()
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST or None, initial={"first_name": user.first_name, "last_name": user.last_name}
    )
    if request.method == "POST" and form.is_valid():
        workspaces.update_profile(user=user, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("leadfollow:profile")
    return render(request, "leadfollow/settings/profile.html", {"form": form})


@manager_required
def workspace_settings(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    form = WorkspaceSettingsForm(request.POST or None, instance=workspace)
    if request.method == "POST" and form.is_valid():
        try:
            workspaces.update_workspace(
                workspace=workspace, actor=request.membership, **form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Workspace settings saved.")
            return redirect("leadfollow:workspace-settings")
    return render(request, "leadfollow/settings/workspace.html", {"form": form})


def _members_page(request: HttpRequest, invite_form: InviteForm, status: int = 200) -> HttpResponse:
    workspace = request.workspace
    context = {
        "members": selectors.workspace_members(workspace=workspace),
        "invitations": selectors.pending_invitations(workspace=workspace),
        "invite_form": invite_form,
        "roles": Role.choices,
    }
    return render(request, "leadfollow/settings/members.html", context, status=status)


@manager_required
def members(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = invitations.invite_member(
                workspace=request.workspace, actor=request.membership, **form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Invitation sent to {issued.invitation.email}.")
            return redirect("leadfollow:members")
    return _members_page(request, form, status=400 if form.errors else 200)


@manager_required
@require_POST
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = selectors.get_membership(workspace=request.workspace, membership_id=membership_id)
    form = RoleForm(request.POST)
    error = None
    if form.is_valid():
        try:
            membership = workspaces.change_member_role(
                workspace=request.workspace,
                membership_id=membership.pk,
                role=form.cleaned_data["role"],
                actor=request.membership,
            )
        except DomainError as exc:
            error = exc.message
    else:
        error = "Choose owner, manager or rep."
    if request.htmx:
        context = {"member": membership, "roles": Role.choices, "row_error": error}
        return render(request, "leadfollow/settings/_member_row.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            f"{membership.user.display_name} is now a {membership.get_role_display().lower()}.",
        )
    return redirect("leadfollow:members")


@manager_required
@require_POST
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = selectors.get_membership(workspace=request.workspace, membership_id=membership_id)
    try:
        workspaces.remove_member(
            workspace=request.workspace, membership_id=membership.pk, actor=request.membership
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{membership.user.display_name} was removed from the workspace.")
    return redirect("leadfollow:members")


@manager_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.get_invitation(workspace=request.workspace, invitation_id=invitation_id)
    invitations.revoke_invitation(
        workspace=request.workspace, invitation_id=invitation.pk, actor=request.membership
    )
    messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect("leadfollow:members")


@manager_required
def api_key_list(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_keys.create_api_key(
                workspace=request.workspace,
                name=form.cleaned_data["name"],
                actor=request.membership,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            form = ApiKeyForm()
    context = {
        "keys": selectors.workspace_api_keys(workspace=request.workspace),
        "form": form,
        "issued": issued,
    }
    status = 400 if form.errors else 201 if issued else 200
    return render(request, "leadfollow/settings/api_keys.html", context, status=status)


@manager_required
@require_POST
def api_key_revoke(request: HttpRequest, api_key_id: int) -> HttpResponse:
    key = selectors.get_api_key(workspace=request.workspace, api_key_id=api_key_id)
    key = api_keys.revoke_api_key(
        workspace=request.workspace, api_key_id=key.pk, actor=request.membership
    )
    if request.htmx:
        return render(request, "leadfollow/settings/_api_key_row.html", {"key": key})
    messages.success(request, f"API key “{key.name}” was revoked.")
    return redirect("leadfollow:api-keys")
