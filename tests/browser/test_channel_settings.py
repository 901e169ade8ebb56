import pytest
from playwright.sync_api import expect

from channels.models import PhoneNumber
from leadfollow.tenancy import workspace_scope
from tests.browser.conftest import log_in, shoot
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_sets_up_twilio_and_sends_a_test_through_the_outbox(page, acme_team):
    workspace, manager, _ = acme_team
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto("/settings/channels/")
    twilio = page.locator("#provider-twilio")
    twilio.get_by_label("Account SID").fill("AC0123456789abcdef0123456789abcdef")
    twilio.get_by_label("Auth token").fill("secret-token")
    twilio.get_by_role("button", name="Save Twilio").click()
    expect(page.locator(".flash")).to_contain_text("Twilio settings saved")
    expect(page.locator("#provider-twilio .badge")).to_have_text("Ready")

    page.get_by_role("textbox", name="Number").fill("+1 415 555 0100")
    page.get_by_label("Label").fill("Main line")
    page.get_by_role("button", name="Add number").click()
    expect(page.locator(".flash")).to_contain_text("+14155550100 added")

    page.get_by_label("Send to").fill("maya@acme.example")
    page.get_by_role("button", name="Send test").click()
    expect(page.locator("#test-send")).to_contain_text("Dev outbox accepted the message")
    shoot(page, "channel-settings")
    with workspace_scope(workspace):
        assert PhoneNumber.objects.get().is_default
    assert page.csp_violations == []


def test_channel_settings_fit_a_phone(phone, acme_team):
    _, manager, _ = acme_team
    log_in(phone, manager.user.email, TEST_PASSWORD)
    phone.goto("/settings/channels/")
    expect(phone.get_by_role("heading", name="Channels", exact=True)).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shoot(phone, "channel-settings-phone")
