"""What the reports app stores: which weekly summaries were sent, so none goes out twice."""

from __future__ import annotations

from django.db import models

from leadfollow.tenancy import WorkspaceOwned


class WeeklySummary(WorkspaceOwned):
    """The weekly email of one workspace for one week (Monday to Sunday, workspace zone).

    The row is claimed before any email leaves: its unique week makes a second tick, a retried
    task or a second worker a no-op."""

    week_start = models.DateField()
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "week_start"], name="weeklysummary_once_per_week"
            )
        ]
        ordering = ["-week_start"]

    def __str__(self) -> str:
        return f"summary of week {self.week_start} for workspace {self.workspace_id}"
