"""New rows written in one INSERT: keys in order, values as the model saves them."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadfollow.bulk_inserts import insert_objects
from leads.models import Activity

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
