"""A worker sends a chunk of claimed touches with a fixed number of queries, and each touch keeps
the single-touch rules: compliance per lead, quiet hours per lead, at most once per touch."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cadences.models import Enrollment, Touch
from cadences.services import dispatch
from cadences.services.dispatch import recover, send_touches
from cadences.services.enrollment import stop
from channels.adapters.base import ProviderError
from channels.adapters.outbox import OutboxAdapter
from channels.models import ChannelSettings, Message
from channels.services import sending
from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Consent, Lead
from scoring.models import SlaClock
from tests.factories import (
    CadenceFactory,
    EnrollmentFactory,
    LeadFactory,
    StepFactory,
    TouchFactory,
)

pytestmark = pytest.mark.django_db

# Wednesday 10 June 2026, 12:00 in New York, 01:00 the next day in Tokyo.
NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)


@pytest.fixture
def scope(workspace, settings):
    settings.CADENCE_SEND_RATES = {}
    with workspace_scope(workspace):
        ChannelSettings.objects.create(
            workspace=workspace, quiet_hours_start=time(8, 0), quiet_hours_end=time(21, 0)
        )
        yield workspace


@pytest.fixture
def cadence(scope):
    cadence = CadenceFactory(workspace=scope)
    StepFactory(cadence=cadence, position=0, kind="email", subject="Hi", body="Hello there")
    StepFactory(cadence=cadence, position=1, kind="email", delay=2, delay_unit="days")
    return cadence


def _due(scope, rep, cadence, count: int, *, kind: str = "email", **lead_fields) -> list[Touch]:
    """`count` touches due at noon and claimed by the dispatcher, one lead each (texts allowed)."""
    lead_fields.setdefault("time_zone", "America/New_York")
    step = cadence.steps.filter(position=0, kind=kind).first()
    step = step or StepFactory(cadence=cadence, position=0, kind=kind, body="Hi")
    touches = []
    for _ in range(count):
        lead = LeadFactory(workspace=scope, owner=rep, **lead_fields)
        Consent.objects.create(
            workspace=scope, lead=lead, channel="sms", text="Yes", captured_at=NOON
        )
        enrollment = EnrollmentFactory(cadence=cadence, lead=lead, current_step=step)
        touches.append(TouchFactory(enrollment=enrollment, due_at=NOON, status="queued"))
    return touches


def _statuses(touches) -> list[str]:
    return [Touch.objects.get(pk=touch.pk).status for touch in touches]


def test_one_chunk_sends_each_due_touch_exactly_once(scope, rep, cadence):
    touches = _due(scope, rep, cadence, 12)
    ids = [touch.pk for touch in touches]
    send_touches(ids, now=NOON)
    send_touches(ids, now=NOON)  # the broker delivered the chunk twice
    keys = sorted(Message.objects.filter(workspace=scope).values_list("dedupe_key", flat=True))
    assert keys == sorted(f"touch:{pk}" for pk in ids)
    assert set(_statuses(touches)) == {"sent"}
    assert Touch.objects.filter(workspace=scope, sequence=2, status="pending").count() == 12


def test_an_opted_out_lead_is_skipped_while_the_others_send(scope, rep, cadence):
    opted_out, *others = _due(scope, rep, cadence, 3)
    Lead.objects.filter(pk=opted_out.enrollment.lead_id).update(do_not_email=True)
    send_touches([opted_out.pk, *(touch.pk for touch in others)], now=NOON)
    assert _statuses([opted_out, *others]) == ["skipped", "sent", "sent"]
    blocked = Activity.objects.get(kind="send_blocked")
    assert blocked.lead_id == opted_out.enrollment.lead_id
    assert Message.objects.filter(workspace=scope).count() == 2


def test_quiet_hours_defer_only_the_touch_of_the_lead_at_night(scope, rep, cadence):
    awake = _due(scope, rep, cadence, 2, kind="sms")
    [asleep] = _due(scope, rep, cadence, 1, kind="sms", time_zone="Asia/Tokyo")
    send_touches([touch.pk for touch in (*awake, asleep)], now=NOON)
    assert _statuses([*awake, asleep]) == ["sent", "sent", "pending"]
    asleep.refresh_from_db()
    tokyo_eight = datetime(2026, 6, 10, 23, 0, tzinfo=UTC)
    assert tokyo_eight <= asleep.due_at < tokyo_eight + timedelta(minutes=15)


def test_a_provider_failure_on_one_message_leaves_the_others_sent(scope, rep, cadence, monkeypatch):
    refused, *fine = _due(scope, rep, cadence, 3)
    real_send = OutboxAdapter.send

    def refuse_one(self, message):
        if message.dedupe_key == f"touch:{refused.pk}":
            raise ProviderError("The provider refused the address.")
        return real_send(self, message)

    monkeypatch.setattr(OutboxAdapter, "send", refuse_one)
    send_touches([refused.pk, *(touch.pk for touch in fine)], now=NOON)
    assert _statuses([refused, *fine]) == ["failed", "sent", "sent"]
    assert Message.objects.get(dedupe_key=f"touch:{refused.pk}").status == "failed"
    assert Activity.objects.filter(kind="send_failed", lead=refused.enrollment.lead).exists()


def test_a_crash_after_the_claim_leaves_sending_rows_to_reconcile_never_resent(
    scope, rep, cadence, monkeypatch
):
    touches = _due(scope, rep, cadence, 3)
    calls = []

    def die(self, message):
        calls.append(message.pk)
        raise SystemExit("worker killed")

    monkeypatch.setattr(OutboxAdapter, "send", die)
    with pytest.raises(SystemExit):
        send_touches([touch.pk for touch in touches], now=NOON)
    assert list(Message.objects.values_list("status", flat=True)) == ["sending"] * 3
    monkeypatch.undo()
    send_touches([touch.pk for touch in touches], now=NOON)  # redelivered: nothing to send
    recover(now=NOON + timedelta(minutes=10))
    assert _statuses(touches) == ["flagged"] * 3
    assert len(calls) == 1
    assert set(Message.objects.values_list("provider_message_id", flat=True)) == {""}


def test_a_reply_landing_mid_chunk_stops_that_touchs_send(scope, rep, cadence, monkeypatch):
    first, replied = _due(scope, rep, cadence, 2)
    monkeypatch.setattr(sending, "RECHECK_SECONDS", -1)  # look again before every call
    real_send = OutboxAdapter.send

    def reply_meanwhile(self, message):
        if message.dedupe_key == f"touch:{first.pk}":
            enrollment = Enrollment.objects.select_related("cadence", "lead").get(
                pk=replied.enrollment_id
            )
            stop(workspace=scope, enrollment=enrollment, reason="replied", at=NOON)
        return real_send(self, message)

    monkeypatch.setattr(OutboxAdapter, "send", reply_meanwhile)
    send_touches([first.pk, replied.pk], now=NOON)
    assert _statuses([first, replied]) == ["sent", "cancelled"]
    assert not Message.objects.filter(dedupe_key=f"touch:{replied.pk}").exists()


def test_a_chunk_send_meets_the_leads_open_sla_clock(scope, rep, cadence):
    touches = _due(scope, rep, cadence, 2)
    lead = touches[0].enrollment.lead
    SlaClock.objects.create(
        workspace=scope, lead=lead, started_at=NOON, warn_at=NOON, due_at=NOON + timedelta(hours=1)
    )
    send_touches([touch.pk for touch in touches], now=NOON)
    assert SlaClock.objects.get(lead=lead).met_at is not None


def test_a_chunk_keeps_each_leads_timeline_bookkeeping(scope, rep, cadence):
    touched_before, fresh = _due(scope, rep, cadence, 2)
    earlier = NOON - timedelta(days=1)
    Lead.objects.filter(pk=touched_before.enrollment.lead_id).update(
        first_touch_at=earlier, awaiting_reply_since=earlier
    )
    send_touches([touched_before.pk, fresh.pk], now=NOON)
    for touch in (touched_before, fresh):
        lead = Lead.objects.get(pk=touch.enrollment.lead_id)
        sent_at = Message.objects.get(dedupe_key=f"touch:{touch.pk}").sent_at
        assert lead.last_activity_at == sent_at
    kept = Lead.objects.get(pk=touched_before.enrollment.lead_id)
    assert (kept.first_touch_at, kept.awaiting_reply_since) == (earlier, earlier)
    first = Lead.objects.get(pk=fresh.enrollment.lead_id).first_touch_at
    assert first == Message.objects.get(dedupe_key=f"touch:{fresh.pk}").sent_at


# SQLite splits a bulk insert of 27-column messages past 37 rows (999 bound variables).
@pytest.mark.parametrize("sizes", [(10, 30)])
def test_a_chunks_query_count_does_not_grow_with_its_size(scope, rep, cadence, sizes):
    for _ in range(2):  # the first sends store the workspace's rule settings and cache its rules
        send_touches([touch.pk for touch in _due(scope, rep, cadence, 2)], now=NOON)
    counts = []
    for size in sizes:
        ids = [touch.pk for touch in _due(scope, rep, cadence, size)]
        with CaptureQueriesContext(connection) as queries:
            send_touches(ids, now=NOON)
        counts.append(len(queries))
        assert Touch.objects.filter(pk__in=ids, status="sent").count() == size
    assert counts[0] == counts[1]
    assert counts[0] <= 30


def test_one_touch_sends_through_the_same_path(scope, rep, cadence):
    [touch] = _due(scope, rep, cadence, 1)
    assert dispatch.send_touch(workspace=scope, touch_id=touch.pk, now=NOON) == "sent"
    assert dispatch.send_touch(workspace=scope, touch_id=touch.pk, now=NOON) == "gone"
