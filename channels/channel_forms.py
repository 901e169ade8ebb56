"""Forms of the channel settings page; the rules they must follow live in services.providers."""

from __future__ import annotations

from django import forms

from channels.models import CHANNEL_PROVIDERS, Channel, ChannelSettings
from channels.providers import PROVIDER_LABELS, provider_fields
from channels.services.providers import SETTINGS_FIELDS

TIME_FORMAT = ["%H:%M"]


class ChannelSettingsForm(forms.ModelForm):
    class Meta:
        model = ChannelSettings
        fields = [f"{channel}_provider" for channel in Channel.values] + list(SETTINGS_FIELDS)
        labels = {
            "email_provider": "Email",
            "sms_provider": "Text messages",
            "call_provider": "Calls",
            "voicemail_provider": "Ringless voicemail",
            "from_name": "From name",
            "from_email": "From address",
            "reply_domain": "Reply domain",
            "help_text": "Answer to HELP",
            "quiet_hours_start": "Send from",
            "quiet_hours_end": "Send until",
            "consent_required_sms": "Require recorded consent before texting",
            "consent_required_call": "Require recorded consent before automated calls",
            "consent_required_voicemail": "Require recorded consent before ringless voicemail",
            "human_answers": "When a person answers a voicemail drop",
        }
        help_texts = {
            "reply_domain": "Replies come back to reply+…@this domain (point its MX at SendGrid's "
            "inbound parse). Blank: replies go to the from address.",
            "quiet_hours_start": "In the lead's own time zone. Texts, calls and automated emails "
            "wait for this window.",
            "quiet_hours_end": "08:00 to 21:00 matches US calling-hours rules.",
        }
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "help_text": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for channel in Channel:
            self.fields[f"{channel.value}_provider"] = forms.ChoiceField(
                label=self._meta.labels[f"{channel.value}_provider"],
                choices=[(p.value, PROVIDER_LABELS[p]) for p in CHANNEL_PROVIDERS[channel]],
            )
        for name in ("quiet_hours_start", "quiet_hours_end"):
            self.fields[name].input_formats = TIME_FORMAT


class ProviderAccountForm(forms.Form):
    """Built from the provider's field list. Secret fields are never shown back."""

    def __init__(self, provider: str, *args, saved_secrets=(), options=None, **kwargs):
        kwargs.setdefault("prefix", provider)
        super().__init__(*args, initial=options or {}, **kwargs)
        self.provider = provider
        for field in provider_fields(provider):
            if field.secret:
                saved = field.name in saved_secrets
                self.fields[field.name] = forms.CharField(
                    label=field.label,
                    required=field.required and not saved,
                    help_text=("Saved. Leave blank to keep it. " if saved else "") + field.help,
                    widget=forms.PasswordInput(
                        render_value=False, attrs={"autocomplete": "new-password"}
                    ),
                    max_length=500,
                )
            else:
                self.fields[field.name] = forms.CharField(
                    label=field.label,
                    required=field.required,
                    help_text=field.help,
                    max_length=2000,
                )


class PhoneNumberForm(forms.Form):
    number = forms.CharField(
        max_length=32, help_text="A number you own at Twilio, e.g. +1 415 555 0100."
    )
    label = forms.CharField(max_length=80, required=False, help_text="e.g. “Main line”.")


class TestSendForm(forms.Form):
    channel = forms.ChoiceField(choices=[(c.value, c.label) for c in (Channel.EMAIL, Channel.SMS)])
    to = forms.CharField(max_length=254, label="Send to", help_text="Your own address or mobile.")
    text = forms.CharField(
        max_length=600,
        initial="This is a test from LeadFollow. If you got it, sending works.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
