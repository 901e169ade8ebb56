import re

import pytest
from playwright.sync_api import expect

from leadfollow.tenancy import workspace_scope
from leads.models import Lead
from leads.services import ConsentInput, intake_lead
from leads.services.changes import add_note, update_lead
from tests.browser.conftest import log_in, shoot
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = [
    # first, last, email, phone, company, title, status
    ("Dana", "Kim", "dana@harborviewdental.example", "+12125550143", "Harborview Dental",
     "Practice Manager", "new"),
    ("Luis", "Ortega", "luis@sunbeltlogistics.example", "+17135550190", "Sunbelt Logistics",
     "Facilities Director", "working"),
    ("Priya", "Natarajan", "priya@lakeshore.example", "+13125550127", "Lakeshore Montessori",
     "Head of School", "contacted"),
    ("Ethan", "Brooks", "ethan@peakbrewing.example", "+13035550112", "Peak Brewing Co.",
     "Owner", "replied"),
    ("Grace", "Liu", "grace@cedarparkvet.example", "+15125550187", "Cedar Park Veterinary",
     "Clinic Director", "meeting"),
    ("Noah", "Fischer", "noah@fischermachine.example", "+16125550105", "Fischer Machine Works",
     "COO", "qualified"),
    ("Amara", "Okafor", "amara@riversidecoop.example", "+14045550117", "Riverside Food Co-op",
     "General Manager", "working"),
    ("Mei", "Tanaka", "mei@tanakaflorals.example", "+14155550139", "Tanaka Florals",
     "Owner", "unqualified"),
    ("Carlos", "Mendez", "carlos@desertpeak.example", "+16025550184", "Desert Peak Hotels",
     "VP Engineering", "dormant"),
    ("Rachel", "Adams", "rachel@adamsdairy.example", "+18085550122", "Adams Dairy",
     "Owner", "customer"),
]  # fmt: skip
CONSENT = "I agree that Acme Roofing may text me about my quote. Reply STOP to opt out."


@pytest.fixture
def team(acme_team):
    workspace, manager, rep = acme_team
    with workspace_scope(workspace):
        for index, (first, last, email, phone, company, title, status) in enumerate(PEOPLE):
            lead = intake_lead(
                workspace=workspace,
                fields={
                    "first_name": first,
                    "last_name": last,
                    "email": email,
                    "phone": phone,
                    "company": company,
                    "title": title,
                },
                consent=ConsentInput(channel="sms", text=CONSENT) if index == 0 else None,
            ).lead
            owner = [None, rep, manager][index % 3]
            changes = {"status": status, "owner": owner.pk if owner else None}
            update_lead(workspace=workspace, lead_id=lead.pk, changes=changes, actor=manager)
        add_note(
            workspace=workspace,
            lead_id=Lead.objects.get(first_name="Dana").pk,
            text="Asked for a quote for the new clinic roof.",
            actor=rep,
        )
    return workspace, manager, rep


def _status_of(workspace, first_name: str) -> str:
    with workspace_scope(workspace):
        return Lead.objects.get(first_name=first_name).status


def _open_danas_page(page, rep) -> None:
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.goto("/leads/")
    page.get_by_role("link", name="Dana Kim").click()


def test_rep_filters_and_searches_the_list_without_reloading(page, team):
    _, _, rep = team
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.goto("/leads/")
    expect(page.locator("tbody tr")).to_have_count(len(PEOPLE))
    shoot(page, "leads-list")
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_label("Status", exact=True).select_option("working")
    expect(page).to_have_url(re.compile(r"status=working"))
    expect(page.locator("tbody tr")).to_have_count(2)

    page.get_by_label("Search").fill("okafor")
    expect(page).to_have_url(re.compile(r"q=okafor"))
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("Amara Okafor")

    page.get_by_role("link", name="Name").click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Name")
    expect(page).to_have_url(re.compile(r"sort=name"))
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.csp_violations == []


def test_list_on_a_phone_stacks_each_lead(phone, team):
    _, _, rep = team
    log_in(phone, rep.user.email, TEST_PASSWORD)
    phone.goto("/leads/")
    expect(phone.locator("tbody tr").first).to_be_visible()
    scroll_width = phone.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 390, "the page must not scroll sideways on a phone"
    shoot(phone, "leads-list-phone")


