"""Branches: what the lead did after a step (opened, clicked, nothing, the rep's call outcome)
decides whether the cadence jumps to a step, switches cadence or exits.

A step's branches are `[{"when": "<event>", "then": "goto|switch|exit", "step": <position>,
"cadence": <id>}]`, tried in order. Events: `opened_no_reply`, `clicked`, `no_engagement:<n>`
(nothing opened or clicked in the last n touches), `outcome:<task outcome>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cadences.models import Cadence, Enrollment, Step, Touch
from channels.models import Message
from leadfollow.errors import InvalidInput
from scoring.conditions import evaluate, referenced_fields
from scoring.facts import lead_facts

EVENTS = ("opened_no_reply", "clicked", "no_engagement", "outcome")
ACTIONS = ("goto", "switch", "exit")
TASK_OUTCOMES = ("answered", "voicemail", "no_answer", "wrong_number", "meeting_booked", "done")


@dataclass(frozen=True)
class Redirect:
    action: str
    step: Step | None = None
    cadence: Cadence | None = None
    reason: str = "exit_conditions"


def validate_branches(branches, *, cadence: Cadence) -> list[dict]:
    """Check a step's branches at save; the message names the bad branch."""
    if not isinstance(branches, list):
        raise InvalidInput("Branches must be a list.", field="branches")
    positions = set(cadence.steps.values_list("position", flat=True)) if cadence.pk else set()
    for number, branch in enumerate(branches, 1):
        where = f"Branch {number}"
        if not isinstance(branch, dict):
            raise InvalidInput(f"{where} is not an object.", field="branches")
        event, _, argument = str(branch.get("when", "")).partition(":")
        if event not in EVENTS:
            raise InvalidInput(
                f"{where}: “{event}” is not one of {', '.join(EVENTS)}.", field="branches"
            )
        if event == "no_engagement" and not argument.isdigit():
            raise InvalidInput(f"{where}: write no_engagement:<number of steps>.", field="branches")
        if event == "outcome" and argument not in TASK_OUTCOMES:
            raise InvalidInput(
                f"{where}: the outcome must be one of {', '.join(TASK_OUTCOMES)}.", field="branches"
            )
        action = branch.get("then")
        if action not in ACTIONS:
            raise InvalidInput(f"{where}: then must be goto, switch or exit.", field="branches")
        if action == "goto" and branch.get("step") not in positions:
            raise InvalidInput(f"{where}: jump to a step of this cadence.", field="branches")
        if (
            action == "switch"
            and not Cadence.objects.filter(workspace=cadence.workspace, pk=branch.get("cadence"))
            .exclude(pk=cadence.pk)
            .exists()
        ):
            raise InvalidInput(
                f"{where}: switch to another cadence of this workspace.", field="branches"
            )
    return branches


def redirect_for(*, touch: Touch, now) -> Redirect | None:
    """Before a touch goes out: does a branch of the step just done send the lead elsewhere?"""
    if touch.sequence <= 1:
        return None
    previous = (
        Touch.objects.filter(
            workspace=touch.workspace, enrollment=touch.enrollment, sequence=touch.sequence - 1
        )
        .select_related("step", "message")
        .first()
    )
    if previous is None or previous.status not in (Touch.Status.SENT, Touch.Status.DONE):
        return None
    return _first_match(previous, touch.enrollment)


def target_after_outcome(*, touch: Touch) -> Redirect | None:
    """A task's outcome was logged: the branch for that outcome, if the step has one."""
    return _first_match(touch, touch.enrollment)


def _first_match(done: Touch, enrollment: Enrollment) -> Redirect | None:
    for branch in done.step.branches or []:
        if _happened(branch.get("when", ""), done, enrollment):
            return _redirect(branch, enrollment)
    return None


def _happened(when: str, done: Touch, enrollment: Enrollment) -> bool:
    event, _, argument = when.partition(":")
    message: Message | None = done.message
    if event == "opened_no_reply":
        return bool(message and message.opened_at and not message.replied_at)
    if event == "clicked":
        return bool(message and message.clicked_at)
    if event == "outcome":  # a rep's task outcome, or how an automated call ended
        return argument in (done.outcome, message.details.get("outcome") if message else None)
    if event == "no_engagement" and argument.isdigit():
        recent = Touch.objects.filter(
            workspace=enrollment.workspace, enrollment=enrollment, message__isnull=False
        ).order_by("-sequence")[: int(argument)]
        messages = [t.message for t in recent.select_related("message")]
        return len(messages) >= int(argument) and not any(
            m.opened_at or m.clicked_at or m.replied_at for m in messages
        )
    return False


def _redirect(branch: dict, enrollment: Enrollment) -> Redirect | None:
    action = branch.get("then")
    if action == "exit":
        return Redirect("exit", reason="branch")
    if action == "switch":
        cadence = Cadence.objects.filter(
            workspace=enrollment.workspace, pk=branch.get("cadence"), is_active=True
        ).first()
        return Redirect("switch", cadence=cadence) if cadence else None
    step = Step.objects.filter(
        workspace=enrollment.workspace, cadence=enrollment.cadence, position=branch.get("step")
    ).first()
    return Redirect("goto", step=step) if step else None


def meets_exit_conditions(*, workspace, enrollment: Enrollment, now) -> bool:
    conditions = enrollment.cadence.exit_conditions
    if not conditions:
        return False
    facts = lead_facts(
        workspace=workspace, lead=enrollment.lead, needed=referenced_fields(conditions), now=now
    )
    return evaluate(conditions, facts)
