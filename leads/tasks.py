from celery import shared_task

from leadfollow.tasks import WorkspaceTask, current_workspace
from leads.services import received


@shared_task(base=WorkspaceTask)
def retry_intake_step(
    *, workspace_id: int, lead_id: int, step: str, is_new: bool, attempt: int
) -> None:
    """Run an intake step again after it failed."""
    received.run_intake_step(
        workspace=current_workspace(), lead_id=lead_id, step=step, is_new=is_new, attempt=attempt
    )
