import pytest
from playwright.sync_api import expect

from leadfollow.models import Membership, Role, User
from leadfollow.tenancy import workspace_scope
from tests.browser.conftest import log_in, shoot
from tests.factories import TEST_PASSWORD, MembershipFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def team(acme_team):
    return acme_team


def test_signup_lands_in_the_new_workspace_with_the_full_layout(page):
    page.goto("/signup/")
    shoot(page, "signup")
    page.get_by_label("Full name").fill("Dana Fox")
    page.get_by_label("Email").fill("dana@example.test")
    page.get_by_label("Password").fill("a-long-enough-secret-42")
    page.get_by_label("Company or team name").fill("Fox Plumbing")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome to LeadFollow")
    nav = page.get_by_role("navigation", name="Main")
    for label in ["Inbox", "Leads", "Cadences", "Rules", "Reports", "Settings"]:
        expect(nav).to_contain_text(label)
    expect(page.locator(".switcher")).to_contain_text("Fox Plumbing")
    shoot(page, "after-signup")
    assert page.csp_violations == []


def test_signup_errors_are_shown_next_to_the_fields(page):
    page.goto("/signup/")
    page.get_by_label("Full name").fill("Dana Fox")
    page.get_by_label("Email").fill("dana@example.test")
    page.get_by_label("Password").fill("123")
    page.get_by_label("Company or team name").fill("Fox Plumbing")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.locator(".errorlist")).to_contain_text("too short")
    expect(page.get_by_label("Email")).to_have_value("dana@example.test")
    shoot(page, "signup-errors")


def test_manager_changes_a_role_in_place_with_htmx(page, team):
    workspace, manager, rep = team
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto("/settings/members/")
    page.get_by_label("Role of Raj Patel").select_option("manager")
    expect(page.locator(f"#member-{rep.pk} select")).to_have_value("manager")
    page.wait_for_load_state("networkidle")
    with workspace_scope(workspace):
        assert Membership.objects.get(pk=rep.pk).role == Role.MANAGER
    shoot(page, "members")


def test_manager_creates_and_revokes_an_api_key(page, team):
    workspace, manager, _ = team
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto("/settings/api-keys/")
    page.get_by_label("Name").fill("Website form")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key")).to_contain_text("lf_")
    shoot(page, "api-key-created")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator("tbody")).to_contain_text("Revoked")


def test_switcher_moves_between_workspaces(page, team):
    _, manager, _ = team
    second = WorkspaceFactory(name="Second Branch")
    MembershipFactory(workspace=second, user=manager.user, role=Role.OWNER)
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.locator(".switcher summary").click()
    shoot(page, "switcher-open")
    page.get_by_role("button", name="Second Branch").click()
    expect(page.get_by_role("status")).to_contain_text("Now working in Second Branch")
    expect(page.locator(".switcher__name")).to_have_text("Second Branch")


def test_rep_sees_a_clear_403_on_manager_pages(page, team):
    _, _, rep = team
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.goto("/settings/members/")
    expect(page.get_by_role("heading", name="You can’t open this page")).to_be_visible()


def test_layout_fits_a_phone_screen(phone, team):
    _, manager, _ = team
    log_in(phone, manager.user.email, TEST_PASSWORD)
    phone.goto("/settings/members/")
    # A mobile browser widens its layout viewport to fit overflowing content: compare with 390.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone, "members-phone")


def test_a_long_member_email_scrolls_in_its_table_not_the_page(phone, team):
    _, manager, rep = team
    User.objects.filter(pk=rep.user.pk).update(email="raj.patel.field.sales.east@example.test")
    log_in(phone, manager.user.email, TEST_PASSWORD)
    phone.goto("/settings/members/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
