"""The cadence engine: enrollment, dispatch, sending once, stopping, branching, recovery."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cadences.models import Enrollment, Task, Touch
from cadences.services.dispatch import dispatch_due, recover, send_touch
from cadences.services.enrollment import enroll, pause, resume
from cadences.services.tasks import complete_task, create_task
from channels.models import Message
from leadfollow.errors import InvalidInput
from leadfollow.tenancy import unscoped, workspace_scope
from leads.models import Activity, Consent, Lead
from leads.services.changes import update_lead
from tests.factories import CadenceFactory, LeadFactory, StepFactory

pytestmark = pytest.mark.django_db

# Wednesday 10 June 2026, 12:00 in New York.
NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)


@pytest.fixture
def scope(workspace):
    with workspace_scope(workspace):
        yield workspace


@pytest.fixture
def lead(scope, rep):
    lead = LeadFactory(workspace=scope, first_name="Dana", time_zone="America/New_York", owner=rep)
    Consent.objects.create(
        workspace=scope, lead=lead, channel="sms", text="Yes, text me", captured_at=NOON
    )
    return lead


def _cadence(scope, *steps, **fields):
    cadence = CadenceFactory(workspace=scope, **fields)
    for position, step in enumerate(steps):
        StepFactory(cadence=cadence, position=position, **step)
    return cadence


def _enroll(scope, lead, cadence, at=NOON):
    with time_machine.travel(at, tick=False):
        return enroll(workspace=scope, lead=lead, cadence=cadence, now=at)


def _tick(at):
    with time_machine.travel(at, tick=False):
        return dispatch_due(now=at)


def _touches(enrollment):
    return list(Touch.objects.filter(enrollment=enrollment).order_by("sequence"))


def _sent(scope):
    return Message.objects.filter(workspace=scope, direction="out").order_by("id")


def test_enrolling_plans_the_first_touch_after_its_delay(scope, lead):
    cadence = _cadence(scope, {"kind": "email", "delay": 10})
    enrollment = _enroll(scope, lead, cadence)
    [touch] = _touches(enrollment)
    assert (touch.status, touch.due_at) == ("pending", NOON + timedelta(minutes=10))


def test_a_touch_due_at_once_goes_out_right_after_the_enrollment_commits(
    scope, lead, django_capture_on_commit_callbacks
):
    cadence = _cadence(scope, {"kind": "email", "delay": 0})
    with time_machine.travel(NOON, tick=False), django_capture_on_commit_callbacks(execute=True):
        enroll(workspace=scope, lead=lead, cadence=cadence, now=NOON)
    message = _sent(scope).get()
    assert message.subject == "Hello Dana"
    assert "thanks for asking about Acme Roofing" in message.body_text


def test_the_dispatcher_sends_due_touches_and_plans_the_next(scope, lead):
    cadence = _cadence(
        scope, {"kind": "email", "delay": 0}, {"kind": "sms", "delay": 2, "delay_unit": "hours"}
    )
    enrollment = _enroll(scope, lead, cadence)
    assert _tick(NOON) == 1
    first, second = _touches(enrollment)
    assert (first.status, second.status) == ("sent", "pending")
    assert second.due_at == NOON + timedelta(hours=2)


def test_a_touch_is_never_sent_twice(scope, lead):
    cadence = _cadence(scope, {"kind": "email", "delay": 0})
    enrollment = _enroll(scope, lead, cadence)
    [touch] = _touches(enrollment)
    Touch.objects.filter(pk=touch.pk).update(status="queued")
    with time_machine.travel(NOON, tick=False):
        send_touch(workspace=scope, touch_id=touch.pk, now=NOON)
        again = send_touch(workspace=scope, touch_id=touch.pk, now=NOON)
    assert again == "gone"
    assert _sent(scope).count() == 1


def test_last_step_completes_the_enrollment_and_the_lead_goes_dormant(scope, lead):
    cadence = _cadence(scope, {"kind": "email", "delay": 0})
    enrollment = _enroll(scope, lead, cadence)
    _tick(NOON)
    enrollment.refresh_from_db()
    assert enrollment.status == "completed"
    assert Lead.objects.get(pk=lead.pk).status == "dormant"


def test_completion_enrolls_in_the_renurture_cadence_months_later(scope, lead):
    renurture = _cadence(scope, {"kind": "email", "delay": 0}, name="Re-nurture")
    cadence = _cadence(
        scope, {"kind": "email", "delay": 0}, renurture_cadence=renurture, renurture_after_days=75
    )
    _enroll(scope, lead, cadence)
    _tick(NOON)
    later = Enrollment.objects.get(cadence=renurture)
    assert Touch.objects.get(enrollment=later).due_at == NOON + timedelta(days=75)


def test_text_due_at_night_waits_for_the_morning_with_a_spread(scope, lead):
    cadence = _cadence(scope, {"kind": "sms", "delay": 0})
    night = datetime(2026, 6, 11, 3, 0, tzinfo=UTC)  # 23:00 in New York
    enrollment = _enroll(scope, lead, cadence, at=night)
    _tick(night)
    [touch] = _touches(enrollment)
    morning = datetime(2026, 6, 11, 12, 0, tzinfo=UTC)  # 08:00 EDT
    assert touch.status == "pending"
    assert morning <= touch.due_at < morning + timedelta(minutes=15)
    assert not _sent(scope).exists()


def test_deferred_touches_are_spread_over_the_opening(scope, rep):
    cadence = _cadence(scope, {"kind": "sms", "delay": 0})
    night = datetime(2026, 6, 11, 3, 0, tzinfo=UTC)
    for _ in range(20):
        lead = LeadFactory(workspace=scope, time_zone="America/New_York", owner=rep)
        Consent.objects.create(
            workspace=scope, lead=lead, channel="sms", text="Yes", captured_at=NOON
        )
        _enroll(scope, lead, cadence, at=night)
    _tick(night)
    due = {touch.due_at for touch in Touch.objects.filter(workspace=scope)}
    assert len(due) > 15


def test_business_days_only_skips_the_weekend(scope, lead):
    cadence = _cadence(
        scope,
        {"kind": "email", "delay": 0},
        {"kind": "email", "delay": 2, "delay_unit": "days"},
        business_days_only=True,
    )
    friday = datetime(2026, 6, 12, 14, 0, tzinfo=UTC)  # 10:00 in New York
    enrollment = _enroll(scope, lead, cadence, at=friday)
    _tick(friday)
    second = _touches(enrollment)[1]
    assert second.due_at == datetime(2026, 6, 16, 14, 0, tzinfo=UTC)  # Tuesday 10:00


def test_a_day_delay_across_a_dst_change_keeps_the_local_hour(scope, lead):
    cadence = _cadence(
        scope, {"kind": "email", "delay": 0}, {"kind": "email", "delay": 3, "delay_unit": "days"}
    )
    friday = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # 10:00 EST
    enrollment = _enroll(scope, lead, cadence, at=friday)
    _tick(friday)
    assert _touches(enrollment)[1].due_at == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # 10:00 EDT


def test_a_reply_stops_the_cadence_and_cancels_its_touches(scope, lead, api_client):
    cadence = _cadence(
        scope, {"kind": "sms", "delay": 0}, {"kind": "email", "delay": 1, "delay_unit": "days"}
    )
    enrollment = _enroll(scope, lead, cadence)
    _tick(NOON)
    sms = _sent(scope).get()
    url = reverse("channels:api-outbox-simulate", args=[sms.pk])
    api_client.post(url, {"event": "replied", "text": "Stop, I'll call you"}, format="json")
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.exit_reason) == ("exited", "replied")
    assert [t.status for t in _touches(enrollment)] == ["sent", "cancelled"]


def test_a_touch_due_when_the_reply_lands_is_not_sent(scope, lead, api_client):
    cadence = _cadence(
        scope, {"kind": "sms", "delay": 0}, {"kind": "email", "delay": 1, "delay_unit": "minutes"}
    )
    enrollment = _enroll(scope, lead, cadence)
    _tick(NOON)
    second = _touches(enrollment)[1]
    Touch.objects.filter(pk=second.pk).update(status="queued")  # claimed, about to be sent
    sms = _sent(scope).get()
    url = reverse("channels:api-outbox-simulate", args=[sms.pk])
    api_client.post(url, {"event": "replied", "text": "Yes"}, format="json")
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        send_touch(workspace=scope, touch_id=second.pk)
    assert _sent(scope).count() == 1


def test_a_reply_tells_the_owner(scope, lead, rep, api_client):
    from scoring.models import Notification

    cadence = _cadence(scope, {"kind": "sms", "delay": 0})
    _enroll(scope, lead, cadence)
    _tick(NOON)
    sms = _sent(scope).get()
    url = reverse("channels:api-outbox-simulate", args=[sms.pk])
    api_client.post(url, {"event": "replied", "text": "Call me"}, format="json")
    notification = Notification.objects.get(recipient=rep, kind="reply")
    assert "Call me" in notification.text


def test_qualifying_the_lead_stops_the_cadence(scope, lead, manager):
    cadence = _cadence(scope, {"kind": "email", "delay": 1, "delay_unit": "days"})
    enrollment = _enroll(scope, lead, cadence)
    update_lead(workspace=scope, lead_id=lead.pk, changes={"status": "qualified"}, actor=manager)
    enrollment.refresh_from_db()
    assert enrollment.exit_reason == "status"


def test_paused_enrollment_sends_nothing_until_resumed(scope, lead):
    cadence = _cadence(scope, {"kind": "email", "delay": 5})
    enrollment = _enroll(scope, lead, cadence)
    pause(workspace=scope, enrollment=enrollment)
    _tick(NOON + timedelta(minutes=10))
    assert not _sent(scope).exists()
    with time_machine.travel(NOON + timedelta(minutes=20), tick=False):
        resume(workspace=scope, enrollment=enrollment)
    _tick(NOON + timedelta(minutes=20))
    assert _sent(scope).count() == 1


def test_one_live_enrollment_per_cadence(scope, lead):
    from leadfollow.errors import Conflict

    cadence = _cadence(scope, {"kind": "email", "delay": 5})
    _enroll(scope, lead, cadence)
    with pytest.raises(Conflict):
        _enroll(scope, lead, cadence)


def test_exclusive_cadences_refuse_a_second_one(scope, lead):
    from leadfollow.errors import Conflict

    first = _cadence(scope, {"kind": "email", "delay": 5}, exclusive_group="new-leads")
    second = _cadence(scope, {"kind": "email", "delay": 5}, exclusive_group="new-leads")
    _enroll(scope, lead, first)
    with pytest.raises(Conflict, match="excludes"):
        _enroll(scope, lead, second)


def test_a_blocked_step_is_skipped_with_the_reason_and_the_cadence_goes_on(scope, lead):
    lead.do_not_sms = True
    lead.save()
    cadence = _cadence(scope, {"kind": "sms", "delay": 0}, {"kind": "email", "delay": 0})
    enrollment = _enroll(scope, lead, cadence)
    _tick(NOON)
    _tick(NOON)
    assert [t.status for t in _touches(enrollment)] == ["skipped", "sent"]
    assert Activity.objects.filter(kind="send_blocked", lead=lead).exists()


def test_a_missing_value_without_fallback_blocks_the_touch_visibly(scope, rep):
    lead = LeadFactory(workspace=scope, first_name="", time_zone="America/New_York", owner=rep)
    cadence = _cadence(scope, {"kind": "email", "delay": 0, "body": "Hi {{ lead.first_name }}"})
    enrollment = _enroll(scope, lead, cadence)
    _tick(NOON)
    [touch] = _touches(enrollment)
    assert touch.status == "skipped"
    assert "lead.first_name" in touch.error


def test_a_call_step_becomes_a_task_and_its_outcome_moves_on(scope, lead, rep):
    cadence = _cadence(
        scope,
        {"kind": "call_task", "delay": 0, "subject": "Call Dana"},
        {"kind": "email", "delay": 0},
    )
    enrollment = _enroll(scope, lead, cadence)
    _tick(NOON)
    task = Task.objects.get()
    assert (task.assignee, task.title, _touches(enrollment)[0].status) == (
        rep,
        "Call Dana",
        "waiting",
    )
    complete_task(workspace=scope, task_id=task.pk, outcome="no_answer", actor=rep, now=NOON)
    assert [t.status for t in _touches(enrollment)] == ["done", "pending"]


def test_a_call_task_has_its_script_filled_in_for_the_lead(scope, lead, rep):
    script = "Ask {{ lead.first_name }} about the roof."
    cadence = _cadence(
        scope,
        {"kind": "call_task", "delay": 0, "subject": "Call {{ lead.first_name }}", "body": script},
    )
    _enroll(scope, lead, cadence)
    _tick(NOON)
    task = Task.objects.get()
    assert (task.title, task.notes) == (
        f"Call {lead.first_name}",
        f"Ask {lead.first_name} about the roof.",
    )


def test_a_booked_meeting_ends_the_cadence(scope, lead, rep):
    cadence = _cadence(scope, {"kind": "call_task", "delay": 0}, {"kind": "email", "delay": 0})
    enrollment = _enroll(scope, lead, cadence)
    _tick(NOON)
    complete_task(
        workspace=scope, task_id=Task.objects.get().pk, outcome="meeting_booked", actor=rep
    )
    enrollment.refresh_from_db()
    assert enrollment.exit_reason == "meeting"


def test_an_outcome_branch_jumps_to_its_step(scope, lead, rep):
    cadence = _cadence(
        scope,
        {
            "kind": "call_task",
            "delay": 0,
            "branches": [{"when": "outcome:voicemail", "then": "goto", "step": 2}],
        },
        {"kind": "sms", "delay": 0, "body": "Sorry I missed you"},
        {"kind": "email", "delay": 0, "body": "I left you a voicemail"},
    )
    enrollment = _enroll(scope, lead, cadence)
    _tick(NOON)
    complete_task(workspace=scope, task_id=Task.objects.get().pk, outcome="voicemail", actor=rep)
    assert _touches(enrollment)[1].step.position == 2


def test_a_click_branch_jumps_when_the_next_touch_is_due(scope, lead, api_client):
    cadence = _cadence(
        scope,
        {
            "kind": "email",
            "delay": 0,
            "branches": [{"when": "clicked", "then": "goto", "step": 2}],
        },
        {"kind": "email", "delay": 1, "delay_unit": "days", "body": "Did you see my email?"},
        {"kind": "email", "delay": 0, "body": "Glad you looked at pricing"},
    )
    _enroll(scope, lead, cadence)
    _tick(NOON)
    email = _sent(scope).get()
    url = reverse("channels:api-outbox-simulate", args=[email.pk])
    api_client.post(url, {"event": "clicked"}, format="json")
    _tick(NOON + timedelta(days=1))
    _tick(NOON + timedelta(days=1))
    assert _sent(scope).last().body_text == "Glad you looked at pricing"


def test_a_stale_queued_touch_is_enqueued_again(scope, lead):
    cadence = _cadence(scope, {"kind": "email", "delay": 0})
    enrollment = _enroll(scope, lead, cadence)
    [touch] = _touches(enrollment)
    Touch.objects.filter(pk=touch.pk).update(status="queued", queued_at=NOON)  # message lost
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        recover(now=NOON + timedelta(minutes=5))
    assert _sent(scope).count() == 1


def test_a_touch_found_mid_send_is_flagged_not_resent(scope, lead):
    cadence = _cadence(scope, {"kind": "email", "delay": 0})
    enrollment = _enroll(scope, lead, cadence)
    [touch] = _touches(enrollment)
    Touch.objects.filter(pk=touch.pk).update(status="sending", started_at=NOON)  # worker died
    with unscoped():
        recover(now=NOON + timedelta(minutes=10))
    touch.refresh_from_db()
    assert touch.status == "flagged"
    assert not _sent(scope).exists()
    assert Activity.objects.filter(kind="touch_flagged").exists()


def test_a_touch_whose_message_reached_the_provider_is_reconciled_as_sent(scope, lead):
    cadence = _cadence(scope, {"kind": "email", "delay": 0})
    enrollment = _enroll(scope, lead, cadence)
    [touch] = _touches(enrollment)
    Message.objects.create(
        workspace=scope,
        lead=lead,
        channel="email",
        direction="out",
        provider="outbox",
        status="sent",
        to_address=lead.email,
        token="reconcile1",
        dedupe_key=f"touch:{touch.pk}",
        provider_message_id="outbox-reconcile1",
    )
    Touch.objects.filter(pk=touch.pk).update(status="sending", started_at=NOON)
    recover(now=NOON + timedelta(minutes=10))
    touch.refresh_from_db()
    assert touch.status == "sent"


def test_sms_over_the_rate_limit_waits_for_the_next_second(scope, rep):
    cadence = _cadence(scope, {"kind": "sms", "delay": 0})
    for _ in range(3):
        lead = LeadFactory(workspace=scope, time_zone="America/New_York", owner=rep)
        Consent.objects.create(
            workspace=scope, lead=lead, channel="sms", text="Yes", captured_at=NOON
        )
        _enroll(scope, lead, cadence)
    _tick(NOON)
    assert _sent(scope).count() == 1
    assert Touch.objects.filter(status="pending").count() == 2


def test_new_leads_join_auto_enroll_cadences_that_match(scope, django_capture_on_commit_callbacks):
    from leads.services import intake_lead

    _cadence(
        scope,
        {"kind": "email", "delay": 0},
        auto_enroll=True,
        enrollment_conditions={"field": "has_email", "op": "equals", "value": True},
    )
    with time_machine.travel(NOON, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = intake_lead(workspace=scope, fields={"email": "new@lead.example"})
    assert Enrollment.objects.filter(lead=result.lead).exists()


def test_a_follow_up_task_goes_to_the_leads_owner(workspace, rep, manager):
    with workspace_scope(workspace):
        lead = LeadFactory(workspace=workspace, owner=rep)
        task = create_task(
            workspace=workspace,
            lead_id=lead.pk,
            title="  Send   the proposal ",
            due_at=timezone.now() + timedelta(days=1),
            actor=manager,
        )
        assert (task.assignee, task.title, task.kind) == (rep, "Send the proposal", "follow_up")
        assert Activity.objects.filter(lead=lead, kind="task_created").exists()


def test_a_task_without_a_title_is_refused(workspace, rep):
    with workspace_scope(workspace):
        lead = LeadFactory(workspace=workspace)
        with pytest.raises(InvalidInput) as caught:
            create_task(
                workspace=workspace, lead_id=lead.pk, title=" ", due_at=timezone.now(), actor=rep
            )
    assert caught.value.field == "title"
