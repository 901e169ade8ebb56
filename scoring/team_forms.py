"""The team board's reassign form. It checks shape; scoring/services/reassignment.py the rules."""

from __future__ import annotations

from django import forms

from leadfollow.models import Membership
from leads.lead_forms import LeadIdsField


class LeadReassignForm(forms.Form):
    lead_ids = LeadIdsField(error_messages={"required": "Tick at least one lead to move."})
    to = forms.TypedChoiceField(
        coerce=int,
        error_messages={
            "required": "Choose who takes the leads.",
            "invalid_choice": "Choose a member from the list.",
        },
    )
    from_rep = forms.IntegerField(widget=forms.HiddenInput)
    team = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, members: list[Membership]):
        super().__init__(data)
        self.fields["to"].choices = [(member.pk, member.user.display_name) for member in members]

    def first_error(self) -> str:
        return next(iter(self.errors.values()))[0]
