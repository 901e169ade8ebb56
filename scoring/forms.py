"""Browser forms of the rules pages. They check shape; the services check the rules."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms

from leadfollow.forms import time_zone_choices
from leadfollow.models import Membership, Workspace
from scoring.models import Notification, RepAvailability, ScoringRule, SlaPolicy, Team
from scoring.services.scores import ENGAGEMENT_KINDS
from scoring.services.teams import Seat

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
UNASSIGNED = ""


def member_choices(members: list[Membership]) -> list[tuple[str, str]]:
    return [(str(member.pk), member.user.display_name) for member in members]


class ScoringRuleForm(forms.Form):
    name = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    points = forms.IntegerField(
        min_value=-1000,
        max_value=1000,
        help_text="Negative points take away: a free-mail address might be −10.",
    )
    activity_kind = forms.ChoiceField(
        label="When the lead…",
        choices=[("", "— choose —"), *ENGAGEMENT_KINDS.items()],
        required=False,
        help_text="Points count for each time it happens, and fade with the half-life below.",
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind == ScoringRule.Kind.FIT:
            del self.fields["activity_kind"]
        else:
            self.fields["activity_kind"].required = True

    def values(self, conditions: dict) -> dict:
        return {
            **self.cleaned_data,
            "kind": self.kind,
            "conditions": conditions,
            "activity_kind": self.cleaned_data.get("activity_kind", ""),
        }


class RoutingRuleForm(forms.Form):
    name = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    target = forms.ChoiceField(label="Send matching leads to")

    def __init__(self, *args, members: list[Membership], teams: list[Team], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [
            ("", "— choose —"),
            ("Teams", [(f"team:{team.pk}", f"{team.name} (team)") for team in teams]),
            ("Reps", [(f"member:{m.pk}", m.user.display_name) for m in members]),
        ]

    def values(self, conditions: dict) -> dict:
        kind, _, pk = self.cleaned_data["target"].partition(":")
        return {
            "name": self.cleaned_data["name"],
            "conditions": conditions,
            "member_id": int(pk) if kind == "member" else None,
            "team_id": int(pk) if kind == "team" else None,
        }


def routing_initial(rule) -> dict:
    target = f"member:{rule.member_id}" if rule.member_id else f"team:{rule.team_id}"
    return {"name": rule.name, "target": target}


class SlaPolicyForm(forms.Form):
    name = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    minutes = forms.IntegerField(
        label="First touch within (minutes)", min_value=1, max_value=60 * 24 * 30
    )
    met_by = forms.ChoiceField(label="What counts as the first touch", choices=SlaPolicy.MetBy)
    business_hours_only = forms.BooleanField(
        label="The clock runs only in business hours",
        required=False,
        help_text="Weekly hours of the workspace settings, minus the holidays on this page.",
    )
    warn_at_percent = forms.IntegerField(
        label="Warn the owner at (% of the time)", min_value=1, max_value=99, initial=80
    )
    reassign_on_breach = forms.BooleanField(
        label="On breach, give the lead to the next available rep", required=False
    )

    def values(self, conditions: dict) -> dict:
        return {**self.cleaned_data, "conditions": conditions}


class ScoreSettingsForm(forms.Form):
    engagement_half_life_days = forms.IntegerField(
        label="Engagement half-life (days)",
        min_value=1,
        max_value=365,
        help_text="After this many days an activity counts for half its points.",
    )

    def __init__(self, *args, bands: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.band_names = [band["name"] for band in bands]
        for index, band in enumerate(bands[:-1]):
            self.fields[f"band_{index}"] = forms.IntegerField(
                label=f"{band['name'].capitalize()} from", min_value=-10000, max_value=10000
            )
            self.initial.setdefault(f"band_{index}", band["min"])

    def bands(self) -> list[dict]:
        floors = [self.cleaned_data[f"band_{i}"] for i in range(len(self.band_names) - 1)]
        return [
            {"name": name, "min": floor}
            for name, floor in zip(self.band_names, [*floors, None], strict=True)
        ]


class FallbackForm(forms.Form):
    fallback_owner = forms.ChoiceField(label="Leads no rule takes go to", required=False)

    def __init__(self, *args, members: list[Membership], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fallback_owner"].choices = [
            (UNASSIGNED, "The unassigned queue"),
            *member_choices(members),
        ]

    def owner_id(self) -> int | None:
        value = self.cleaned_data["fallback_owner"]
        return int(value) if value else None


class TeamForm(forms.Form):
    """Name, strategy and manager; the seats are one checkbox and weight per member."""

    name = forms.CharField(max_length=120)
    strategy = forms.ChoiceField(label="Share leads by", choices=Team.Strategy)
    manager = forms.ChoiceField(
        label="Team manager",
        required=False,
        help_text="Told when a lead of this team breaches its SLA.",
    )

    def __init__(self, *args, members: list[Membership], seats: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members
        self.fields["manager"].choices = [("", "— nobody —"), *member_choices(members)]
        data = self.data if self.is_bound else None
        self.seat_rows = []
        for member in members:
            chosen = (
                data.get(f"seat-{member.pk}") == "on" if data is not None else member.pk in seats
            )
            weight = (
                data.get(f"weight-{member.pk}", "1")
                if data is not None
                else seats.get(member.pk, 1)
            )
            self.seat_rows.append({"member": member, "chosen": chosen, "weight": weight})

    def clean(self):
        cleaned = super().clean()
        seats = []
        for row in self.seat_rows:
            if not row["chosen"]:
                continue
            try:
                weight = int(row["weight"])
            except (TypeError, ValueError):
                weight = 0
            if not 1 <= weight <= 100:
                self.add_error(
                    None, f"Give {row['member'].user.display_name} a weight of 1 to 100."
                )
                row["invalid"] = True
            seats.append(Seat(row["member"].pk, weight))
        cleaned["seats"] = seats
        return cleaned

    def manager_id(self) -> int | None:
        value = self.cleaned_data.get("manager")
        return int(value) if value else None


class AvailabilityForm(forms.Form):
    is_available = forms.BooleanField(
        label="Taking new leads", required=False, help_text="Off: routing skips you entirely."
    )
    time_zone = forms.ChoiceField(
        choices=lambda: [("", "The workspace's time zone"), *time_zone_choices()], required=False
    )
    daily_cap = forms.IntegerField(
        label="At most new leads a day", min_value=1, max_value=10000, required=False
    )
    open_cap = forms.IntegerField(
        label="At most open leads at once", min_value=1, max_value=10000, required=False
    )
    # Every alert shows under the bell; these choose which also come by email or text.
    email_kinds = forms.MultipleChoiceField(
        label="By email",
        choices=Notification.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sms_kinds = forms.MultipleChoiceField(
        label="By text",
        choices=Notification.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    mobile_phone = forms.CharField(label="Mobile number for texts", max_length=20, required=False)

    def __init__(self, *args, availability: RepAvailability, **kwargs):
        hours = availability.working_hours or {}
        initial = {
            field: getattr(availability, field)
            for field in (
                "is_available",
                "time_zone",
                "daily_cap",
                "open_cap",
                "mobile_phone",
            )
        }
        initial["email_kinds"] = availability.email_kinds if availability.notify_by_email else []
        initial["sms_kinds"] = availability.sms_kinds if availability.notify_by_sms else []
        for day in range(7):
            spans = hours.get(str(day)) or []
            initial[f"day_{day}_on"] = bool(spans)
            initial[f"day_{day}_start"] = spans[0][0] if spans else "09:00"
            initial[f"day_{day}_end"] = spans[0][1] if spans else "17:00"
        super().__init__(*args, initial=initial, **kwargs)
        self.day_rows = []
        for day, label in enumerate(DAYS):
            self.fields[f"day_{day}_on"] = forms.BooleanField(label=label, required=False)
            for part in ("start", "end"):
                self.fields[f"day_{day}_{part}"] = forms.TimeField(
                    label=f"{label} {'from' if part == 'start' else 'until'}",
                    required=False,
                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                )
            self.day_rows.append(
                [self[f"day_{day}_on"], self[f"day_{day}_start"], self[f"day_{day}_end"]]
            )

    def clean(self):
        cleaned = super().clean()
        for day, label in enumerate(DAYS):
            if cleaned.get(f"day_{day}_on"):
                start, end = cleaned.get(f"day_{day}_start"), cleaned.get(f"day_{day}_end")
                if not start or not end or start >= end:
                    self.add_error(f"day_{day}_end", f"{label}: end after you start.")
        return cleaned

    def values(self) -> dict:
        data = self.cleaned_data
        hours = {
            str(day): [
                [
                    data[f"day_{day}_start"].strftime("%H:%M"),
                    data[f"day_{day}_end"].strftime("%H:%M"),
                ]
            ]
            for day in range(7)
            if data.get(f"day_{day}_on")
        }
        keep = (
            "is_available",
            "time_zone",
            "daily_cap",
            "open_cap",
            "mobile_phone",
        )
        alerts = {
            "email_kinds": data["email_kinds"],
            "notify_by_email": bool(data["email_kinds"]),
            "sms_kinds": data["sms_kinds"],
            "notify_by_sms": bool(data["sms_kinds"]),
        }
        return {**{key: data[key] for key in keep}, **alerts, "working_hours": hours}

    @property
    def alert_rows(self) -> list[tuple[str, object, object]]:
        """(kind label, its email checkbox, its text checkbox): one table row per kind."""
        return [
            (label, email, sms)
            for (_, label), email, sms in zip(
                Notification.Kind.choices, self["email_kinds"], self["sms_kinds"], strict=True
            )
        ]


class TimeOffForm(forms.Form):
    starts_at = forms.DateTimeField(
        label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label="Until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    note = forms.CharField(max_length=200, required=False)

    def in_zone(self, zone) -> tuple[datetime, datetime]:
        """The times as typed, read in the rep's own time zone."""
        return tuple(
            self.cleaned_data[name].replace(tzinfo=None).replace(tzinfo=zone)
            for name in ("starts_at", "ends_at")
        )


class HolidayForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(max_length=120)


class TryForm(forms.Form):
    lead = forms.IntegerField(required=False, widget=forms.HiddenInput)
    email = forms.CharField(required=False, max_length=254)
    phone = forms.CharField(required=False, max_length=40)
    company = forms.CharField(required=False, max_length=200)
    title = forms.CharField(label="Job title", required=False, max_length=150)
    source = forms.CharField(required=False, max_length=120)
    custom = forms.CharField(
        label="Custom fields",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "budget: 8000"}),
        help_text="One per line, as name: value.",
    )

    def clean_custom(self) -> dict:
        fields = {}
        for line in self.cleaned_data["custom"].splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            if not sep or not name.strip():
                raise forms.ValidationError(f"Write “name: value”, not “{line.strip()[:40]}”.")
            value = value.strip()
            try:
                fields[name.strip()] = float(value) if "." in value else int(value)
            except ValueError:
                fields[name.strip()] = value
        return fields

    def sample(self) -> dict:
        data = self.cleaned_data
        sample = {key: data[key] for key in ("email", "phone", "company", "title", "source")}
        return {**sample, "custom_fields": data["custom"]}


class HistoryFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[
            ("", "All changes"),
            ("scoring_rule", "Scoring rules"),
            ("rule_settings", "Bands, half-life and fallback"),
            ("routing_rule", "Routing rules"),
            ("team", "Teams"),
            ("sla_policy", "SLA policies"),
            ("holiday", "Holidays"),
            ("availability", "Availability"),
            ("time_off", "Time off"),
        ],
    )


def rep_zone(workspace: Workspace, availability: RepAvailability) -> zoneinfo.ZoneInfo:
    """The rep's own time zone, else the workspace's: their hours and time off are read in it."""
    return zoneinfo.ZoneInfo(availability.time_zone or workspace.time_zone)
