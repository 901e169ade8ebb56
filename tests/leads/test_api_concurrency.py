"""Two sources posting the same person at the same moment make one lead, not two."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.urls import reverse
from rest_framework.test import APIClient

from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Lead

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def _post_concurrently(secret: str, body: dict) -> list[int]:
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        try:
            barrier.wait()
            response = client.post(reverse("leads:api-lead-list"), body, format="json")
            statuses.append(response.status_code)
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    return statuses


def test_eight_concurrent_posts_of_one_person_make_one_lead(api_key, workspace):
    body = {"email": "dana@northwind.example", "phone": "+14155552671", "first_name": "Dana"}
    statuses = _post_concurrently(api_key.secret, body)
    with workspace_scope(workspace):
        leads = list(Lead.objects.filter(workspace=workspace))
        re_inquiries = Activity.objects.filter(kind=Activity.Kind.RE_INQUIRY).count()
    assert sorted(statuses) == [200] * (THREADS - 1) + [201]
    assert len(leads) == 1
    assert re_inquiries == THREADS - 1
