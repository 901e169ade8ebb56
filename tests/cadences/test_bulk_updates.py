"""A dispatcher chunk saves its touches, messages and leads with one statement a model: each row
gets its own values, whatever their types, and nothing else changes."""

from datetime import UTC, datetime, timedelta

import pytest

from cadences.models import Touch
from channels.models import Message
from leadfollow.bulk_updates import update_by_pk, update_objects
from leadfollow.tenancy import workspace_scope
from leads.models import Lead
from tests.factories import (
    CadenceFactory,
    EnrollmentFactory,
    LeadFactory,
    MessageFactory,
    StepFactory,
    TouchFactory,
)

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)


@pytest.fixture
def scope(workspace):
    with workspace_scope(workspace):
        yield workspace


def _touch(scope) -> Touch:
    step = StepFactory(cadence=CadenceFactory(workspace=scope), kind="email")
    return TouchFactory(enrollment=EnrollmentFactory(cadence=step.cadence, current_step=step))


def test_each_row_gets_its_own_values(scope):
    first, second, untouched = (_touch(scope) for _ in range(3))
    message = MessageFactory(workspace=scope)
    first.status, first.attempts, first.finished_at, first.message = "sent", 1, NOON, message
    second.status, second.rendered_body, second.due_at = "pending", "Hi, Ann", NOON
    fields = ["status", "attempts", "finished_at", "message", "rendered_body", "due_at"]
    update_objects(Touch, [first, second], fields)
    stored = {touch.pk: touch for touch in Touch.objects.all()}
    assert (stored[first.pk].status, stored[first.pk].attempts) == ("sent", 1)
    assert (stored[first.pk].finished_at, stored[first.pk].message_id) == (NOON, message.pk)
    assert (stored[second.pk].status, stored[second.pk].rendered_body) == ("pending", "Hi, Ann")
    assert (stored[second.pk].due_at, stored[second.pk].message_id) == (NOON, None)
    assert stored[untouched.pk].status == untouched.status


def test_json_values_are_stored_as_json(scope):
    messages = [MessageFactory(workspace=scope) for _ in range(2)]
    messages[0].details = {"outbox": True, "touch_id": 7}
    messages[1].details = {}
    update_objects(Message, messages, ["details"])
    stored = dict(Message.objects.values_list("pk", "details"))
    assert stored == {messages[0].pk: {"outbox": True, "touch_id": 7}, messages[1].pk: {}}


def test_an_assign_rule_keeps_the_later_stored_time(scope):
    later = LeadFactory(workspace=scope, last_activity_at=NOON + timedelta(hours=1))
    earlier = LeadFactory(workspace=scope, last_activity_at=NOON - timedelta(hours=1))
    rows = {later.pk: [NOON], earlier.pk: [NOON]}
    update_by_pk(
        Lead, ["last_activity_at"], rows, assign={"last_activity_at": "{greatest}({old}, {new})"}
    )
    stored = dict(Lead.objects.values_list("pk", "last_activity_at"))
    assert stored == {later.pk: NOON + timedelta(hours=1), earlier.pk: NOON}
