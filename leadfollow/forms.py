"""Browser forms of the tenancy core. They check shape; services check the rules."""

from __future__ import annotations

import zoneinfo

import phonenumbers
from django import forms
from django.contrib.auth.forms import AuthenticationForm

from leadfollow.models import Role, Workspace


def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(zone, zone.replace("_", " ")) for zone in zones]


def region_choices() -> list[tuple[str, str]]:
    return sorted(
        (region, f"{region} (+{phonenumbers.country_code_for_region(region)})")
        for region in phonenumbers.SUPPORTED_REGIONS
    )


PASSWORD_HELP = "At least 10 characters, not all digits, and not a commonly used password."


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account. Check both and retry.",
    }


class SignUpForm(forms.Form):
    full_name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_HELP,
    )
    workspace_name = forms.CharField(
        label="Company or team name", max_length=120, help_text="You can rename it later."
    )
    time_zone = forms.ChoiceField(choices=time_zone_choices, initial="UTC")


class InviteSignUpForm(forms.Form):
    full_name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_HELP,
    )


class WorkspaceCreateForm(forms.Form):
    name = forms.CharField(label="Workspace name", max_length=120)
    time_zone = forms.ChoiceField(choices=time_zone_choices, initial="UTC")
    default_region = forms.ChoiceField(
        label="Default phone region", choices=region_choices, initial="US"
    )


WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


class WorkspaceSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=time_zone_choices)
    default_region = forms.ChoiceField(label="Default phone region", choices=region_choices)
    business_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Workspace
        fields = [
            "name",
            "time_zone",
            "default_region",
            "business_days",
            "business_hours_start",
            "business_hours_end",
        ]
        widgets = {
            "business_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "business_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {
            "default_region": "Phone numbers typed without a country code are read in this region.",
        }


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.REP)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="Name the lead source that will use it, e.g. “Website form”."
    )


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)


def add_domain_error(form: forms.Form, exc) -> None:
    """Show a service's DomainError on the form: each field's message on that field when the form
    has it, the rest at the top."""
    for field, messages in (exc.errors or {exc.field: [exc.message]}).items():
        form.add_error(field if field in form.fields else None, messages)
