"""The Reports pages in a real browser: filters, headline figures, SVG charts, tables."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leadfollow.tenancy import workspace_scope
from leads.models import Lead
from scoring.models import SlaClock
from tests.browser.conftest import log_in, shoot
from tests.factories import (
    TEST_PASSWORD,
    ActivityFactory,
    CadenceFactory,
    EnrollmentFactory,
    LeadSourceFactory,
    MessageFactory,
    SlaPolicyFactory,
    StepFactory,
    TouchFactory,
)
from tests.reports.timeline import lead_at

pytestmark = pytest.mark.django_db(transaction=True)

# (source, hours ago, minutes to first touch, minutes to first human touch)
ARRIVALS = [
    ("Website", 30, 1, 12),
    ("Website", 54, 3, 3),
    ("Website", 75, 18, 18),
    ("Google Ads", 100, 45, 45),
    ("Google Ads", 130, 2, None),
    ("Google Ads", 170, 95, 95),
    ("Referral", 200, None, None),
    ("Referral", 260, 4, 9),
]


@pytest.fixture
def reported(acme_team):
    workspace, manager, rep = acme_team
    sources = {
        name: LeadSourceFactory(workspace=workspace, name=name) for name in {a[0] for a in ARRIVALS}
    }
    policy = SlaPolicyFactory(workspace=workspace, name="New inquiries: 5 minutes")
    now = timezone.now()
    for index, (source, hours_ago, touch, human) in enumerate(ARRIVALS):
        created = now - timedelta(hours=hours_ago)
        lead = lead_at(
            workspace,
            created,
            touch_after=None if touch is None else touch * 60,
            human_after=None if human is None else human * 60,
            source=sources[source],
            owner=rep if index % 2 else manager,
            status="replied" if index % 3 == 0 else "contacted",
        )
        due = created + timedelta(minutes=5)
        met = None if touch is None else lead.first_touch_at
        SlaClock.objects.create(
            workspace=workspace,
            lead=lead,
            policy=policy,
            started_at=created,
            warn_at=created + timedelta(minutes=4),
            due_at=due,
            met_at=met,
            breached_at=due if met is None or met > due else None,
        )
    _sends_and_calls(workspace, rep, manager)
    return acme_team


def _sends_and_calls(workspace, rep, manager):
    """A welcome email with two variants (one bounced), texts, and calls logged by both."""
    with workspace_scope(workspace):
        leads = list(Lead.objects.filter(workspace=workspace))
    step = StepFactory(cadence=CadenceFactory(workspace=workspace, name="New inquiry"), position=0)
    now = timezone.now()
    for index, lead in enumerate(leads):
        email = MessageFactory(
            workspace=workspace,
            lead=lead,
            status="bounced" if index == 3 else "delivered",
            delivered_at=None if index == 3 else now,
            opened_at=now if index % 2 else None,
            replied_at=now if index % 3 == 0 else None,
        )
        enrollment = EnrollmentFactory(lead=lead, cadence=step.cadence, current_step=step)
        TouchFactory(
            enrollment=enrollment, step=step, message=email, variant=index % 2, status="sent"
        )
        MessageFactory(workspace=workspace, lead=lead, channel="sms", provider="twilio")
        actor = rep if index % 2 else manager
        ActivityFactory(
            workspace=workspace,
            lead=lead,
            kind="call_logged",
            actor=actor,
            direction="out",
            channel="call",
            occurred_at=now - timedelta(hours=index),
            payload={"outcome": "answered" if index % 3 else "no_answer"},
        )


def test_manager_reads_speed_to_lead_with_charts_and_tables(page, reported):
    _workspace, manager, _rep = reported
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    shoot(page, "reports-index-desktop")
    page.get_by_role("link", name="Speed to lead").first.click()
    expect(page.get_by_role("img", name="Share of leads by time to first touch")).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("Within 5 minutes")
    shoot(page, "reports-speed-to-lead-desktop")
    assert page.csp_violations == []


def test_a_bad_date_range_is_explained(page, reported):
    _workspace, manager, _rep = reported
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto("/reports/sla/")
    page.get_by_label("From", exact=True).fill("2026-06-10")
    page.get_by_label("To", exact=True).fill("2026-06-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("The end date must be on or after the start date.")).to_be_visible()
    shoot(page, "reports-bad-filters-desktop")


def test_reports_read_well_on_a_phone(phone, reported):
    _workspace, manager, _rep = reported
    log_in(phone, manager.user.email, TEST_PASSWORD)
    phone.goto("/reports/speed-to-lead/")
    expect(phone.get_by_role("img", name="Share of leads by time to first touch")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shoot(phone, "reports-speed-to-lead-phone")
    phone.goto("/reports/funnel/")
    shoot(phone, "reports-funnel-phone")
    phone.goto("/reports/sla/")
    shoot(phone, "reports-sla-phone")
    phone.goto("/reports/channels/")
    expect(phone.get_by_role("status").first).to_contain_text("bounced")
    shoot(phone, "reports-channels-phone")


def test_channels_leaderboard_and_cadence_funnel_on_a_desktop(page, reported):
    _workspace, manager, _rep = reported
    log_in(page, manager.user.email, TEST_PASSWORD)
    for slug in ("channels", "cadence-funnel", "leaderboard"):
        page.goto(f"/reports/{slug}/")
        expect(page.get_by_role("img").first).to_be_visible()
        shoot(page, f"reports-{slug}-desktop")
    assert page.csp_violations == []
