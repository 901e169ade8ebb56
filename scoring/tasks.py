from celery import shared_task

from leadfollow.tasks import WorkspaceTask, current_workspace
from scoring.services import scores


@shared_task(base=WorkspaceTask)
def rescore_open_leads(*, workspace_id: int) -> None:
    """Recompute the open leads' scores after a manager changed the scoring rules."""
    scores.rescore_open_leads(workspace=current_workspace())
