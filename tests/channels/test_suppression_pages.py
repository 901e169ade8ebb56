"""Settings → Do not contact: reps read the list, managers add, upload and remove entries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels.models import Suppression
from channels.services.sending import Outgoing, send_message
from channels.services.suppression import address_hash, suppress_address
from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Lead
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

LIST = reverse("channels:suppressions")
ADD = reverse("channels:suppression-add")
UPLOAD = reverse("channels:suppression-upload")
PHONE = "+14155552671"
NOON = datetime(2026, 6, 10, 19, 0, tzinfo=UTC)  # 12:00 in San Francisco


def _entries(workspace, **filters) -> list[Suppression]:
    with workspace_scope(workspace):
        return list(Suppression.objects.filter(workspace=workspace, **filters).order_by("channel"))


def _manual(workspace, address="dana@example.com", channel="email", reason="manual"):
    with workspace_scope(workspace):
        return Suppression.objects.create(
            workspace=workspace,
            channel=channel,
            address_hash=address_hash(address),
            label="d***@example.com",
            reason=reason,
        )


def _upload(client, content: bytes, name="list.txt", channel="all"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, content), "channel": channel})


# --- Reading ----------------------------------------------------------------------------------


def test_a_rep_sees_the_list_without_the_forms(rep_client, workspace):
    _manual(workspace)
    response = rep_client.get(LIST)
    body = response.content.decode()
    assert response.status_code == 200
    assert "d***@example.com" in body
    assert ADD not in body
    assert "Managers add and remove addresses" in body


def test_the_list_shows_the_masked_hint_never_the_address(manager_client, workspace):
    manager_client.post(ADD, {"address": "robin@example.org", "channel": "all"})
    body = manager_client.get(LIST).content.decode()
    assert "r***@example.org" in body
    assert "robin@example.org" not in body


def test_the_list_filters_by_channel(manager_client, workspace):
    _manual(workspace, "dana@example.com", "email")
    _manual(workspace, PHONE, "sms")
    response = manager_client.get(LIST, {"channel": "sms"})
    assert [row["entry"].channel for row in response.context["rows"]] == ["sms"]


def test_the_list_filters_by_reason(manager_client, workspace):
    _manual(workspace, "dana@example.com", reason="manual")
    _manual(workspace, "sam@example.com", reason="bounce")
    response = manager_client.get(LIST, {"reason": "bounce"})
    assert [row["entry"].reason for row in response.context["rows"]] == ["bounce"]


def test_search_finds_an_exact_address_by_its_fingerprint(manager_client, workspace):
    _manual(workspace, "dana@example.com")
    _manual(workspace, "sam@example.com")
    response = manager_client.get(LIST, {"q": "  Dana@Example.com "})
    [row] = response.context["rows"]
    assert row["entry"].address_hash == address_hash("dana@example.com")


def test_search_reads_a_phone_number_in_the_workspace_region(manager_client, workspace):
    _manual(workspace, PHONE, "call")
    response = manager_client.get(LIST, {"q": "(415) 555-2671"})
    assert len(response.context["rows"]) == 1


def test_a_search_that_is_no_address_says_so(manager_client, workspace):
    _manual(workspace)
    response = manager_client.get(LIST, {"q": "dana"})
    assert response.status_code == 200
    assert "is not a phone number" in response.content.decode()


def test_the_list_is_paginated(manager_client, workspace):
    for number in range(51):
        _manual(workspace, f"person{number}@example.com")
    first = manager_client.get(LIST)
    second = manager_client.get(LIST, {"page": 2})
    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == 1


def test_an_htmx_filter_answers_with_the_table_only(manager_client, workspace):
    _manual(workspace)
    response = manager_client.get(LIST, {"channel": "email"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "d***@example.com" in body
    assert "<h1>" not in body


def test_entries_other_than_a_managers_cannot_be_removed_and_say_why(manager_client, workspace):
    _manual(workspace, reason="opt_out")
    body = manager_client.get(LIST).content.decode()
    assert "Can&#x27;t be removed" in body or "Can't be removed" in body
    assert "only they can undo that" in body


# --- Adding one address -----------------------------------------------------------------------


def test_a_manager_adds_an_email_address(manager_client, workspace):
    response = manager_client.post(ADD, {"address": "Dana@Example.com", "channel": "all"})
    [entry] = _entries(workspace)
    assert response.status_code == 302
    assert (entry.channel, entry.reason, entry.label) == ("email", "manual", "d***@example.com")
    assert entry.address_hash == address_hash("dana@example.com")


def test_a_phone_number_for_every_channel_covers_texts_calls_and_voicemail(
    manager_client, workspace
):
    manager_client.post(ADD, {"address": "(415) 555-2671", "channel": "all"})
    entries = _entries(workspace)
    assert [entry.channel for entry in entries] == ["call", "sms", "voicemail"]
    assert {entry.address_hash for entry in entries} == {address_hash(PHONE)}


def test_a_phone_number_can_be_blocked_from_one_channel(manager_client, workspace):
    manager_client.post(ADD, {"address": PHONE, "channel": "voicemail"})
    assert [entry.channel for entry in _entries(workspace)] == ["voicemail"]


def test_an_email_address_cannot_be_blocked_from_texts(manager_client, workspace):
    response = manager_client.post(ADD, {"address": "dana@example.com", "channel": "sms"})
    assert response.status_code == 400
    assert "can only be blocked from email" in response.content.decode()
    assert _entries(workspace) == []


def test_something_that_is_no_address_is_a_field_error(manager_client, workspace):
    response = manager_client.post(ADD, {"address": "12", "channel": "all"})
    assert response.status_code == 400
    assert response.context["add_form"].errors["address"]
    assert _entries(workspace) == []


def test_adding_flags_the_leads_using_the_address_and_logs_it(manager_client, workspace):
    with workspace_scope(workspace):
        lead = LeadFactory(workspace=workspace, phone=PHONE)
    manager_client.post(ADD, {"address": PHONE, "channel": "all"})
    with workspace_scope(workspace):
        lead = Lead.objects.get(pk=lead.pk)
        [activity] = Activity.objects.filter(lead=lead, kind="do_not_contact_added")
    assert (lead.do_not_sms, lead.do_not_call, lead.do_not_voicemail) == (True, True, True)
    assert lead.do_not_email is False
    assert activity.summary == "Put on the do-not-contact list for texts, calls, voicemail"


def test_adding_an_address_twice_says_it_was_already_there(manager_client, workspace):
    manager_client.post(ADD, {"address": "dana@example.com", "channel": "all"})
    response = manager_client.post(
        ADD, {"address": "dana@example.com", "channel": "all"}, follow=True
    )
    assert "already on the list" in response.content.decode()
    assert len(_entries(workspace)) == 1


def test_an_added_address_blocks_the_next_send(manager_client, workspace):
    with workspace_scope(workspace):
        lead = LeadFactory(workspace=workspace, email="dana@example.com")
    manager_client.post(ADD, {"address": "dana@example.com", "channel": "email"})
    with workspace_scope(workspace):
        outcome = send_message(
            workspace=workspace, lead=lead, outgoing=Outgoing(channel="email", text="Hi"), now=NOON
        )
    assert outcome.status == "blocked"


# --- Uploading a list -------------------------------------------------------------------------


def test_a_plain_list_adds_each_line_and_lists_the_invalid_ones(manager_client, workspace):
    content = b"dana@example.com\n\n(415) 555-2671\nnot an address\nsam@example.com\n"
    response = _upload(manager_client, content)
    upload = response.context["upload"]
    assert response.status_code == 200
    assert (upload.added, upload.already) == (3, 0)
    assert [(line.line, line.text) for line in upload.invalid] == [(4, "not an address")]
    assert "not an address" in response.content.decode()


def test_a_csv_reads_its_email_and_phone_columns(manager_client, workspace):
    content = b"Name,Email,Phone\nDana,dana@example.com,+14155552671\nSam,,\n"
    upload = _upload(manager_client, content, "list.csv").context["upload"]
    assert (upload.added, upload.invalid) == (2, [])
    assert len(_entries(workspace)) == 4  # email + three phone channels


def test_addresses_already_there_are_counted_apart(manager_client, workspace):
    _manual(workspace, "dana@example.com", reason="opt_out")
    content = b"email\ndana@example.com\nsam@example.com\nSAM@example.com\n"
    upload = _upload(manager_client, content, "list.csv").context["upload"]
    assert (upload.added, upload.already) == (1, 1)
    assert [entry.reason for entry in _entries(workspace)] == ["opt_out", "manual"]


def test_an_upload_for_texts_refuses_email_lines(manager_client, workspace):
    upload = _upload(manager_client, b"dana@example.com\n+14155552671\n", channel="sms")
    assert upload.context["upload"].added == 1
    assert "only be blocked from email" in upload.context["upload"].invalid[0].reason


def test_a_csv_without_an_email_or_phone_column_is_refused(manager_client, workspace):
    response = _upload(manager_client, b"name,city\nDana,Austin\n", "list.csv")
    assert response.status_code == 400
    assert "none is named" in response.content.decode()
    assert _entries(workspace) == []


def test_a_file_over_the_size_cap_is_refused(manager_client, workspace):
    response = _upload(manager_client, b"a@example.com\n" * 80_000)
    assert response.status_code == 400
    assert "larger than 1 MB" in response.content.decode()
    assert _entries(workspace) == []


def test_a_file_that_is_not_text_is_refused(manager_client, workspace):
    response = _upload(manager_client, b"\xff\xfe\x00\x00binary", "list.xlsx")
    assert response.status_code == 400
    assert "not plain text" in response.content.decode()


def test_an_upload_flags_matching_leads(manager_client, workspace):
    with workspace_scope(workspace):
        lead = LeadFactory(workspace=workspace, email="dana@example.com")
    upload = _upload(manager_client, b"dana@example.com\n").context["upload"]
    with workspace_scope(workspace):
        assert Lead.objects.get(pk=lead.pk).do_not_email is True
    assert upload.leads_flagged == 1


# --- Removing ---------------------------------------------------------------------------------


def test_a_manager_removes_an_entry_they_added(manager_client, workspace):
    entry = _manual(workspace)
    response = manager_client.post(reverse("channels:suppression-remove", args=[entry.pk]))
    assert response.status_code == 302
    assert _entries(workspace) == []


def test_removing_lifts_the_flag_the_list_set(manager_client, workspace):
    with workspace_scope(workspace):
        lead = LeadFactory(workspace=workspace, email="dana@example.com")
    manager_client.post(ADD, {"address": "dana@example.com", "channel": "email"})
    [entry] = _entries(workspace)
    manager_client.post(reverse("channels:suppression-remove", args=[entry.pk]))
    with workspace_scope(workspace):
        assert Lead.objects.get(pk=lead.pk).do_not_email is False
        assert Activity.objects.filter(lead=lead, kind="do_not_contact_removed").count() == 1


def test_removing_keeps_a_flag_set_some_other_way(manager_client, workspace):
    with workspace_scope(workspace):
        lead = LeadFactory(workspace=workspace, email="dana@example.com", do_not_email=True)
    manager_client.post(ADD, {"address": "dana@example.com", "channel": "email"})
    [entry] = _entries(workspace)
    manager_client.post(reverse("channels:suppression-remove", args=[entry.pk]))
    with workspace_scope(workspace):
        assert Lead.objects.get(pk=lead.pk).do_not_email is True


def test_an_opt_out_cannot_be_removed(manager_client, workspace):
    with workspace_scope(workspace):
        entry = suppress_address(
            workspace=workspace, channel="sms", address=PHONE, reason="opt_out"
        )
    response = manager_client.post(
        reverse("channels:suppression-remove", args=[entry.pk]), follow=True
    )
    assert "Opted out entries cannot be removed" in response.content.decode()
    assert len(_entries(workspace)) == 1


# --- Roles ------------------------------------------------------------------------------------


def test_a_rep_cannot_add(rep_client, workspace):
    response = rep_client.post(ADD, {"address": "dana@example.com", "channel": "all"})
    assert response.status_code == 403
    assert _entries(workspace) == []


def test_a_rep_cannot_upload(rep_client, workspace):
    assert _upload(rep_client, b"dana@example.com\n").status_code == 403
    assert _entries(workspace) == []


def test_a_rep_cannot_remove(rep_client, workspace):
    entry = _manual(workspace)
    response = rep_client.post(reverse("channels:suppression-remove", args=[entry.pk]))
    assert response.status_code == 403
    assert len(_entries(workspace)) == 1


def test_adding_writes_to_the_members_own_workspace_only(manager_client, other_workspace):
    manager_client.post(ADD, {"address": "dana@example.com", "channel": "all"})
    assert _entries(other_workspace) == []
