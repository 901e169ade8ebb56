"""Managers build cadences: create, change, switch on/off and delete cadences, and add, edit,
reorder and delete their steps. Every rule of a well-formed cadence is checked here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from cadences import templating
from cadences.models import Cadence, Enrollment, Step, Task, Touch
from cadences.services.branching import validate_branches
from cadences.services.enrollment import (
    LIVE,
    OPEN_TOUCHES,
    advance_many,
    complete,
    get_cadence,
    plan_touch,
)
from cadences.services.planning import step_after
from leadfollow.errors import Conflict, InvalidInput, NotFound
from leadfollow.models import Membership, Workspace
from leads.models import Activity
from leads.services.activities import log_activities
from scoring.conditions import validate_condition

MAX_VARIANTS = 3
MESSAGE_KINDS = (Step.Kind.EMAIL, Step.Kind.SMS)
VOICE_KINDS = (Step.Kind.VOICEMAIL_DROP, Step.Kind.RINGLESS)
CADENCE_FIELDS = (
    "name",
    "description",
    "auto_enroll",
    "enrollment_conditions",
    "business_days_only",
    "exclusive_group",
    "renurture_cadence_id",
    "renurture_after_days",
)
STEP_FIELDS = (
    "kind",
    "delay",
    "delay_unit",
    "delay_after",
    "window_start",
    "window_end",
    "subject",
    "body",
    "variants",
    "branches",
    "task_timeout_hours",
    "audio_url",
)


@transaction.atomic
def create_cadence(
    *, workspace: Workspace, values: dict[str, Any], actor: Membership | None = None
) -> Cadence:
    """A new cadence, switched on, with no steps yet."""
    cadence = Cadence(workspace=workspace)
    _apply_cadence(workspace, cadence, values)
    cadence.save()
    return cadence


@transaction.atomic
def update_cadence(
    *,
    workspace: Workspace,
    cadence_id: int,
    values: dict[str, Any],
    actor: Membership | None = None,
) -> Cadence:
    cadence = get_cadence(workspace=workspace, cadence_id=cadence_id)
    _apply_cadence(workspace, cadence, values)
    cadence.save()
    return cadence


def set_cadence_active(
    *, workspace: Workspace, cadence_id: int, is_active: bool, actor: Membership | None = None
) -> Cadence:
    """Switched off, a cadence takes no new leads; leads already in it carry on."""
    cadence = get_cadence(workspace=workspace, cadence_id=cadence_id)
    cadence.is_active = is_active
    cadence.save(update_fields=["is_active", "updated_at"])
    return cadence


@transaction.atomic
def delete_cadence(
    *, workspace: Workspace, cadence_id: int, actor: Membership | None = None
) -> None:
    """Only a cadence nobody was ever enrolled in can go: the others keep their history."""
    cadence = get_cadence(workspace=workspace, cadence_id=cadence_id)
    if Enrollment.objects.filter(workspace=workspace, cadence=cadence).exists():
        raise Conflict(
            f"Leads have been through “{cadence.name}”, so it keeps their history: "
            "switch it off instead."
        )
    cadence.delete()


@transaction.atomic
def add_step(
    *,
    workspace: Workspace,
    cadence_id: int,
    values: dict[str, Any],
    actor: Membership | None = None,
) -> Step:
    """A new last step."""
    cadence = get_cadence(workspace=workspace, cadence_id=cadence_id)
    steps = _locked_steps(workspace, cadence)
    step = Step(workspace=workspace, cadence=cadence, position=len(steps))
    _apply_step(step, values)
    step.save()
    return step


@transaction.atomic
def update_step(
    *, workspace: Workspace, step_id: int, values: dict[str, Any], actor: Membership | None = None
) -> Step:
    step = _step(workspace, step_id)
    _apply_step(step, values)
    step.save()
    return step


@dataclass(frozen=True)
class StepRemoval:
    """What removing a step did: the leads that were waiting on it moved on to `following`,
    or finished the cadence when it was the last step (`following` is None)."""

    moved: int
    following: Step | None


@transaction.atomic
def delete_step(
    *, workspace: Workspace, step_id: int, actor: Membership | None = None
) -> StepRemoval:
    """Take a step out of its cadence; the steps after it move up, and branches that jump past
    it follow them.

    A step no lead has reached is deleted. One leads have reached is removed but kept, so the
    touches it made stay on timelines and in reports: its pending touches (and their open
    tasks) are cancelled, and each live enrollment waiting on it moves on to the following step
    now, or completes when it was the last one. All in this transaction.
    """
    step = _step(workspace, step_id)
    steps = _locked_steps(workspace, step.cadence)
    rest = [s for s in steps if s.pk != step.pk]
    for other in rest:
        if any(_jumps_to(branch, step.position) for branch in other.branches or []):
            raise Conflict(
                f"Step {other.position + 1} has a branch that jumps to this step: "
                "change that branch first."
            )
    following = step_after(steps, step)
    if not Touch.objects.filter(workspace=workspace, step=step).exists():
        step.delete()
        _renumber(rest)
        return StepRemoval(moved=0, following=following)
    now = timezone.now()
    moved = _move_waiting_leads(workspace, step, following, steps, now)
    step.removed_at = now
    step.save(update_fields=["removed_at"])
    _renumber(rest)
    return StepRemoval(moved=moved, following=following)


def _move_waiting_leads(
    workspace: Workspace, step: Step, following: Step | None, steps: list[Step], now
) -> int:
    """Cancel the step's open touches and move their live enrollments past it."""
    if Touch.objects.filter(workspace=workspace, step=step, status=Touch.Status.SENDING).exists():
        raise Conflict("This step is being sent to a lead right now: try again in a minute.")
    touches = list(
        Touch.objects.select_for_update(of=("self",))
        .filter(workspace=workspace, step=step, status__in=OPEN_TOUCHES)
        .select_related("enrollment__cadence", "enrollment__lead")
        .order_by("pk")
    )
    if not touches:
        return 0
    ids = [touch.pk for touch in touches]
    Task.objects.filter(workspace=workspace, touch_id__in=ids, status=Task.Status.OPEN).update(
        status=Task.Status.CANCELLED, completed_at=now
    )
    Touch.objects.filter(pk__in=ids).update(status=Touch.Status.CANCELLED, finished_at=now)
    locked = {
        enrollment.pk: enrollment
        for enrollment in Enrollment.objects.select_for_update().filter(
            workspace=workspace, pk__in={touch.enrollment_id for touch in touches}, status__in=LIVE
        )
    }
    active, notes = [], []
    for touch in touches:
        enrollment = locked.get(touch.enrollment_id)
        if enrollment is None:
            continue
        enrollment.cadence, enrollment.lead = touch.enrollment.cadence, touch.enrollment.lead
        touch.step = step
        notes.append(_moved_note(workspace, enrollment, step, following, now))
        if enrollment.status == Enrollment.Status.ACTIVE:
            active.append((enrollment, touch))
        elif following is None:  # a paused lead on the last step: nothing is left to do
            complete(enrollment=enrollment, at=now)
        else:  # paused: the next touch waits, planned, until the cadence is resumed
            plan_touch(
                enrollment=enrollment,
                step=following,
                previous_done_at=now,
                now=now,
                sequence=touch.sequence + 1,
            )
    log_activities(notes)
    advance_many(moves=active, done_at=now, steps={step.cadence_id: steps})
    return len(notes)


