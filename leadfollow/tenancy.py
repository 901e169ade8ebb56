"""Workspace scoping: every tenant-owned query runs inside an explicit workspace scope.

Built on django-scopes. Each entry point opens the scope once: `WorkspaceMiddleware` for pages,
API-key authentication for the API, the webhook router for provider callbacks, `WorkspaceTask`
for Celery and `workspace_scope` in management commands. A query on a tenant-owned model
outside any scope raises `ScopeError` instead of silently reading every workspace.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.db import models
from django_scopes import ScopedManager, get_scope, scope, scopes_disabled
from django_scopes.exceptions import ScopeError

if TYPE_CHECKING:
    from leadfollow.models import Workspace

__all__ = [
    "ScopeError",
    "WorkspaceOwned",
    "active_workspace_id",
    "unscoped",
    "workspace_scope",
]


class WorkspaceOwned(models.Model):
    """Abstract base of every tenant-owned model: a non-null workspace and a scoped manager."""

    workspace = models.ForeignKey(
        "leadfollow.Workspace", on_delete=models.CASCADE, related_name="+"
    )

    objects = ScopedManager(workspace="workspace")

    class Meta:
        abstract = True


@contextmanager
def workspace_scope(workspace: Workspace) -> Iterator[None]:
    """Run the block with queries limited to `workspace`. Never opens an unscoped block."""
    if workspace is None or workspace.pk is None:
        # django-scopes treats a None value as "no filter": refuse it loudly instead.
        raise ScopeError("workspace_scope() needs a saved workspace.")
    with scope(workspace=workspace.pk):
        yield


def unscoped():
    """Deliberately read across workspaces: operators' admin, migrations, the dispatcher tick.

    Every caller says why in a comment next to the call.
    """
    return scopes_disabled()


def active_workspace_id() -> int | None:
    """The id of the workspace whose scope is open, or None outside any scope."""
    current = get_scope()
    if not current.get("_enabled", True):
        return None
    value = current.get("workspace")
    return value if isinstance(value, int) else None
