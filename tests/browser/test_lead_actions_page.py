"""The rep works a lead from its page: a text with its verdict and segments, a call, a task and
a meeting, each landing on the timeline without a reload."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from cadences.services.enrollment import enroll
from channels.compliance import channel_settings
from channels.models import Message
from channels.services.calls import start_click_to_call
from channels.services.events import lead_replied, record_call_outcome
from channels.services.sending import Outgoing, send_message
from leadfollow.tenancy import workspace_scope
from leads.models import Consent
from tests.browser.conftest import log_in, shoot
from tests.factories import (
    TEST_PASSWORD,
    AccountFactory,
    ActivityFactory,
    CadenceFactory,
    LeadFactory,
    StepFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dana(acme_team):
    workspace, _, rep = acme_team
    with workspace_scope(workspace):
        # Texts may go out at any hour here, so the test does not depend on the clock.
        settings = channel_settings(workspace)
        settings.quiet_hours_start, settings.quiet_hours_end = time(0, 0), time(23, 59, 59)
        settings.save()
        lead = LeadFactory(
            workspace=workspace,
            first_name="Dana",
            last_name="Kim",
            title="Office manager",
            account=AccountFactory(workspace=workspace, name="Harborview Dental"),
            time_zone="America/Los_Angeles",
            owner=rep,
        )
        for channel in ("sms", "call"):
            Consent.objects.create(
                workspace=workspace,
                lead=lead,
                channel=channel,
                text="I agree to calls and texts from Acme Roofing.",
                captured_at=datetime.now(UTC),
            )
        ActivityFactory(workspace=workspace, lead=lead, summary="Asked for a roof quote")
    return workspace, rep, lead


def _tomorrow_at(hour: int) -> str:
    return (datetime.now(UTC) + timedelta(days=1)).strftime(f"%Y-%m-%dT{hour:02d}:00")


def test_rep_texts_calls_plans_and_books_from_the_lead_page(page, dana):
    workspace, rep, lead = dana
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.goto(f"/leads/{lead.pk}/#reply")

    reply = page.locator("#reply")
    reply.get_by_label("Message").fill(
        "Hi {{ lead.first_name }}, it's Raj. Is 3pm good for a call?"
    )
    expect(reply.locator(".verdict")).to_contain_text("Ready")
    expect(reply.locator(".composer__segments")).to_contain_text("1 segment")
    reply.get_by_role("button", name="Send").click()
    expect(page.locator("#reply")).to_contain_text("Text sent.")
    expect(page.locator("#timeline .bubble--out").first).to_contain_text("Hi Dana, it's Raj.")
    with workspace_scope(workspace):
        assert Message.objects.get(lead=lead, channel="sms").provider == "outbox"

    page.get_by_role("link", name="Call", exact=True).click()
    call = page.locator("#call")
    call.get_by_label("Your phone").fill("(415) 555-2671")
    call.get_by_role("button", name="Call (212)").click()
    expect(page.locator("#call")).to_contain_text("Calling your phone now.")
    after_call = page.locator("#call .callnow")
    after_call.get_by_label("Outcome").select_option("voicemail")
    after_call.get_by_role("button", name="Save the call's outcome").click()
    expect(page.locator("#timeline .tl").first).to_contain_text("Call: left a voicemail")
    # One call, one entry: the outcome shows on the placed call's entry.
    expect(page.locator("#timeline .tl", has_text="left a voicemail")).to_have_count(1)
    expect(page.locator("#timeline .tl", has_text="Call placed")).to_have_count(0)
    call.get_by_text("Log a call made from another phone").click()
    call.get_by_label("Outcome").select_option("answered")
    call.get_by_label("Duration (minutes)").fill("5")
    call.get_by_label("Notes").fill("Wants the quote by Friday.")
    call.get_by_role("button", name="Log the call").click()
    expect(page.locator("#call")).to_contain_text("Call logged.")
    expect(page.locator("#timeline .tl").first).to_contain_text("Call: answered, 5 min")

    page.get_by_role("link", name="Task", exact=True).click()
    task = page.locator("#task")
    task.get_by_label("What needs doing").fill("Send the quote")
    task.get_by_label("Due").fill(_tomorrow_at(10))
    task.get_by_role("button", name="Add task").click()
    expect(page.locator("#task")).to_contain_text("Task added.")
    expect(page.locator("#timeline .tl").first).to_contain_text("Task: Send the quote")

    page.get_by_role("link", name="Meeting", exact=True).click()
    meeting = page.locator("#meeting")
    meeting.get_by_label("Meeting time").fill(_tomorrow_at(14))
    meeting.get_by_role("button", name="Book the meeting").click()
    expect(page.locator("#meeting")).to_contain_text("Meeting booked.")
    expect(page.locator("#lead-header .status")).to_have_text("Meeting booked")
    shoot(page, "lead-actions-done")
    assert page.csp_violations == []


def test_the_composer_warns_before_sending_in_quiet_hours(page, dana):
    workspace, rep, lead = dana
    with workspace_scope(workspace):
        settings = channel_settings(workspace)
        # A window that closed a minute ago, whatever the time is now, in the lead's zone.
        now = datetime.now(UTC).astimezone(ZoneInfo("America/Los_Angeles"))
        settings.quiet_hours_start = (now + timedelta(hours=1)).time().replace(second=0)
        settings.quiet_hours_end = (now - timedelta(minutes=1)).time().replace(second=0)
        settings.save()
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.goto(f"/leads/{lead.pk}/#reply")
    reply = page.locator("#reply")
    reply.get_by_label("Message").fill("Hi {{ lead.first_name }} 👋")
    expect(reply.locator(".verdict")).to_contain_text("Outside quiet hours: will send at")
    expect(reply.locator(".composer__segments")).to_contain_text("UCS-2")
    expect(reply.get_by_role("button", name=re.compile("Remind me at"))).to_be_visible()
    shoot(page, "lead-actions-reply-quiet-hours")
    assert page.csp_violations == []


def test_the_timeline_reads_as_a_conversation(page, phone, dana):
    workspace, rep, lead = dana
    with workspace_scope(workspace):
        quote = send_message(
            workspace=workspace,
            lead=lead,
            outgoing=Outgoing(
                channel="email",
                subject="Your roof quote",
                text="Hi Dana,\n\nHere is the quote for the clinic's flat roof.",
                html="<p>Hi Dana,</p><p>Here is the quote.</p>",
            ),
        ).message
        lead_replied(
            workspace=workspace,
            lead=lead,
            channel="email",
            text="Thanks! Can you start in March?",
            html="<p>Thanks! <b>Can you start in March?</b></p>",
            subject="Re: Your roof quote",
            provider="outbox",
            in_reply_to=quote,
        )
        call = start_click_to_call(
            workspace=workspace, lead=lead, rep=rep, rep_phone="+14155552671"
        ).message
        record_call_outcome(
            message=call,
            outcome="answered",
            duration_seconds=192,
            recording_url="https://recordings.example/call-1.mp3",
        )
        lead_replied(
            workspace=workspace, lead=lead, channel="sms", text="Call me at 3", provider="outbox"
        )
        # Enrolled after the replies, which would have stopped it.
        cadence = CadenceFactory(workspace=workspace, name="New roof inquiry")
        StepFactory(cadence=cadence, kind="sms", delay=2, delay_unit="days", body="Still keen?")
        enroll(workspace=workspace, lead=lead, cadence=cadence)
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.goto(f"/leads/{lead.pk}/")
    expect(page.locator("#timeline .bubble--in")).to_contain_text("Call me at 3")
    expect(page.locator("#timeline")).to_contain_text("Call answered, 3 min 12 s")
    expect(page.get_by_role("link", name="Listen to the recording")).to_be_visible()
    page.get_by_text("Re: Your roof quote").click()
    expect(page.locator("#timeline")).to_contain_text("Can you start in March?")
    expect(page.locator("#lead-header")).to_contain_text("New roof inquiry")
    shoot(page, "lead-actions-timeline")
    log_in(phone, rep.user.email, TEST_PASSWORD)
    phone.goto(f"/leads/{lead.pk}/")
    expect(phone.locator("#timeline .bubble--in")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone, "lead-actions-timeline-phone")
    assert page.csp_violations == []


def test_manager_saves_a_reply_template_and_starts_a_text_from_it(page, dana, acme_team):
    _, manager, _ = acme_team
    _, _, lead = dana
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto("/settings/reply-templates/")
    page.get_by_role("link", name="Add a template").click()
    page.get_by_label("Name").fill("Missed you")
    page.get_by_label("Message").fill("Hi {{ lead.frist_name }}, sorry I missed your call.")
    page.get_by_role("button", name="Save template").click()
    expect(page.locator(".errorlist")).to_contain_text("lead.first_name")
    page.get_by_label("Message").fill("Hi {{ lead.first_name }}, sorry I missed your call.")
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_role("link", name="Missed you")).to_be_visible()
    shoot(page, "reply-templates")

    page.goto(f"/leads/{lead.pk}/#reply")
    reply = page.locator("#reply")
    reply.get_by_label("Start from a template").select_option(label="Missed you · Text")
    reply.get_by_role("button", name="Use template").click()
    expect(page.locator("#reply").get_by_label("Message")).to_have_value(
        "Hi {{ lead.first_name }}, sorry I missed your call."
    )
    expect(page.locator("#reply .composer__filled")).to_contain_text("Hi Dana, sorry")
    assert page.csp_violations == []


def test_call_outcome_form_on_a_phone(phone, dana):
    _, rep, lead = dana
    log_in(phone, rep.user.email, TEST_PASSWORD)
    phone.goto(f"/leads/{lead.pk}/#call")
    call = phone.locator("#call")
    call.get_by_label("Your phone").fill("(415) 555-2671")
    call.get_by_role("button", name="Call (212)").click()
    expect(phone.locator("#call")).to_contain_text("Calling your phone now.")
    phone.locator("#call").get_by_role("button", name="Save the call's outcome").click()
    expect(phone.locator("#call .callnow .errorlist")).to_contain_text("Choose how the call went.")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone, "lead-actions-call-phone")


def test_rep_enrolls_the_lead_then_pauses_its_cadence_from_the_header(page, dana):
    workspace, rep, lead = dana
    with workspace_scope(workspace):
        cadence = CadenceFactory(workspace=workspace, name="New roof inquiry")
        StepFactory(cadence=cadence, kind="sms", delay=2, delay_unit="days", body="Still keen?")
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.goto(f"/leads/{lead.pk}/")
    page.get_by_label("Enroll in").select_option(label="New roof inquiry")
    page.get_by_role("button", name="Enroll", exact=True).click()
    header = page.locator("#lead-header")
    expect(header).to_contain_text("New roof inquiry")
    header.get_by_role("button", name="Pause cadence").click()
    expect(page.locator("#lead-header")).to_contain_text("Paused")
    expect(page.locator("#lead-cadences")).to_contain_text("Paused")
    expect(page.get_by_role("button", name="Resume cadence")).to_be_visible()
    assert page.csp_violations == []


def test_the_call_link_opens_the_call_panel(page, dana):
    _, rep, lead = dana
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.goto(f"/leads/{lead.pk}/#call")
    expect(page.locator("#call")).to_be_visible()
    expect(page.locator("#reply")).to_be_hidden()


def test_lead_actions_on_a_phone(phone, dana):
    _, rep, lead = dana
    log_in(phone, rep.user.email, TEST_PASSWORD)
    phone.goto(f"/leads/{lead.pk}/#reply")
    phone.locator("#reply").get_by_label("Message").fill("Hi {{ lead.first_name }}")
    expect(phone.locator("#reply .verdict")).to_contain_text("Ready")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone, "lead-actions-phone")
