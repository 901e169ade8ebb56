"""Trigram indexes for searching leads by any part of a name, email, phone or company.

Search matches "contains" (`UPPER(column) LIKE UPPER('%word%')`), which no B-tree can serve: at
100,000 leads every search read the whole table. A pg_trgm GIN index per searched column lets
PostgreSQL combine the matches of each column with a BitmapOr instead. They exist on PostgreSQL
only (SQLite has no trigram indexes and small databases do not need them), so they are plain
SQL here and not part of the models' state.
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
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0004_inbox_states"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
