"""New rows written with plain INSERT … RETURNING statements, for the per-lead hot paths.

`Model.objects.create()` runs save()'s machinery for one row: signals, field checks, a compiled
query. Django's `bulk_create` on PostgreSQL sends more than one row as one array a column
(`unnest`), which pays off for thousands of rows and costs more than it saves for the one to
five rows of each model an intake writes (the lead, its timeline, the owner's alert, the SLA
clock, the enrollment and its first touch). Here the statement's text is built once per model
and the values travel as a plain VALUES list. It sends no signals: use it for models that have
no receivers, never for rule models, whose saves are watched (`rule_sets.watch_rule_models`).
On PostgreSQL the rows of several models, and updates that go with them, share one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import connection, models

from leadfollow.bulk_updates import Statement


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


def insert_objects(
    objs: Sequence[models.Model], *, also: Sequence[Statement] = ()
) -> Sequence[models.Model]:
    """Save new instances in one statement and give each its primary key.

    They may be of several models (an intake's timeline with the owner's alert and the SLA
    clock): on PostgreSQL each model's rows are one data-modifying `WITH` of the statement, and
    so is each of `also` (updates to send with them, e.g. `update_by_pk_statements`), all in
    one round trip. Elsewhere each model's rows and each of `also` are a statement of their own.
    """
    groups: dict[type[models.Model], list[models.Model]] = {}
    for obj in objs:
        groups.setdefault(type(obj), []).append(obj)
    if len(groups) + len(also) > 1 and connection.vendor == "postgresql":
        _insert_with(list(groups.values()), also)
        return objs
    for group in groups.values():
        _insert(group)
    if also:
        with connection.cursor() as cursor:
            for sql, params in also:
                cursor.execute(sql, params)
    return objs


def _insert(objs: list[models.Model]) -> None:
    model = type(objs[0])
    if not connection.features.can_return_rows_from_bulk_insert:
        model._base_manager.bulk_create(objs)
        return
    head, row, fields, returning = _shape(model)
    params = _values(objs, fields)
    with connection.cursor() as cursor:
        cursor.execute(head + ", ".join([row] * len(objs)) + returning, params)
        _keys(objs, cursor.fetchall())


def _insert_with(groups: list[list[models.Model]], also: Sequence[Statement]) -> None:
    """One statement: `WITH i0 AS (INSERT … RETURNING id), …, u0 AS (UPDATE …), …` and a SELECT
    of every new key with its group's number. Sub-statements of one statement see the same
    snapshot, not each other's rows: none of them may read what another writes (foreign keys
    are checked at the end)."""
    parts, params, keys = [], [], []
    for number, objs in enumerate(groups):
        head, row, fields, returning = _shape(type(objs[0]))
        parts.append(f"i{number} AS ({head}{', '.join([row] * len(objs))}{returning})")
        params.extend(_values(objs, fields))
        pk = connection.ops.quote_name(type(objs[0])._meta.pk.column)
        keys.append(f"SELECT {number}, {pk} FROM i{number}")
    for number, (sql, statement_params) in enumerate(also):
        parts.append(f"u{number} AS ({sql})")
        params.extend(statement_params)
    select = " UNION ALL ".join(keys) if keys else "SELECT NULL, NULL WHERE FALSE"
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} {select}", params)
        found = cursor.fetchall()
    for number, objs in enumerate(groups):
        _keys(objs, [(pk,) for group, pk in found if group == number])


def _values(objs: list[models.Model], fields: tuple[models.Field, ...]) -> list:
    params = []
    for obj in objs:
        for field in fields:
            value = field.pre_save(obj, True)  # fills auto_now_add times on the object too
            params.append(field.get_db_prep_save(value, connection))
    return params


def _keys(objs: list[models.Model], keys: list[tuple]) -> None:
    for obj, (pk,) in zip(objs, keys, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
