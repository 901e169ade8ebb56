"""The status follows the conversation: first touch -> Contacted, a reply -> Replied."""

from datetime import UTC, datetime

import pytest

from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Lead
from leads.services.activities import log_activities, log_activity
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)


def _touch(lead, **fields):
    fields = {"kind": "sent", "channel": "email", "direction": "out", **fields}
    log_activity(workspace=lead.workspace, lead=lead, occurred_at=NOON, **fields)
    return Lead.objects.get(pk=lead.pk).status


def test_the_first_touch_makes_a_new_lead_contacted(lead):
    assert _touch(lead) == "contacted"


def test_the_change_is_on_the_timeline_as_automatic(lead):
    _touch(lead)
    change = Activity.objects.get(lead=lead, kind="status_changed")
    assert (change.payload, change.summary) == (
        {"from": "new", "to": "contacted", "automatic": True},
        "Status: Contacted (first touch)",
    )


def test_a_reply_makes_the_lead_replied(lead):
    assert _touch(lead, kind="replied", channel="sms", direction="in") == "replied"


def test_a_blocked_send_is_not_a_touch(lead):
    assert _touch(lead, kind="send_blocked", direction="") == "new"


def test_a_touch_never_moves_a_lead_back(lead):
    Lead.objects.filter(pk=lead.pk).update(status="replied")
    lead.status = "replied"
    assert _touch(lead) == "replied"


def test_a_reply_leaves_a_booked_meeting_alone(lead):
    Lead.objects.filter(pk=lead.pk).update(status="meeting")
    lead.status = "meeting"
    assert _touch(lead, kind="replied", channel="sms", direction="in") == "meeting"


def test_a_batch_moves_each_lead_once_in_its_own_workspace(workspace, other_workspace):
    with workspace_scope(workspace):
        mine = LeadFactory(workspace=workspace)
    with workspace_scope(other_workspace):
        theirs = LeadFactory(workspace=other_workspace)
    log_activities(
        [
            Activity(
                workspace=lead.workspace, lead=lead, kind="sent", channel="sms", direction="out"
            )
            for lead in (mine, mine, theirs)
        ]
    )
    with workspace_scope(workspace):
        assert Activity.objects.filter(lead=mine, kind="status_changed").count() == 1
    with workspace_scope(other_workspace):
        assert Lead.objects.get(pk=theirs.pk).status == "contacted"
