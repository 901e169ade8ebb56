"""Forms of the do-not-contact page. They check shape; `suppression_lists` checks the rules."""

from __future__ import annotations

from django import forms

from channels.models import Channel, Suppression
from channels.services.suppression_lists import (
    CHANNEL_CHOICES,
    CHANNEL_HELP,
    EVERY,
    MAX_UPLOAD_BYTES,
    find_hash,
)
from leadfollow.errors import InvalidInput


class SuppressionAddForm(forms.Form):
    address = forms.CharField(
        label="Email or phone number",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "dana@example.com"}),
        help_text="Phone numbers without a country code use the workspace's default region.",
    )
    channel = forms.ChoiceField(
        label="Block from", choices=CHANNEL_CHOICES, initial=EVERY, help_text=CHANNEL_HELP
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "add_%s")  # the upload form on the same page has a channel too
        super().__init__(*args, **kwargs)


class SuppressionUploadForm(forms.Form):
    file = forms.FileField(
        label="List file",
        help_text=(
            f"A .csv or .txt file up to {MAX_UPLOAD_BYTES // 1_000_000} MB: one address per line, "
            "or a column named “email” or “phone”."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )
    channel = forms.ChoiceField(
        label="Block from", choices=CHANNEL_CHOICES, initial=EVERY, help_text=CHANNEL_HELP
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "upload_%s")
        super().__init__(*args, **kwargs)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB: split it into "
                "smaller files."
            )
        return upload


class SuppressionFilterForm(forms.Form):
    channel = forms.ChoiceField(required=False, choices=[("", "All channels"), *Channel.choices])
    reason = forms.ChoiceField(
        required=False, choices=[("", "All reasons"), *Suppression.Reason.choices]
    )
    q = forms.CharField(
        label="Find an address",
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Full email or phone"}),
        help_text="Type it in full: the list keeps only fingerprints of addresses.",
    )

    def __init__(self, *args, workspace, **kwargs):
        kwargs.setdefault("auto_id", "dnc_%s")
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_q(self) -> str:
        raw = self.cleaned_data["q"].strip()
        if not raw:
            return ""
        try:
            return find_hash(workspace=self.workspace, raw=raw)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None

    def search(self) -> dict:
        """Keyword arguments for `do_not_contact_entries`; an invalid field filters nothing."""
        data = getattr(self, "cleaned_data", {})
        return {
            "channel": data.get("channel", ""),
            "reason": data.get("reason", ""),
            "digest": data.get("q", ""),
        }

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in ("channel", "reason", "q"))
