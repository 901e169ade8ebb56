"""What happens after a lead is saved. Later apps register their steps here.

Scoring, routing, the SLA clock and cadence enrollment each register an intake step from their
AppConfig.ready(). They run in the transaction that saves the lead. A failing rule never loses a
lead: the failure is written on the lead's timeline and the step is retried in a transaction of
its own, while the lead and the other steps keep their work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from functools import partial

from django.conf import settings
from django.db import transaction

from leadfollow.models import Workspace
from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Lead
from leads.services.activities import log_activity, logged_together

logger = logging.getLogger(__name__)

# step(*, workspace, lead, is_new, fresh) -> None. `fresh`: this transaction created the lead,
# so nothing but this intake has touched it yet (no clock, no enrollment, no other activity).
# A retried step gets False: by then anyone may have.
IntakeStep = Callable[..., None]
_STEPS: dict[str, IntakeStep] = {}
# While the steps run together: the work they left for the end, as (step, work).
_at_end: ContextVar[list[tuple[str, Callable[[], None]]] | None] = ContextVar(
    "intake_end_work", default=None
)
_current_step: ContextVar[str] = ContextVar("intake_step", default="")


class IntakeStepFailed(Exception):
    """A step failed while the steps ran together; the caller runs them again one by one."""


def register_intake_step(name: str, step: IntakeStep) -> None:
    """Add a step that runs for every new lead and every repeat inquiry, in registration order."""
    _STEPS[name] = step


def registered_steps() -> list[str]:
    return list(_STEPS)


def steps_run_together() -> bool:
    """Whether the running intake step shares one transaction with the others, so that it can
    leave work for the end of the intake (`at_intake_end`)."""
    return _at_end.get() is not None


def at_intake_end(work: Callable[[], None]) -> None:
    """Do `work` once every step has run, still in the intake's transaction, just before its
    timeline is written. A failure there counts as a failure of the step that left it. Only
    while `steps_run_together()`: a step running on its own does its work at once."""
    pending = _at_end.get()
    if pending is None:
        raise RuntimeError("at_intake_end outside an intake whose steps run together")
    pending.append((_current_step.get(), work))


def lead_received(
    *, workspace: Workspace, lead: Lead, is_new: bool, fresh: bool = False, together: bool = False
) -> None:
    """Run every intake step for the lead, in the transaction that saves it.

    The lead, its intake activity and the steps' work commit together: one commit per lead
    instead of two, and the steps work on the saved lead instead of reading it again. The caller
    holds the lead's row lock (a new lead is not visible to anyone else before commit).

    By default each step runs in its own savepoint and nothing raises: a failing step is rolled
    back alone, written on the lead's timeline and retried by a task after commit, while the
    lead and the other steps keep their work. With `together` the steps share the caller's
    transaction without savepoints (two statements less per step) and the first failure raises
    IntakeStepFailed: the caller rolls back and saves the lead again without `together`. Steps
    rarely fail, so most leads never pay for a savepoint. Steps running together may also leave
    work for the end (`at_intake_end`): routing takes a team's turn there, so the team's row lock
    is held for the last few statements of the transaction only.
    """
    with workspace_scope(workspace), transaction.atomic(savepoint=False):
        if not together:
            for name in list(_STEPS):
                _run_step_in_savepoint(workspace, lead, name, is_new, fresh)
            return
        end_work: list[tuple[str, Callable[[], None]]] = []
        token = _at_end.set(end_work)
        try:
            for name in list(_STEPS):
                _run_step(
                    name,
                    partial(
                        _STEPS[name], workspace=workspace, lead=lead, is_new=is_new, fresh=fresh
                    ),
                )
            for name, work in end_work:
                _run_step(name, work)
        finally:
            _at_end.reset(token)


def _run_step(step: str, work: Callable[[], None]) -> None:
    token = _current_step.set(step)
    try:
        work()
    except Exception as exc:  # noqa: BLE001 - the caller saves the lead again, step by step
        logger.info("intake step failed step=%s, running the steps one by one", step)
        raise IntakeStepFailed(step) from exc
    finally:
        _current_step.reset(token)


def _locked_lead(workspace: Workspace, lead_id: int) -> Lead | None:
    """The lead under its row lock, with what every step reads of it (company, source, owner)
    in the same query. Only the lead's row is locked, not the rows joined to it."""
    return (
        Lead.objects.select_for_update(of=("self",))
        .select_related("account", "source", "owner__user")
        .filter(workspace=workspace, pk=lead_id)
        .first()
    )


def _run_step_in_savepoint(
    workspace: Workspace, lead: Lead, step: str, is_new: bool, fresh: bool
) -> None:
    try:
        with transaction.atomic(), logged_together():
            _STEPS[step](workspace=workspace, lead=lead, is_new=is_new, fresh=fresh)
    except Exception as exc:  # noqa: BLE001 - the lead is saved; any step failure is retried
        logger.exception("intake step failed step=%s lead_id=%s attempt=1", step, lead.pk)
        lead.refresh_from_db()  # the step's changes to the object were rolled back with it
        _step_failed(workspace, lead.pk, step, exc, attempt=1, is_new=is_new)


def run_intake_step(
    *, workspace: Workspace, lead_id: int, step: str, is_new: bool, attempt: int = 1
) -> bool:
    """Run one step in its own transaction. Returns whether it succeeded."""
    # Steps run after commit, maybe outside the request's scope: open the lead's own.
    with workspace_scope(workspace):
        return _run_intake_step(
            workspace=workspace, lead_id=lead_id, step=step, is_new=is_new, attempt=attempt
        )


def _run_intake_step(*, workspace: Workspace, lead_id: int, step: str, is_new: bool, attempt: int):
    try:
        with transaction.atomic():
            lead = _locked_lead(workspace, lead_id)
            if lead is None:
                raise Lead.DoesNotExist(f"lead {lead_id} is gone")
            _STEPS[step](workspace=workspace, lead=lead, is_new=is_new, fresh=False)
    except Exception as exc:  # noqa: BLE001 - the lead is saved; any step failure is retried
        logger.exception("intake step failed step=%s lead_id=%s attempt=%s", step, lead_id, attempt)
        _step_failed(workspace, lead_id, step, exc, attempt=attempt, is_new=is_new)
        return False
    return True


def _step_failed(
    workspace: Workspace, lead_id: int, step: str, exc: Exception, *, attempt: int, is_new: bool
) -> None:
    """Write the failure on the lead's timeline and retry the step later, after commit."""
    from leads import tasks  # tasks import this module to call back into it

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
