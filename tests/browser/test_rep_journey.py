"""A rep's first minutes with a new lead, end to end in the browser: the lead arrives through
intake (scored, routed to the rep, SLA clock started, enrolled in a cadence), the rep texts it
from the lead page through the dev outbox, the lead answers, and the inbox and the cadence card
show the reply."""

from __future__ import annotations

import re
from datetime import time

import pytest
from playwright.sync_api import expect

from channels.compliance import channel_settings
from channels.models import Message
from leadfollow.tenancy import workspace_scope
from leads.models import Lead
from leads.services import ConsentInput, intake_lead
from tests.browser.conftest import log_in, shoot
from tests.factories import (
    TEST_PASSWORD,
    CadenceFactory,
    RoutingRuleFactory,
    SlaPolicyFactory,
    StepFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def new_lead(acme_team):
    workspace, _, rep = acme_team
    with workspace_scope(workspace):
        settings = channel_settings(workspace)
        # Texts may go out at any hour here, so the journey does not depend on the clock.
        settings.quiet_hours_start, settings.quiet_hours_end = time(0, 0), time(23, 59, 59)
        settings.save()
        RoutingRuleFactory(workspace=workspace, name="Everyone to Raj", member=rep)
        SlaPolicyFactory(workspace=workspace, name="Answer within 5 minutes", minutes=5)
        cadence = CadenceFactory(workspace=workspace, name="New roof inquiry", auto_enroll=True)
        # The cadence's first text is a day away: the rep's own text is the first touch.
        StepFactory(cadence=cadence, kind="sms", delay=1, delay_unit="days", subject="")
        lead = intake_lead(
            workspace=workspace,
            fields={
                "first_name": "Dana",
                "last_name": "Kim",
                "email": "dana@harborview.example",
                "phone": "+12125550284",
            },
            consent=ConsentInput(channel="sms", text="Acme Roofing may text me about my quote."),
        ).lead
    return workspace, rep, lead


def test_rep_answers_a_new_lead_and_sees_its_reply_stop_the_cadence(page, new_lead):
    workspace, rep, lead = new_lead
    log_in(page, rep.user.email, TEST_PASSWORD)

    page.goto("/inbox/")
    row = page.locator(
        "[data-inbox-row]", has=page.get_by_role("link", name="Dana Kim", exact=True)
    )
    expect(row).to_contain_text("New lead")
    expect(row.locator("[data-countdown]")).to_have_text(re.compile(r"\dm \d\ds left"))
    shoot(page, "journey-1-inbox-new-lead")

    row.get_by_role("link", name="Dana Kim", exact=True).click()
    expect(page.locator("#lead-cadences")).to_contain_text("New roof inquiry")
    reply = page.locator("#reply")
    reply.get_by_label("Message").fill("Hi {{ lead.first_name }}, it's Raj. Free for a call at 3?")
    expect(reply.locator(".verdict")).to_contain_text("Ready")
    reply.get_by_role("button", name="Send").click()
    expect(reply).to_contain_text("Text sent.")

    page.goto("/outbox/")
    with workspace_scope(workspace):
        sent = Message.objects.get(lead=lead, channel="sms", direction="out")
    assert sent.body_text == "Hi Dana, it's Raj. Free for a call at 3?"
    outbox_row = page.locator(f"#outbox-{sent.pk}")
    outbox_row.get_by_label("Reply text for Dana Kim").fill("Yes, 3 works. Call my cell.")
    outbox_row.get_by_role("button", name="Reply").click()
    expect(outbox_row).to_contain_text("Yes, 3 works.")

    page.goto("/inbox/")
    row = page.locator(
        "[data-inbox-row]", has=page.get_by_role("link", name="Dana Kim", exact=True)
    )
    expect(row).to_contain_text("Yes, 3 works. Call my cell.")
    expect(row).to_contain_text("Replied")
    shoot(page, "journey-2-inbox-reply")

    row.get_by_role("link", name="Dana Kim", exact=True).click()
    expect(page.locator("#lead-cadences")).to_contain_text("Replied")
    shoot(page, "journey-3-lead-stopped")
    with workspace_scope(workspace):
        stopped = Lead.objects.get(pk=lead.pk).enrollments.get()
    assert (stopped.status, stopped.exit_reason) == ("exited", "replied")
    assert page.csp_violations == []