def _moved_note(workspace, enrollment: Enrollment, step: Step, following: Step | None, now):
    # The following step takes the removed step's number once the steps are renumbered.
    where = (
        f"moved on to the next step ({following.get_kind_display().lower()})"
        if following
        else "that was its last step"
    )
    return Activity(
        workspace=workspace,
        lead=enrollment.lead,
        kind="cadence_step_removed",
        summary=f"Step {step.position + 1} was removed from “{enrollment.cadence.name}”: {where}",
        payload={"enrollment_id": enrollment.pk, "step_id": step.pk},
        occurred_at=now,
    )


@transaction.atomic
def move_step(
    *, workspace: Workspace, step_id: int, direction: str, actor: Membership | None = None
) -> Step:
    """Swap the step with its neighbour above or below; branches follow the steps they name."""
    if direction not in ("up", "down"):
        raise InvalidInput("Move a step up or down.", field="direction")
    step = _step(workspace, step_id)
    steps = _locked_steps(workspace, step.cadence)
    index = next(i for i, s in enumerate(steps) if s.pk == step.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(steps):
        raise InvalidInput(f"This step is already the {'first' if other < 0 else 'last'}.")
    steps[index], steps[other] = steps[other], steps[index]
    _renumber(steps)
    return next(s for s in steps if s.pk == step.pk)


def _step(workspace: Workspace, step_id: int) -> Step:
    step = Step.objects.filter(workspace=workspace, pk=step_id).select_related("cadence").first()
    if step is None:
        raise NotFound("No such step in this workspace.")
    return step


def _locked_steps(workspace: Workspace, cadence: Cadence) -> list[Step]:
    """The cadence's steps in order, locked, so two managers reordering at once take turns."""
    return list(
        Step.objects.select_for_update()
        .filter(workspace=workspace, cadence=cadence)
        .order_by("position", "pk")
    )


def _jumps_to(branch: dict, position: int) -> bool:
    return branch.get("then") == "goto" and branch.get("step") == position


def _renumber(steps: list[Step]) -> None:
    """Positions 0..n-1 in this order, and "goto" branches rewritten to the moved positions."""
    moved = {step.position: new for new, step in enumerate(steps)}
    for new, step in enumerate(steps):
        branches = [
            {**b, "step": moved.get(b.get("step"), b.get("step"))} if b.get("then") == "goto" else b
            for b in step.branches or []
        ]
        if step.position != new or branches != step.branches:
            step.position, step.branches = new, branches
            step.save(update_fields=["position", "branches"])


def _apply_cadence(workspace: Workspace, cadence: Cadence, values: dict[str, Any]) -> None:
    values = {field: values[field] for field in CADENCE_FIELDS if field in values}
    name = (values.get("name", cadence.name) or "").strip()
    if not name:
        raise InvalidInput("Give the cadence a name.", field="name")
    taken = Cadence.objects.filter(workspace=workspace, name__iexact=name).exclude(pk=cadence.pk)
    if taken.exists():
        raise Conflict(f"A cadence named “{name}” already exists.", field="name")
    conditions = values.get("enrollment_conditions", cadence.enrollment_conditions) or {}
    if conditions:
        validate_condition(conditions)  # InvalidRule names the bad part for the editor
    renurture_id = values.get("renurture_cadence_id", cadence.renurture_cadence_id)
    if renurture_id is not None:
        exists = Cadence.objects.filter(workspace=workspace, pk=renurture_id).exclude(pk=cadence.pk)
        if not exists.exists():
            raise InvalidInput(
                "Re-nurture into another cadence of this workspace.", field="renurture_cadence"
            )
    for field, value in values.items():
        setattr(cadence, field, value)
    cadence.name, cadence.enrollment_conditions = name, conditions


def _apply_step(step: Step, values: dict[str, Any]) -> None:
    for field in STEP_FIELDS:
        if field in values:
            setattr(step, field, values[field])
    if step.kind not in Step.Kind.values:
        raise InvalidInput("Choose what this step does.", field="kind")
    errors: dict[str, list[str]] = {}
    for field in ("subject", "body"):
        mistakes = templating.validate(getattr(step, field) or "")
        if mistakes:
            errors[field] = [str(mistake) for mistake in mistakes]
    if step.kind == Step.Kind.EMAIL and not step.subject.strip():
        errors.setdefault("subject", []).append("An email needs a subject.")
    if step.kind in MESSAGE_KINDS and not step.body.strip():
        errors.setdefault("body", []).append("Write the message.")
    if step.kind in VOICE_KINDS and not (step.audio_url or step.body.strip()):
        errors.setdefault("audio_url", []).append(
            "Give a recording's address, or write a script to be read out."
        )
    variant_errors = _variant_errors(step.variants)
    if variant_errors:
        errors["variants"] = variant_errors
    if bool(step.window_start) != bool(step.window_end):
        errors["window_end"] = ["Give both ends of the window, or neither."]
    elif step.window_start and step.window_start >= step.window_end:
        errors["window_end"] = ["The window must end after it starts."]
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, field=next(iter(errors)), errors=errors)
    step.branches = validate_branches(step.branches or [], cadence=step.cadence)


def _variant_errors(variants) -> list[str]:
    if not isinstance(variants, list):
        return ["Variants must be a list."]
    if len(variants) > MAX_VARIANTS:
        return [f"A step has at most {MAX_VARIANTS} variants."]
    errors = []
    for number, variant in enumerate(variants, 1):
        if not isinstance(variant, dict):
            errors.append(f"Variant {number} is not an object.")
            continue
        weight = variant.get("weight", 1)
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
            errors.append(f"Variant {number}: the weight is a whole number of 1 or more.")
        if not str(variant.get("body", "")).strip():
            errors.append(f"Variant {number}: write its message.")
        for field in ("subject", "body"):
            for mistake in templating.validate(str(variant.get(field, ""))):
                errors.append(f"Variant {number} {field}: {mistake}")
    return errors
