import csv
import io

import pytest
from playwright.sync_api import expect

from leadfollow.tenancy import workspace_scope
from leads import tasks
from leads.models import Lead, LeadImport
from tests.browser.conftest import log_in, shoot
from tests.factories import TEST_PASSWORD, LeadFactory

pytestmark = pytest.mark.django_db(transaction=True)

SPRING_FAIR = """\ufeffFull name;E-mail;Mobile;Company;Job title;Budget
Dana Kim;dana@harborviewdental.example;(212) 555-0143;Harborview Dental;Practice Manager;5000
Luis Ortega;luis@sunbelt;;Sunbelt Logistics;Facilities Director;
Priya Natarajan;priya@lakeshore.example;312 555 0127;Lakeshore Montessori;Head of School;12000
Ethan Brooks;ethan@peakbrewing.example;303-555-0112;Peak Brewing Co.;Owner;
Grace Liu;;;Cedar Park Veterinary;Clinic Director;
Noah Fischer;noah@fischermachine.example;612 555 0105;Fischer Machine Works;COO;8000
Dana Kim;;212-555-0143;Harborview Dental;;
"""


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def queued_tasks_wait():
    """Queued tasks wait for a worker (this test) instead of running inside the request."""
    from leadfollow.celery import app

    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def test_manager_imports_a_csv_and_downloads_the_rejected_rows(
    page, acme_team, tmp_path, queued_tasks_wait
):
    workspace, manager, _ = acme_team
    LeadFactory(workspace=workspace, email="priya@lakeshore.example", phone=None)
    file = tmp_path / "spring-fair.csv"
    file.write_text(SPRING_FAIR, encoding="utf-8")
    log_in(page, manager.user.email, TEST_PASSWORD)

    page.goto("/leads/")
    page.get_by_role("link", name="Import CSV").click()
    expect(page.get_by_role("heading", name="Import leads from a CSV file")).to_be_visible()
    page.get_by_label("CSV file").set_input_files(str(file))
    shoot(page, "import-1-upload")
    page.get_by_role("button", name="Upload and continue").click()

    expect(page.get_by_role("heading", name="Match the columns")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_have_value("email")
    expect(page.get_by_label("Full name")).to_have_value("full_name")
    page.get_by_label("Budget").select_option("custom:Budget")
    shoot(page, "import-2-map")
    from leadfollow.celery import app

    app.conf.task_always_eager = True  # the dry run of seven rows runs in the request
    page.get_by_role("button", name="Check the rows").click()
    app.conf.task_always_eager = False

    expect(page.get_by_role("heading", name="What the import will do")).to_be_visible()
    rejects = page.locator(".rejects tbody tr")
    expect(rejects).to_have_count(2)
    expect(rejects.first).to_contain_text("E-mail: “luis@sunbelt” is not a valid email address.")
    expect(rejects.nth(1)).to_contain_text("Give at least an email address or a phone number.")
    shoot(page, "import-3-preview")
    with workspace_scope(workspace):
        assert Lead.objects.count() == 1  # the dry run saved nothing

    page.get_by_role("button", name="Import 5 leads").click()
    expect(page.get_by_role("heading", name="Waiting to start…")).to_be_visible()
    expect(page.locator("progress")).to_be_visible()
    shoot(page, "import-4-queued")

    with workspace_scope(workspace):
        lead_import = LeadImport.objects.get()
    tasks.run_lead_import.apply(kwargs={"workspace_id": workspace.pk, "import_id": lead_import.pk})
    # No reload: the page polls and shows the end by itself.
    done = page.get_by_text("Import finished: 3 new leads, 2 updated, 2 rejected.")
    expect(done).to_be_visible(timeout=5000)
    shoot(page, "import-5-done")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["row", "Full name", "E-mail", "Mobile", "Company", "Job title", "Budget",
                       "reason"]  # fmt: skip
    assert [(row[0], row[2]) for row in rows[1:]] == [("3", "luis@sunbelt"), ("6", "")]
    assert page.csp_violations == []

    page.goto("/leads/imports/")
    expect(page.get_by_role("link", name="spring-fair.csv")).to_be_visible()
    shoot(page, "import-6-index")


def test_bad_file_is_explained_on_the_upload_page(page, acme_team, tmp_path):
    workspace, manager, _ = acme_team
    file = tmp_path / "export.csv"
    file.write_bytes("Name,Email\nZoë Martin,zoe@example.com\n".encode("latin-1"))
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto("/leads/imports/")
    page.get_by_label("CSV file").set_input_files(str(file))
    page.get_by_role("button", name="Upload and continue").click()
    expect(page.get_by_text("Line 2 has characters that aren't UTF-8")).to_be_visible()
    shoot(page, "import-bad-file")