def test_rep_opens_a_lead_adds_a_note_and_changes_its_status(page, team):
    workspace, _, rep = team
    _open_danas_page(page, rep)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dana Kim")
    expect(page.locator("#timeline")).to_contain_text(CONSENT)

    page.get_by_label("Add a note").fill("Called back, she wants a site visit on Friday.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline .tl").first).to_contain_text("site visit on Friday")
    expect(page.get_by_label("Add a note")).to_have_value("")

    page.get_by_label("Status", exact=True).select_option("meeting")
    expect(page.locator("#lead-header .status")).to_have_text("Meeting booked")
    expect(page.locator("#timeline .tl").first).to_contain_text("Status: Meeting booked")
    assert _status_of(workspace, "Dana") == "meeting"
    shoot(page, "lead-page")
    assert page.csp_violations == []


# The moment after a note is saved: its answer swaps the header in again, and a status chosen
# right then (before any timer of the page's runs) must reach the server.
CHANGE_STATUS_ON_THE_NEXT_TICK = """() => document.body.addEventListener("htmx:afterSwap", () => {
    setTimeout(() => {
        const status = document.querySelector("#lead-header select[name=status]");
        status.value = "meeting";
        status.dispatchEvent(new Event("change", {bubbles: true}));
    }, 0);
}, {once: true})"""


def test_a_header_swapped_in_takes_a_change_at_once(page, team):
    workspace, _, rep = team
    _open_danas_page(page, rep)
    page.get_by_label("Add a note").fill("Booked a site visit.")
    page.evaluate(CHANGE_STATUS_ON_THE_NEXT_TICK)
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#lead-header .status")).to_have_text("Meeting booked")
    assert _status_of(workspace, "Dana") == "meeting"


def test_lead_page_on_a_phone(phone, team):
    _, _, rep = team
    _open_danas_page(phone, rep)
    expect(phone.locator("#timeline")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone, "lead-page-phone")


def test_manager_assigns_two_leads_at_once(page, team):
    workspace, manager, rep = team
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto("/leads/?owner=unassigned&sort=name")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(4)
    page.get_by_label("Select Ethan Brooks").check()
    page.get_by_label("Select Dana Kim").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 leads selected")
    page.get_by_label("Assign to").select_option(label="Raj Patel")
    shoot(page, "leads-bulk-selected")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_role("status").first).to_contain_text("Updated 2 leads")
    expect(page).to_have_url(re.compile(r"owner=unassigned"))
    expect(rows).to_have_count(2)
    with workspace_scope(workspace):
        owners = set(
            Lead.objects.filter(first_name__in=["Ethan", "Dana"]).values_list("owner", flat=True)
        )
    assert owners == {rep.pk}


def test_select_all_checks_every_row(page, team):
    _, manager, _ = team
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto("/leads/")
    page.get_by_label("Select every lead on this page").check()
    expect(page.locator("[data-bulk-count]")).to_have_text(f"{len(PEOPLE)} leads selected")


def test_rep_adds_a_lead_by_hand(page, team):
    workspace, _, rep = team
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.goto("/leads/")
    page.get_by_role("link", name="Add lead").click()
    page.get_by_label("First name").fill("Omar")
    page.get_by_label("Last name").fill("Haddad")
    page.get_by_label("Email").fill("omar@haddad")
    page.get_by_label("Phone").fill("555")
    page.get_by_role("button", name="Add lead").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    expect(page.get_by_text("is not a valid email address")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Omar")
    shoot(page, "lead-add-errors")

    page.get_by_label("Email").fill("omar@haddadautobody.example")
    page.get_by_label("Phone").fill("(313) 555-0171")
    page.get_by_label("Company").fill("Haddad Auto Body")
    page.get_by_role("button", name="Add lead").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Omar Haddad")
    expect(page.get_by_role("status").first).to_contain_text("Omar Haddad was added.")
    with workspace_scope(workspace):
        lead = Lead.objects.get(email="omar@haddadautobody.example")
    assert (lead.phone, lead.owner_id) == ("+13135550171", rep.pk)


def test_back_button_shows_the_previous_filters_with_their_table(page, team):
    _, _, rep = team
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.goto("/leads/")
    page.get_by_label("Status", exact=True).select_option("working")
    expect(page.locator("tbody tr")).to_have_count(2)
    page.get_by_label("Owner", exact=True).select_option("me")
    expect(page).to_have_url(re.compile(r"owner=me"))
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"owner=me"))
    expect(page.get_by_label("Owner", exact=True)).to_have_value("")
    expect(page.get_by_label("Status", exact=True)).to_have_value("working")
    expect(page.locator("tbody tr")).to_have_count(2)
