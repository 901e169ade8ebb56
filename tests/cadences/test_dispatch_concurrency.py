"""Two dispatchers and duplicate worker deliveries over thousands of due touches: each touch
is sent exactly once (Postgres row locks with SKIP LOCKED, not process memory)."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from cadences.models import Enrollment, Touch
from cadences.services.dispatch import dispatch_due, send_touches
from channels.models import Message
from leadfollow.tenancy import workspace_scope
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
        while dispatch_due(limit=200):
            pass

    def duplicate_worker() -> None:  # a broker redelivering every id to a second worker
        for start in range(0, len(ids), 50):
            send_touches(ids[start : start + 50])

    _run_all([dispatcher, dispatcher, duplicate_worker, duplicate_worker])
    with workspace_scope(workspace):
        assert Message.objects.count() == TOUCHES
        assert Touch.objects.filter(status="sent").count() == TOUCHES
