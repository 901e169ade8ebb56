"""A burst of due touches is claimed as fast as workers take it, not all at once: the rest stay
`pending` in due order, and chunks never wait in the broker long enough to look lost. The rate
limit of each workspace and channel holds within a chunk that spans many workspaces."""

from datetime import UTC, datetime, time, timedelta

import pytest

from cadences import tasks
from cadences.models import Touch
from cadences.services import dispatch
from cadences.services.dispatch import dispatch_due, send_touches
from channels.models import ChannelSettings, Message
from leadfollow.tenancy import workspace_scope
from tests.factories import (
    CadenceFactory,
    EnrollmentFactory,
    LeadFactory,
    StepFactory,
    TouchFactory,
)

pytestmark = pytest.mark.django_db

# Wednesday 10 June 2026, 12:00 in New York.
NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)


@pytest.fixture
def enqueued(monkeypatch) -> list[list[int]]:
    """The chunks the dispatcher hands to the broker, kept there (no worker takes them)."""
    chunks: list[list[int]] = []
    monkeypatch.setattr(tasks.send_touches, "delay", lambda *, touch_ids: chunks.append(touch_ids))
    return chunks


def _due(workspace, count: int, *, due_at=NOON, status: str = "pending") -> list[Touch]:
    with workspace_scope(workspace):
        ChannelSettings.objects.update_or_create(
            workspace=workspace,
            defaults={"quiet_hours_start": time(0, 0), "quiet_hours_end": time.max},
        )
        cadence = CadenceFactory(workspace=workspace)
        step = StepFactory(cadence=cadence, kind="email", subject="Hi", body="Hello there")
        touches = []
        for _ in range(count):
            lead = LeadFactory(workspace=workspace, time_zone="America/New_York")
            enrollment = EnrollmentFactory(cadence=cadence, lead=lead, current_step=step)
            queued_at = due_at if status == "queued" else None
            touches.append(
                TouchFactory(
                    enrollment=enrollment, due_at=due_at, status=status, queued_at=queued_at
                )
            )
    return touches


def _statuses(workspace) -> dict[str, int]:
    with workspace_scope(workspace):
        statuses = list(Touch.objects.values_list("status", flat=True))
    return {status: statuses.count(status) for status in set(statuses)}


def test_a_burst_is_claimed_only_as_far_as_workers_take_it(workspace, enqueued, monkeypatch):
    monkeypatch.setattr(dispatch, "AHEAD", 5)
    _due(workspace, 8)
    assert dispatch_due(now=NOON) == 5
    assert dispatch_due(now=NOON + timedelta(seconds=1)) == 0  # the workers took none yet
    assert _statuses(workspace) == {"queued": 5, "pending": 3}


def test_the_earliest_due_touches_are_claimed_first(workspace, enqueued, monkeypatch):
    monkeypatch.setattr(dispatch, "AHEAD", 2)
    _due(workspace, 2, due_at=NOON)
    earliest = _due(workspace, 2, due_at=NOON - timedelta(minutes=5))
    dispatch_due(now=NOON)
    assert sorted(pk for chunk in enqueued for pk in chunk) == sorted(t.pk for t in earliest)


def test_touches_queued_too_long_do_not_hold_the_tick_back(workspace, enqueued, monkeypatch):
    monkeypatch.setattr(dispatch, "AHEAD", 5)
    _due(workspace, 5, due_at=NOON - timedelta(minutes=3), status="queued")  # a lost chunk
    _due(workspace, 2)
    assert dispatch_due(now=NOON) == 2


def test_each_workspace_keeps_its_rate_within_a_chunk(workspace, other_workspace, settings):
    settings.CADENCE_SEND_RATES = {"email": 2}
    touches = _due(workspace, 3, status="queued") + _due(other_workspace, 3, status="queued")
    send_touches([touch.pk for touch in touches], now=NOON)
    for space in (workspace, other_workspace):
        with workspace_scope(space):
            assert Message.objects.count() == 2
        assert _statuses(space) == {"sent": 2, "pending": 1}
