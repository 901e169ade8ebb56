"""Sign-up, invitations, and moving between workspaces."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leadfollow.errors import DomainError, NotFound
from leadfollow.forms import InviteSignUpForm, SignUpForm, WorkspaceCreateForm, add_domain_error
from leadfollow.models import User
from leadfollow.navigation import main_navigation
from leadfollow.services import invitations, workspaces

BACKEND = "django.contrib.auth.backends.ModelBackend"


def home(request: HttpRequest) -> HttpResponse:
    """The first section the member can open; visitors go to the login page."""
    if not request.user.is_authenticated:
        return redirect("leadfollow:login")
    if request.membership is None:
        return redirect("leadfollow:workspace-create")
    first = next((item.url for item in main_navigation(request) if item.url), None)
    return redirect(first)


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("leadfollow:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = workspaces.sign_up(**form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, f"Welcome to LeadFollow, {user.display_name}.")
            return redirect("leadfollow:home")
    return render(request, "leadfollow/signup.html", {"form": form})


def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Open an invitation link: join now, or log in or create an account first."""
    try:
        invitation = invitations.get_invitation_by_token(token=token)
        invitations.check_usable(invitation)
    except NotFound as exc:
        return render(
            request, "leadfollow/invite_unusable.html", {"reason": exc.message}, status=404
        )
    except invitations.InvitationUnusable as exc:
        return render(
            request, "leadfollow/invite_unusable.html", {"reason": exc.message}, status=410
        )
    user = request.user if request.user.is_authenticated else None
    has_account = user is not None or User.objects.filter(email=invitation.email).exists()
    form = InviteSignUpForm(request.POST or None) if not has_account else None
    if request.method == "POST":
        if form is not None and form.is_valid():
            user = _create_invited_user(request, form, invitation.email)
        if user is not None:
            return _join(request, token, user)
    context = {"invitation": invitation, "form": form, "has_account": has_account}
    return render(request, "leadfollow/invite_accept.html", context)


def _create_invited_user(request: HttpRequest, form: InviteSignUpForm, email: str) -> User | None:
    try:
        return workspaces.create_user(email=email, **form.cleaned_data)
    except DomainError as exc:
        add_domain_error(form, exc)
        return None


def _join(request: HttpRequest, token: str, user: User) -> HttpResponse:
    try:
        membership = invitations.accept_invitation(token=token, user=user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(request.path)
    if not request.user.is_authenticated:
        login(request, user, backend=BACKEND)
    messages.success(request, f"You joined {membership.workspace.name}.")
    return redirect("leadfollow:home")


@login_required
def workspace_create(request: HttpRequest) -> HttpResponse:
    form = WorkspaceCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = workspaces.create_workspace(owner=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Workspace “{workspace.name}” is ready.")
            return redirect("leadfollow:home")
    return render(request, "leadfollow/workspace_create.html", {"form": form})


@login_required
@require_POST
def workspace_switch(request: HttpRequest) -> HttpResponse:
    try:
        membership = workspaces.switch_workspace(
            user=request.user, workspace_id=int(request.POST.get("workspace", "0") or 0)
        )
    except (NotFound, ValueError):
        messages.error(request, "You are not a member of that workspace.")
        return redirect("leadfollow:home")
    messages.success(request, f"Now working in {membership.workspace.name}.")
    # Start from the section's home: the page we came from belongs to the old workspace.
    return redirect("leadfollow:home")
