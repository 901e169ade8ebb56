"""The inbox in a real browser: SLA timers, live updates, the keyboard, the bell, a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in, shoot
from tests.factories import (
    TEST_PASSWORD,
    AccountFactory,
    ActivityFactory,
    LeadFactory,
    LeadScoreFactory,
    NotificationFactory,
    SlaClockFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _reply(workspace, owner, first, last, company, text):
    since = timezone.now() - timedelta(minutes=12)
    lead = LeadFactory(
        workspace=workspace,
        owner=owner,
        first_name=first,
        last_name=last,
        account=AccountFactory(workspace=workspace, name=company),
        awaiting_reply_since=since,
    )
    ActivityFactory(
        workspace=workspace,
        lead=lead,
        kind="replied",
        direction="in",
        channel="sms",
        summary=f"Replied by sms: {text}",
        occurred_at=since,
    )
    return lead


@pytest.fixture
def queue(acme_team):
    """Raj's morning: a new lead on the clock, one already late, a reply, a call, a meeting."""
    workspace, manager, rep = acme_team
    now = timezone.now()
    fresh = LeadFactory(
        workspace=workspace,
        owner=rep,
        first_name="Dana",
        last_name="Kim",
        account=AccountFactory(workspace=workspace, name="Harborview Dental"),
    )
    SlaClockFactory(workspace=workspace, lead=fresh, warn_at=now + timedelta(minutes=4))
    LeadScoreFactory(workspace=workspace, lead=fresh, total=72, band="hot")
    late = LeadFactory(
        workspace=workspace,
        owner=rep,
        first_name="Luis",
        last_name="Ortega",
        account=AccountFactory(workspace=workspace, name="Sunbelt Logistics"),
    )
    SlaClockFactory(
        workspace=workspace,
        lead=late,
        started_at=now - timedelta(minutes=20),
        warn_at=now - timedelta(minutes=16),
        due_at=now - timedelta(minutes=15),
        breached_at=now - timedelta(minutes=15),
    )
    _reply(workspace, rep, "Ethan", "Brooks", "Peak Brewing Co.", "Sounds good, what does it cost?")
    TaskFactory(
        workspace=workspace,
        lead=LeadFactory(workspace=workspace, owner=rep, first_name="Amara", last_name="Okafor"),
        kind="call",
        title="Call Amara about the roof inspection",
        due_at=now - timedelta(minutes=30),
    )
    LeadFactory(
        workspace=workspace,
        owner=rep,
        first_name="Grace",
        last_name="Liu",
        status="meeting",
        meeting_at=now + timedelta(days=1),
    )
    NotificationFactory.create_batch(3, workspace=workspace, recipient=rep)
    return workspace, rep


def test_rep_works_the_inbox_from_the_keyboard(page, queue):
    workspace, rep = queue
    log_in(page, rep.user.email, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    expect(page).to_have_title("(5) Inbox · LeadFollow")

    dana = page.locator("[data-inbox-row]", has_text="Dana Kim")
    expect(dana.locator("time[data-countdown]")).to_have_text(re.compile(r"^4m \d\ds left$"))
    luis = page.locator("[data-inbox-row]", has_text="Luis Ortega")
    expect(luis.locator("time[data-countdown]")).to_have_text(re.compile(r"overdue$"))
    expect(luis.locator("time[data-countdown]")).to_have_class(re.compile("countdown--late"))
    expect(page.get_by_role("link", name="Notifications, 3 unread")).to_be_visible()
    shoot(page, "inbox-desktop")

    page.keyboard.press("j")
    expect(page.get_by_role("link", name="Luis Ortega", exact=True)).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("k")
    rows = page.locator("[data-inbox-row]")
    expect(rows.nth(1)).to_have_class(re.compile("is-selected"))

    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    shoot(page, "inbox-shortcuts")
    page.keyboard.press("Tab")
    expect(help_dialog.get_by_role("button", name="Close the shortcuts")).to_be_focused()
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    expect(rows.nth(1).locator("[data-inbox-open]")).to_be_focused()

    page.keyboard.press("/")
    expect(page.get_by_label("Search")).to_be_focused()
    page.keyboard.type("j")  # typing in the search box is not a shortcut
    expect(page.get_by_label("Search")).to_have_value("j")
    assert page.csp_violations == []


def test_r_opens_the_selected_lead_at_its_reply_box(page, queue):
    workspace, rep = queue
    log_in(page, rep.user.email, TEST_PASSWORD)
    dana = page.locator("[data-inbox-row]", has_text="Dana Kim")
    dana.locator("[data-inbox-open]").focus()
    page.keyboard.press("r")
    expect(page).to_have_url(re.compile(r"/leads/\d+/#reply$"))


def test_marking_a_task_done_with_e_takes_it_off_the_queue(page, queue):
    workspace, rep = queue
    log_in(page, rep.user.email, TEST_PASSWORD)
    call = page.locator("[data-inbox-row]", has_text="Call Amara about the roof inspection")
    call.locator("[data-inbox-open]").focus()
    page.keyboard.press("e")
    expect(call).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="Done: Call Amara")).to_be_visible()
    expect(page).to_have_title("(4) Inbox · LeadFollow")


def test_a_new_reply_appears_by_itself_with_a_new_badge(page, queue):
    workspace, rep = queue
    log_in(page, rep.user.email, TEST_PASSWORD)
    expect(page.locator("[data-inbox-row]")).to_have_count(5)
    _reply(workspace, rep, "Priya", "Natarajan", "Lakeshore Montessori", "Can you come Tuesday?")
    arrived = page.locator("[data-inbox-row]", has_text="Priya Natarajan")
    expect(arrived).to_be_visible(timeout=12_000)
    expect(arrived.get_by_text("New", exact=True)).to_be_visible()
    expect(arrived).to_contain_text("Can you come Tuesday?")
    expect(page).to_have_title("(6) Inbox · LeadFollow")
    shoot(page, "inbox-live-new-reply")

    page.get_by_role("radio", name=re.compile(r"^Replies")).check()
    expect(page.locator("[data-inbox-row]")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"section=reply"))
    _reply(workspace, rep, "Noah", "Fischer", "Fischer Machine Works", "Call me after lunch")
    expect(page.locator("[data-inbox-row]", has_text="Noah Fischer")).to_be_visible(timeout=12_000)
    expect(page.locator("[data-inbox-row]")).to_have_count(3)


def test_inbox_on_a_phone(phone, queue):
    workspace, rep = queue
    log_in(phone, rep.user.email, TEST_PASSWORD)
    row = phone.locator("[data-inbox-row]", has_text="Dana Kim")
    expect(row).to_be_visible()
    box = row.bounding_box()
    assert box is not None
    assert box["width"] <= 390
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    shoot(phone, "inbox-phone")


def test_bell_opens_the_notifications_and_clears_its_count(page, queue):
    workspace, rep = queue
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.get_by_role("link", name="Notifications, 3 unread").click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(page.locator(".notelist__item--unread")).to_have_count(3)
    shoot(page, "notifications")
    page.goto("/inbox/")
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
