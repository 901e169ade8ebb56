"""The "7 touches in 14 days" preset, driven touch by touch through the clock.

A lead in Los Angeles is enrolled on Friday 6 March 2026 at 15:30 local time. The cadence runs on
business days only, so its day offsets skip weekends, and it crosses the US change to summer time
(Sunday 8 March): due times keep the lead's wall-clock 15:30 while the UTC hour moves.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cadences.models import Enrollment, Task, Touch
from cadences.presets import SEVEN_TOUCH, install_preset
from cadences.services.dispatch import dispatch_due
from cadences.services.enrollment import enroll
from cadences.services.planning import spread_seconds
from cadences.services.tasks import complete_task
from channels.models import Message
from leadfollow.tenancy import workspace_scope
from leads.models import Consent, Lead
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
FRIDAY = datetime(2026, 3, 6, 15, 30, tzinfo=LA)  # 23:30 UTC, still winter time


def local(month_day: tuple[int, int], hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month_day[0], month_day[1], hour, minute, tzinfo=LA)


@pytest.fixture
def scope(workspace):
    with workspace_scope(workspace):
        yield workspace


@pytest.fixture
def enrollment(scope, rep):
    lead = LeadFactory(
        workspace=scope, first_name="Dana", time_zone="America/Los_Angeles", owner=rep
    )
    Consent.objects.create(
        workspace=scope, lead=lead, channel="sms", text="Yes, text me", captured_at=FRIDAY
    )
    cadence = install_preset(scope, SEVEN_TOUCH)
    assert cadence.business_days_only
    with time_machine.travel(FRIDAY, tick=False):
        return enroll(workspace=scope, lead=lead, cadence=cadence, now=FRIDAY)


def _next(enrollment) -> Touch:
    return Touch.objects.select_related("step").get(enrollment=enrollment, status="pending")


def _tick(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return dispatch_due(now=at)


def _fire(enrollment, due: datetime, kind: str) -> Touch:
    """The next touch is due exactly then: nothing goes a second early, and it goes at its time."""
    touch = _next(enrollment)
    assert (touch.due_at, touch.step.kind) == (due, kind)
    assert _tick(due - timedelta(seconds=1)) == 0
    assert _tick(due) == 1
    touch.refresh_from_db()
    return touch


def _call(scope, enrollment, due: datetime, answered_at: datetime, rep) -> None:
    """A call step becomes the rep's task at its due time; the rep logs no answer later."""
    touch = _fire(enrollment, due, "call_task")
    assert touch.status == "waiting"
    task = Task.objects.get(touch=touch)
    assert (task.assignee, task.due_at) == (rep, due)
    with time_machine.travel(answered_at, tick=False):
        complete_task(
            workspace=scope, task_id=task.pk, outcome="no_answer", actor=rep, now=answered_at
        )


def _sent(enrollment, due: datetime, kind: str, channel: str) -> Message:
    touch = _fire(enrollment, due, kind)
    assert touch.status == "sent"
    message = Message.objects.get(pk=touch.message_id)
    assert (message.channel, message.provider) == (channel, "outbox")
    return message


def test_the_whole_cadence_touch_by_touch(scope, enrollment, rep):
    # Day 1, Friday: the first call is the rep's task at once; they log "no answer" at 20:55.
    _call(scope, enrollment, FRIDAY, local((3, 6), 20, 55), rep)

    # The text follows ten minutes later, at 21:05: quiet hours (08:00-21:00 for the lead) hold
    # it until the next 08:00 local on a business day (Monday), plus the touch's own spread.
    text = _next(enrollment)
    assert text.due_at == local((3, 6), 21, 5)
    assert _tick(text.due_at) == 1
    text.refresh_from_db()
    opening = local((3, 9), 8, 0) + timedelta(seconds=spread_seconds(text.pk))
    assert (text.status, text.due_at) == ("pending", opening)
    assert not Message.objects.filter(channel="sms").exists()
    sms = _sent(enrollment, opening, "sms", "sms")
    assert sms.body_text.startswith("Hi Dana,")

    # Day 2 is the next business day: Monday, after the DST change. Same 15:30 on the lead's
    # clock, an hour earlier in UTC.
    monday = local((3, 9), 15, 30)
    assert monday.astimezone(UTC).hour == 22
    assert FRIDAY.astimezone(UTC).hour == 23
    email = _sent(enrollment, monday, "email", "email")
    assert email.subject == "Following up on your request"

    # Day 4 (Wednesday): a call; the rep logs it a quarter of an hour later.
    _call(scope, enrollment, local((3, 11), 15, 30), local((3, 11), 15, 45), rep)
    # Day 6 (Friday): a text. Day 8 (Tuesday, over the weekend): an email.
    _sent(enrollment, local((3, 13), 15, 30), "sms", "sms")
    _sent(enrollment, local((3, 17), 15, 30), "email", "email")
    # Day 11 (Friday): the last call. Day 14 (Wednesday): the closing email.
    _call(scope, enrollment, local((3, 20), 15, 30), local((3, 20), 16, 0), rep)
    closing = _sent(enrollment, local((3, 25), 15, 30), "email", "email")
    assert closing.subject == "Closing the loop"

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED
    assert not Touch.objects.filter(enrollment=enrollment, status="pending").exists()
    assert Touch.objects.filter(enrollment=enrollment).count() == 8
    assert Lead.objects.get(pk=enrollment.lead_id).status == Lead.Status.DORMANT


def test_no_touch_falls_on_a_weekend(scope, enrollment, rep):
    """Every day-offset touch is planned on a weekday, whatever the rep's delays."""
    _call(scope, enrollment, FRIDAY, FRIDAY + timedelta(minutes=20), rep)
    _tick(_next(enrollment).due_at)  # the text, sent on Friday at 15:50
    planned = []
    while (
        touch := Touch.objects.filter(enrollment=enrollment, status="pending").first()
    ) is not None:
        planned.append(touch.due_at.astimezone(LA))
        _tick(touch.due_at)
        waiting = Task.objects.filter(touch__enrollment=enrollment, status="open").first()
        if waiting is not None:
            at = touch.due_at + timedelta(minutes=5)
            with time_machine.travel(at, tick=False):
                complete_task(workspace=scope, task_id=waiting.pk, outcome="no_answer", now=at)
    assert [d.date().isoformat() for d in planned] == [
        "2026-03-09",
        "2026-03-11",
        "2026-03-13",
        "2026-03-17",
        "2026-03-20",
        "2026-03-25",
    ]
    assert all(d.weekday() < 5 and (d.hour, d.minute) == (15, 30) for d in planned)
