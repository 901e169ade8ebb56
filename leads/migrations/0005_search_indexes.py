"""Trigram indexes for searching leads by any part of a name, email, phone or company.

Search matches "contains" (`UPPER(column) LIKE UPPER('%word%')`), which no B-tree can serve: at
100,000 leads every search read the whole table. A pg_trgm GIN index per searched column lets
PostgreSQL combine the matches of each column with a BitmapOr instead. They exist on PostgreSQL
only (SQLite has no trigram indexes and small databases do not need them), so they are plain
SQL here and not part of the models' state.

They are built CONCURRENTLY, outside a transaction, so a large leads table keeps taking writes
(new leads, edits) while they build. A build that was interrupted leaves an invalid index
behind; running the migration again drops it and builds it anew.
"""

from django.db import migrations

# (index, table, indexed expression): each expression is exactly what Django's icontains (or,
# for the E.164 phone, contains) lookup compares, or PostgreSQL would not use the index.
TRIGRAM_INDEXES = [
    ("lead_first_name_trgm", "leads_lead", "UPPER(first_name::text)"),
    ("lead_last_name_trgm", "leads_lead", "UPPER(last_name::text)"),
    ("lead_email_trgm", "leads_lead", "UPPER(email::text)"),
    ("lead_phone_trgm", "leads_lead", "(phone::text)"),
    ("account_name_trgm", "leads_account", "UPPER(name::text)"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in TRIGRAM_INDEXES:
        if _is_invalid(schema_editor, name):
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} "
            f"USING gin ({expression} gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def _is_invalid(schema_editor, name: str) -> bool:
    """An index left half-built by an interrupted concurrent build (IF NOT EXISTS keeps it)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
            [name],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("leads", "0004_inbox_states"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
