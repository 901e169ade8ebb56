"""What happens after a lead is saved. Later apps register their steps here.

Scoring, routing, the SLA clock and cadence enrollment each register an intake step from their
AppConfig.ready(). Each step runs in its own transaction after the lead has committed, so a failing
rule never loses a lead: the failure is written on the lead's timeline and the step is retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.db import transaction

from leadfollow.models import Workspace
from leads.models import Activity, Lead
from leads.services.activities import log_activity

logger = logging.getLogger(__name__)

IntakeStep = Callable[..., None]  # step(*, workspace, lead, is_new) -> None
_STEPS: dict[str, IntakeStep] = {}


def register_intake_step(name: str, step: IntakeStep) -> None:
    """Add a step that runs for every new lead and every repeat inquiry, in registration order."""
    _STEPS[name] = step


def registered_steps() -> list[str]:
    return list(_STEPS)


def lead_received(*, workspace: Workspace, lead_id: int, is_new: bool) -> None:
    """Run every intake step for the lead. Never raises: a failed step is logged and retried."""
    for name in list(_STEPS):
        run_intake_step(workspace=workspace, lead_id=lead_id, step=name, is_new=is_new)


def run_intake_step(
    *, workspace: Workspace, lead_id: int, step: str, is_new: bool, attempt: int = 1
) -> bool:
    """Run one step in its own transaction. Returns whether it succeeded."""
    from leads import tasks  # tasks import this module to call back into it

    try:
        with transaction.atomic():
            lead = Lead.objects.select_for_update().get(workspace=workspace, pk=lead_id)
            _STEPS[step](workspace=workspace, lead=lead, is_new=is_new)
    except Exception as exc:  # noqa: BLE001 - the lead is saved; any step failure is retried
        logger.exception("intake step failed step=%s lead_id=%s attempt=%s", step, lead_id, attempt)
        _log_failure(workspace, lead_id, step, exc, attempt)
        if attempt < settings.INTAKE_STEP_MAX_ATTEMPTS:
            retry = partial(
                tasks.retry_intake_step.apply_async,
                kwargs={
                    "workspace_id": workspace.pk,
                    "lead_id": lead_id,
                    "step": step,
                    "is_new": is_new,
                    "attempt": attempt + 1,
                },
                countdown=settings.INTAKE_STEP_RETRY_SECONDS * attempt,
            )
            transaction.on_commit(retry)
        return False
    return True


def _log_failure(workspace: Workspace, lead_id: int, step: str, exc: Exception, attempt: int):
    lead = Lead.objects.filter(workspace=workspace, pk=lead_id).first()
    if lead is None:
        return
    final = attempt >= settings.INTAKE_STEP_MAX_ATTEMPTS
    log_activity(
        workspace=workspace,
        lead=lead,
        kind=Activity.Kind.STEP_FAILED,
        summary=f"{step.replace('_', ' ').capitalize()} failed"
        + (": gave up, needs a person" if final else ", will retry"),
        payload={"step": step, "error": type(exc).__name__, "attempt": attempt},
    )
