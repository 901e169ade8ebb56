"""Acting from the lead page: reply, call, log a call, task, meeting, the cadence's controls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadences.models import Enrollment, Task
from cadences.services.enrollment import enroll
from channels.compliance import channel_settings
from channels.models import Message, ReplyTemplate
from channels.services.events import lead_replied
from channels.services.sending import Outgoing, send_message
from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Consent, Lead
from tests.factories import (
    ActivityFactory,
    CadenceFactory,
    LeadFactory,
    MessageFactory,
    StepFactory,
)

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 12:00 in New York
NIGHT = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 03:00 in New York
HX = {"HX-Request": "true"}


@pytest.fixture
def lead(workspace, rep):
    lead = LeadFactory(
        workspace=workspace, first_name="Dana", time_zone="America/New_York", owner=rep
    )
    with workspace_scope(workspace):
        for channel in ("sms", "call"):
            Consent.objects.create(
                workspace=workspace, lead=lead, channel=channel, text="Yes", captured_at=NOON
            )
    return lead


def _url(name: str, lead) -> str:
    return reverse(f"leads:{name}", args=[lead.pk])


def _messages(workspace, **filters) -> list[Message]:
    with workspace_scope(workspace):
        return list(Message.objects.filter(**filters).order_by("pk"))


def _activities(workspace, lead, kind) -> list[Activity]:
    with workspace_scope(workspace):
        return list(Activity.objects.filter(lead=lead, kind=kind).select_related("actor"))


def _reload(workspace, lead) -> Lead:
    with workspace_scope(workspace):
        return Lead.objects.get(pk=lead.pk)


def _update(workspace, lead, **fields) -> None:
    with workspace_scope(workspace):
        Lead.objects.filter(pk=lead.pk).update(**fields)


def _text(body: str, send_id: str = "a1") -> dict:
    return {"channel": "sms", "body": body, "send_id": send_id}


# Reply


@time_machine.travel(NOON, tick=False)
def test_text_reply_is_sent_with_its_variables_filled(rep_client, workspace, rep, lead):
    response = rep_client.post(
        _url("lead-reply", lead), _text("Hi {{ lead.first_name }}, call you at 3?"), headers=HX
    )
    [sms] = _messages(workspace, channel="sms")
    assert (sms.body_text, sms.sent_by, sms.status) == ("Hi Dana, call you at 3?", rep, "sent")
    assert "Text sent." in response.content.decode()
    assert 'class="bubble bubble--out"' in response.content.decode()


@time_machine.travel(NOON, tick=False)
def test_a_reply_submitted_twice_is_sent_once(rep_client, workspace, lead):
    for _ in range(2):
        rep_client.post(_url("lead-reply", lead), _text("Hi Dana", send_id="same"))
    assert len(_messages(workspace, channel="sms")) == 1


@time_machine.travel(NOON, tick=False)
def test_a_failed_send_says_why_and_offers_a_fresh_attempt(rep_client, workspace, lead):
    with workspace_scope(workspace):
        settings = channel_settings(workspace)
        settings.sms_provider = "twilio"  # no Twilio account saved: the send fails
        settings.save()
    response = rep_client.post(_url("lead-reply", lead), _text("Hi Dana", send_id="first"))
    assert response.status_code == 400
    assert "Not sent." in response.content.decode()
    assert response.context["reply_form"]["send_id"].value() != "first"


@time_machine.travel(NOON, tick=False)
def test_a_reply_counts_as_the_first_human_touch(rep_client, workspace, lead):
    rep_client.post(_url("lead-reply", lead), _text("Hi Dana"))
    assert _reload(workspace, lead).first_human_touch_at == NOON


@time_machine.travel(NIGHT, tick=False)
def test_text_in_quiet_hours_is_refused_with_the_opening_and_a_reminder(
    rep_client, workspace, lead
):
    response = rep_client.post(_url("lead-reply", lead), _text("Hi Dana"))
    body = response.content.decode()
    assert response.status_code == 400
    assert "Outside quiet hours: will send at 08:00 lead time" in body
    assert "Remind me at Tue 8:00 AM" in body
    assert _messages(workspace) == []


@time_machine.travel(NOON, tick=False)
def test_text_to_an_opted_out_lead_is_refused_and_nothing_is_written(rep_client, workspace, lead):
    _update(workspace, lead, do_not_sms=True)
    response = rep_client.post(_url("lead-reply", lead), _text("Hi Dana"), headers=HX)
    assert "asked not to be contacted by SMS" in response.content.decode()
    assert _messages(workspace) == []
    assert _activities(workspace, lead, "send_blocked") == []


@time_machine.travel(NOON, tick=False)
def test_a_variable_the_lead_has_no_value_for_is_refused(rep_client, workspace, lead):
    _update(workspace, lead, title="")
    response = rep_client.post(_url("lead-reply", lead), _text("Still a {{ lead.title }}?"))
    assert response.status_code == 400
    assert "This lead has no value for lead.title" in response.content.decode()
    assert _messages(workspace) == []


def test_an_email_reply_needs_a_subject(rep_client, workspace, lead):
    response = rep_client.post(
        _url("lead-reply", lead), {"channel": "email", "body": "Hi", "send_id": "e1"}
    )
    assert response.status_code == 400
    assert response.context["reply_form"].errors["subject"] == ["Give the email a subject."]


@time_machine.travel(NOON, tick=False)
def test_an_email_reply_threads_under_the_leads_last_email(rep_client, workspace, lead):
    with workspace_scope(workspace):
        theirs = lead_replied(
            workspace=workspace, lead=lead, channel="email", text="Price?", provider="outbox"
        )
    rep_client.post(
        _url("lead-reply", lead),
        {
            "channel": "email",
            "subject": "Re: price",
            "body": "Hi {{ lead.first_name }}",
            "send_id": "e2",
        },
    )
    [email] = _messages(workspace, channel="email", direction="out")
    assert (email.in_reply_to_id, email.body_text) == (theirs.pk, "Hi Dana")
    assert _reload(workspace, lead).awaiting_reply_since is None


@time_machine.travel(NOON, tick=False)
def test_preview_shows_the_verdict_and_the_segments(rep_client, lead):
    response = rep_client.get(
        _url("lead-reply-preview", lead), {"channel": "sms", "body": "Hi {{ lead.first_name }}"}
    )
    body = response.content.decode()
    assert "Ready:" in body
    assert "As a text: 1 segment (7 characters, GSM-7)" in body
    assert "Hi Dana" in body


@time_machine.travel(NIGHT, tick=False)
def test_preview_in_quiet_hours_says_when_it_could_go(rep_client, lead):
    response = rep_client.get(_url("lead-reply-preview", lead), {"channel": "sms", "body": "Hi"})
    assert "Outside quiet hours: will send at 08:00 lead time" in response.content.decode()


def test_preview_for_an_opted_out_lead_says_it_cannot_send(rep_client, workspace, lead):
    _update(workspace, lead, do_not_sms=True)
    response = rep_client.get(_url("lead-reply-preview", lead), {"channel": "sms", "body": "Hi"})
    assert "Cannot send:" in response.content.decode()


def _saved_reply(workspace, **fields) -> ReplyTemplate:
    values = {"name": "Missed you", "channel": "sms", "body": "Sorry I missed you!", **fields}
    with workspace_scope(workspace):
        return ReplyTemplate.objects.create(workspace=workspace, **values)


def test_picking_a_saved_reply_fills_the_composer(rep_client, workspace, lead):
    saved = _saved_reply(workspace, channel="email", subject="Our call", body="Quick one?")
    response = rep_client.get(_url("lead-reply", lead), {"template": saved.pk}, headers=HX)
    form = response.context["reply_form"]
    assert (form.initial["channel"], form.initial["subject"]) == ("email", "Our call")
    assert "Quick one?</textarea>" in response.content.decode()


def test_another_workspaces_saved_reply_is_not_offered(
    rep_client, workspace, other_workspace, lead
):
    saved = _saved_reply(other_workspace, body="Leak")
    response = rep_client.get(_url("lead-reply", lead), {"template": saved.pk}, headers=HX)
    assert "Leak" not in response.content.decode()
    assert "No such reply template in your workspace." in response.content.decode()


# Calls


@time_machine.travel(NOON, tick=False)
def test_click_to_call_rings_the_rep_then_asks_for_the_outcome(rep_client, workspace, lead):
    response = rep_client.post(_url("lead-call", lead), {"rep_phone": "(415) 555-2671"})
    [call] = _messages(workspace, channel="call")
    assert call.details["rep_phone"] == "+14155552671"
    assert response.status_code == 200
    assert "Save the call's outcome" in response.content.decode()


def test_click_to_call_with_a_bad_phone_says_so(rep_client, workspace, lead):
    response = rep_client.post(_url("lead-call", lead), {"rep_phone": "12"})
    assert response.status_code == 400
    assert response.context["call_form"].errors["rep_phone"]
    assert _messages(workspace) == []


@time_machine.travel(NOON, tick=False)
def test_the_outcome_after_a_click_to_call_is_logged_with_the_call(
    rep_client, workspace, rep, lead
):
    call = MessageFactory(workspace=workspace, lead=lead, channel="call", provider="outbox")
    rep_client.post(
        _url("lead-call-log", lead),
        {"form": "outcome", "outcome-outcome": "voicemail", "outcome-call": call.pk},
    )
    [logged] = _activities(workspace, lead, "call_logged")
    assert (logged.payload["message_id"], logged.payload["outcome"]) == (call.pk, "voicemail")
    assert (logged.actor, logged.channel, logged.direction) == (rep, "call", "out")


def test_an_outcome_for_another_leads_call_is_refused(rep_client, workspace, lead):
    call = MessageFactory(workspace=workspace, channel="call", provider="outbox")
    response = rep_client.post(
        _url("lead-call-log", lead),
        {"form": "outcome", "outcome-outcome": "answered", "outcome-call": call.pk},
    )
    assert response.status_code == 400
    assert "No such call to this lead." in response.content.decode()
    assert _activities(workspace, lead, "call_logged") == []


@time_machine.travel(NOON, tick=False)
def test_a_call_made_elsewhere_answers_a_waiting_reply(rep_client, workspace, lead):
    with workspace_scope(workspace):
        lead_replied(
            workspace=workspace, lead=lead, channel="sms", text="Call me", provider="outbox"
        )
    rep_client.post(
        _url("lead-call-log", lead),
        {"form": "log", "log-outcome": "answered", "log-duration": "4", "log-notes": "Wants 20"},
    )
    fresh = _reload(workspace, lead)
    assert (fresh.awaiting_reply_since, fresh.first_human_touch_at) == (None, NOON)
    [logged] = _activities(workspace, lead, "call_logged")
    assert logged.summary == "Call: answered, 4 min"


def test_a_call_logged_as_meeting_booked_needs_the_meeting_time(rep_client, workspace, lead):
    response = rep_client.post(
        _url("lead-call-log", lead), {"form": "log", "log-outcome": "meeting_booked"}
    )
    assert response.status_code == 400
    assert response.context["log_form"].errors["meeting_at"] == [
        "Give the meeting's date and time."
    ]
    assert _activities(workspace, lead, "call_logged") == []


@time_machine.travel(NOON, tick=False)
def test_a_call_logged_as_meeting_booked_books_the_meeting(rep_client, workspace, lead):
    rep_client.post(
        _url("lead-call-log", lead),
        {"form": "log", "log-outcome": "meeting_booked", "log-meeting_at": "2026-11-25T10:00"},
    )
    fresh = _reload(workspace, lead)
    assert (fresh.status, fresh.meeting_at) == ("meeting", datetime(2026, 11, 25, 15, tzinfo=UTC))


# Tasks and meetings


def test_a_task_is_due_at_the_time_given_in_the_workspaces_zone(rep_client, workspace, rep, lead):
    rep_client.post(
        _url("lead-task", lead), {"title": "Send the quote", "due_at": "2026-11-24T10:30"}
    )
    with workspace_scope(workspace):
        task = Task.objects.get(lead=lead)
    assert (task.title, task.assignee) == ("Send the quote", rep)
    assert task.due_at == datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # New York is UTC-5


def test_a_task_without_a_due_time_is_refused_on_the_form(rep_client, workspace, lead):
    response = rep_client.post(
        _url("lead-task", lead), {"title": "Send it", "due_at": "soon"}, headers=HX
    )
    assert response.status_code == 200  # htmx swaps only 2xx: the errors come back in the panel
    assert "Give a date and a time" in response.content.decode()
    with workspace_scope(workspace):
        assert not Task.objects.exists()


@time_machine.travel(NOON, tick=False)
def test_booking_a_meeting_sets_the_status_and_stops_the_cadence(rep_client, workspace, lead):
    with workspace_scope(workspace):
        cadence = CadenceFactory(workspace=workspace, name="Welcome")
        StepFactory(cadence=cadence, kind="email", delay=2, delay_unit="days")
        enrollment = enroll(workspace=workspace, lead=lead, cadence=cadence)
    response = rep_client.post(_url("lead-meeting", lead), {"at": "2026-11-25T10:00"}, headers=HX)
    assert "Meeting booked." in response.content.decode()
    assert _reload(workspace, lead).status == "meeting"
    with workspace_scope(workspace):
        assert Enrollment.objects.get(pk=enrollment.pk).status == "exited"


@time_machine.travel(NOON, tick=False)
def test_a_meeting_months_ago_is_refused(rep_client, workspace, lead):
    response = rep_client.post(_url("lead-meeting", lead), {"at": "2026-01-05T10:00"})
    assert response.status_code == 400
    assert "more than 30 days ago" in response.content.decode()
    assert _reload(workspace, lead).meeting_at is None


# The cadence in the header


@pytest.fixture
def enrollment(workspace, lead):
    with workspace_scope(workspace):
        cadence = CadenceFactory(workspace=workspace, name="Welcome")
        StepFactory(cadence=cadence, kind="email", delay=2, delay_unit="days")
        return enroll(workspace=workspace, lead=lead, cadence=cadence)


def _enrollment_url(action: str, enrollment) -> str:
    return reverse(f"leads:lead-enrollment-{action}", args=[enrollment.pk])


def _status(workspace, enrollment) -> str:
    with workspace_scope(workspace):
        return Enrollment.objects.get(pk=enrollment.pk).status


def test_the_header_shows_the_cadence_with_its_next_touch(rep_client, lead, enrollment):
    body = rep_client.get(_url("lead-detail", lead)).content.decode()
    assert "Welcome" in body
    assert "next touch" in body
    assert "Pause cadence" in body


def test_a_rep_pauses_and_resumes_the_cadence_from_the_header(rep_client, workspace, enrollment):
    rep_client.post(_enrollment_url("pause", enrollment), headers=HX)
    assert _status(workspace, enrollment) == "paused"
    response = rep_client.post(_enrollment_url("resume", enrollment), headers=HX)
    assert _status(workspace, enrollment) == "active"
    assert 'id="lead-header"' in response.content.decode()


def test_a_rep_takes_the_lead_out_of_the_cadence(rep_client, workspace, enrollment):
    rep_client.post(_enrollment_url("stop", enrollment))
    assert _status(workspace, enrollment) == "exited"


def test_resuming_an_active_cadence_says_why_not(rep_client, workspace, enrollment):
    response = rep_client.post(_enrollment_url("resume", enrollment), headers=HX)
    assert "Only a paused enrollment can be resumed." in response.content.decode()


# Tenancy


@pytest.mark.parametrize(
    "name", ["lead-reply", "lead-call", "lead-call-log", "lead-task", "lead-meeting"]
)
def test_another_workspaces_lead_is_not_found_and_unchanged(rep_client, other_workspace, name):
    foreign = LeadFactory(workspace=other_workspace)
    response = rep_client.post(
        _url(name, foreign), {**_text("Hi"), "title": "x", "due_at": "2026-11-24T10:30"}
    )
    assert response.status_code == 404
    with workspace_scope(other_workspace):
        assert not Activity.objects.filter(lead=foreign).exists()


def test_another_workspaces_enrollment_is_not_found(rep_client, other_workspace):
    foreign_lead = LeadFactory(workspace=other_workspace)
    with workspace_scope(other_workspace):
        cadence = CadenceFactory(workspace=other_workspace)
        StepFactory(cadence=cadence, delay=2, delay_unit="days")
        foreign = enroll(workspace=other_workspace, lead=foreign_lead, cadence=cadence)
    assert rep_client.post(_enrollment_url("pause", foreign)).status_code == 404
    assert _status(other_workspace, foreign) == "active"


# Queries


def _fill_timeline(workspace, lead, count: int) -> None:
    """`count` timeline items: half texts (with their messages), half notes."""
    with workspace_scope(workspace):
        for index in range(count // 2):
            send_message(
                workspace=workspace,
                lead=lead,
                outgoing=Outgoing(channel="email", subject=f"Note {index}", text="Hello"),
            )
            ActivityFactory(workspace=workspace, lead=lead, summary=f"Note {index}")


def _page_queries(client, lead) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(_url("lead-detail", lead)).status_code == 200
    return len(queries)


def test_the_lead_page_query_count_does_not_grow_with_the_timeline(
    rep_client, workspace, lead, rep
):
    few, many = lead, LeadFactory(workspace=workspace, owner=rep)
    _fill_timeline(workspace, few, 10)
    _fill_timeline(workspace, many, 60)
    _page_queries(rep_client, few)  # warm the per-process caches (content types, settings)
    assert _page_queries(rep_client, many) == _page_queries(rep_client, few)


def test_the_timeline_shows_texts_as_bubbles_and_emails_by_their_text(rep_client, workspace, lead):
    MessageFactory(
        workspace=workspace,
        lead=lead,
        channel="email",
        direction="in",
        subject="About the roof",
        body_text="Plain words",
        body_html="<script>alert(1)</script><p>Rich words</p>",
    )
    with workspace_scope(workspace):
        email = Message.objects.get(lead=lead)
        ActivityFactory(
            workspace=workspace,
            lead=lead,
            kind="replied",
            channel="email",
            direction="in",
            payload={"message_id": email.pk},
        )
        sms = MessageFactory(
            workspace=workspace, lead=lead, channel="sms", direction="in", body_text="Yes please"
        )
        ActivityFactory(
            workspace=workspace,
            lead=lead,
            kind="replied",
            channel="sms",
            direction="in",
            payload={"message_id": sms.pk},
            occurred_at=NOON + timedelta(minutes=1),
        )
    body = rep_client.get(_url("lead-detail", lead)).content.decode()
    assert "About the roof" in body
    assert "Plain words" in body
    assert "Rich words" not in body
    assert 'class="bubble bubble--in"' in body


@time_machine.travel(NOON, tick=False)
def test_the_timeline_is_grouped_by_day_newest_first(rep_client, workspace, lead):
    for days_ago, summary in ((7, "Week-old note"), (1, "Yesterday's note"), (0, "Fresh note")):
        ActivityFactory(
            workspace=workspace,
            lead=lead,
            summary=summary,
            occurred_at=NOON - timedelta(days=days_ago),
        )
    body = rep_client.get(_url("lead-detail", lead)).content.decode()
    headings = [body.index(text) for text in (">Today<", ">Yesterday<", ">Mon, Nov 16<")]
    assert headings == sorted(headings)


def test_enrolling_from_the_card_reloads_the_header(rep_client, workspace, lead):
    with workspace_scope(workspace):
        cadence = CadenceFactory(workspace=workspace, name="Welcome")
        StepFactory(cadence=cadence, kind="email", delay=2, delay_unit="days")
    card = rep_client.post(
        reverse("cadences:lead-enroll", args=[lead.pk]), {"cadence": cadence.pk}, headers=HX
    ).content.decode()
    assert f'hx-get="{_url("lead-header", lead)}"' in card
    header = rep_client.get(_url("lead-header", lead), headers=HX).content.decode()
    assert "Welcome" in header
    assert "Pause cadence" in header
