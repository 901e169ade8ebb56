"""The notification bell, the list page, and which alerts also come by email or text."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from leadfollow.tenancy import workspace_scope
from leads.services.activities import logged_together
from scoring.models import Notification, RepAvailability
from scoring.services.notifications import notify
from tests.factories import LeadFactory, MembershipFactory, NotificationFactory

pytestmark = pytest.mark.django_db

LIST = reverse("scoring:notifications")
BELL = reverse("scoring:notification-bell")
READ = reverse("scoring:notifications-read")


def _unread(workspace, member) -> int:
    with workspace_scope(workspace):
        return Notification.objects.filter(recipient=member, read_at__isnull=True).count()


# The bell


def test_bell_says_how_many_are_unread(rep_client, workspace, rep):
    NotificationFactory.create_batch(3, workspace=workspace, recipient=rep)
    NotificationFactory(workspace=workspace, recipient=rep, read_at=timezone.now())
    response = rep_client.get(BELL, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert 'aria-label="Notifications, 3 unread"' in page
    assert '<span class="bell__count" aria-hidden="true">3</span>' in page


def test_bell_counts_only_the_members_own(rep_client, workspace, rep):
    NotificationFactory(workspace=workspace, recipient=MembershipFactory(workspace=workspace))
    page = rep_client.get(BELL).content.decode()
    assert 'aria-label="Notifications"' in page
    assert "bell__count" not in page


def test_bell_shows_on_pages_and_loads_its_count(rep_client):
    page = rep_client.get(reverse("leads:lead-list")).content.decode()
    assert 'id="notification-bell"' in page
    assert 'hx-trigger="load, every 15s"' in page


def test_bell_keeps_polling_after_it_loaded(rep_client):
    page = rep_client.get(BELL).content.decode()
    assert 'hx-trigger="every 15s"' in page


# The list


def test_list_shows_the_members_notifications_newest_first(rep_client, workspace, rep):
    older = NotificationFactory(workspace=workspace, recipient=rep, text="Older alert")
    newer = NotificationFactory(workspace=workspace, recipient=rep, text="Newer alert")
    NotificationFactory(workspace=workspace, text="Someone else's alert")
    response = rep_client.get(LIST)
    assert [note.pk for note in response.context["page"]] == [newer.pk, older.pk]
    assert "Someone else" not in response.content.decode()


def test_opening_the_list_marks_the_shown_ones_read(rep_client, workspace, rep):
    NotificationFactory.create_batch(2, workspace=workspace, recipient=rep)
    response = rep_client.get(LIST)
    assert len(response.context["unread"]) == 2  # highlighted this once
    assert _unread(workspace, rep) == 0


def test_empty_list_says_what_will_show(rep_client):
    assert "No notifications yet" in rep_client.get(LIST).content.decode()


def test_mark_all_read(rep_client, workspace, rep):
    NotificationFactory.create_batch(2, workspace=workspace, recipient=rep)
    other = MembershipFactory(workspace=workspace)
    NotificationFactory(workspace=workspace, recipient=other)
    response = rep_client.post(READ)
    assert response.url == LIST
    assert _unread(workspace, rep) == 0
    assert _unread(workspace, other) == 1


def test_mark_all_read_from_htmx_returns_the_quiet_bell(rep_client, workspace, rep):
    NotificationFactory(workspace=workspace, recipient=rep)
    response = rep_client.post(READ, headers={"HX-Request": "true"})
    assert 'aria-label="Notifications"' in response.content.decode()


def test_opening_one_marks_it_read_and_goes_to_its_lead(rep_client, workspace, rep):
    note = NotificationFactory(workspace=workspace, recipient=rep)
    response = rep_client.get(reverse("scoring:notification-open", args=[note.pk]))
    assert response.url == reverse("leads:lead-detail", args=[note.lead_id])
    assert _unread(workspace, rep) == 0


def test_someone_elses_notification_does_not_open(rep_client, workspace):
    note = NotificationFactory(workspace=workspace)
    response = rep_client.post(reverse("scoring:notification-open", args=[note.pk]))
    assert response.status_code == 404
    assert _unread(workspace, note.recipient) == 1


# Alerts by email and text, per kind


def _prefs(workspace, member, **fields) -> RepAvailability:
    return RepAvailability.objects.create(workspace=workspace, membership=member, **fields)


def _notify(workspace, member, kind, capture) -> None:
    with workspace_scope(workspace), capture(execute=True):
        lead = LeadFactory(workspace=workspace, first_name="Dana", last_name="Kim")
        notify(workspace=workspace, recipient=member, kind=kind, text="Dana Kim", lead=lead)


def test_email_comes_for_a_chosen_kind(workspace, rep, django_capture_on_commit_callbacks):
    _prefs(workspace, rep, notify_by_email=True, email_kinds=["reply"])
    _notify(workspace, rep, "reply", django_capture_on_commit_callbacks)
    [email] = mail.outbox
    assert email.to == [rep.user.email]
    assert "Dana Kim" in email.subject


def test_no_email_for_a_kind_left_out(workspace, rep, django_capture_on_commit_callbacks):
    _prefs(workspace, rep, notify_by_email=True, email_kinds=["reply"])
    _notify(workspace, rep, "assigned", django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert _unread(workspace, rep) == 1  # still under the bell


def test_alert_email_links_through_the_notification(
    workspace, rep, django_capture_on_commit_callbacks
):
    _prefs(workspace, rep, notify_by_email=True)
    _notify(workspace, rep, "sla_breach", django_capture_on_commit_callbacks)
    with workspace_scope(workspace):
        note = Notification.objects.get(recipient=rep)
    assert reverse("scoring:notification-open", args=[note.pk]) in mail.outbox[0].body


def test_alert_email_sent_during_an_intake_links_to_the_saved_notification(
    workspace, rep, django_capture_on_commit_callbacks
):
    _prefs(workspace, rep, notify_by_email=True)
    with workspace_scope(workspace), django_capture_on_commit_callbacks(execute=True):
        lead = LeadFactory(workspace=workspace)
        with logged_together():  # as intake holds the alert back until its timeline is written
            notify(workspace=workspace, recipient=rep, kind="assigned", text="New", lead=lead)
        note = Notification.objects.get(recipient=rep)
    assert reverse("scoring:notification-open", args=[note.pk]) in mail.outbox[0].body


def test_text_follows_its_own_kinds(
    workspace, rep, django_capture_on_commit_callbacks, monkeypatch
):
    texts = []
    monkeypatch.setattr(
        "channels.adapters.outbox.OutboxAdapter.send",
        lambda self, message: texts.append(message.to_address),
    )
    _prefs(
        workspace,
        rep,
        notify_by_email=True,
        email_kinds=["sla_warning"],
        notify_by_sms=True,
        sms_kinds=["sla_breach"],
        mobile_phone="+14155550123",
    )
    _notify(workspace, rep, "sla_breach", django_capture_on_commit_callbacks)
    assert texts == ["+14155550123"]
    assert mail.outbox == []


def test_a_channel_turned_on_before_kinds_existed_carries_every_kind(workspace, rep):
    prefs = _prefs(workspace, rep, notify_by_email=True)
    assert all(prefs.alert_channels(kind) == ["email"] for kind in Notification.Kind.values)


# Choosing them on the availability page


def _availability(member) -> str:
    return reverse("scoring:availability-edit", args=[member.pk])


def _form(**alerts) -> dict:
    hours = {f"day_{day}_{part}": t for day in range(5) for part, t in (("start", "09:00"),)}
    hours |= {f"day_{day}_end": "17:00" for day in range(5)}
    hours |= {f"day_{day}_on": "on" for day in range(5)}
    return {"is_available": "on", **hours, **alerts}


def test_rep_chooses_which_alerts_come_by_email_and_text(rep_client, workspace, rep):
    data = _form(
        email_kinds=["assigned", "reply"], sms_kinds=["sla_breach"], mobile_phone="+14155550123"
    )
    response = rep_client.post(_availability(rep), data)
    assert response.status_code == 302
    with workspace_scope(workspace):
        prefs = RepAvailability.objects.get(membership=rep)
    assert (prefs.notify_by_email, prefs.email_kinds) == (True, ["assigned", "reply"])
    assert (prefs.notify_by_sms, prefs.sms_kinds) == (True, ["sla_breach"])


def test_no_kinds_chosen_turns_the_channel_off(rep_client, workspace, rep):
    _prefs(workspace, rep, notify_by_email=True)
    rep_client.post(_availability(rep), _form())
    with workspace_scope(workspace):
        prefs = RepAvailability.objects.get(membership=rep)
    assert prefs.notify_by_email is False
    assert prefs.alert_channels("assigned") == []


def test_texts_need_a_mobile_number(rep_client, rep):
    response = rep_client.post(_availability(rep), _form(sms_kinds=["reply"]))
    assert response.status_code == 400
    assert "mobile number" in response.content.decode()


def test_alert_table_shows_the_saved_choice(rep_client, workspace, rep):
    _prefs(workspace, rep, notify_by_email=True, email_kinds=["reply"])
    page = rep_client.get(_availability(rep)).content.decode()
    assert 'name="email_kinds" value="reply" id="id_email_kinds_1" checked' in page
    assert 'name="email_kinds" value="assigned" id="id_email_kinds_0">' in page
    assert "Lead replied by email</label>" in page
