"""The cadence funnel and the rep leaderboard, with hand-counted figures."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from leadfollow.tenancy import workspace_scope
from reports.filters import ReportFilters
from reports.registry import compute_report, get_report
from tests.factories import (
    ActivityFactory,
    CadenceFactory,
    EnrollmentFactory,
    StepFactory,
    TeamFactory,
    TouchFactory,
)
from tests.reports.timeline import lead_at

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)
MONDAY_10AM = datetime(2026, 6, 8, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _on_wednesday():
    with time_machine.travel(NOW, tick=False):
        yield


def _compute(slug, workspace, viewer=None, **choices):
    filters = ReportFilters(
        date_from=date(2026, 6, 1), date_to=date(2026, 6, 10), tz=workspace.tzinfo, **choices
    )
    with workspace_scope(workspace):
        return compute_report(
            workspace=workspace, report=get_report(slug), filters=filters, viewer=viewer
        )


@pytest.fixture
def welcome(workspace):
    """Five enrollments through an email, a text and a call task (see each line)."""
    cadence = CadenceFactory(workspace=workspace, name="Welcome")
    email, text, call = (
        StepFactory(cadence=cadence, position=0, kind="email"),
        StepFactory(cadence=cadence, position=1, kind="sms"),
        StepFactory(cadence=cadence, position=2, kind="call_task"),
    )

    def enrollment(at, touches, **state):
        made = EnrollmentFactory(cadence=cadence, current_step=at, **state)
        for sequence, (step, status) in enumerate(touches, 1):
            TouchFactory(enrollment=made, step=step, sequence=sequence, status=status)
        return made

    sent = "sent"
    enrollment(text, [(email, sent), (text, sent)], status="exited", exit_reason="replied")
    enrollment(email, [(email, sent)], status="exited", exit_reason="opted_out")
    enrollment(call, [(email, sent), (text, sent), (call, "done")], status="completed")
    enrollment(text, [(email, sent), (text, "pending")])  # still active, the text not yet out
    enrollment(email, [(email, "skipped")], status="exited", exit_reason="meeting")
    return cadence


def test_each_step_counts_reached_replied_and_left(workspace, welcome):
    rows = _compute("cadence-funnel", workspace).table("steps").rows
    figures = [
        (
            r["step"],
            r["reached"],
            r["replied"],
            r["replied_share"],
            r["exited"],
            r["completed"],
            r["active"],
        )
        for r in rows
    ]
    assert figures == [
        ("Welcome · step 1 (Email)", 4, 0, 0.0, 2, 0, 0),
        ("Welcome · step 2 (Text message)", 2, 1, 50.0, 1, 0, 1),
        ("Welcome · step 3 (Call task for the rep)", 1, 0, 0.0, 0, 1, 0),
    ]


def test_exit_reasons_are_named_per_step(workspace, welcome):
    rows = _compute("cadence-funnel", workspace).table("exits").rows
    assert [(r["step"], r["reason"], r["enrollments"]) for r in rows] == [
        ("Welcome · step 1 (Email)", "a meeting was booked", 1),
        ("Welcome · step 1 (Email)", "the lead opted out", 1),
        ("Welcome · step 2 (Text message)", "the lead replied", 1),
    ]


def test_cadence_funnel_headline(workspace, welcome):
    headline = {f.key: f.value for f in _compute("cadence-funnel", workspace).headline}
    assert headline == {"enrolled": 5, "replied_share": 20.0, "exited": 3, "completed": 1}


def test_enrollments_before_the_range_are_left_out(workspace, welcome):
    EnrollmentFactory(
        cadence=welcome, current_step=None, enrolled_at=datetime(2026, 5, 1, tzinfo=UTC)
    )
    assert _compute("cadence-funnel", workspace).headline[0].value == 5


@pytest.fixture
def worked(workspace, rep, manager):
    """Rep: two calls (one answered) on A and a text to B, who replied. Manager: one call on C
    that booked a meeting. Human touches: A 2 min, B 10 min (rep), C 1 min (manager)."""
    a = lead_at(workspace, MONDAY_10AM, touch_after=120, human_after=120, owner=rep)
    b = lead_at(workspace, MONDAY_10AM, touch_after=600, human_after=600, owner=rep)
    c = lead_at(workspace, MONDAY_10AM, touch_after=60, human_after=60, owner=manager)

    def did(lead, kind, actor=None, direction="out", at=NOW, **payload):
        ActivityFactory(
            workspace=workspace,
            lead=lead,
            kind=kind,
            actor=actor,
            direction=direction,
            occurred_at=at,
            payload=payload,
        )

    did(a, "call_logged", rep, outcome="answered")
    did(a, "call_logged", rep, outcome="no_answer")
    did(b, "sent", rep, channel="sms")
    did(b, "replied", direction="in")
    did(c, "call_logged", manager, outcome="meeting_booked")
    did(c, "meeting_booked", manager)
    did(a, "call_logged", rep, at=NOW - timedelta(days=30), outcome="answered")  # before the range


def _board(result):
    return {
        row["rep"]: [
            row[k]
            for k in (
                "leads_worked",
                "human_touch_p50",
                "calls",
                "connected",
                "replies",
                "meetings",
            )
        ]
        for row in result.table("reps").rows
    }


def test_leaderboard_counts_each_members_work(workspace, worked, rep, manager):
    assert _board(_compute("leaderboard", workspace)) == {
        rep.user.display_name: [2, 360.0, 2, 1, 1, 0],
        manager.user.display_name: [1, 60.0, 1, 1, 0, 1],
    }


def test_leaderboard_headline(workspace, worked):
    headline = {f.key: f.value for f in _compute("leaderboard", workspace).headline}
    assert headline == {"leads_worked": 3, "calls": 3, "connected": 2, "meetings": 1}


def test_a_rep_sees_only_their_own_row(workspace, worked, rep):
    assert list(_board(_compute("leaderboard", workspace, viewer=rep))) == [rep.user.display_name]


def test_a_team_with_no_one_on_it_has_an_empty_leaderboard(workspace, worked):
    result = _compute("leaderboard", workspace, team=TeamFactory(workspace=workspace))
    assert result.table("reps").rows == []
