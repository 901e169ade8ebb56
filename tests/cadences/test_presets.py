"""Presets: ready-made cadences, valid templates, and what installing one creates."""

import re
from datetime import UTC, datetime

import pytest
import time_machine

from cadences import templating
from cadences.models import Cadence, Step, Touch
from cadences.presets import (
    EMAIL_LED,
    PRESETS,
    RENURTURE,
    SEVEN_TOUCH,
    SPEED_TO_LEAD,
    get_preset,
    install_preset,
)
from cadences.services.dispatch import dispatch_due
from cadences.services.enrollment import enroll
from channels.models import Message
from leadfollow.errors import InvalidInput
from leadfollow.tenancy import workspace_scope
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

TEMPLATES = [
    pytest.param(text, id=f"{key}-{position}-{part}")
    for key in PRESETS
    for position, step in enumerate(get_preset(key).steps)
    for part, text in (("subject", step.subject), ("body", step.body))
]
FIRST_NAME_TAG = re.compile(r"\{\{[^}]*lead\.first_name[^}]*\}\}")


@pytest.fixture
def scope(workspace):
    with workspace_scope(workspace):
        yield workspace


def _steps(cadence):
    return list(Step.objects.filter(cadence=cadence).order_by("position"))


def test_the_four_presets_are_listed_for_the_create_buttons():
    assert list(PRESETS) == [SPEED_TO_LEAD, SEVEN_TOUCH, EMAIL_LED, RENURTURE]
    assert all(p["title"] and p["description"] and p["steps"] > 0 for p in PRESETS.values())


@pytest.mark.parametrize("text", TEMPLATES)
def test_every_preset_template_is_valid(text):
    assert templating.validate(text) == []


@pytest.mark.parametrize("text", TEMPLATES)
def test_a_first_name_always_has_a_fallback(text):
    assert all("|" in tag for tag in FIRST_NAME_TAG.findall(text))


@pytest.mark.parametrize("key", list(PRESETS))
def test_every_preset_email_carries_the_unsubscribe_link(key):
    emails = [s for s in get_preset(key).steps if s.kind == Step.Kind.EMAIL]
    assert emails
    assert all("unsubscribe_url" in templating.variables_used(s.body) for s in emails)


def test_installing_copies_the_steps_in_order(scope):
    cadence = install_preset(scope, SPEED_TO_LEAD)
    kinds = [step.kind for step in _steps(cadence)]
    assert kinds == [
        "email",
        "voicemail_drop",
        "sms",
        "email",
        "email",
        "manual_task",
        "email",
        "email",
    ]
    assert (cadence.name, cadence.preset) == ("Speed to lead", SPEED_TO_LEAD)


def test_speed_to_lead_confirms_at_once_and_calls_within_five_minutes(scope):
    confirmation, call, text = _steps(install_preset(scope, SPEED_TO_LEAD))[:3]
    assert (confirmation.delay, confirmation.delay_unit) == (0, "minutes")
    assert (call.delay, call.delay_unit, call.delay_after) == (5, "minutes", "enrollment")
    assert (text.delay, text.delay_unit, text.delay_after) == (10, "minutes", "previous")
    # A call somebody answered skips the text that chases a missed call.
    assert call.branches == [{"when": "outcome:answered", "then": "goto", "step": 3}]


def test_speed_to_lead_asks_for_a_meeting_with_two_times(scope):
    steps = _steps(install_preset(scope, SPEED_TO_LEAD))
    asks = [
        s
        for s in steps
        if {"meeting.option_1", "meeting.option_2"} <= set(templating.variables_used(s.body))
    ]
    assert len(asks) == 1


def test_speed_to_lead_moves_on_to_the_renurture_preset(scope):
    cadence = install_preset(scope, SPEED_TO_LEAD)
    renurture = cadence.renurture_cadence
    assert renurture.preset == RENURTURE
    assert 60 <= cadence.renurture_after_days <= 90


def test_a_second_speed_to_lead_links_the_same_renurture_cadence(scope):
    first = install_preset(scope, SPEED_TO_LEAD)
    second = install_preset(scope, SPEED_TO_LEAD)
    assert second.renurture_cadence_id == first.renurture_cadence_id
    assert Cadence.objects.filter(workspace=scope, preset=RENURTURE).count() == 1


def test_a_second_install_gets_a_numbered_name(scope):
    install_preset(scope, RENURTURE)
    install_preset(scope, RENURTURE)
    third = install_preset(scope, RENURTURE)
    assert third.name == "Re-nurture (3)"


def test_the_seven_touch_cadence_spans_fourteen_days_on_business_days(scope):
    cadence = install_preset(scope, SEVEN_TOUCH)
    steps = _steps(cadence)
    day_steps = [s for s in steps if s.delay_after == "enrollment"]
    assert [s.delay + 1 for s in day_steps] == [1, 2, 4, 6, 8, 11, 14]
    assert {s.kind for s in steps} == {"call_task", "sms", "email"}
    assert cadence.business_days_only


def test_the_email_led_cadence_has_eight_touches_over_21_days(scope):
    steps = _steps(install_preset(scope, EMAIL_LED))
    days = sum(s.delay for s in steps if s.delay_unit == "days")
    assert (len(steps), days + 1) == (8, 21)


def test_the_email_led_cadence_reacts_to_engagement(scope):
    steps = _steps(install_preset(scope, EMAIL_LED))
    whens = {b["when"]: b for s in steps for b in s.branches}
    meeting_ask = next(s for s in steps if "meeting.option_1" in templating.variables_used(s.body))
    assert whens["clicked"]["step"] == meeting_ask.position
    assert whens["opened_no_reply"]["then"] == "goto"
    assert whens["no_engagement:3"]["then"] == "exit"


def test_a_click_on_the_value_email_jumps_to_the_meeting_ask(scope, rep):
    lead = LeadFactory(workspace=scope, time_zone="America/New_York", owner=rep)
    cadence = install_preset(scope, EMAIL_LED)
    start = datetime(2026, 6, 10, 14, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
    enrollment = enroll(workspace=scope, lead=lead, cadence=cadence, now=start)
    at = start
    for _ in range(3):  # confirmation, question, value email
        touch = Touch.objects.filter(enrollment=enrollment, status="pending").get()
        at = touch.due_at
        with time_machine.travel(at, tick=False):
            dispatch_due(now=at)
    value_email = Touch.objects.get(enrollment=enrollment, sequence=3)
    Message.objects.filter(pk=value_email.message_id).update(clicked_at=at, opened_at=at)
    nxt = Touch.objects.filter(enrollment=enrollment, status="pending").get()
    with time_machine.travel(nxt.due_at, tick=False):
        dispatch_due(now=nxt.due_at)
    planned = Touch.objects.filter(enrollment=enrollment, status="pending").get()
    assert planned.step.position == 5  # the meeting ask, not the call task after the email


def test_an_unknown_preset_is_refused(scope):
    with pytest.raises(InvalidInput):
        install_preset(scope, "cold-calling-blitz")
