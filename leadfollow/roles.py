"""Who may open which page: roles are enforced here for pages and in `api.py` for the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from leadfollow.models import Role


def member_required(
    minimum: Role = Role.REP,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Page decorator: log in first, have a workspace, and hold at least `minimum` role there."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None:
                return redirect("leadfollow:workspace-create")
            if not request.membership.has_role(minimum):
                raise PermissionDenied(f"This page is for {minimum.label.lower()}s and above.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


manager_required = member_required(Role.MANAGER)
