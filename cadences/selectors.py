"""Reads of the cadence pages: cadences with their live counts, steps, enrollments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from types import SimpleNamespace
from typing import Literal

from django.db.models import Count, Min, Q, QuerySet

from cadences import templating
from cadences.models import Cadence, Enrollment, Step, Task, Touch
from cadences.services import planning
from channels.compliance import PHONE_CHANNELS, lead_time_zone, next_window_opening
from channels.models import ChannelSettings
from leadfollow.errors import NotFound
from leadfollow.models import Workspace
from leads.models import Lead

SAMPLE_ZONE = "America/New_York"  # where preview_sample_context's lead lives


def _counted(status: str, **extra) -> Count:
    return Count("enrollments", filter=Q(enrollments__status=status, **extra), distinct=True)


def cadences_with_counts(*, workspace: Workspace) -> QuerySet[Cadence]:
    """Every cadence with its enrollment counts and step count, in one query."""
    return Cadence.objects.filter(workspace=workspace).annotate(
        enrolled_count=Count("enrollments", distinct=True),
        active_count=_counted(Enrollment.Status.ACTIVE),
        paused_count=_counted(Enrollment.Status.PAUSED),
        completed_count=_counted(Enrollment.Status.COMPLETED),
        replied_count=_counted(Enrollment.Status.EXITED, enrollments__exit_reason="replied"),
        step_count=Count("steps", filter=Q(steps__removed_at__isnull=True), distinct=True),
    )


def reply_rate(cadence: Cadence) -> float | None:
    """Replied / enrolled of an annotated cadence; None before anyone was enrolled."""
    if not cadence.enrolled_count:
        return None
    return cadence.replied_count / cadence.enrolled_count


def cadence_steps(*, workspace: Workspace, cadence: Cadence) -> QuerySet[Step]:
    return Step.objects.filter(workspace=workspace, cadence=cadence).order_by("position", "pk")


def leads_waiting_on_steps(*, workspace: Workspace, steps: list[Step]) -> dict[int, int]:
    """Per step id: how many leads in a live enrollment wait on it (its touch is planned, queued
    or with the rep), the leads removing the step would move on. One query."""
    rows = (
        Touch.objects.filter(
            workspace=workspace,
            step__in=steps,
            status__in=(Touch.Status.PENDING, Touch.Status.QUEUED, Touch.Status.WAITING),
            enrollment__status__in=(Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED),
        )
        .order_by()
        .values("step_id")
        .annotate(leads=Count("enrollment__lead_id", distinct=True))
    )
    return {row["step_id"]: row["leads"] for row in rows}


def get_step(*, workspace: Workspace, step_id: int) -> Step:
    step = Step.objects.filter(workspace=workspace, pk=step_id).select_related("cadence").first()
    if step is None:
        raise NotFound("No such step in this workspace.")
    return step


def other_cadences(*, workspace: Workspace, cadence: Cadence | None) -> QuerySet[Cadence]:
    """Cadences a lead can be re-nurtured into from `cadence`."""
    found = Cadence.objects.filter(workspace=workspace).order_by("name")
    return found.exclude(pk=cadence.pk) if cadence is not None and cadence.pk else found


def cadence_enrollments(
    *, workspace: Workspace, cadence: Cadence, status: str | None = None
) -> QuerySet[Enrollment]:
    """The cadence's enrollments, newest first, with the lead, the step and the next due touch."""
    found = Enrollment.objects.filter(workspace=workspace, cadence=cadence)
    if status:
        found = found.filter(status=status)
    return (
        found.select_related("lead", "current_step")
        .annotate(
            next_due_at=Min("touches__due_at", filter=Q(touches__status=Touch.Status.PENDING))
        )
        .order_by("-enrolled_at", "-pk")
    )


def get_cadence_enrollment(*, workspace: Workspace, enrollment_id: int) -> Enrollment:
    """One enrollment with what its row on the enrollments page shows."""
    found = (
        Enrollment.objects.filter(workspace=workspace, pk=enrollment_id)
        .select_related("lead", "cadence", "current_step")
        .annotate(
            next_due_at=Min("touches__due_at", filter=Q(touches__status=Touch.Status.PENDING))
        )
        .first()
    )
    if found is None:
        raise NotFound("No such enrollment in this workspace.")
    return found


