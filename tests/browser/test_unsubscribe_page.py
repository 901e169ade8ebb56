import pytest
from playwright.sync_api import expect

from channels.unsubscribe import unsubscribe_token
from leadfollow.tenancy import workspace_scope
from leads.models import Lead
from tests.browser.conftest import shoot
from tests.factories import LeadFactory, MessageFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_lead_unsubscribes_on_a_phone_without_logging_in(phone):
    workspace = WorkspaceFactory(name="Acme Roofing", slug="acme")
    with workspace_scope(workspace):
        lead = LeadFactory(workspace=workspace, email="jordan.lee@example.com")
        message = MessageFactory(workspace=workspace, lead=lead)
    phone.goto(f"/u/{unsubscribe_token(message)}/")
    expect(phone.get_by_role("heading", name="Unsubscribe from Acme Roofing?")).to_be_visible()
    shoot(phone, "unsubscribe-confirm-phone")

    phone.get_by_role("button", name="Unsubscribe").click()
    expect(phone.get_by_role("heading", name="You're unsubscribed")).to_be_visible()
    expect(phone.get_by_text("You won't get more emails from Acme Roofing")).to_be_visible()
    shoot(phone, "unsubscribe-done-phone")
    with workspace_scope(workspace):
        assert Lead.objects.get(pk=lead.pk).do_not_email is True


def test_broken_link_explains_itself(page):
    page.goto("/u/not-a-real-token/")
    expect(page.get_by_role("heading", name="This unsubscribe link doesn't work")).to_be_visible()
    assert page.csp_violations == []
    shoot(page, "unsubscribe-invalid")
