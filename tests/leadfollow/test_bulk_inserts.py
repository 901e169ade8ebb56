"""New rows written in one INSERT: keys in order, values as the model saves them."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadfollow.bulk_inserts import insert_objects
from leadfollow.bulk_updates import update_by_pk_statements
from leads.models import Activity, Lead
from scoring.models import Notification

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)


def _entry(lead, summary: str, **fields) -> Activity:
    return Activity(
        workspace=lead.workspace,
        lead=lead,
        kind="note",
        summary=summary,
        occurred_at=NOON,
        **fields,
    )


def test_rows_are_written_in_one_statement(lead):
    with CaptureQueriesContext(connection) as captured:
        insert_objects([_entry(lead, "one"), _entry(lead, "two"), _entry(lead, "three")])
    assert len(captured.captured_queries) == 1


def test_each_object_gets_the_key_of_its_own_row(lead):
    entries = insert_objects([_entry(lead, "one"), _entry(lead, "two")])
    saved = dict(Activity.objects.filter(lead=lead).values_list("pk", "summary"))
    assert [saved[entry.pk] for entry in entries] == ["one", "two"]


def test_values_are_stored_as_a_save_stores_them(lead, rep):
    [entry] = insert_objects([_entry(lead, "Called", payload={"minutes": 3}, actor=rep)])
    stored = Activity.objects.get(pk=entry.pk)
    assert (stored.payload, stored.actor, stored.occurred_at) == ({"minutes": 3}, rep, NOON)


def test_creation_times_are_filled_in(lead):
    [entry] = insert_objects([_entry(lead, "one")])
    assert entry.created_at is not None
    assert Activity.objects.get(pk=entry.pk).created_at == entry.created_at


def test_nothing_to_write_sends_nothing(lead):
    with CaptureQueriesContext(connection) as captured:
        assert insert_objects([]) == []
    assert captured.captured_queries == []


# Rows of several models, and updates sent with them


def _alert(lead, member) -> Notification:
    return Notification(workspace=lead.workspace, recipient=member, kind="assigned", lead=lead)


def _last_activity(lead, at) -> list:
    return update_by_pk_statements(Lead, ["last_activity_at"], {lead.pk: [at]})


def test_rows_of_several_models_each_get_their_own_key(lead, rep):
    entry, alert = insert_objects([_entry(lead, "one"), _alert(lead, rep)])
    assert Activity.objects.get(pk=entry.pk).summary == "one"
    assert Notification.objects.get(pk=alert.pk).recipient == rep


def test_updates_sent_with_the_rows_are_made(lead):
    insert_objects([_entry(lead, "one")], also=_last_activity(lead, NOON))
    assert Lead.objects.get(pk=lead.pk).last_activity_at == NOON


def test_updates_alone_are_made(lead):
    insert_objects([], also=_last_activity(lead, NOON))
    assert Lead.objects.get(pk=lead.pk).last_activity_at == NOON


def test_several_models_and_their_updates_share_a_statement_on_postgres(lead, rep):
    # Elsewhere each model's rows and each update are a statement of their own.
    expected = 1 if connection.vendor == "postgresql" else 3
    with CaptureQueriesContext(connection) as captured:
        insert_objects([_entry(lead, "one"), _alert(lead, rep)], also=_last_activity(lead, NOON))
    assert len(captured.captured_queries) == expected
