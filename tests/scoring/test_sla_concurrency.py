import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from leadfollow.tenancy import workspace_scope
from leads.services import intake_lead
from scoring.models import Notification
from scoring.services.sla import sla_tick
from tests.factories import RoutingRuleFactory, SlaPolicyFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_ticks_warn_and_breach_exactly_once(workspace, rep):
    RoutingRuleFactory(workspace=workspace, member=rep)
    SlaPolicyFactory(workspace=workspace, minutes=1)
    with workspace_scope(workspace):
        for n in range(30):
            intake_lead(workspace=workspace, fields={"email": f"lead{n}@load.example"})
    barrier = threading.Barrier(2)
    later = timezone.now() + timedelta(minutes=2)

    def tick() -> None:
        try:
            barrier.wait()
            with time_machine.travel(later, tick=False):
                sla_tick()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with workspace_scope(workspace):
        kinds = list(Notification.objects.filter(recipient=rep).values_list("kind", flat=True))
    assert kinds.count("sla_warning") == 30
    assert kinds.count("sla_breach") == 30
