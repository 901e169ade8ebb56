"""New rows of one model written in one plain INSERT … RETURNING, for the per-lead hot paths.

`Model.objects.create()` runs save()'s machinery for one row: signals, field checks, a compiled
query. Django's `bulk_create` on PostgreSQL sends more than one row as one array a column
(`unnest`), which pays off for thousands of rows and costs more than it saves for the one to
five rows of each model an intake writes (the lead, its timeline, the owner's alert, the SLA
clock, the enrollment and its first touch). Here the statement's text is built once per model
and the values travel as a plain VALUES list. It sends no signals: use it for models that have
no receivers, never for rule models, whose saves are watched (`rule_sets.watch_rule_models`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import connection, models


@cache
def _shape(model: type[models.Model]) -> tuple[str, str, tuple[models.Field, ...], str]:
    """(INSERT … (columns) VALUES, one row's placeholders, the fields, RETURNING …)."""
    meta, quote = model._meta, connection.ops.quote_name
    fields = tuple(
        field
        for field in meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField | models.BigAutoField))
    )
    columns = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ",
        row,
        fields,
        f" RETURNING {quote(meta.pk.column)}",
    )


def insert_objects(objs: Sequence[models.Model]) -> Sequence[models.Model]:
    """Save new instances of one model in one statement and give each its primary key."""
    if not objs:
        return objs
    model = type(objs[0])
    if not connection.features.can_return_rows_from_bulk_insert:
        return model._base_manager.bulk_create(objs)
    head, row, fields, returning = _shape(model)
    params = []
    for obj in objs:
        for field in fields:
            value = field.pre_save(obj, True)  # fills auto_now_add times on the object too
            params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(head + ", ".join([row] * len(objs)) + returning, params)
        keys = cursor.fetchall()
    for obj, (pk,) in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
