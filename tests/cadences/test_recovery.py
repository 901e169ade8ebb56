"""Recovery: a lost broker message and a worker that died mid-send never cost a touch or send
one twice. The database is the truth; `recover` puts back what Redis or a process lost."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from cadences.models import Enrollment, Touch
from cadences.services.dispatch import CHUNK, dispatch_due, recover, send_touch, send_touches
from channels.adapters.outbox import OutboxAdapter
from channels.models import ChannelSettings, Message
from leadfollow.tenancy import workspace_scope
from tests.factories import CadenceFactory, LeadFactory, StepFactory

pytestmark = pytest.mark.django_db

# Wednesday 10 June 2026, 12:00 in New York.
NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)

needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs Redis: set REDIS_URL=redis://…/15 to run it"
)


@pytest.fixture
def scope(workspace):
    with workspace_scope(workspace):
        # Any hour is a sending hour: tasks run at the real time of the run.
        ChannelSettings.objects.update_or_create(
            workspace=workspace,
            defaults={"quiet_hours_start": time(0, 0), "quiet_hours_end": time.max},
        )
        yield workspace


def _touches(scope, rep, count: int, due_at) -> list[Touch]:
    cadence = CadenceFactory(workspace=scope)
    step = StepFactory(cadence=cadence, kind="email", delay=0)
    touches = []
    for _ in range(count):
        lead = LeadFactory(workspace=scope, owner=rep, time_zone="America/New_York")
        enrollment = Enrollment.objects.create(
            workspace=scope, cadence=cadence, lead=lead, enrolled_at=due_at, current_step=step
        )
        touches.append(
            Touch.objects.create(
                workspace=scope,
                enrollment=enrollment,
                step=step,
                sequence=1,
                channel="email",
                due_at=due_at,
            )
        )
    return touches


@pytest.fixture
def broker():
    """The real Redis broker with tasks leaving the process; only the test's db is flushed."""
    import redis

    from leadfollow.celery import app

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    app.conf.task_always_eager = False
    yield client
    app.conf.task_always_eager = True
    client.flushdb()


@pytest.mark.postgres
@needs_redis
def test_flushing_redis_mid_run_loses_no_touch(scope, rep, broker, settings):
    settings.CADENCE_SEND_RATES = {}
    now = timezone.now()
    touches = _touches(scope, rep, 60, now - timedelta(minutes=1))
    assert dispatch_due(now=now) == 60
    assert broker.llen("celery") == -(-60 // CHUNK)  # the chunks of ids wait in Redis
    broker.flushdb()  # Redis restarted empty before any worker took them
    from leadfollow.celery import app

    app.conf.task_always_eager = True
    assert recover(now=now + timedelta(minutes=3)) == (60, 0)
    sent = Message.objects.filter(workspace=scope, direction="out")
    assert sent.count() == 60
    assert set(sent.values_list("dedupe_key", flat=True)) == {f"touch:{t.pk}" for t in touches}
    assert set(Touch.objects.filter(workspace=scope).values_list("status", flat=True)) == {"sent"}


def _die(self, message):
    raise SystemExit("worker killed")


def test_a_worker_killed_in_the_provider_call_leaves_a_flagged_touch(scope, rep, monkeypatch):
    [touch] = _touches(scope, rep, 1, NOON)
    monkeypatch.setattr(OutboxAdapter, "send", _die)
    with pytest.raises(SystemExit):
        send_touch(workspace=scope, touch_id=touch.pk, now=NOON)
    monkeypatch.undo()
    recover(now=NOON + timedelta(minutes=10))
    dispatch_due(now=NOON + timedelta(minutes=10))
    touch.refresh_from_db()
    assert touch.status == "flagged"
    [message] = Message.objects.filter(workspace=scope, direction="out")
    assert (message.status, message.provider_message_id) == ("sending", "")


def test_a_worker_killed_after_the_provider_accepted_reconciles_as_sent(scope, rep, monkeypatch):
    import cadences.services.dispatch as dispatch

    [touch] = _touches(scope, rep, 1, NOON)

    def die(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(dispatch, "_record", die)
    with pytest.raises(SystemExit):
        send_touch(workspace=scope, touch_id=touch.pk, now=NOON)
    monkeypatch.undo()
    recover(now=NOON + timedelta(minutes=10))
    touch.refresh_from_db()
    [message] = Message.objects.filter(workspace=scope, direction="out")
    assert (touch.status, touch.message_id) == ("sent", message.pk)


def test_an_adapter_crash_flags_its_touch_and_the_batch_goes_on(scope, rep, monkeypatch):
    crashed, fine = _touches(scope, rep, 2, timezone.now() - timedelta(minutes=1))
    real_send = OutboxAdapter.send

    def crash_once(self, message):
        if message.dedupe_key == f"touch:{crashed.pk}":
            raise RuntimeError("connection reset while reading the answer")
        return real_send(self, message)

    monkeypatch.setattr(OutboxAdapter, "send", crash_once)
    send_touches([crashed.pk, fine.pk])
    recover(now=timezone.now() + timedelta(minutes=10))
    crashed.refresh_from_db()
    fine.refresh_from_db()
    assert (crashed.status, fine.status) == ("flagged", "sent")
    assert Message.objects.filter(workspace=scope, dedupe_key=f"touch:{crashed.pk}").count() == 1
