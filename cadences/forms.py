"""Forms of the cadence pages. They check shape; cadences.services.builder checks the rules."""

from __future__ import annotations

import json

from django import forms

from cadences.models import Cadence, Enrollment, Step
from cadences.services.builder import MAX_VARIANTS

BRANCH_HELP = (
    "A list tried in order, e.g. "
    '<code>[{"when": "opened_no_reply", "then": "goto", "step": 3}]</code>. '
    "<b>when</b>: opened_no_reply, clicked, no_engagement:&lt;n&gt; (nothing opened or "
    "clicked in the last n touches), or outcome:&lt;answered, voicemail, no_answer, "
    "wrong_number, meeting_booked, done&gt;. <b>then</b>: goto (with <b>step</b>, the step's "
    "number), switch (with <b>cadence</b>, its id) or exit. Leave empty for none."
)


def _numbered(branches, shift: int):
    """Managers count steps from 1; positions count from 0."""
    if not isinstance(branches, list):
        return branches  # the service names the mistake
    return [
        {**b, "step": b["step"] + shift}
        if isinstance(b, dict) and isinstance(b.get("step"), int)
        else b
        for b in branches
    ]


class CadenceForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="For your team only."
    )
    auto_enroll = forms.BooleanField(
        required=False,
        label="Enroll new leads automatically",
        help_text="New leads that match the conditions below join this cadence when they arrive.",
    )
    business_days_only = forms.BooleanField(
        required=False,
        label="Business days only",
        help_text="Delays in days count business days, and nothing goes out on a weekend.",
    )
    exclusive_group = forms.CharField(
        max_length=60,
        required=False,
        help_text="Cadences with the same group never run for one lead at the same time.",
    )
    renurture_cadence = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Re-nurture cadence",
        help_text="A lead who never answered joins this cadence later.",
    )
    renurture_after_days = forms.IntegerField(
        min_value=1, max_value=365, initial=75, label="Re-nurture after (days)"
    )

    def __init__(self, *args, cadences=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["renurture_cadence"].choices = [("", "— none —")] + [
            (cadence.pk, cadence.name) for cadence in cadences
        ]

    @staticmethod
    def initial_for(cadence: Cadence) -> dict:
        fields = ("name", "description", "auto_enroll", "business_days_only", "exclusive_group")
        initial = {field: getattr(cadence, field) for field in fields}
        initial["renurture_cadence"] = cadence.renurture_cadence_id
        initial["renurture_after_days"] = cadence.renurture_after_days
        return initial

    def values(self, conditions: dict) -> dict:
        data = dict(self.cleaned_data)
        data["renurture_cadence_id"] = data.pop("renurture_cadence")
        data["enrollment_conditions"] = conditions
        return data


class StepForm(forms.Form):
    kind = forms.ChoiceField(choices=Step.Kind.choices, label="What happens")
    delay = forms.IntegerField(min_value=0, max_value=10_000, initial=1, label="Wait")
    delay_unit = forms.ChoiceField(choices=Step.Unit.choices, initial=Step.Unit.DAYS, label="Unit")
    delay_after = forms.ChoiceField(choices=Step.After.choices, label="Counted from")
    subject = forms.CharField(max_length=300, required=False, help_text="Emails only.")
    body = forms.CharField(
        required=False,
        label="Message",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "true"}),
        help_text="For calls and manual steps: what the rep should do. For voicemail: a script "
        "read out when there is no recording.",
    )
    audio_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Recording URL",
        help_text="Voicemail steps: the recording to play.",
    )
    window_start = forms.TimeField(
        required=False,
        label="Send window from",
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="Optional, in the lead's local time, inside your quiet hours.",
    )
    window_end = forms.TimeField(
        required=False, label="until", widget=forms.TimeInput(attrs={"type": "time"})
    )
    task_timeout_hours = forms.IntegerField(
        min_value=1,
        max_value=720,
        initial=24,
        label="Task timeout (hours)",
        help_text="Call and manual steps: how long the cadence waits for the rep.",
    )
    branches = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "mono"}),
        help_text=BRANCH_HELP,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number in range(1, MAX_VARIANTS + 1):
            self.fields[f"variant_subject_{number}"] = forms.CharField(
                max_length=300, required=False, label="Subject"
            )
            self.fields[f"variant_body_{number}"] = forms.CharField(
                required=False, label="Message", widget=forms.Textarea(attrs={"rows": 3})
            )
            self.fields[f"variant_weight_{number}"] = forms.IntegerField(
                min_value=1, max_value=100, required=False, label="Weight"
            )

    @property
    def main_fields(self) -> list:
        names = ("subject", "body", "audio_url")
        return [self[name] for name in names]

    @property
    def variant_rows(self) -> list[tuple[int, list]]:
        return [
            (n, [self[f"variant_{part}_{n}"] for part in ("subject", "body", "weight")])
            for n in range(1, MAX_VARIANTS + 1)
        ]

    @staticmethod
    def initial_for(step: Step) -> dict:
        fields = ("kind", "delay", "delay_unit", "delay_after", "subject", "body", "audio_url")
        initial = {field: getattr(step, field) for field in fields}
        initial.update(
            window_start=step.window_start,
            window_end=step.window_end,
            task_timeout_hours=step.task_timeout_hours,
            branches=json.dumps(_numbered(step.branches, +1)) if step.branches else "",
        )
        for number, variant in enumerate(step.variants or [], 1):
            initial[f"variant_subject_{number}"] = variant.get("subject", "")
            initial[f"variant_body_{number}"] = variant.get("body", "")
            initial[f"variant_weight_{number}"] = variant.get("weight", 1)
        return initial

    def clean_branches(self) -> list:
        text = self.cleaned_data["branches"].strip()
        if not text:
            return []
        try:
            branches = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"This is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}."
            ) from exc
        return _numbered(branches, -1)

    def values(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.base_fields}
        data["variants"] = []
        for number in range(1, MAX_VARIANTS + 1):
            subject = self.cleaned_data.get(f"variant_subject_{number}", "")
            body = self.cleaned_data.get(f"variant_body_{number}", "")
            if subject or body:
                weight = self.cleaned_data.get(f"variant_weight_{number}") or 1
                data["variants"].append({"subject": subject, "body": body, "weight": weight})
        return data


class EnrollmentFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "All"), *Enrollment.Status.choices], label="Status"
    )
