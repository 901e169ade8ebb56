"""Leads migration 0005 builds its trigram indexes without blocking writes to the leads table."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection

migration = importlib.import_module("leads.migrations.0005_search_indexes")


class _Recorder:
    """A schema editor that keeps the statements it is given instead of running them."""

    def __init__(self, vendor: str):
        self.statements: list[str] = []
        self.connection = SimpleNamespace(vendor=vendor, cursor=self._cursor)

    def execute(self, sql: str) -> None:
        self.statements.append(sql)

    def _cursor(self):
        return _NoRows()


class _NoRows:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def execute(self, sql: str, params=None) -> None:
        return None

    def fetchone(self):
        return None


def test_the_search_index_migration_runs_outside_a_transaction():
    assert migration.Migration.atomic is False


def test_each_trigram_index_is_built_concurrently():
    editor = _Recorder("postgresql")
    migration.create_indexes(None, editor)
    built = [sql for sql in editor.statements if sql.startswith("CREATE INDEX")]
    assert len(built) == len(migration.TRIGRAM_INDEXES)
    assert all(sql.startswith("CREATE INDEX CONCURRENTLY IF NOT EXISTS ") for sql in built)


def test_each_trigram_index_is_dropped_concurrently():
    editor = _Recorder("postgresql")
    migration.drop_indexes(None, editor)
    assert editor.statements == [
        f"DROP INDEX CONCURRENTLY IF EXISTS {name}" for name, _t, _e in migration.TRIGRAM_INDEXES
    ]


def test_sqlite_gets_no_trigram_indexes():
    editor = _Recorder("sqlite")
    migration.create_indexes(None, editor)
    migration.drop_indexes(None, editor)
    assert editor.statements == []


def _is_valid(name: str) -> bool | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s",
            [name],
        )
        row = cursor.fetchone()
    return row[0] if row else None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_index_an_interrupted_build_left_invalid_is_built_again():
    with connection.cursor() as cursor:  # what a build stopped halfway leaves behind
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'lead_email_trgm'::regclass"
        )
    with connection.schema_editor(atomic=False) as editor:
        migration.create_indexes(None, editor)
    assert _is_valid("lead_email_trgm") is True
