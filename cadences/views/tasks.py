"""The Tasks page: a rep's open tasks by due time, completed with an outcome, moved or handed on.

Every row action works as a plain form post (redirect back with a message) and through htmx:
completing removes the row and refreshes the counts; moving or handing on re-renders the board,
because the task may change section or leave the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from cadences import selectors
from cadences.models import Task
from cadences.services.tasks import (
    OUTCOME_SUMMARY,
    complete_task,
    ensure_may_work_on,
    reassign_task,
    reschedule_task,
)
from cadences.task_forms import (
    TaskCompleteForm,
    TaskReassignForm,
    TaskRescheduleForm,
    first_error,
)
from leadfollow.errors import DomainError, Forbidden
from leadfollow.models import Role
from leadfollow.roles import member_required
from leadfollow.selectors import get_membership, workspace_members

EVERYONE = {"all": "Everyone's tasks", "unassigned": "Tasks nobody owns"}


@dataclass(frozen=True)
class Whose:
    owner: selectors.TaskOwner
    who: str  # the ?who= value that shows them again
    heading: str

    @property
    def query(self) -> str:
        return "" if self.who == "me" else f"?{urlencode({'who': self.who})}"


def _whose(request: HttpRequest) -> Whose:
    """Whose tasks to show, from ?who=: yours by default; managers may pick anyone."""
    who = request.GET.get("who") or "me"
    me = request.membership
    if who in ("me", str(me.pk)):
        return Whose(me.pk, "me", "Your tasks")
    if not me.has_role(Role.MANAGER):
        raise Forbidden("Only managers look at other people's tasks.")
    if who in EVERYONE:
        return Whose(who, who, EVERYONE[who])
    member_id = int(who) if who.isdigit() else 0  # 0 is nobody's id: a clean 404
    member = get_membership(workspace=request.workspace, membership_id=member_id)
    return Whose(member.pk, str(member.pk), f"{member.user.display_name}'s tasks")


def _context(request: HttpRequest, whose: Whose, **extra) -> dict:
    sections = selectors.task_sections(
        workspace=request.workspace, owner=whose.owner, now=timezone.now()
    )
    shown = {task.pk for task in chain(sections.overdue, sections.today, sections.upcoming)}
    # A task that left the list meanwhile (closed by someone else) has no row for its error.
    lost = [error for pk, error in extra.get("row_errors", {}).items() if pk not in shown]
    return {
        "sections": sections,
        "board_error": lost[0] if lost else "",
        "members": list(workspace_members(workspace=request.workspace)),
        "who": whose.who,
        "who_query": whose.query,
        "heading": whose.heading,
        "can_switch": request.membership.has_role(Role.MANAGER),
        "row_errors": {},
        "posted": {},
        **extra,
    }


@member_required()
def task_list(request: HttpRequest) -> HttpResponse:
    whose = _whose(request)
    context = _context(request, whose)
    wants_board = request.htmx and not request.htmx.history_restore_request
    template = "cadences/_task_board.html" if wants_board else "cadences/tasks.html"
    return render(request, template, context)


@member_required()
@require_POST
def task_complete(request: HttpRequest, task_id: int) -> HttpResponse:
    """Close the task with an outcome (and an optional note) that moves its cadence on."""
    whose = _whose(request)
    task = selectors.get_open_task(workspace=request.workspace, task_id=task_id)
    ensure_may_work_on(actor=request.membership, task=task)
    form = TaskCompleteForm(request.POST, task=task)
    error = None if form.is_valid() else first_error(form)
    if error is None:
        try:
            complete_task(
                workspace=request.workspace,
                task_id=task.pk,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"].strip(),
                actor=request.membership,
            )
        except DomainError as exc:
            error = exc.message
    if error is not None:
        return _row_failed(request, whose, task, error)
    done = f"Done: {task.title} ({OUTCOME_SUMMARY[form.cleaned_data['outcome']].lower()})."
    if not request.htmx:
        messages.success(request, done)
        return redirect(reverse("cadences:task-list") + whose.query)
    counts = selectors.open_task_counts(
        workspace=request.workspace, owner=whose.owner, now=timezone.now()
    )
    return render(request, "cadences/_task_done.html", {"counts": counts, "done": done})


def _row_failed(request: HttpRequest, whose: Whose, task: Task, error: str) -> HttpResponse:
    """The row again with its error and what was typed: alone for htmx, else the page as a 400."""
    context = _context(request, whose, row_errors={task.pk: error}, posted={task.pk: request.POST})
    if request.htmx:  # htmx swaps only 2xx answers
        return render(request, "cadences/_task_row.html", {**context, "task": task})
    return render(request, "cadences/tasks.html", context, status=400)


def _change(
    request: HttpRequest,
    task_id: int,
    bound: forms.Form,
    apply: Callable[[Task, dict], Task],
    done: str,
) -> HttpResponse:
    """Reschedule and reassign: check, apply, then the board again (htmx) or a redirect."""
    whose = _whose(request)
    task = selectors.get_open_task(workspace=request.workspace, task_id=task_id)
    ensure_may_work_on(actor=request.membership, task=task)
    error = None if bound.is_valid() else first_error(bound)
    if error is None:
        try:
            apply(task, bound.cleaned_data)
        except DomainError as exc:
            error = exc.message
    if error is not None:
        context = _context(
            request, whose, row_errors={task.pk: error}, posted={task.pk: request.POST}
        )
        template = "cadences/_task_board.html" if request.htmx else "cadences/tasks.html"
        return render(request, template, context, status=200 if request.htmx else 400)
    if not request.htmx:
        messages.success(request, done.format(title=task.title))
        return redirect(reverse("cadences:task-list") + whose.query)
    context = _context(request, whose, status_text=done.format(title=task.title))
    return render(request, "cadences/_task_board.html", context)


@member_required()
@require_POST
def task_reschedule(request: HttpRequest, task_id: int) -> HttpResponse:
    def apply(task: Task, data: dict) -> Task:
        return reschedule_task(
            workspace=request.workspace,
            task_id=task.pk,
            due_at=data["due_at"],
            actor=request.membership,
        )

    form = TaskRescheduleForm(request.POST)
    return _change(request, task_id, form, apply, "Moved: {title}.")


@member_required()
@require_POST
def task_reassign(request: HttpRequest, task_id: int) -> HttpResponse:
    def apply(task: Task, data: dict) -> Task:
        return reassign_task(
            workspace=request.workspace,
            task_id=task.pk,
            assignee_id=data["assignee"],
            actor=request.membership,
        )

    form = TaskReassignForm(
        request.POST, members=list(workspace_members(workspace=request.workspace))
    )
    return _change(request, task_id, form, apply, "Handed over: {title}.")