@dataclass(frozen=True)
class PlannedMessage:
    label: str  # "" for the step's own text, else "Variant 2 (weight 3)"
    subject: str
    body: str
    missing: list[str]
    error: str = ""


@dataclass(frozen=True)
class PlannedStep:
    step: Step
    due_at: datetime  # in the lead's zone
    planned_at: datetime  # before quiet hours or the step's window moved it, lead's zone
    moved_because: str  # "quiet hours", "the step's window" or ""
    messages: list[PlannedMessage]


def preview_cadence(
    *, workspace: Workspace, cadence: Cadence, lead: Lead | None, now: datetime
) -> list[PlannedStep]:
    """Every step's message for the lead (or sample values) and when it would go out if the lead
    were enrolled now, in the lead's local time. Reads only: nothing is saved or sent."""
    if lead is None:
        lead = Lead(workspace=workspace, time_zone=SAMPLE_ZONE, first_name="Jordan")
        context = templating.preview_sample_context(now=now)
    else:
        context = templating.build_context(
            lead=lead, owner_membership=lead.owner, workspace=workspace, now=now
        )
    zone = lead_time_zone(lead, workspace)
    quiet = ChannelSettings.objects.filter(workspace=workspace).first() or ChannelSettings(
        workspace=workspace
    )
    enrollment = Enrollment(workspace=workspace, cadence=cadence, lead=lead, enrolled_at=now)
    planned, previous = [], None
    for step in cadence_steps(workspace=workspace, cadence=cadence):
        at = planning.due_at(step=step, enrollment=enrollment, lead=lead, previous_done_at=previous)
        due, reason = at, ""
        # Texts, calls and voicemail drops wait for the window (as the dispatcher does); a rep's
        # task is handed over at once and the rep picks the moment.
        if step.channel in PHONE_CHANNELS and not step.is_task:
            opening = next_window_opening(workspace=workspace, lead=lead, settings=quiet, now=due)
            if opening is not None:
                due = planning.business_opening(cadence, lead, opening)
                reason = "quiet hours"
        if step.window_start and step.window_end:
            window = SimpleNamespace(
                quiet_hours_start=step.window_start, quiet_hours_end=step.window_end
            )
            opening = next_window_opening(workspace=workspace, lead=lead, settings=window, now=due)
            if opening is not None:
                due, reason = opening, "the step's window"
        planned.append(
            PlannedStep(
                step, due.astimezone(zone), at.astimezone(zone), reason, _messages(step, context)
            )
        )
        previous = due
    return planned


def _messages(step: Step, context: dict) -> list[PlannedMessage]:
    sources = [("", step.subject, step.body)] + [
        (f"Variant {n} (weight {v.get('weight', 1)})", v.get("subject", ""), v.get("body", ""))
        for n, v in enumerate(step.variants or [], 1)
    ]
    messages = []
    for label, subject, body in sources:
        try:
            subject_out = templating.render(subject or "", context)
            body_out = templating.render(body or "", context)
        except templating.TemplateInvalid as exc:
            messages.append(PlannedMessage(label, subject, body, [], error=exc.message))
            continue
        missing = sorted(set(subject_out.missing) | set(body_out.missing))
        messages.append(PlannedMessage(label, subject_out.text, body_out.text, missing))
    return messages


def lead_enrollments(*, workspace: Workspace, lead) -> QuerySet[Enrollment]:
    """A lead's enrollments, live ones first, with the next due touch."""
    return (
        Enrollment.objects.filter(workspace=workspace, lead=lead)
        .select_related("cadence", "current_step")
        .annotate(
            next_due_at=Min("touches__due_at", filter=Q(touches__status=Touch.Status.PENDING))
        )
        .order_by("ended_at", "-enrolled_at")
    )


def enrollable_cadences(*, workspace: Workspace) -> QuerySet[Cadence]:
    return Cadence.objects.filter(workspace=workspace, is_active=True).order_by("name")


