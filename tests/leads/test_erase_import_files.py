"""Erasing a lead empties the person's rows in the CSV files managers imported."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.base import ContentFile

from leadfollow.tenancy import unscoped, workspace_scope
from leads.models import LeadImport
from leads.services.changes import erase_lead
from tests.factories import LeadFactory, LeadImportFactory

pytestmark = pytest.mark.django_db

HEADER = ["First name", "Email", "Phone"]
ROWS = [["Dana", "dana@x.example", ""], ["Dee", "", "(415) 555-2671"], ["Ott", "ott@x.example", ""]]
FILE = "".join(",".join(cells) + "\n" for cells in [HEADER, *ROWS])


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _imported(workspace, status: str = LeadImport.Status.DONE) -> LeadImport:
    with workspace_scope(workspace):
        lead_import = LeadImportFactory(
            workspace=workspace,
            file=None,
            headers=HEADER,
            mapping=["first_name", "email", "phone"],
            status=status,
        )
        lead_import.file.save("leads.csv", ContentFile(FILE.encode()))
        return lead_import


def _rows(lead_import: LeadImport) -> list[list[str]]:
    with unscoped():
        fresh = LeadImport.objects.get(pk=lead_import.pk)
    with fresh.file.open("rb") as file:
        return list(csv.reader(io.StringIO(file.read().decode())))


def _erase(workspace, lead, capture) -> None:
    with workspace_scope(workspace), capture(execute=True):
        erase_lead(workspace=workspace, lead_id=lead.pk)


def test_erasing_a_lead_empties_its_row_in_an_imported_file(
    workspace, django_capture_on_commit_callbacks
):
    lead_import = _imported(workspace)
    lead = LeadFactory(workspace=workspace, email="dana@x.example", phone=None)
    _erase(workspace, lead, django_capture_on_commit_callbacks)
    assert _rows(lead_import) == [HEADER, ["", "", ""], *ROWS[1:]]


def test_a_number_is_found_however_the_file_wrote_it(workspace, django_capture_on_commit_callbacks):
    lead_import = _imported(workspace)
    lead = LeadFactory(workspace=workspace, email=None, phone="+14155552671")
    _erase(workspace, lead, django_capture_on_commit_callbacks)
    assert _rows(lead_import)[2] == ["", "", ""]


def test_a_running_imports_file_is_left_to_it(workspace, django_capture_on_commit_callbacks):
    lead_import = _imported(workspace, status=LeadImport.Status.RUNNING)
    lead = LeadFactory(workspace=workspace, email="dana@x.example", phone=None)
    _erase(workspace, lead, django_capture_on_commit_callbacks)
    assert _rows(lead_import)[1] == ["Dana", "dana@x.example", ""]


def test_a_file_without_the_person_is_not_rewritten(workspace, django_capture_on_commit_callbacks):
    lead_import = _imported(workspace)
    lead = LeadFactory(workspace=workspace, email="nobody@x.example", phone=None)
    _erase(workspace, lead, django_capture_on_commit_callbacks)
    with unscoped():
        assert LeadImport.objects.get(pk=lead_import.pk).file.name == lead_import.file.name


def test_another_workspaces_file_keeps_the_same_person(
    workspace, other_workspace, django_capture_on_commit_callbacks
):
    theirs = _imported(other_workspace)
    lead = LeadFactory(workspace=workspace, email="dana@x.example", phone=None)
    _erase(workspace, lead, django_capture_on_commit_callbacks)
    assert _rows(theirs)[1] == ["Dana", "dana@x.example", ""]


def test_the_file_that_held_the_person_leaves_storage(
    workspace, django_capture_on_commit_callbacks
):
    lead_import = _imported(workspace)
    lead = LeadFactory(workspace=workspace, email="dana@x.example", phone=None)
    _erase(workspace, lead, django_capture_on_commit_callbacks)
    assert not lead_import.file.storage.exists(lead_import.file.name)
