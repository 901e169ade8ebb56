"""The inbox's view switch, section chips, filters and search, read from the query string.

Shape only and no queries: the live view reads the same form every few seconds. The select
choices (sources, bands, cadences) are attached only when the page renders them.
"""

from __future__ import annotations

from django import forms

from leadfollow.models import Membership, Role
from leads.inbox import SECTIONS, VIEWS, InboxFilters
from leads.models import Lead


class InboxFilterForm(forms.Form):
    view = forms.ChoiceField(
        label="Whose", required=False, widget=forms.RadioSelect, choices=VIEWS.items()
    )
    section = forms.ChoiceField(required=False, widget=forms.RadioSelect)
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Name, email, phone or company",
                "autocomplete": "off",
                "aria-keyshortcuts": "/",
            }
        ),
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *Lead.Status.choices], required=False)
    source = forms.IntegerField(required=False, min_value=1, widget=forms.Select)
    band = forms.CharField(required=False, max_length=32, widget=forms.Select)
    cadence = forms.IntegerField(label="Cadence", required=False, min_value=1, widget=forms.Select)

    def __init__(self, data, *, membership: Membership):
        super().__init__(data, auto_id="inbox_%s")
        if not membership.has_role(Role.MANAGER):
            self.fields["view"].choices = [(k, v) for k, v in VIEWS.items() if k != "team"]
        self.fields["section"].choices = [("", "Everything"), *SECTIONS.items()]

    def with_choices(
        self,
        *,
        sources: list[tuple[int, str]],
        bands: list[str],
        cadences: list[tuple[int, str]],
    ) -> InboxFilterForm:
        """Attach the select options for the page (the live view never renders them)."""
        self.fields["source"].widget.choices = [("", "Any source"), *sources]
        self.fields["band"].widget.choices = [("", "Any band"), *((b, b.title()) for b in bands)]
        self.fields["cadence"].widget.choices = [("", "Any cadence"), *cadences]
        return self

    def filters(self) -> InboxFilters:
        """The valid values; a bad one is ignored (and shown on its field) so the rest apply."""
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        return InboxFilters(
            view=data.get("view") or "mine",
            section=data.get("section") or "",
            status=data.get("status") or "",
            source_id=data.get("source"),
            band=data.get("band") or "",
            cadence_id=data.get("cadence"),
            q=(data.get("q") or "").strip(),
        )
