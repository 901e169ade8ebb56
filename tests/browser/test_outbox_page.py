from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from channels.models import Message
from channels.services.sending import Outgoing, send_message
from leadfollow.tenancy import workspace_scope
from leads.models import Consent, Lead
from tests.browser.conftest import log_in, shoot
from tests.factories import TEST_PASSWORD, LeadFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)  # 12:00 in New York


@pytest.fixture
def outbox(acme_team):
    workspace, manager, rep = acme_team
    with workspace_scope(workspace):
        lead = LeadFactory(
            workspace=workspace,
            first_name="Dana",
            last_name="Kim",
            time_zone="America/New_York",
            owner=rep,
        )
        Consent.objects.create(
            workspace=workspace, lead=lead, channel="sms", text="Yes", captured_at=NOON
        )
        for outgoing in (
            Outgoing(
                channel="email",
                subject="Your solar quote from Acme",
                text="Hi Dana,\n\nThanks for asking about solar for Harborview Dental. "
                "Here is what a 40 kW system would look like.",
            ),
            Outgoing(channel="sms", text="Hi Dana, it's Raj from Acme. Is now a good time?"),
        ):
            send_message(workspace=workspace, lead=lead, outgoing=outgoing, now=NOON)
    return workspace, rep, lead


def test_rep_answers_a_text_as_the_lead_and_sees_it_in_place(page, outbox):
    workspace, rep, lead = outbox
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.goto("/outbox/")
    with workspace_scope(workspace):
        sms = Message.objects.get(channel="sms")
    row = page.locator(f"#outbox-{sms.pk}")
    row.get_by_label("Reply text for Dana Kim").fill("Yes, call me after 3")
    row.get_by_role("button", name="Reply").click()
    expect(page.locator(f"#outbox-{sms.pk}")).to_contain_text("Yes, call me after 3")
    shoot(page, "outbox")
    with workspace_scope(workspace):
        assert Lead.objects.get(pk=lead.pk).first_reply_at is not None
    assert page.csp_violations == []


def test_outbox_fits_a_phone(phone, outbox):
    _, rep, _ = outbox
    log_in(phone, rep.user.email, TEST_PASSWORD)
    phone.goto("/outbox/")
    expect(phone.get_by_role("heading", name="Dev outbox")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone, "outbox-phone")
