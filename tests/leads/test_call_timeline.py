"""One call, one timeline entry: a click-to-call's entry carries what was learnt afterwards (the
rep's outcome and notes, the provider's duration and recording), and nothing stored is lost."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from channels.models import Message
from channels.services.events import record_call_outcome
from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Consent
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 12:00 in New York
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"


@pytest.fixture(autouse=True)
def _at_noon():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def lead(workspace, rep):
    lead = LeadFactory(workspace=workspace, time_zone="America/New_York", owner=rep)
    with workspace_scope(workspace):
        Consent.objects.create(
            workspace=workspace, lead=lead, channel="call", text="Yes", captured_at=NOON
        )
    return lead


def _place_call(client, workspace, lead) -> Message:
    client.post(reverse("leads:lead-call", args=[lead.pk]), {"rep_phone": "(415) 555-2671"})
    with workspace_scope(workspace):
        return Message.objects.get(channel="call")


def _log_outcome(client, lead, call, outcome, notes=""):
    post = {"form": "outcome", "outcome-outcome": outcome, "outcome-call": call.pk}
    client.post(reverse("leads:lead-call-log", args=[lead.pk]), {**post, "outcome-notes": notes})


def _provider_reports(workspace, call, **values) -> None:
    with workspace_scope(workspace):
        record_call_outcome(message=call, **values)


def _call_entries(client, lead) -> list[Activity]:
    timeline = client.get(reverse("leads:lead-detail", args=[lead.pk])).context["timeline"]
    return [activity for activity in timeline.object_list if activity.channel == "call"]


def test_a_click_to_call_and_its_logged_outcome_are_one_entry(rep_client, workspace, lead):
    call = _place_call(rep_client, workspace, lead)
    _log_outcome(rep_client, lead, call, "answered")
    assert len(_call_entries(rep_client, lead)) == 1


def test_the_calls_entry_says_the_reps_outcome_and_notes(rep_client, workspace, lead):
    call = _place_call(rep_client, workspace, lead)
    _log_outcome(rep_client, lead, call, "voicemail", notes="Call back after 3")
    [entry] = _call_entries(rep_client, lead)
    assert (entry.summary, entry.payload["notes"]) == (
        "Call: left a voicemail",
        "Call back after 3",
    )


def test_the_providers_report_joins_the_calls_entry_with_duration_and_recording(
    rep_client, workspace, lead
):
    call = _place_call(rep_client, workspace, lead)
    _provider_reports(
        workspace, call, outcome="answered", duration_seconds=192, recording_url=RECORDING
    )
    [entry] = _call_entries(rep_client, lead)
    assert (entry.summary, entry.payload["recording_url"]) == (
        "Call answered, 3 min 12 s",
        RECORDING,
    )


def test_the_reps_outcome_comes_first_and_the_providers_duration_stays(rep_client, workspace, lead):
    call = _place_call(rep_client, workspace, lead)
    _provider_reports(workspace, call, outcome="answered", duration_seconds=95)
    _log_outcome(rep_client, lead, call, "no_answer")
    [entry] = _call_entries(rep_client, lead)
    assert entry.summary == "Call: no answer, 1 min 35 s"


def test_the_page_links_the_calls_recording(rep_client, workspace, lead):
    call = _place_call(rep_client, workspace, lead)
    _provider_reports(
        workspace, call, outcome="answered", duration_seconds=40, recording_url=RECORDING
    )
    _log_outcome(rep_client, lead, call, "answered")
    body = rep_client.get(reverse("leads:lead-detail", args=[lead.pk])).content.decode()
    assert body.count(f'href="{RECORDING}"') == 1


def test_a_call_logged_from_another_phone_keeps_its_own_entry(rep_client, workspace, lead):
    call = _place_call(rep_client, workspace, lead)
    _log_outcome(rep_client, lead, call, "answered")
    post = {"form": "log", "log-outcome": "no_answer"}
    rep_client.post(reverse("leads:lead-call-log", args=[lead.pk]), post)
    summaries = [entry.summary for entry in _call_entries(rep_client, lead)]
    assert summaries == ["Call: no answer", "Call: answered"]


def test_the_timeline_counts_a_call_once(rep_client, workspace, lead):
    call = _place_call(rep_client, workspace, lead)
    _provider_reports(workspace, call, outcome="answered", duration_seconds=60)
    _log_outcome(rep_client, lead, call, "answered")
    with workspace_scope(workspace):
        stored = Activity.objects.filter(lead=lead).count()
    timeline = rep_client.get(reverse("leads:lead-detail", args=[lead.pk])).context["timeline"]
    assert timeline.paginator.count == stored - 2


def test_every_stored_activity_of_the_call_is_kept(rep_client, workspace, lead):
    call = _place_call(rep_client, workspace, lead)
    _provider_reports(workspace, call, outcome="answered", duration_seconds=60)
    _log_outcome(rep_client, lead, call, "answered")
    with workspace_scope(workspace):
        kinds = sorted(
            Activity.objects.filter(lead=lead, channel="call").values_list("kind", flat=True)
        )
    assert kinds == ["call_completed", "call_logged", "sent"]
