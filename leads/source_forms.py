"""Forms of the lead-source settings and of the public web form, and how a site's fields map.

A site that already has a contact form can post it to us as it is: its field names are read
through common aliases (`your-email`, `phone_number`, `full_name` …) and anything we do not
recognise is kept, within limits, in the lead's custom fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django import forms
from django.core.validators import URLValidator

from leads.models import Channel, LeadSource
from leads.normalize import TEXT_LIMITS
from leads.services.sources import NAME_LIMIT, TEXT_LIMIT

HONEYPOT = "lf_website"  # a name bots like to fill in; people never see the field
MESSAGE_LIMIT = 2000
MAX_EXTRA_FIELDS = 20
MAX_EXTRA_KEY = 60
MAX_EXTRA_VALUE = 1000
URL_ERROR = "Use a full web address starting with https:// (or http://)."

ALIASES = {
    "first_name": ("first_name", "firstname", "first", "fname", "given_name", "your_first_name"),
    "last_name": (
        "last_name",
        "lastname",
        "last",
        "lname",
        "surname",
        "family_name",
        "your_last_name",
    ),
    "full_name": ("name", "full_name", "fullname", "your_name", "contact_name"),
    "email": ("email", "email_address", "emailaddress", "e_mail", "mail", "your_email"),
    "phone": (
        "phone",
        "phone_number",
        "phonenumber",
        "tel",
        "telephone",
        "mobile",
        "mobile_phone",
        "cell",
        "cell_phone",
        "your_phone",
        "your_tel",
    ),
    "company": (
        "company",
        "company_name",
        "organization",
        "organisation",
        "business",
        "business_name",
        "your_company",
    ),
    "message": (
        "message",
        "comments",
        "comment",
        "your_message",
        "enquiry",
        "inquiry",
        "question",
        "notes",
        "details",
    ),
    "consent": ("consent", "agree", "opt_in", "optin", "accept"),
}
_CANONICAL = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
# Form plumbing, not something the visitor told us.
_IGNORED = {
    "csrfmiddlewaretoken",
    "submit",
    "g_recaptcha_response",
    "h_captcha_response",
    "cf_turnstile_response",
}
_FALSY = {"", "0", "false", "no", "off"}


def _key(raw: str) -> str:
    return re.sub(r"[\s.\-]+", "_", raw.strip().lower())


@dataclass(frozen=True)
class Submission:
    """A posted form, read: our field names, the extras to keep, and the honeypot's verdict."""

    fields: dict
    extras: dict = field(default_factory=dict)
    is_spam: bool = False


def _values(data: Mapping) -> list[tuple[str, str]]:
    """Each posted name with its value; a checkbox group's several values joined by commas."""
    pairs = []
    for name in data:
        values = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
        text = ", ".join(str(value).strip() for value in values if value is not None)
        pairs.append((str(name), text))
    return pairs


def read_submission(data: Mapping) -> Submission:
    """Map a posted form's fields onto ours. Unknown ones become capped extras."""
    fields: dict = {}
    extras: dict = {}
    is_spam = False
    for name, value in _values(data):
        key = _key(name)
        if key == HONEYPOT:
            is_spam = bool(value)
        elif key in _IGNORED or key.startswith("_"):
            continue
        elif key in _CANONICAL:
            fields.setdefault(_CANONICAL[key], value)
        elif value and len(extras) < MAX_EXTRA_FIELDS:
            extras[name.strip()[:MAX_EXTRA_KEY]] = value[:MAX_EXTRA_VALUE]
    full_name = fields.pop("full_name", "")
    if full_name and not (fields.get("first_name") or fields.get("last_name")):
        first, _, last = full_name.partition(" ")
        fields["first_name"], fields["last_name"] = first, last.strip()
    fields["consent"] = fields.get("consent", "").strip().lower() not in _FALSY
    return Submission(fields=fields, extras=extras, is_spam=is_spam)


def _text(name: str, label: str, autocomplete: str, limit: int | None = None) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=limit or TEXT_LIMITS[name],
        widget=forms.TextInput(attrs={"autocomplete": autocomplete}),
    )


class PublicLeadForm(forms.Form):
    """The hosted form a visitor fills in. Shape only: the intake rules check the values."""

    first_name = _text("first_name", "First name", "given-name")
    last_name = _text("last_name", "Last name", "family-name")
    email = forms.CharField(
        label="Email",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label="Phone",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    company = _text("company", "Company", "organization")
    message = forms.CharField(
        label="How can we help?",
        required=False,
        max_length=MESSAGE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    consent = forms.BooleanField(required=False)

    def __init__(self, data=None, *, source: LeadSource, extras: dict | None = None):
        super().__init__(data, auto_id="lf_%s")
        self.source = source
        self.extras = extras or {}
        self.fields["consent"].label = source.consent_text
        if not source.consent_text:
            del self.fields["consent"]

    @property
    def has_consent(self) -> bool:
        return bool(self.source.consent_text and self.cleaned_data.get("consent"))

    def lead_fields(self) -> dict:
        """The `intake_lead` fields: the contact details, plus the message and extras kept aside."""
        data = self.cleaned_data
        fields = {name: data[name] for name in ("first_name", "last_name", "email", "phone")}
        fields["company"] = data["company"]
        custom = dict(self.extras)
        if data["message"]:
            custom["message"] = data["message"]
        if custom:
            fields["custom_fields"] = custom
        return fields


def _url_field() -> forms.URLField:
    return forms.URLField(
        label="Redirect after sending",
        required=False,
        max_length=200,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"], message=URL_ERROR)],
        error_messages={"invalid": URL_ERROR},
        help_text="Optional. Send visitors to your own thank-you page instead of ours.",
    )


class SourceForm(forms.Form):
    """Create or edit a lead source. The service checks the rules (unique name, safe redirect)."""

    name = forms.CharField(
        max_length=NAME_LIMIT, help_text="For example “Website contact form” or “Spring promo”."
    )
    kind = forms.ChoiceField(label="Kind", choices=LeadSource.Kind.choices)
    consent_text = forms.CharField(
        label="Consent checkbox wording",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown next to an unticked checkbox on the form and saved word for word with "
        "every lead who ticks it. Leave empty for no checkbox.",
    )
    consent_channels = forms.MultipleChoiceField(
        label="The checkbox agrees to",
        required=False,
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick only what the wording names: LeadFollow texts, calls or leaves "
        "voicemail drops only with recorded consent.",
    )
    thank_you_message = forms.CharField(
        label="Thank-you message",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown after a visitor sends the form.",
    )
    redirect_url = _url_field()

    def __init__(self, data=None, *, source: LeadSource | None = None):
        initial = {"kind": LeadSource.Kind.FORM, "consent_channels": ["sms", "call", "voicemail"]}
        if source is not None:
            initial = {name: getattr(source, name) for name in self.base_fields}
        super().__init__(data, initial=initial)

    def changes(self) -> dict:
        """What the member changed, as `update_source` changes."""
        return {name: self.cleaned_data[name] for name in self.changed_data}
