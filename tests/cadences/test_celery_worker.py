"""End to end with a real Celery worker on Redis: a new lead gets its first touch from the
worker, and the lead's reply stops the cadence."""

import time as clock
from datetime import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connections
from django.urls import reverse

from cadences.models import Enrollment, Touch
from channels.models import ChannelSettings, Message
from leadfollow.tenancy import workspace_scope
from tests.factories import CadenceFactory, StepFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not settings.REDIS_URL, reason="needs Redis: set REDIS_URL=redis://…/15 to run it"
    ),
    pytest.mark.django_db(transaction=True),
]


def _close_worker_connections(**kwargs) -> None:
    """The worker thread's own database connection must not outlive its task (the test
    database is flushed and dropped afterwards)."""
    connections.close_all()


@pytest.fixture
def worker():
    """An in-thread worker consuming from Redis; tasks leave the test process's eager mode."""
    import redis

    from leadfollow.celery import app

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    app.conf.task_always_eager = False
    task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(app, perform_ping_check=False, shutdown_timeout=5):
            yield
    finally:
        task_postrun.disconnect(_close_worker_connections)
        app.conf.task_always_eager = True


def _wait_for(query, timeout: float = 10.0):
    """Poll the database until `query()` returns something truthy, or fail at the deadline."""
    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        found = query()
        if found:
            return found
        clock.sleep(0.05)
    raise AssertionError(f"nothing after {timeout:g} s")


def test_a_new_lead_gets_its_first_touch_from_the_worker_and_a_reply_stops_it(
    workspace, api_client, worker
):
    from leads.services import intake_lead

    with workspace_scope(workspace):
        # Any hour is a sending hour: the worker sends at the real time of the run.
        ChannelSettings.objects.update_or_create(
            workspace=workspace,
            defaults={"quiet_hours_start": time(0, 0), "quiet_hours_end": time.max},
        )
        cadence = CadenceFactory(
            workspace=workspace,
            auto_enroll=True,
            enrollment_conditions={"field": "has_email", "op": "equals", "value": True},
        )
        StepFactory(cadence=cadence, position=0, kind="email", delay=0)
        StepFactory(cadence=cadence, position=1, kind="email", delay=2, delay_unit="days")
        lead = intake_lead(
            workspace=workspace, fields={"first_name": "Dana", "email": "dana@lead.example"}
        ).lead
        message = _wait_for(
            lambda: Message.objects.filter(workspace=workspace, lead=lead, status="sent").first()
        )
        assert message.subject == "Hello Dana"

        url = reverse("channels:api-outbox-simulate", args=[message.pk])
        answer = api_client.post(url, {"event": "replied", "text": "Call me"}, format="json")
        assert answer.status_code == 200
        enrollment = Enrollment.objects.get(lead=lead, cadence=cadence)
        assert (enrollment.status, enrollment.exit_reason) == ("exited", "replied")
        touches = Touch.objects.filter(enrollment=enrollment).order_by("sequence")
        assert [t.status for t in touches] == ["sent", "cancelled"]
        assert Message.objects.filter(workspace=workspace, direction="out").count() == 1
