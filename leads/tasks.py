import logging

from celery import shared_task

from leadfollow.tasks import WorkspaceTask, current_workspace
from leads.services import import_erasure, imports, received

logger = logging.getLogger(__name__)
CRASHED = "The import stopped on an unexpected error. Leads saved so far are kept."


@shared_task(base=WorkspaceTask)
def retry_intake_step(
    *, workspace_id: int, lead_id: int, step: str, is_new: bool, attempt: int
) -> None:
    """Run an intake step again after it failed."""
    received.run_intake_step(
        workspace=current_workspace(), lead_id=lead_id, step=step, is_new=is_new, attempt=attempt
    )


@shared_task(base=WorkspaceTask)
def preview_lead_import(*, workspace_id: int, import_id: int) -> None:
    """Dry-run a CSV import: forecast created, merged and rejected rows without saving leads."""
    try:
        imports.preview_import(workspace=current_workspace(), import_id=import_id)
    except Exception:
        logger.exception("lead import preview crashed import_id=%s", import_id)
        imports.fail_import(workspace=current_workspace(), import_id=import_id, message=CRASHED)
        raise


@shared_task(base=WorkspaceTask, acks_late=True)
def run_lead_import(*, workspace_id: int, import_id: int) -> None:
    """Import a CSV file's rows; a redelivered task resumes after the last committed batch."""
    try:
        imports.run_import(workspace=current_workspace(), import_id=import_id)
    except Exception:
        logger.exception("lead import crashed import_id=%s", import_id)
        imports.fail_import(workspace=current_workspace(), import_id=import_id, message=CRASHED)
        raise


@shared_task(base=WorkspaceTask)
def erase_from_import_files(*, workspace_id: int, address_hashes: list[str]) -> None:
    """Empty an erased person's rows in the workspace's imported CSV files."""
    import_erasure.erase_from_import_files(
        workspace=current_workspace(), address_hashes=address_hashes
    )
