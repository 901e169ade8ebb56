"""The timeline's bookkeeping on the lead: last activity and first-time milestones."""

from datetime import UTC, datetime, timedelta

import pytest

from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Lead
from leads.services.activities import (
    held_activities,
    log_activity,
    logged_together,
    save_with_timeline,
)
from leads.services.assignment import assign_lead
from scoring.models import Notification
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)


@pytest.fixture
def lead(workspace):
    with workspace_scope(workspace):
        yield LeadFactory(workspace=workspace, last_activity_at=None)


def _log(lead, at, **fields):
    log_activity(workspace=lead.workspace, lead=lead, kind="note", occurred_at=at, **fields)
    return Lead.objects.get(pk=lead.pk)


def test_an_activity_sets_the_last_activity_time(lead):
    assert _log(lead, NOON).last_activity_at == NOON


def test_an_older_activity_never_moves_the_last_activity_time_back(lead):
    _log(lead, NOON)
    assert _log(lead, NOON - timedelta(days=1)).last_activity_at == NOON


def test_the_first_outbound_touch_is_stamped_once(lead):
    _log(lead, NOON, channel="email", direction="out")
    later = _log(lead, NOON + timedelta(hours=1), channel="sms", direction="out")
    assert later.first_touch_at == NOON
    assert later.first_human_touch_at is None


def test_a_reps_touch_is_also_the_first_human_touch(lead, rep):
    stamped = _log(lead, NOON, channel="call", direction="out", actor=rep)
    assert stamped.first_human_touch_at == NOON


def test_a_reply_stamps_the_first_reply(lead):
    log_activity(
        workspace=lead.workspace,
        lead=lead,
        kind="replied",
        channel="sms",
        direction="in",
        occurred_at=NOON,
    )
    assert Lead.objects.get(pk=lead.pk).first_reply_at == NOON


def _reply(lead, at):
    log_activity(
        workspace=lead.workspace,
        lead=lead,
        kind="replied",
        channel="sms",
        direction="in",
        occurred_at=at,
    )
    return Lead.objects.get(pk=lead.pk)


def test_a_reply_waits_for_an_answer_from_its_time(lead):
    assert _reply(lead, NOON).awaiting_reply_since == NOON


def test_a_second_reply_keeps_the_oldest_waiting_time(lead):
    _reply(lead, NOON)
    assert _reply(lead, NOON + timedelta(minutes=5)).awaiting_reply_since == NOON


def test_a_reps_message_answers_the_waiting_reply(lead, rep):
    _reply(lead, NOON)
    answered = _log(lead, NOON + timedelta(minutes=3), channel="sms", direction="out", actor=rep)
    assert answered.awaiting_reply_since is None


def test_an_automated_touch_leaves_the_reply_waiting(lead):
    _reply(lead, NOON)
    later = _log(lead, NOON + timedelta(minutes=3), channel="email", direction="out")
    assert later.awaiting_reply_since == NOON


def test_activities_logged_together_are_saved_when_the_block_ends(lead):
    with logged_together():
        log_activity(workspace=lead.workspace, lead=lead, kind="note", occurred_at=NOON)
        log_activity(workspace=lead.workspace, lead=lead, kind="note", occurred_at=NOON)
        assert Activity.objects.filter(lead=lead).count() == 0
    assert Activity.objects.filter(lead=lead).count() == 2
    assert Lead.objects.get(pk=lead.pk).last_activity_at == NOON


def _log_then_fail(lead) -> None:
    with logged_together():
        log_activity(workspace=lead.workspace, lead=lead, kind="note", occurred_at=NOON)
        raise RuntimeError("the caller's transaction rolls back")


def test_activities_of_a_block_that_fails_are_dropped(lead):
    with pytest.raises(RuntimeError):
        _log_then_fail(lead)
    assert Activity.objects.filter(lead=lead).count() == 0


def test_an_inner_block_hands_its_activities_to_the_outer_one(lead):
    with logged_together():
        with logged_together():
            log_activity(workspace=lead.workspace, lead=lead, kind="note", occurred_at=NOON)
        assert Activity.objects.filter(lead=lead).count() == 0
    assert Activity.objects.filter(lead=lead).count() == 1


def test_a_new_owner_is_stored_with_the_entry_that_records_it(lead, rep):
    with logged_together():
        assign_lead(workspace=lead.workspace, lead=lead, owner=rep, reason="Round robin")
        assert Lead.objects.get(pk=lead.pk).owner_id is None
    assert Lead.objects.get(pk=lead.pk).owner_id == rep.pk


def test_an_owner_taken_away_is_stored_as_none(lead, rep):
    assign_lead(workspace=lead.workspace, lead=lead, owner=rep, reason="Round robin")
    assign_lead(workspace=lead.workspace, lead=lead, owner=None, reason="Back to the queue")
    assert Lead.objects.get(pk=lead.pk).owner_id is None


# Other new rows written with the timeline


def _alert(lead, member) -> Notification:
    return Notification(workspace=lead.workspace, recipient=member, kind="assigned", lead=lead)


def test_a_row_saved_with_the_timeline_outside_a_block_is_saved_at_once(lead, rep):
    alert = save_with_timeline(_alert(lead, rep))
    assert Notification.objects.filter(pk=alert.pk).exists()


def test_a_row_saved_with_the_timeline_waits_for_the_block_to_end(lead, rep):
    with logged_together():
        alert = save_with_timeline(_alert(lead, rep))
        assert Notification.objects.filter(lead=lead).count() == 0
    assert Notification.objects.filter(pk=alert.pk).exists()


def test_a_row_held_with_the_timeline_is_written_without_activities(lead, rep):
    with logged_together():
        save_with_timeline(_alert(lead, rep))
    assert Notification.objects.filter(lead=lead).count() == 1
    assert Activity.objects.filter(lead=lead).count() == 0


def _hold_then_fail(lead, rep) -> None:
    with logged_together():
        with logged_together():
            save_with_timeline(_alert(lead, rep))
        raise RuntimeError("the caller's transaction rolls back")


def test_a_row_held_in_a_block_that_fails_is_dropped(lead, rep):
    with pytest.raises(RuntimeError):
        _hold_then_fail(lead, rep)
    assert Notification.objects.filter(lead=lead).count() == 0


def test_held_activities_leave_out_other_rows(lead, rep):
    with logged_together():
        save_with_timeline(_alert(lead, rep))
        log_activity(workspace=lead.workspace, lead=lead, kind="note", occurred_at=NOON)
        assert [row.kind for row in held_activities()] == ["note"]
