"""Celery plumbing shared by every app's tasks: `WorkspaceTask` opens the workspace scope."""

from __future__ import annotations

from celery import Task, shared_task

from leadfollow.models import Workspace
from leadfollow.tenancy import active_workspace_id, unscoped, workspace_scope


class WorkspaceTask(Task):
    """Base for tasks called with `workspace_id=`: the task body runs inside that scope.

    A task whose workspace was deleted meanwhile has nothing left to do and returns None.
    """

    abstract = True

    def __call__(self, *args, **kwargs):
        workspace = Workspace.objects.filter(pk=kwargs.get("workspace_id")).first()
        if workspace is None:
            return None
        with workspace_scope(workspace):
            return super().__call__(*args, **kwargs)


def current_workspace() -> Workspace:
    """The workspace of the scope a task runs in."""
    workspace_id = active_workspace_id()
    with unscoped():
        return Workspace.objects.get(pk=workspace_id)


@shared_task(ignore_result=True)
def run_tick(name: str) -> None:
    """One periodic tick, by name, for Celery beat. Ticks open workspace scopes themselves."""
    from leadfollow.scheduler import registered_ticks

    for tick in registered_ticks():
        if tick.name == name:
            tick.run()
            return
    raise LookupError(f"No tick named {name!r} is registered.")
