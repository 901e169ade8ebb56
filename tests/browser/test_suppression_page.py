import pytest
from playwright.sync_api import expect

from channels.models import Suppression
from channels.services.suppression import suppress_address
from leadfollow.tenancy import workspace_scope
from leads.models import Lead
from tests.browser.conftest import log_in, shoot
from tests.factories import TEST_PASSWORD, LeadFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _opt_out(workspace, address="+14155550123"):
    with workspace_scope(workspace):
        suppress_address(
            workspace=workspace,
            channel="sms",
            address=address,
            reason="opt_out",
            label="+1415***0123",
        )


def test_manager_adds_uploads_searches_and_removes(page, acme_team, tmp_path):
    workspace, manager, _ = acme_team
    _opt_out(workspace)
    with workspace_scope(workspace):
        lead = LeadFactory(workspace=workspace, email="dana@example.com", first_name="Dana")
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto("/settings/")
    page.get_by_role("link", name="Do not contact").click()
    expect(page.get_by_role("heading", name="Do not contact", exact=True)).to_be_visible()

    page.get_by_label("Email or phone number").fill("Dana@Example.com")
    page.get_by_role("button", name="Add to the list").click()
    expect(page.locator(".flash")).to_contain_text("d***@example.com will get no more email")
    expect(page.locator(".flash")).to_contain_text("1 lead was flagged")

    listing = tmp_path / "do-not-call.csv"
    listing.write_text("Name,Phone\nSam,(415) 555-2671\nAlex,not a number\nKim,+14155550123\n")
    page.get_by_label("List file").set_input_files(str(listing))
    page.locator("#upload_channel").select_option("sms")
    page.get_by_role("button", name="Upload list").click()
    result = page.locator(".dncresult")
    expect(result).to_contain_text("List uploaded")
    expect(result.locator(".importstats__item--new dd")).to_have_text("1")
    expect(result.locator(".importstats__item--merged dd")).to_have_text("1")
    expect(result.locator(".dncinvalid")).to_contain_text("not a number")
    shoot(page, "suppressions-upload-result")

    page.get_by_label("Find an address").fill("dana@example.com")
    page.get_by_label("Find an address").press("Enter")
    expect(page.locator("#dnc-table tbody tr")).to_have_count(1)
    expect(page.locator("#dnc-table")).to_contain_text("d***@example.com")

    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator("#dnc-table tbody tr")).to_have_count(3)
    opt_out_row = page.locator("#dnc-table tbody tr", has_text="Opted out")
    expect(opt_out_row).to_contain_text("Can't be removed")
    shoot(page, "suppressions")

    page.locator("#dnc-table tbody tr", has_text="d***@example.com").get_by_role(
        "button", name="Remove"
    ).click()
    expect(page.locator(".flash")).to_contain_text("d***@example.com can get email again")
    expect(page.locator("#dnc-table tbody tr")).to_have_count(2)
    with workspace_scope(workspace):
        assert Lead.objects.get(pk=lead.pk).do_not_email is False
        assert Suppression.objects.count() == 2
    assert page.csp_violations == []


def test_rep_sees_the_list_but_no_forms(page, acme_team):
    workspace, _, rep = acme_team
    _opt_out(workspace)
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.goto("/settings/do-not-contact/")
    expect(page.locator("#dnc-table")).to_contain_text("+1415***0123")
    expect(page.get_by_role("button", name="Add to the list")).to_have_count(0)
    expect(page.get_by_text("Managers add and remove addresses")).to_be_visible()
    shoot(page, "suppressions-rep")


def test_the_list_fits_a_phone(phone, acme_team):
    workspace, manager, _ = acme_team
    _opt_out(workspace)
    log_in(phone, manager.user.email, TEST_PASSWORD)
    phone.goto("/settings/do-not-contact/")
    expect(phone.get_by_role("heading", name="Do not contact", exact=True)).to_be_visible()
    shoot(phone, "suppressions-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
