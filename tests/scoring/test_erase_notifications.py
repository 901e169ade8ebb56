"""Erasing a lead leaves the notifications about it saying only what kind they were."""

from __future__ import annotations

import pytest

from leadfollow.tenancy import unscoped, workspace_scope
from leads.services.changes import erase_lead
from scoring.models import Notification
from tests.factories import LeadFactory, NotificationFactory

pytestmark = pytest.mark.django_db


def _erase(workspace, lead) -> None:
    with workspace_scope(workspace):
        erase_lead(workspace=workspace, lead_id=lead.pk)


def _text(notification: Notification) -> str:
    with unscoped():
        return Notification.objects.get(pk=notification.pk).text


def test_erasing_a_lead_leaves_its_notifications_only_their_kind(workspace, rep):
    lead = LeadFactory(workspace=workspace, first_name="Dana", last_name="Kim")
    note = NotificationFactory(
        workspace=workspace, lead=lead, recipient=rep, kind="reply", text="Dana Kim replied: yes"
    )
    _erase(workspace, lead)
    assert _text(note) == "Lead replied (personal data erased)"


def test_erasing_a_lead_keeps_its_notifications_unread(workspace, rep):
    note = NotificationFactory(workspace=workspace, recipient=rep)
    _erase(workspace, note.lead)
    with unscoped():
        assert Notification.objects.get(pk=note.pk).read_at is None


def test_erasing_a_lead_leaves_notifications_about_other_leads(workspace, rep):
    lead = LeadFactory(workspace=workspace)
    note = NotificationFactory(workspace=workspace, recipient=rep, text="Ott Lee replied: ok")
    _erase(workspace, lead)
    assert _text(note) == "Ott Lee replied: ok"
