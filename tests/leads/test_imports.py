import codecs
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leadfollow.tenancy import workspace_scope
from leads import csv_files, tasks
from leads.models import Account, Activity, Lead, LeadImport, LeadImportReject, LeadSource
from leads.services import imports
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

UPLOAD = reverse("leads:import-upload")

GOOD_AND_BAD = (
    "First name,Last name,Email,Phone,Company,Budget\n"
    "Dana,Kim,dana@harborview.example,212 555 0143,Harborview Dental,5000\n"
    "Luis,Ortega,not-an-email,,Sunbelt Logistics,\n"
    "Priya,Natarajan,priya@lakeshore.example,,Lakeshore Montessori,\n"
    "Nobody,Reachable,,,Ghost Inc,\n"
    "Dana,Kim,DANA@harborview.example,,,\n"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


class _CommittingClient:
    """A manager's client whose POSTs run their on-commit work (the queued tasks) at once."""

    def __init__(self, client, capture):
        self.client, self.capture = client, capture

    def get(self, *args, **kwargs):
        return self.client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        with self.capture(execute=True):
            return self.client.post(*args, **kwargs)


@pytest.fixture
def importer(manager_client, django_capture_on_commit_callbacks) -> _CommittingClient:
    return _CommittingClient(manager_client, django_capture_on_commit_callbacks)


def _csv(text: str, name: str = "leads.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def _upload(client, text: str, **kwargs):
    return client.post(UPLOAD, {"file": _csv(text, **kwargs)})


def _imports(workspace) -> list[LeadImport]:
    with workspace_scope(workspace):
        return list(LeadImport.objects.all())


def _reload(workspace, lead_import) -> LeadImport:
    with workspace_scope(workspace):
        return LeadImport.objects.get(pk=lead_import.pk)


def _map(client, lead_import, mapping=None, source=""):
    data = {f"col_{i}": t for i, t in enumerate(mapping or lead_import.mapping)}
    data["source"] = source
    return client.post(reverse("leads:import-map", args=[lead_import.pk]), data)


def _previewed(client, workspace, text: str, mapping=None) -> LeadImport:
    """Upload, map (the dry run runs in-process) and return the previewed import."""
    _upload(client, text)
    lead_import = _imports(workspace)[0]
    _map(client, lead_import, mapping)
    return _reload(workspace, lead_import)


def _imported(client, workspace, text: str, mapping=None) -> LeadImport:
    lead_import = _previewed(client, workspace, text, mapping)
    client.post(reverse("leads:import-start", args=[lead_import.pk]))
    return _reload(workspace, lead_import)


def _rejects(workspace, lead_import, stage) -> list[tuple[int, str]]:
    with workspace_scope(workspace):
        rows = LeadImportReject.objects.filter(lead_import=lead_import, stage=stage)
        return [(reject.row_number, reject.reason) for reject in rows]


def _leads(workspace) -> list[Lead]:
    with workspace_scope(workspace):
        return list(Lead.objects.order_by("pk"))


# Reading files


def _format(data: bytes) -> csv_files.CsvFormat:
    return csv_files.inspect_csv(io.BytesIO(data))


def test_sniffs_the_semicolons_of_a_european_excel_export():
    found = _format(b"Nom;Email;Phone\nDupont, Jean;jean@example.fr;+33 1 23 45 67 89\n")
    assert (found.delimiter, found.headers) == (";", ["Nom", "Email", "Phone"])


def test_sniffs_tab_separated_files():
    found = _format(b"Email\tPhone\tCompany\nann@example.com\t2125550143\tAcme, Inc.\n")
    assert (found.delimiter, found.headers) == ("\t", ["Email", "Phone", "Company"])


def test_utf8_bom_stays_out_of_the_first_column_name():
    found = _format(codecs.BOM_UTF8 + "Email,Prénom\nann@example.com,Zoë\n".encode())
    assert (found.encoding, found.headers) == ("utf-8-sig", ["Email", "Prénom"])


def test_utf16_unicode_text_from_excel_is_read():
    found = _format("Email\tName\nann@example.com\tAnn\n".encode("utf-16"))
    assert (found.encoding, found.delimiter, found.headers) == ("utf-16", "\t", ["Email", "Name"])


def test_guess_maps_common_column_names():
    headers = ["First Name", "Surname", "E-mail Address", "Mobile", "Organisation", "Job Title"]
    assert csv_files.guess_mapping(headers) == [
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "title",
    ]


def test_guess_leaves_unknown_and_repeated_columns_out():
    assert csv_files.guess_mapping(["Email", "Lead score", "email"]) == ["email", "", ""]


def test_full_name_column_splits_at_the_first_space():
    fields = csv_files.row_fields(["Mary Ann Smith", "m@example.com"], ["full_name", "email"])
    assert (fields["first_name"], fields["last_name"]) == ("Mary", "Ann Smith")


def test_rows_are_numbered_like_a_spreadsheet_even_across_quoted_line_breaks():
    data = b'Email,Note\na@example.com,"two\nlines"\n\nb@example.com,x\n'
    rows = list(csv_files.read_rows(io.BytesIO(data), encoding="utf-8", delimiter=","))
    assert rows == [(2, ["a@example.com", "two\nlines"]), (3, []), (4, ["b@example.com", "x"])]


# Uploading


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "leads.csv", "The file is empty"),
        (b"   \n\n", "leads.csv", "The file is empty"),
        (b"Email,Phone\n", "leads.csv", "column names but no rows"),
        (b"ann@example.com,2125550143\nbob@example.com,2125550144\n", "leads.csv", "looks like"),
        (b",,\nann@example.com,2125550143,\n", "leads.csv", "The first row is empty"),
        (b"PK\x03\x04\x14\x00\x06\x00junk", "leads.csv", "Excel workbook"),
        (bytes(range(256)) * 4, "leads.csv", "isn&#x27;t a text file"),
        ("Email,Prénom\nann@example.com,Zoë\n".encode("latin-1"), "leads.csv", "Line 1 has"),
        (b"Email\nann@example.com\n", "leads.xlsx", "isn&#x27;t a CSV file"),
    ],
)
def test_bad_upload_is_refused_with_a_message_and_nothing_stored(
    importer, workspace, content, name, message
):
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    response = importer.post(UPLOAD, {"file": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _imports(workspace) == []


def test_upload_larger_than_the_limit_is_refused(importer, workspace, settings):
    settings.LEAD_IMPORT_MAX_BYTES = 1024 * 1024
    response = _upload(importer, "Email\n" + "ann@example.com\n" * 70_000)
    assert response.status_code == 400
    assert "larger than 1 MB" in response.content.decode()
    assert _imports(workspace) == []


def test_upload_without_a_file_asks_for_one(importer):
    response = importer.post(UPLOAD, {})
    assert response.status_code == 400
    assert "Choose a CSV file" in response.content.decode()


def test_upload_stores_the_file_and_guesses_the_mapping(importer, workspace, manager):
    response = _upload(importer, GOOD_AND_BAD, name="spring fair.csv")
    lead_import = _imports(workspace)[0]
    assert response.status_code == 302
    assert response.url == reverse("leads:import-map", args=[lead_import.pk])
    assert lead_import.original_name == "spring fair.csv"
    assert lead_import.created_by == manager
    assert lead_import.mapping == ["first_name", "last_name", "email", "phone", "company", ""]


def test_import_pages_are_for_managers(rep_client, workspace):
    response = rep_client.get(UPLOAD)
    assert response.status_code == 403


def test_rep_cannot_start_an_import(rep_client, importer, workspace):
    lead_import = _previewed(importer, workspace, GOOD_AND_BAD)
    response = rep_client.post(reverse("leads:import-start", args=[lead_import.pk]))
    assert response.status_code == 403
    assert _reload(workspace, lead_import).status == LeadImport.Status.PREVIEWED


def test_past_imports_are_listed_on_the_upload_page(importer, workspace):
    _upload(importer, GOOD_AND_BAD, name="trade-show.csv")
    assert "trade-show.csv" in importer.get(UPLOAD).content.decode()


# Mapping


def test_mapping_page_shows_each_column_with_its_first_values(importer, workspace):
    _upload(importer, GOOD_AND_BAD)
    lead_import = _imports(workspace)[0]
    response = importer.get(reverse("leads:import-map", args=[lead_import.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "dana@harborview.example" in body
    assert '<option value="email" selected>' in body


def test_mapping_without_email_or_phone_is_refused(importer, workspace):
    _upload(importer, GOOD_AND_BAD)
    lead_import = _imports(workspace)[0]
    response = _map(importer, lead_import, ["first_name", "last_name", "", "", "", ""])
    assert response.status_code == 400
    assert "every lead needs one" in response.content.decode()
    assert _reload(workspace, lead_import).status == LeadImport.Status.UPLOADED


def test_two_columns_for_one_field_are_refused(importer, workspace):
    _upload(importer, GOOD_AND_BAD)
    lead_import = _imports(workspace)[0]
    mapping = ["first_name", "first_name", "email", "", "", ""]
    response = _map(importer, lead_import, mapping)
    assert response.status_code == 400
    assert "both go to First name" in response.content.decode()


# Dry run


def test_preview_forecasts_created_merged_and_rejected(importer, workspace):
    LeadFactory(workspace=workspace, email="priya@lakeshore.example", phone=None)
    lead_import = _previewed(importer, workspace, GOOD_AND_BAD)
    assert lead_import.status == LeadImport.Status.PREVIEWED
    counts = (lead_import.preview_created, lead_import.preview_merged)
    assert counts == (1, 2)  # Dana is new; her second row and Priya merge
    assert lead_import.preview_rejected == 2


def test_preview_lists_every_bad_row_with_its_reason(importer, workspace):
    lead_import = _previewed(importer, workspace, GOOD_AND_BAD)
    response = importer.get(reverse("leads:import-detail", args=[lead_import.pk]))
    assert _rejects(workspace, lead_import, "preview") == [
        (3, "Email: “not-an-email” is not a valid email address."),
        (5, "Give at least an email address or a phone number."),
    ]
    assert "“not-an-email” is not a valid email address." in response.content.decode()


def test_preview_writes_no_lead_account_or_activity(importer, workspace):
    _previewed(importer, workspace, GOOD_AND_BAD)
    with workspace_scope(workspace):
        assert (Lead.objects.count(), Account.objects.count(), Activity.objects.count()) == (
            0,
            0,
            0,
        )


def test_preview_names_a_bad_phone_by_its_column(importer, workspace):
    text = "Email,Mobile\nann@example.com,12\n"
    lead_import = _previewed(importer, workspace, text)
    [(row, reason)] = _rejects(workspace, lead_import, "preview")
    assert row == 2
    assert reason.startswith("Mobile: ")


def test_row_with_more_values_than_columns_is_rejected(importer, workspace):
    text = "Name,Email\nKim, Dana,dana@example.com\n"
    lead_import = _previewed(importer, workspace, text)
    [(_, reason)] = _rejects(workspace, lead_import, "preview")
    assert "3 values but the file has 2 columns" in reason


def test_preview_pages_through_many_bad_rows(importer, workspace):
    text = "Email\n" + "".join(f"bad{n}\n" for n in range(120))
    lead_import = _previewed(importer, workspace, text)
    url = reverse("leads:import-detail", args=[lead_import.pk])
    page = importer.get(url, {"page": 3}).context["rejects"]
    assert (page.paginator.count, len(page), page[0].row_number) == (120, 20, 102)


# Import


def test_import_creates_merges_and_rejects_like_the_api(importer, workspace):
    existing = LeadFactory(workspace=workspace, email="priya@lakeshore.example", title="")
    lead_import = _imported(
        importer,
        workspace,
        GOOD_AND_BAD,
        ["first_name", "last_name", "email", "phone", "company", "custom:Budget"],
    )
    assert lead_import.status == LeadImport.Status.DONE
    assert (lead_import.created_count, lead_import.merged_count) == (1, 2)
    assert (lead_import.rejected_count, lead_import.progress) == (2, 100)
    leads = _leads(workspace)
    assert [lead.email for lead in leads] == [existing.email, "dana@harborview.example"]
    assert (leads[1].phone, leads[1].custom_fields) == ("+12125550143", {"Budget": "5000"})


def test_duplicate_rows_in_one_file_merge_like_a_re_inquiry(importer, workspace):
    _imported(importer, workspace, GOOD_AND_BAD)
    dana = _leads(workspace)[0]
    with workspace_scope(workspace):
        kinds = list(Activity.objects.filter(lead=dana).values_list("kind", flat=True))
    assert sorted(kinds) == ["created", "re_inquiry"]


def test_import_tags_leads_with_a_new_import_source(importer, workspace):
    lead_import = _imported(importer, workspace, GOOD_AND_BAD)
    lead = _leads(workspace)[0]
    with workspace_scope(workspace):
        source = LeadSource.objects.get(pk=lead_import.source_id)
    assert (source.kind, source.name) == ("import", "CSV import: leads.csv")
    assert lead.source_id == source.pk


def test_import_uses_the_chosen_source(importer, workspace):
    with workspace_scope(workspace):
        fair = LeadSource.objects.create(workspace=workspace, name="Spring fair", kind="import")
    _upload(importer, GOOD_AND_BAD)
    lead_import = _imports(workspace)[0]
    _map(importer, lead_import, source=str(fair.pk))
    importer.post(reverse("leads:import-start", args=[lead_import.pk]))
    assert {lead.source_id for lead in _leads(workspace)} == {fair.pk}


def test_import_records_rows_rejected_at_import_time(importer, workspace):
    lead_import = _imported(importer, workspace, GOOD_AND_BAD)
    assert [row for row, _ in _rejects(workspace, lead_import, "import")] == [3, 5]


def test_rejects_download_has_the_original_columns_and_the_reason(importer, workspace):
    lead_import = _imported(importer, workspace, GOOD_AND_BAD)
    response = importer.get(reverse("leads:import-rejects", args=[lead_import.pk]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="leads-rejected-rows.csv"' in response["Content-Disposition"]
    assert body.splitlines() == [
        "row,First name,Last name,Email,Phone,Company,Budget,reason",
        "3,Luis,Ortega,not-an-email,,Sunbelt Logistics,,"
        "Email: “not-an-email” is not a valid email address.",
        "5,Nobody,Reachable,,,Ghost Inc,,Give at least an email address or a phone number.",
    ]


def test_running_the_task_again_imports_nothing_twice(importer, workspace):
    lead_import = _imported(importer, workspace, GOOD_AND_BAD)
    tasks.run_lead_import.apply(kwargs={"workspace_id": workspace.pk, "import_id": lead_import.pk})
    again = _reload(workspace, lead_import)
    assert len(_leads(workspace)) == 2
    assert (again.created_count, again.merged_count, again.rejected_count) == (2, 1, 2)
    with workspace_scope(workspace):
        assert Activity.objects.count() == 3


def test_a_redelivered_task_resumes_after_the_committed_rows(importer, workspace, settings):
    settings.LEAD_IMPORT_BATCH_ROWS = 2
    text = "Email\na@example.com\nb@example.com\nc@example.com\n"
    lead_import = _previewed(importer, workspace, text)
    with workspace_scope(workspace):
        # As if a worker died after committing the first batch (rows 2 and 3).
        LeadImport.objects.filter(pk=lead_import.pk).update(
            status="running", processed_rows=2, created_count=2
        )
    tasks.run_lead_import.apply(kwargs={"workspace_id": workspace.pk, "import_id": lead_import.pk})
    assert [lead.email for lead in _leads(workspace)] == ["c@example.com"]
    assert _reload(workspace, lead_import).created_count == 3


def test_cancelled_import_reads_no_rows(importer, workspace):
    lead_import = _previewed(importer, workspace, GOOD_AND_BAD)
    importer.client.post(reverse("leads:import-start", args=[lead_import.pk]))  # nobody runs it
    importer.post(reverse("leads:import-cancel", args=[lead_import.pk]))
    tasks.run_lead_import.apply(kwargs={"workspace_id": workspace.pk, "import_id": lead_import.pk})
    assert _reload(workspace, lead_import).status == LeadImport.Status.CANCELLED
    assert _leads(workspace) == []


def test_an_import_cannot_start_twice(importer, workspace):
    lead_import = _imported(importer, workspace, GOOD_AND_BAD)
    response = importer.post(reverse("leads:import-start", args=[lead_import.pk]))
    assert response.status_code == 302
    assert len(_leads(workspace)) == 2
    assert "hasn" in importer.get(response.url).content.decode()


def test_status_polls_every_second_while_the_import_waits(importer, workspace):
    lead_import = _previewed(importer, workspace, GOOD_AND_BAD)
    importer.client.post(reverse("leads:import-start", args=[lead_import.pk]))  # nobody runs it
    url = reverse("leads:import-detail", args=[lead_import.pk])
    response = importer.get(url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in response.content.decode()
    assert "<html" not in response.content.decode()


def test_status_stops_polling_when_the_import_is_done(importer, workspace):
    lead_import = _imported(importer, workspace, GOOD_AND_BAD)
    url = reverse("leads:import-detail", args=[lead_import.pk])
    body = importer.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in body
    assert "Import finished: 2 new leads, 1 updated, 2 rejected." in body


def test_a_file_broken_after_the_upload_fails_the_import_with_its_row(
    importer, workspace, django_capture_on_commit_callbacks
):
    lead_import = _previewed(importer, workspace, GOOD_AND_BAD)
    with lead_import.file.open("wb") as file:
        file.write(b"Email\nann@example.com\n" + b"x" * 200_000 + b"\n")
    with workspace_scope(workspace), django_capture_on_commit_callbacks(execute=True):
        imports.start_import(workspace=workspace, import_id=lead_import.pk)
    failed = _reload(workspace, lead_import)
    assert failed.status == LeadImport.Status.FAILED
    assert failed.error.startswith("Row 3 can't be read")
