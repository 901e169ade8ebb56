"""A manager builds a three-step cadence in the browser and previews it for a lead."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cadences.models import Cadence, Enrollment, Touch
from leadfollow.tenancy import workspace_scope
from tests.browser.conftest import log_in, shoot
from tests.factories import TEST_PASSWORD, CadenceFactory, LeadFactory, StepFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _add_step(page, kind: str, delay: str, body: str, subject: str = "") -> None:
    page.get_by_role("link", name="+ Add a step").click()
    form = page.locator("#step-new-form")
    form.get_by_label("What happens").select_option(kind)
    form.get_by_label("Wait").fill(delay)
    form.get_by_label("Unit").select_option("days")
    if subject:
        form.get_by_label("Subject", exact=True).first.fill(subject)
    form.get_by_label("Message", exact=True).first.fill(body)
    form.get_by_role("button", name="Add step").click()


def test_a_manager_builds_a_three_step_cadence_and_previews_it(page, acme_team):
    workspace, manager, rep = acme_team
    with workspace_scope(workspace):
        lead = LeadFactory(
            workspace=workspace,
            first_name="Dana",
            last_name="Cole",
            email="dana@cole-roofing.test",
            time_zone="America/Los_Angeles",
            owner=rep,
        )
        others = CadenceFactory(workspace=workspace, name="Spring re-nurture")
        StepFactory(cadence=others, position=0)
        for status, reason in [("active", ""), ("exited", "replied"), ("completed", "")]:
            Enrollment.objects.create(
                workspace=workspace,
                lead=LeadFactory(workspace=workspace),
                cadence=others,
                status=status,
                exit_reason=reason,
                enrolled_at=timezone.now(),
            )
    log_in(page, manager.user.email, TEST_PASSWORD)

    page.goto("/cadences/")
    page.get_by_role("link", name="+ New cadence").click()
    page.get_by_label("Name", exact=True).fill("New website leads")
    page.get_by_label("Description", exact=True).fill("Speed to lead for web form requests.")
    page.get_by_label("Enroll new leads automatically").check()
    shoot(page, "cadence-new")
    page.get_by_role("button", name="Create cadence").click()
    expect(page.get_by_role("heading", name="New website leads")).to_be_visible()

    _add_step(page, "email", "0", "Hi {{ lead.frist_name }}", subject="Your quote")
    expect(page.locator("#step-new-form")).to_contain_text("Line 1, column")
    shoot(page, "cadence-step-error")
    page.locator("#step-new-form").get_by_label("Message", exact=True).first.fill(
        'Hi {{ lead.first_name | "there" }},\n\nThanks for asking about a new roof. '
        "{{ owner.first_name }} here: when suits you for a call?\n\n{{ meeting.option_1 }}"
    )
    page.locator("#step-new-form").get_by_role("button", name="Add step").click()
    expect(page.locator("#steps-section .stepcard")).to_have_count(1)

    _add_step(
        page,
        "sms",
        "1",
        "Hi {{ lead.first_name }}, {{ owner.first_name }} here. Reply YES for a call.",
    )
    expect(page.locator("#steps-section .stepcard")).to_have_count(2)
    _add_step(page, "call_task", "2", "Call {{ lead.first_name }} and offer a free inspection.")
    expect(page.locator("#steps-section .stepcard")).to_have_count(3)
    expect(page.locator("#steps-section")).to_contain_text("2 days after the previous step")
    shoot(page, "cadence-builder")

    page.get_by_role("button", name="Move step 3 up").click()
    expect(page.locator("#steps-section .stepcard").nth(1)).to_contain_text("Call task")

    page.get_by_role("link", name="Edit step 3").click()
    editor = page.locator("#steps-section li.stepcard-edit")
    editor.get_by_label("Message", exact=True).first.fill("Reply {{ owner.frist_name }}")
    editor.get_by_role("button", name="Save step").click()
    expect(editor).to_contain_text("Line 1, column 10")
    expect(page.locator("li.stepcard-edit")).to_have_count(1)  # swapped in place, not nested
    editor.get_by_label("Message", exact=True).first.fill(
        "Hi {{ lead.first_name }}, {{ owner.first_name }} here. Reply YES for a call."
    )
    editor.get_by_role("button", name="Save step").click()
    expect(page.locator("li.stepcard-edit")).to_have_count(0)

    page.get_by_role("link", name="Preview").click()
    page.get_by_label("A lead").fill("dana@cole")
    # The search answers after the newest leads shown on focus: pick from its own answer.
    expect(page.locator("#try-leads .trypick__option")).to_have_count(2)
    page.get_by_label("Dana Cole").check()
    page.get_by_role("button", name="Preview").click()
    result = page.locator("#preview-result")
    expect(result).to_contain_text("Hi Dana,")
    expect(result).to_contain_text("America/Los_Angeles")
    expect(result.locator(".cadplan__item")).to_have_count(3)
    shoot(page, "cadence-preview")

    page.goto("/cadences/")
    expect(page.locator("tr", has_text="Spring re-nurture")).to_contain_text("33%")
    shoot(page, "cadence-list")
    page.locator("tr", has_text="Spring re-nurture").get_by_role("link", name="Enrollments").click()
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#enrollment-table")).to_contain_text("Paused")
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    shoot(page, "cadence-enrollments")
    with workspace_scope(workspace):
        cadence = Cadence.objects.get(name="New website leads")
        assert not Enrollment.objects.filter(
            cadence=cadence
        ).exists()  # the preview enrolled nobody
        assert lead.enrollments.count() == 0
    assert page.csp_violations == []


def test_a_manager_removes_a_step_leads_are_on_after_a_confirmation(page, acme_team):
    workspace, manager, _rep = acme_team
    with workspace_scope(workspace):
        cadence = CadenceFactory(workspace=workspace, name="Spring follow-up")
        first = StepFactory(cadence=cadence, position=0, kind="email")
        StepFactory(cadence=cadence, position=1, kind="sms", body="Still interested?")
        for _ in range(2):
            enrollment = Enrollment.objects.create(
                workspace=workspace,
                lead=LeadFactory(workspace=workspace),
                cadence=cadence,
                current_step=first,
                enrolled_at=timezone.now(),
            )
            Touch.objects.create(
                workspace=workspace,
                enrollment=enrollment,
                step=first,
                sequence=1,
                channel="email",
                due_at=timezone.now(),
            )
    log_in(page, manager.user.email, TEST_PASSWORD)
    page.goto(f"/cadences/{cadence.pk}/")
    expect(page.locator("#steps-section .stepcard").first).to_contain_text("2 active leads on it")
    shoot(page, "cadence-builder-leads-on-step")
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Delete step 1").click()
    expect(page.locator("#steps-section")).to_contain_text(
        "Step deleted. 2 leads on it moved on to the next step."
    )
    expect(page.locator("#steps-section .stepcard")).to_have_count(1)
    assert questions == [
        "Delete step 1? 2 active leads are on this step: they move on to the next step now."
    ]
    shoot(page, "cadence-builder-step-removed")
    assert page.csp_violations == []
