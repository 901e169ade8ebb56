"""Reports' Celery tasks: ids in, one service call out."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from leadfollow.tasks import WorkspaceTask, current_workspace
from reports import weekly_summary


@shared_task(base=WorkspaceTask, ignore_result=True)
def send_weekly_summary(*, workspace_id: int, week_start: str) -> None:
    weekly_summary.send_weekly_summary(
        workspace=current_workspace(), week_start=date.fromisoformat(week_start)
    )