# The Tasks page: a rep's open tasks by when they are due.
TASK_HORIZON = timedelta(days=7)  # "upcoming" reaches this far past today
TASK_SECTION_LIMIT = 100  # rows shown per section; the counts stay exact
TaskOwner = int | Literal["all", "unassigned"]  # a member's id, everyone, or nobody


@dataclass(frozen=True)
class TaskSections:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    counts: dict[str, int]  # overdue, today, upcoming


def _task_bounds(workspace: Workspace, now: datetime) -> tuple[datetime, datetime]:
    """The end of today and of the upcoming week, on the workspace's calendar."""
    tomorrow = now.astimezone(workspace.tzinfo).date() + timedelta(days=1)
    end_of_today = datetime.combine(tomorrow, time.min, tzinfo=workspace.tzinfo)
    return end_of_today, end_of_today + TASK_HORIZON


def _open_tasks(workspace: Workspace, owner: TaskOwner) -> QuerySet[Task]:
    tasks = Task.objects.filter(workspace=workspace, status=Task.Status.OPEN)
    if owner == "unassigned":
        return tasks.filter(assignee__isnull=True)
    if owner == "all":
        return tasks
    return tasks.filter(assignee_id=owner)


def open_task_counts(*, workspace: Workspace, owner: TaskOwner, now: datetime) -> dict[str, int]:
    """How many open tasks are overdue, due later today and due in the coming week: one query."""
    end_of_today, horizon = _task_bounds(workspace, now)
    return _open_tasks(workspace, owner).aggregate(
        overdue=Count("id", filter=Q(due_at__lt=now)),
        today=Count("id", filter=Q(due_at__gte=now, due_at__lt=end_of_today)),
        upcoming=Count("id", filter=Q(due_at__gte=end_of_today, due_at__lt=horizon)),
    )


def task_sections(*, workspace: Workspace, owner: TaskOwner, now: datetime) -> TaskSections:
    """Open tasks overdue, due today and upcoming, soonest first, with their lead, assignee and
    cadence step loaded: four queries whatever the number of rows."""
    end_of_today, horizon = _task_bounds(workspace, now)
    rows = _open_tasks(workspace, owner).select_related(
        "lead__account", "assignee__user", "touch__step", "touch__enrollment__cadence"
    )
    ordered = rows.order_by("due_at", "pk")
    return TaskSections(
        overdue=list(ordered.filter(due_at__lt=now)[:TASK_SECTION_LIMIT]),
        today=list(ordered.filter(due_at__gte=now, due_at__lt=end_of_today)[:TASK_SECTION_LIMIT]),
        upcoming=list(
            ordered.filter(due_at__gte=end_of_today, due_at__lt=horizon)[:TASK_SECTION_LIMIT]
        ),
        counts=open_task_counts(workspace=workspace, owner=owner, now=now),
    )


def get_open_task(*, workspace: Workspace, task_id: int) -> Task:
    """One task with what its row on the Tasks page shows."""
    task = (
        Task.objects.filter(workspace=workspace, pk=task_id)
        .select_related(
            "lead__account", "assignee__user", "touch__step", "touch__enrollment__cadence"
        )
        .first()
    )
    if task is None:
        raise NotFound("No such task in this workspace.")
    return task


def task_counts_by_assignee(
    *, workspace: Workspace, member_ids: list[int], now: datetime
) -> dict[int, dict[str, int]]:
    """Per member: open tasks overdue and due later today (the team board's columns), one query."""
    end_of_today, _ = _task_bounds(workspace, now)
    rows = (
        Task.objects.filter(
            workspace=workspace, status=Task.Status.OPEN, assignee_id__in=member_ids
        )
        .values("assignee_id")
        .annotate(
            overdue=Count("id", filter=Q(due_at__lt=now)),
            due_today=Count("id", filter=Q(due_at__gte=now, due_at__lt=end_of_today)),
        )
    )
    return {
        row["assignee_id"]: {"overdue": row["overdue"], "due_today": row["due_today"]}
        for row in rows
    }
