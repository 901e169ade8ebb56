"""Two dispatchers and duplicate worker deliveries over thousands of due touches: each touch
is sent exactly once (Postgres row locks with SKIP LOCKED, not process memory)."""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from cadences.models import Enrollment, Touch
from cadences.services.dispatch import QUEUED_TOO_LONG, dispatch_due, recover, send_touches
from channels.models import Message
from leadfollow.tenancy import unscoped, workspace_scope
from leads.models import Lead
from tests.factories import CadenceFactory, MembershipFactory, StepFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TOUCHES = 2000


def _due_touches(workspace, count: int) -> list[int]:
    now = timezone.now()
    owner = MembershipFactory(workspace=workspace)
    cadence = CadenceFactory(workspace=workspace)
    step = StepFactory(cadence=cadence, kind="email", subject="Hi", body="Hello there")
    leads = Lead.objects.bulk_create(
        Lead(workspace=workspace, email=f"lead{n}@load.example", owner=owner, time_zone="UTC")
        for n in range(count)
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(
            workspace=workspace, lead=lead, cadence=cadence, enrolled_at=now, current_step=step
        )
        for lead in leads
    )
    touches = Touch.objects.bulk_create(
        Touch(
            workspace=workspace,
            enrollment=enrollment,
            step=step,
            sequence=1,
            channel="email",
            due_at=now - timedelta(seconds=1),
        )
        for enrollment in enrollments
    )
    return [touch.pk for touch in touches]


def _left(status: str) -> bool:
    with unscoped():
        return Touch.objects.filter(status=status).exists()


def _run_all(workers) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(workers))

    def run(work) -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []


def test_two_dispatchers_and_duplicate_deliveries_send_each_touch_once(workspace, settings):
    settings.CADENCE_SEND_RATES = {}
    with workspace_scope(workspace):
        ids = _due_touches(workspace, TOUCHES)

    def dispatcher() -> None:
        # Beat ticks for as long as the service runs: a tick that claims nothing because the
        # touches left are locked by a worker at that moment is followed by another one.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not dispatch_due(limit=200) and not _left(Touch.Status.PENDING):
                return

    def duplicate_worker() -> None:  # a broker redelivering every id to a second worker
        for start in range(0, len(ids), 50):
            send_touches(ids[start : start + 50])

    _run_all([dispatcher, dispatcher, duplicate_worker, duplicate_worker])
    if _left(Touch.Status.QUEUED):
        # A chunk whose worker found its touches held by another worker: two minutes later
        # recovery enqueues them again, as it does for a chunk the broker lost.
        recover(now=timezone.now() + QUEUED_TOO_LONG + timedelta(seconds=1))
    with workspace_scope(workspace):
        statuses = Counter(Touch.objects.values_list("status", flat=True))
        assert Message.objects.count() == TOUCHES, statuses
        assert Touch.objects.filter(status="sent").count() == TOUCHES
