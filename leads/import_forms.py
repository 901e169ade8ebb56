"""Browser forms of the CSV import pages. They check shape; the import service checks the rules."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings

from leads import csv_files
from leads.models import LeadImport, LeadSource

EXTENSIONS = {".csv", ".tsv", ".txt"}
NEW_SOURCE = ""


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv"}),
        error_messages={
            "required": "Choose a CSV file to upload.",
            "empty": "The file is empty. Export your leads again and upload that file.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.LEAD_IMPORT_MAX_BYTES // (1024 * 1024)
        self.fields["file"].help_text = (
            f"A .csv file up to {limit} MB with a row of column names at the top. Comma, "
            "semicolon and tab separated files all work, as saved by Excel, Numbers or Google "
            "Sheets."
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name or "").suffix.lower() not in EXTENSIONS:
            raise forms.ValidationError(
                f"“{upload.name}” isn't a CSV file. {csv_files.SAVE_AS_CSV}"
            )
        return upload


class ImportMappingForm(forms.Form):
    """One menu per column of the file, plus the lead source the leads are tagged with."""

    source = forms.ChoiceField(label="Lead source", required=False)

    def __init__(
        self, data=None, *, lead_import: LeadImport, sources: list[LeadSource], samples=None
    ):
        initial = {f"col_{i}": target for i, target in enumerate(lead_import.mapping)}
        initial["source"] = str(lead_import.source_id or NEW_SOURCE)
        super().__init__(data, initial=initial, auto_id="map_%s")
        self.headers = lead_import.headers
        self.samples = samples or [[] for _ in self.headers]
        for index, header in enumerate(self.headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, required=False, choices=csv_files.target_choices(header)
            )
        new_name = f"CSV import: {lead_import.original_name}"
        self.fields["source"].choices = [
            (NEW_SOURCE, f"A new source, “{new_name[:110]}”"),
            *[(str(source.pk), source.name) for source in sources],
        ]
        self.fields["source"].help_text = "Reports and rules can tell these leads apart by it."

    def columns(self) -> list[tuple[forms.BoundField, list[str]]]:
        """Each column's menu with a few of its values, for the mapping table."""
        return [(self[f"col_{index}"], self.samples[index]) for index in range(len(self.headers))]

    def mapping(self) -> list[str]:
        return [self.cleaned_data[f"col_{index}"] for index in range(len(self.headers))]

    def source_id(self) -> int | None:
        value = self.cleaned_data["source"]
        return int(value) if value else None
