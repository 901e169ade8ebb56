"""The one filter form every report shares: dates in the workspace's zone, team, rep, source
and cadence. Pages and the API both validate through it, so they refuse the same input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.http import urlencode

from cadences.models import Cadence
from leadfollow.models import Membership, Workspace
from leads.models import LeadSource
from scoring.models import Team

DEFAULT_DAYS = 30
MAX_DAYS = 366
MAX_ID = 2**31 - 1
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True)
class ReportFilters:
    """Validated filters. `starts_at`/`ends_at` bound the intake time: [start, end)."""

    date_from: date
    date_to: date
    tz: ZoneInfo
    team: Team | None = None
    rep: Membership | None = None
    source: LeadSource | None = None
    cadence: Cadence | None = None

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.date_from, time.min, tzinfo=self.tz)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=self.tz)

    def as_params(self) -> dict[str, str]:
        params = {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat()}
        for name in ("team", "rep", "source", "cadence"):
            if (value := getattr(self, name)) is not None:
                params[name] = str(value.pk)
        return params

    def as_query(self) -> str:
        return urlencode(self.as_params())

    def as_json(self) -> dict:
        params = self.as_params()
        return {
            **params,
            "time_zone": str(self.tz),
            **{name: int(params[name]) if name in params else None for name in _CHOICES},
        }


_CHOICES = ("team", "rep", "source", "cadence")


class IdChoiceField(forms.ModelChoiceField):
    """A choice by id that refuses non-numbers and ids too large for the database up front."""

    def to_python(self, value):
        if value not in self.empty_values and not (str(value).isdigit() and int(value) <= MAX_ID):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class MemberChoiceField(IdChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.display_name


_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(label="From", required=False, widget=_DATE)
    date_to = forms.DateField(label="To", required=False, widget=_DATE)
    team = IdChoiceField(Team.objects.none(), required=False, empty_label="All teams")
    rep = MemberChoiceField(Membership.objects.none(), required=False, empty_label="All reps")
    source = IdChoiceField(LeadSource.objects.none(), required=False, empty_label="All sources")
    cadence = IdChoiceField(Cadence.objects.none(), required=False, empty_label="All cadences")

    def __init__(self, data, *, workspace: Workspace, viewer: Membership | None):
        super().__init__(data)
        self.workspace, self.viewer = workspace, viewer
        self.sees_everyone = viewer is None or viewer.has_role("manager")
        members = Membership.objects.filter(workspace=workspace, is_active=True)
        if not self.sees_everyone:
            members = members.filter(pk=viewer.pk)
            del self.fields["team"]
        else:
            self.fields["team"].queryset = Team.objects.filter(workspace=workspace)
        self.fields["rep"].queryset = members.select_related("user").order_by("user__email")
        self.fields["source"].queryset = LeadSource.objects.filter(workspace=workspace)
        self.fields["cadence"].queryset = Cadence.objects.filter(workspace=workspace)
        for name in ("team", "rep", "source", "cadence"):
            if name in self.fields:
                self.fields[name].error_messages["invalid_choice"] = (
                    f"Pick a {name} of this workspace from the list."
                )

    def clean(self) -> dict:
        data = super().clean()
        today = timezone.localdate(timezone=self.workspace.tzinfo)
        if "date_from" in self.errors or "date_to" in self.errors:
            return data
        date_to = data.get("date_to") or today
        if not EARLIEST <= date_to <= LATEST:
            self.add_error("date_to", "Pick a date between 2000 and 2100.")
            return data
        date_from = data.get("date_from") or date_to - timedelta(days=DEFAULT_DAYS - 1)
        if not EARLIEST <= date_from <= LATEST:
            self.add_error("date_from", "Pick a date between 2000 and 2100.")
        elif date_from > date_to:
            self.add_error("date_to", "The end date must be on or after the start date.")
        elif (date_to - date_from).days >= MAX_DAYS:
            self.add_error("date_from", f"Pick a range of at most {MAX_DAYS} days.")
        data["date_from"], data["date_to"] = date_from, date_to
        return data

    def report_filters(self) -> ReportFilters:
        """The validated filters; a rep's figures are always their own."""
        data = self.cleaned_data
        rep = data.get("rep") if self.sees_everyone else self.viewer
        return ReportFilters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            tz=self.workspace.tzinfo,
            team=data.get("team"),
            rep=rep,
            source=data.get("source"),
            cadence=data.get("cadence"),
        )


def parse_filters(
    params, *, workspace: Workspace, viewer: Membership | None
) -> tuple[ReportFilterForm, ReportFilters | None]:
    """Validate query parameters; the filters are None when the form has errors."""
    form = ReportFilterForm(params, workspace=workspace, viewer=viewer)
    if not form.is_valid():
        return form, None
    filters = form.report_filters()
    # The form shows the dates it used, also when they were left out and defaulted.
    form.data = {**params.dict(), **filters.as_params()}
    return form, filters
