"""What each inbox row reads: due times in the workspace's zone, countdown states, row actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from leadfollow.tenancy import workspace_scope
from leads.inbox import InboxFilters, rep_inbox
from leads.inbox_rows import inbox_rows
from tests.factories import (
    ActivityFactory,
    LeadFactory,
    LeadScoreFactory,
    SlaClockFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

# 10:00 in New York (the workspace's zone), a Monday.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _rows(workspace, rep, *, new_keys=frozenset()):
    with workspace_scope(workspace):
        inbox = rep_inbox(workspace=workspace, membership=rep, filters=InboxFilters(), now=NOW)
        return inbox_rows(inbox.items, new_keys=set(new_keys), now=NOW, zone=workspace.tzinfo)


def _sla_lead(workspace, rep, *, due, warn):
    lead = LeadFactory(workspace=workspace, owner=rep)
    SlaClockFactory(
        workspace=workspace,
        lead=lead,
        started_at=NOW - timedelta(minutes=30),
        warn_at=warn,
        due_at=due,
    )
    return lead


def test_breached_sla_row_counts_the_time_overdue(workspace, rep):
    _sla_lead(workspace, rep, due=NOW - timedelta(minutes=12), warn=NOW - timedelta(minutes=13))
    [row] = _rows(workspace, rep)
    assert (row.when.text, row.when.css) == ("12\xa0minutes overdue", "countdown countdown--late")
    assert row.reason == "No first touch yet: the SLA was due 9:48 AM"
    assert "inboxrow--breached" in row.css


def test_sla_row_past_its_warning_turns_amber(workspace, rep):
    _sla_lead(workspace, rep, due=NOW + timedelta(minutes=3), warn=NOW - timedelta(minutes=1))
    [row] = _rows(workspace, rep)
    assert (row.when.text, row.when.css) == ("3\xa0minutes left", "countdown countdown--warn")
    assert row.when.warn_iso == "2026-11-23T09:59:00-05:00"


def test_sla_row_before_its_warning_is_plain(workspace, rep):
    _sla_lead(workspace, rep, due=NOW + timedelta(minutes=5), warn=NOW + timedelta(minutes=4))
    [row] = _rows(workspace, rep)
    assert row.when.css == "countdown"
    assert row.reason == "First touch due by 10:05 AM"


def test_task_from_an_earlier_day_reads_overdue_since_its_date(workspace, rep):
    TaskFactory(workspace=workspace, assignee=rep, due_at=NOW - timedelta(days=2))
    [row] = _rows(workspace, rep)
    assert (row.when.text, row.when.css) == ("Overdue since Nov 21", "inboxrow__due")


def test_task_due_earlier_today_reads_its_time(workspace, rep):
    TaskFactory(workspace=workspace, assignee=rep, due_at=NOW - timedelta(hours=1))
    [row] = _rows(workspace, rep)
    assert row.when.text == "Due 9:00 AM"


def test_task_due_later_today_is_muted(workspace, rep):
    TaskFactory(workspace=workspace, assignee=rep, due_at=NOW + timedelta(hours=3))
    [row] = _rows(workspace, rep)
    assert (row.when.text, row.when.css) == ("Later today, 1:00 PM", "muted")


def test_call_task_row_offers_a_call_and_closes_the_task(workspace, rep):
    task = TaskFactory(workspace=workspace, assignee=rep, kind="call", due_at=NOW)
    [row] = _rows(workspace, rep)
    assert (row.why, row.is_call) == ("Call", True)
    assert row.done_url == reverse("leads:inbox-task-done", args=[task.pk])


def test_reply_from_an_earlier_day_shows_its_date(workspace, rep):
    since = NOW - timedelta(days=1, hours=2)
    lead = LeadFactory(workspace=workspace, owner=rep, awaiting_reply_since=since)
    ActivityFactory(
        workspace=workspace, lead=lead, kind="replied", summary="Call me", occurred_at=since
    )
    [row] = _rows(workspace, rep)
    assert (row.why, row.reason) == ("Replied", "Call me")
    assert row.when.text == "Waiting since 8:00 AM, Nov 22"


def test_meeting_row_confirms_the_meeting_at_its_local_time(workspace, rep):
    lead = LeadFactory(workspace=workspace, owner=rep, meeting_at=NOW + timedelta(days=1))
    [row] = _rows(workspace, rep)
    assert row.when.text == "Tue Nov 24, 10:00 AM"
    assert row.done_url == reverse("leads:inbox-meeting-confirm", args=[lead.pk])


def test_row_shows_the_score_band_and_owner(workspace, rep):
    lead = _sla_lead(workspace, rep, due=NOW + timedelta(minutes=5), warn=NOW)
    LeadScoreFactory(workspace=workspace, lead=lead, band="Hot", total=72)
    [row] = _rows(workspace, rep)
    assert (row.band, row.band_css) == ("Hot · 72", "band band--hot")
    assert row.owner == rep.user.display_name


def test_row_the_rep_has_not_seen_is_marked_new(workspace, rep):
    lead = _sla_lead(workspace, rep, due=NOW + timedelta(minutes=5), warn=NOW)
    [row] = _rows(workspace, rep, new_keys={f"sla-{lead.pk}"})
    assert row.is_new
    assert "inboxrow--new" in row.css
