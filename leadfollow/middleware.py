"""Opens the workspace scope for every browser request."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.defaults import page_not_found, permission_denied

from leadfollow.errors import Forbidden, NotFound
from leadfollow.selectors import current_membership
from leadfollow.tenancy import unscoped, workspace_scope


class WorkspaceMiddleware:
    """Sets `request.workspace` and `request.membership` and scopes the request to them.

    The workspace is the member's current one (chosen with the switcher). The admin site is for
    operators and reads across workspaces on purpose. The API scopes itself from the API key.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.admin_prefix = reverse("admin:index")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.workspace = None
        request.membership = None
        user = request.user
        if request.path.startswith(self.admin_prefix) and user.is_active and user.is_staff:
            # Operators manage every workspace from the admin.
            with unscoped():
                return self.get_response(request)
        if user.is_authenticated:
            membership = current_membership(user=user)
            if membership is not None:
                request.membership = membership
                request.workspace = membership.workspace
                # Pages show times in the workspace's zone unless a view says otherwise.
                with (
                    workspace_scope(membership.workspace),
                    timezone.override(membership.workspace.time_zone),
                ):
                    return self.get_response(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A domain NotFound or Forbidden escaping a page view becomes the usual 404 or 403 page."""
        if isinstance(exception, NotFound):
            return page_not_found(request, Http404(exception.message))
        if isinstance(exception, Forbidden):
            return permission_denied(request, PermissionDenied(exception.message))
        return None
