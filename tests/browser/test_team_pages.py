"""The Tasks page, the account view and the team board, in a real browser."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cadences.models import Task, Touch
from cadences.services.dispatch import dispatch_due
from cadences.services.enrollment import enroll
from leadfollow.models import Role
from leadfollow.tenancy import unscoped, workspace_scope
from leads.models import Lead
from leads.services import intake_lead
from leads.services.changes import update_lead
from scoring.models import RepAvailability, SlaClock
from tests.browser.conftest import log_in, shoot
from tests.factories import (
    TEST_PASSWORD,
    CadenceFactory,
    MembershipFactory,
    StepFactory,
    TaskFactory,
    TimeOffFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = [
    # first, last, email, company, status
    ("Dana", "Kim", "dana@harborviewdental.example", "Harborview Dental", "new"),
    ("Omar", "Haddad", "omar@harborviewdental.example", "Harborview Dental", "working"),
    ("Lena", "Park", "lena@harborviewdental.example", "Harborview Dental", "customer"),
    ("Luis", "Ortega", "luis@sunbeltlogistics.example", "Sunbelt Logistics", "contacted"),
    ("Priya", "Natarajan", "priya@lakeshore.example", "Lakeshore Montessori", "replied"),
]


@pytest.fixture
def office(acme_team):
    """Acme's team with leads for Raj (two at Harborview Dental), his tasks and a cadence."""
    workspace, manager, rep = acme_team
    sam = MembershipFactory(
        workspace=workspace, role=Role.REP, user__first_name="Sam", user__last_name="Lee"
    )
    now = timezone.now()
    leads = {}
    with workspace_scope(workspace):
        for first, last, email, company, status in PEOPLE:
            lead = intake_lead(
                workspace=workspace,
                fields={"first_name": first, "last_name": last, "email": email, "company": company},
            ).lead
            changes = {"status": status, "owner": rep.pk}
            leads[first] = update_lead(
                workspace=workspace, lead_id=lead.pk, changes=changes, actor=manager
            )
        Lead.objects.filter(pk=leads["Priya"].pk).update(awaiting_reply_since=now)
        SlaClock.objects.update_or_create(
            workspace=workspace,
            lead=leads["Luis"],
            defaults={"started_at": now, "warn_at": now, "due_at": now, "breached_at": now},
        )
        cadence = CadenceFactory(workspace=workspace, name="New patient leads")
        StepFactory(
            cadence=cadence,
            position=0,
            kind="call_task",
            delay=0,
            subject="Call Dana back",
            body="Offer the free first check-up; ask which days suit her.",
        )
        StepFactory(cadence=cadence, position=1, kind="email", delay=2, delay_unit="days")
        enroll(workspace=workspace, lead=leads["Dana"], cadence=cadence, now=now)
    dispatch_due(now=now)
    with unscoped():
        Task.objects.filter(lead=leads["Dana"]).update(due_at=now - timedelta(hours=2))
    TaskFactory(
        workspace=workspace,
        lead=leads["Omar"],
        assignee=rep,
        title="Send Omar the maintenance plan",
        notes="He asked for the two-year option.",
        due_at=now + timedelta(minutes=50),
    )
    TaskFactory(
        workspace=workspace,
        lead=leads["Luis"],
        assignee=rep,
        kind="call",
        title="Check the loading dock survey",
        due_at=now + timedelta(days=2),
    )
    RepAvailability.objects.create(workspace=workspace, membership=sam, is_available=False)
    TimeOffFactory(workspace=workspace, membership=manager)
    return workspace, manager, rep, sam, leads


def test_a_rep_completes_a_task_with_an_outcome(page, office):
    workspace, _, rep, _, leads = office
    with unscoped():
        task = Task.objects.get(lead=leads["Dana"])
        next_task = Task.objects.get(lead=leads["Omar"])
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.goto("/inbox/tasks/")
    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
    shoot(page, "tasks-desktop")
    row = page.locator(f"#task-{task.pk}")
    expect(row).to_contain_text("Cadence “New patient leads”, step 1")
    row.get_by_label("Outcome").select_option("voicemail")
    row.get_by_label("Note").fill("Left the new-patient offer")
    row.get_by_role("button", name=re.compile(r"^Mark done")).click()
    expect(page.locator("#task-status")).to_contain_text("Done: Call Dana back (left a voicemail).")
    expect(row).to_have_count(0)
    expect(page.locator(f"#task{next_task.pk}-outcome")).to_be_focused()
    expect(page.locator("#task-count-overdue")).to_have_text("0")
    shoot(page, "tasks-after-done")
    with unscoped():
        touches = list(Touch.objects.filter(task=task).values_list("status", "outcome"))
        assert Task.objects.get(pk=task.pk).outcome == "voicemail"
    assert touches == [("done", "voicemail")]


def test_a_manager_reassigns_two_leads_on_the_team_board(page, office):
    workspace, manager, rep, sam, leads = office
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto("/inbox/team/")
    expect(page.get_by_role("heading", name="Team board")).to_be_visible()
    shoot(page, "team-board-desktop")
    page.get_by_role("link", name="Reassign leads of Raj Patel").click()
    panel = page.locator("#reassign")
    panel.get_by_label("Omar Haddad").check()
    panel.get_by_label("Luis Ortega").check()
    panel.get_by_label("Move the ticked leads to").select_option(label="Sam Lee")
    page.evaluate("window.scrollTo(0, 0)")  # the sticky bar would cover a full-page shot
    shoot(page, "team-board-reassign")
    panel.get_by_role("button", name="Reassign").click()
    expect(page.locator(".flash--success")).to_contain_text("Moved 2 leads to Sam Lee.")
    with unscoped():
        owners = {
            lead.first_name: lead.owner_id
            for lead in Lead.objects.filter(pk__in=[leads["Omar"].pk, leads["Luis"].pk])
        }
    assert owners == {"Omar": sam.pk, "Luis": sam.pk}


def test_the_account_page_lists_everyone_at_the_company(page, office):
    workspace, _, rep, _, leads = office
    log_in(page, rep.user.email, TEST_PASSWORD)
    page.goto("/accounts/")
    page.get_by_role("searchbox", name="Search").fill("harbor")
    page.get_by_role("link", name="Harborview Dental").click()
    expect(page.get_by_role("heading", name="Harborview Dental", exact=True)).to_be_visible()
    expect(page.locator("table")).to_contain_text("Omar Haddad")
    expect(page.locator("table")).to_contain_text("In a cadence")
    shoot(page, "account-desktop")


def test_the_three_pages_on_a_phone(phone, office):
    workspace, manager, rep, _, leads = office
    log_in(phone, manager.user.email, TEST_PASSWORD)
    pages = {
        "tasks-phone": "/inbox/tasks/?who=all",
        "team-board-phone": f"/inbox/team/?rep={rep.pk}#reassign",
        "account-phone": f"/accounts/{leads['Dana'].account_id}/",
    }
    for name, url in pages.items():
        phone.goto(url)
        if name == "tasks-phone":  # show one task's reschedule and hand-over forms too
            phone.locator(".taskmore summary").first.click()
        phone.evaluate("window.scrollTo(0, 0)")  # the sticky bar would cover a full-page shot
        shoot(phone, name)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, name
