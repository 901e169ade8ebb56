"""The channels report: outcomes per channel and per step variant, and deliverability warnings."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from leadfollow.tenancy import workspace_scope
from reports.filters import ReportFilters
from reports.registry import compute_report, get_report
from tests.factories import (
    ActivityFactory,
    CadenceFactory,
    EnrollmentFactory,
    LeadFactory,
    MessageFactory,
    StepFactory,
    TouchFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _on_wednesday():
    with time_machine.travel(NOW, tick=False):
        yield


def _channels(workspace, viewer=None):
    filters = ReportFilters(
        date_from=date(2026, 6, 1), date_to=date(2026, 6, 10), tz=workspace.tzinfo
    )
    with workspace_scope(workspace):
        return compute_report(
            workspace=workspace, report=get_report("channels"), filters=filters, viewer=viewer
        )


@pytest.fixture
def sent(workspace):
    """Email: 4 sent (3 delivered, 2 opened, 1 clicked, 1 replied, 1 bounced).
    SMS: 2 sent (1 delivered and replied), 1 failed, 1 opt-out; and one inbound text."""
    email = {
        "full": MessageFactory(
            workspace=workspace,
            status="delivered",
            delivered_at=NOW,
            opened_at=NOW,
            clicked_at=NOW,
            replied_at=NOW,
        ),
        "opened": MessageFactory(
            workspace=workspace, status="delivered", delivered_at=NOW, opened_at=NOW
        ),
        "delivered": MessageFactory(workspace=workspace, status="delivered", delivered_at=NOW),
        "bounced": MessageFactory(workspace=workspace, status="bounced"),
    }
    sms = {"channel": "sms", "provider": "twilio"}
    MessageFactory(workspace=workspace, status="delivered", delivered_at=NOW, replied_at=NOW, **sms)
    MessageFactory(workspace=workspace, status="sent", **sms)
    MessageFactory(workspace=workspace, status="failed", sent_at=None, **sms)
    MessageFactory(workspace=workspace, status="received", direction="in", **sms)
    lead = LeadFactory(workspace=workspace)
    ActivityFactory(
        workspace=workspace, lead=lead, kind="opted_out", channel="sms", occurred_at=NOW
    )
    return email


def test_outcomes_per_channel(workspace, sent):
    rows = {row["channel"]: row for row in _channels(workspace).table("by_channel").rows}
    email, sms = rows["Email"], rows["SMS"]
    assert [email[k] for k in ("sent", "delivered", "opened", "clicked", "replied", "bounced")] == [
        4,
        3,
        2,
        1,
        1,
        1,
    ]
    assert (email["delivered_rate"], email["opened_rate"], email["bounced_rate"]) == (
        75.0,
        50.0,
        25.0,
    )
    assert [sms[k] for k in ("sent", "delivered", "replied", "bounced", "opted_out")] == [
        2,
        1,
        1,
        0,
        1,
    ]
    assert sms["opted_out_rate"] == 50.0


def test_headline_rates_are_of_every_message_sent(workspace, sent):
    headline = {f.key: f.value for f in _channels(workspace).headline}
    assert headline == {
        "sent": 6,
        "delivered_rate": 66.7,
        "replied_rate": 33.3,
        "bounced_rate": 16.7,
        "opted_out_rate": 16.7,
    }


def test_high_bounce_and_opt_out_rates_are_warned_about(workspace, sent):
    warnings = _channels(workspace).warnings
    assert [w.split(":")[0] for w in warnings] == ["Email", "SMS"]
    assert "25.0 % of messages bounced (over 5 %)" in warnings[0]
    assert "50.0 % opted out (over 2 %)" in warnings[1]


def test_rates_under_the_thresholds_raise_no_warning(workspace, settings):
    settings.REPORTS_BOUNCE_WARNING_PERCENT = 30
    MessageFactory(workspace=workspace, status="bounced")
    for _ in range(3):
        MessageFactory(workspace=workspace, status="delivered", delivered_at=NOW)
    assert _channels(workspace).warnings == []


def test_ab_variants_of_a_step_sit_side_by_side(workspace, sent):
    step = StepFactory(cadence=CadenceFactory(workspace=workspace, name="Welcome"), position=0)
    for variant, message in [(0, sent["full"]), (1, sent["opened"]), (1, sent["delivered"])]:
        enrollment = EnrollmentFactory(lead=message.lead, cadence=step.cadence, current_step=step)
        TouchFactory(
            enrollment=enrollment, step=step, variant=variant, message=message, status="sent"
        )
    rows = _channels(workspace).table("by_step").rows
    assert [(r["step"], r["variant"], r["sent"], r["opened"], r["replied"]) for r in rows] == [
        ("Welcome · step 1 (Email)", "A", 1, 1, 1),
        ("Welcome · step 1 (Email)", "B", 2, 1, 0),
    ]
    assert (rows[0]["replied_rate"], rows[1]["opened_rate"]) == (100.0, 50.0)


def test_a_rep_counts_only_messages_to_their_own_leads(workspace, rep):
    MessageFactory(workspace=workspace, lead=LeadFactory(workspace=workspace, owner=rep))
    MessageFactory(workspace=workspace)
    assert _channels(workspace, viewer=rep).headline[0].value == 1


def test_another_workspaces_messages_are_never_counted(workspace, other_workspace, sent):
    MessageFactory(workspace=other_workspace)
    assert _channels(workspace).headline[0].value == 6
