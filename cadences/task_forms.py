"""Forms of the Tasks page: complete with an outcome, move the due time, hand to someone else.

They check shape only; cadences/services/tasks.py checks the rules. The rows render their
inputs by hand (hundreds of rows, three small forms each), with the names these forms read.
"""

from __future__ import annotations

from django import forms

from cadences.models import Task
from leadfollow.models import Membership

Outcome = Task.Outcome
# What can happen on each kind of task, the likeliest first: the first choice is preselected.
OUTCOMES_BY_KIND = {
    Task.Kind.CALL: [
        Outcome.NO_ANSWER,
        Outcome.VOICEMAIL,
        Outcome.ANSWERED,
        Outcome.MEETING_BOOKED,
        Outcome.WRONG_NUMBER,
    ],
    Task.Kind.MANUAL: [Outcome.DONE, Outcome.MEETING_BOOKED],
    Task.Kind.FOLLOW_UP: [
        Outcome.DONE,
        Outcome.ANSWERED,
        Outcome.NO_ANSWER,
        Outcome.VOICEMAIL,
        Outcome.MEETING_BOOKED,
        Outcome.WRONG_NUMBER,
    ],
}
NOTE_LIMIT = 2000


class TaskCompleteForm(forms.Form):
    outcome = forms.ChoiceField(
        error_messages={
            "required": "Choose what happened.",
            "invalid_choice": "Choose one of the listed outcomes.",
        }
    )
    note = forms.CharField(
        required=False,
        max_length=NOTE_LIMIT,
        error_messages={"max_length": f"Keep the note under {NOTE_LIMIT} characters."},
    )

    def __init__(self, *args, task: Task, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [
            (outcome.value, outcome.label) for outcome in OUTCOMES_BY_KIND[Task.Kind(task.kind)]
        ]


class TaskRescheduleForm(forms.Form):
    # The browser sends local wall time; the active (workspace) time zone makes it aware.
    due_at = forms.DateTimeField(
        error_messages={"required": "Give the new due time.", "invalid": "Give a date and time."},
    )


class TaskReassignForm(forms.Form):
    assignee = forms.TypedChoiceField(
        coerce=int,
        error_messages={"invalid_choice": "Choose a member from the list."},
    )

    def __init__(self, *args, members: list[Membership], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            (member.pk, member.user.display_name) for member in members
        ]


def first_error(form: forms.Form) -> str:
    """The form's first message, for a one-line error on the task's row."""
    return next(iter(form.errors.values()))[0]
