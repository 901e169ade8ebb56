"""Template helpers of the Tasks page: due times in words, outcomes per kind, per-row state."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from cadences.models import Task
from cadences.task_forms import OUTCOMES_BY_KIND

register = template.Library()


@register.filter
def due_text(due_at: datetime) -> str:
    """ "in 20 min", "3 h overdue", "in 2 days": how far the due time is from now."""
    seconds = (due_at - timezone.now()).total_seconds()
    minutes = int(abs(seconds) // 60)
    if minutes < 1:
        return "due now"
    if minutes < 60:
        text = f"{minutes} min"
    elif minutes < 24 * 60:
        text = f"{minutes // 60} h"
    else:
        days = round(minutes / (24 * 60))
        text = f"{days} day{'s' if days != 1 else ''}"
    return f"in {text}" if seconds > 0 else f"{text} overdue"


@register.filter
def task_outcomes(task: Task) -> list[tuple[str, str]]:
    """The outcomes offered for this kind of task, the likeliest first."""
    return [(outcome.value, outcome.label) for outcome in OUTCOMES_BY_KIND[Task.Kind(task.kind)]]


@register.filter
def for_task(values: dict, task_id: int):
    """This row's entry of a per-task dict (its error, what was typed): None when it has none."""
    return values.get(task_id)
