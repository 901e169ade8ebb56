"""POST/GET /api/v1/leads/{id}/enrollments/ and the enrollments shown with a lead."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadences.models import Enrollment
from cadences.services.enrollment import enroll, stop
from leadfollow.tenancy import workspace_scope
from tests.factories import CadenceFactory, LeadFactory, StepFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)  # Wednesday, 12:00 in New York


@pytest.fixture(autouse=True)
def _noon():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def scope(workspace):
    with workspace_scope(workspace):
        yield workspace


@pytest.fixture
def lead(scope):
    return LeadFactory(workspace=scope, first_name="Dana", last_name="Reyes")


def _cadence(workspace, name="Speed to lead", **fields):
    cadence = CadenceFactory(workspace=workspace, name=name, **fields)
    StepFactory(cadence=cadence, position=0, kind="email", delay=10)
    StepFactory(cadence=cadence, position=1, kind="sms", delay=1, delay_unit="days")
    return cadence


def _url(lead):
    return reverse("cadences:api-lead-enrollments", kwargs={"lead_id": lead.pk})


def _post(api_client, lead, body):
    return api_client.post(_url(lead), body, format="json")


def test_enrolling_answers_201_with_the_enrollment(api_client, scope, lead):
    cadence = _cadence(scope)
    response = _post(api_client, lead, {"cadence": cadence.pk})
    assert response.status_code == 201
    body = response.json()
    assert body["cadence"] == {"id": cadence.pk, "name": "Speed to lead"}
    assert (body["status"], body["exit_reason"]) == ("active", "")
    assert body["current_step"] == {"position": 0, "kind": "email"}
    assert body["next_touch"]["due_at"] == "2026-06-10T16:10:00Z"
    assert Enrollment.objects.get(pk=body["id"]).lead_id == lead.pk


def test_an_unknown_field_is_refused(api_client, scope, lead):
    cadence = _cadence(scope)
    response = _post(api_client, lead, {"cadence": cadence.pk, "start": "now"})
    assert response.status_code == 400
    assert response.json() == {"start": ["Unknown field."]}
    assert not Enrollment.objects.exists()


def test_a_missing_cadence_is_a_field_error(api_client, lead):
    response = _post(api_client, lead, {})
    assert response.status_code == 400
    assert "cadence" in response.json()


def test_another_workspaces_cadence_is_a_field_error(api_client, lead, other_workspace):
    with workspace_scope(other_workspace):
        foreign = _cadence(other_workspace)
    response = _post(api_client, lead, {"cadence": foreign.pk})
    assert response.status_code == 400
    assert response.json()["cadence"] == ["No cadence with this id in your workspace."]
    with workspace_scope(other_workspace):
        assert not Enrollment.objects.exists()


def test_an_unknown_cadence_is_a_field_error(api_client, lead):
    response = _post(api_client, lead, {"cadence": 999999})
    assert response.status_code == 400
    assert "cadence" in response.json()


def test_a_switched_off_cadence_is_refused(api_client, scope, lead):
    cadence = _cadence(scope, is_active=False)
    response = _post(api_client, lead, {"cadence": cadence.pk})
    assert response.status_code == 400
    assert "switched off" in response.json()["cadence"][0]


def test_enrolling_twice_is_a_conflict(api_client, scope, lead):
    cadence = _cadence(scope)
    _post(api_client, lead, {"cadence": cadence.pk})
    response = _post(api_client, lead, {"cadence": cadence.pk})
    assert response.status_code == 409
    assert response.json()["detail"] == "Dana Reyes is already in “Speed to lead”."
    assert Enrollment.objects.count() == 1


def test_an_exclusive_cadence_is_a_conflict(api_client, scope, lead):
    first = _cadence(scope, exclusive_group="new-leads")
    second = _cadence(scope, name="Webinar follow-up", exclusive_group="new-leads")
    _post(api_client, lead, {"cadence": first.pk})
    response = _post(api_client, lead, {"cadence": second.pk})
    assert response.status_code == 409
    assert "Stop that one first" in response.json()["detail"]


def test_the_list_shows_the_leads_enrollments_newest_first(api_client, scope, lead):
    old = _cadence(scope, name="Old")
    new = _cadence(scope, name="New")
    ended = enroll(workspace=scope, lead=lead, cadence=old, now=NOON - timedelta(days=3))
    stop(workspace=scope, enrollment=ended, reason="manual")
    enroll(workspace=scope, lead=lead, cadence=new, now=NOON)
    LeadFactory(workspace=scope)  # another lead's enrollments stay out
    response = api_client.get(_url(lead))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["cadence"]["name"], r["status"]) for r in rows] == [
        ("New", "active"),
        ("Old", "exited"),
    ]
    assert rows[1]["exit_reason"] == "manual"
    assert rows[1]["next_touch"] is None


def test_the_lead_shows_its_enrollments(api_client, scope, lead):
    cadence = _cadence(scope)
    enrollment = enroll(workspace=scope, lead=lead, cadence=cadence, now=NOON)
    response = api_client.get(reverse("leads:api-lead-detail", kwargs={"lead_id": lead.pk}))
    assert response.json()["enrollments"] == [
        {
            "id": enrollment.pk,
            "cadence": {"id": cadence.pk, "name": "Speed to lead"},
            "status": "active",
            "exit_reason": "",
            "current_step": {"position": 0, "kind": "email"},
            "next_touch": {
                "due_at": "2026-06-10T16:10:00Z",
                "channel": "email",
                "status": "pending",
            },
            "enrolled_at": "2026-06-10T16:00:00Z",
            "ended_at": None,
        }
    ]


def _list_queries(api_client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(reverse("leads:api-lead-list"))
    assert response.status_code == 200
    return len(queries)


def test_the_lead_list_reads_enrollments_without_a_query_per_lead(api_client, scope):
    cadences = [_cadence(scope, name=f"Cadence {n}") for n in range(2)]

    def add_lead():
        lead = LeadFactory(workspace=scope)
        for cadence in cadences:
            enroll(workspace=scope, lead=lead, cadence=cadence, now=NOON)

    add_lead()
    _list_queries(api_client)  # the first request also notes the key's use
    few = _list_queries(api_client)
    for _ in range(4):
        add_lead()
    assert _list_queries(api_client) == few
