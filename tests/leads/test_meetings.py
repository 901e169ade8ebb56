"""Booking and confirming a meeting with a lead."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leadfollow.errors import InvalidInput
from leads.models import Activity, Lead
from leads.services.meetings import book_meeting, confirm_meeting

pytestmark = pytest.mark.django_db


def test_booking_sets_the_time_and_the_meeting_status(lead, rep):
    at = timezone.now() + timedelta(days=2)
    book_meeting(workspace=lead.workspace, lead_id=lead.pk, at=at, actor=rep)
    lead.refresh_from_db()
    assert (lead.meeting_at, lead.status, lead.meeting_confirmed_at) == (at, "meeting", None)


def test_booking_is_on_the_timeline_with_the_note(lead, rep):
    at = timezone.now() + timedelta(days=2)
    book_meeting(workspace=lead.workspace, lead_id=lead.pk, at=at, actor=rep, note="Demo call")
    booked = Activity.objects.get(lead=lead, kind="meeting_booked")
    assert booked.summary.endswith(": Demo call")


def test_a_qualified_lead_keeps_its_status_when_a_meeting_is_booked(lead, rep):
    Lead.objects.filter(pk=lead.pk).update(status="qualified")
    book_meeting(workspace=lead.workspace, lead_id=lead.pk, at=timezone.now(), actor=rep)
    assert Lead.objects.get(pk=lead.pk).status == "qualified"


def test_a_booking_months_ago_is_refused(lead, rep):
    with pytest.raises(InvalidInput) as caught:
        book_meeting(
            workspace=lead.workspace,
            lead_id=lead.pk,
            at=timezone.now() - timedelta(days=90),
            actor=rep,
        )
    assert caught.value.field == "at"


def test_confirming_stamps_the_time_once(lead, rep):
    book_meeting(workspace=lead.workspace, lead_id=lead.pk, at=timezone.now(), actor=rep)
    first = confirm_meeting(workspace=lead.workspace, lead_id=lead.pk, actor=rep)
    again = confirm_meeting(workspace=lead.workspace, lead_id=lead.pk, actor=rep)
    assert again.meeting_confirmed_at == first.meeting_confirmed_at
    assert Activity.objects.filter(lead=lead, kind="meeting_confirmed").count() == 1


def test_confirming_without_a_meeting_is_refused(lead, rep):
    with pytest.raises(InvalidInput):
        confirm_meeting(workspace=lead.workspace, lead_id=lead.pk, actor=rep)
