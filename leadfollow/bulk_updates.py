"""Many rows, each with values of its own, updated in one statement.

Django's `bulk_update` builds a CASE WHEN per row and field and resolves each as an expression:
milliseconds a row, most of a dispatcher chunk's time. Here the values travel joined by primary
key: on PostgreSQL as one array a column (`WITH v AS (SELECT * FROM unnest(…)) UPDATE … FROM v`),
on SQLite (≥ 3.33) as a VALUES list.
The statement bypasses the scoped manager: callers pass primary keys of rows they loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models


def update_objects(model: type[models.Model], objs: Iterable[models.Model], fields: list[str]):
    """Write `fields` of each object (saved rows), one statement for all of them."""
    attnames = [model._meta.get_field(name).attname for name in fields]
    rows = {obj.pk: tuple(getattr(obj, name) for name in attnames) for obj in objs}
    update_by_pk(model, fields, rows)


Statement = tuple[str, list]  # SQL and its parameters


def update_by_pk(
    model: type[models.Model],
    fields: list[str],
    rows: dict[object, Sequence],
    *,
    assign: dict[str, str] | None = None,
) -> None:
    """Set `fields` of each row named by primary key to its values in `rows`.

    `assign` says how a field's new value meets the stored one, as a template over {old}, {new}
    and {greatest} (spelled for the database), e.g. "COALESCE({old}, {new})".
    """
    statements = update_by_pk_statements(model, fields, rows, assign=assign)
    if statements:
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)


def update_by_pk_statements(
    model: type[models.Model],
    fields: list[str],
    rows: dict[object, Sequence],
    *,
    assign: dict[str, str] | None = None,
) -> list[Statement]:
    """update_by_pk's statements, not sent: on PostgreSQL always one, a statement of its own
    (`WITH … UPDATE`) that may also go out as part of another one (`insert_objects(also=…)`)."""
    if not rows:
        return []
    meta, quote = model._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    columns = [meta.get_field(name) for name in fields]
    postgres = connection.vendor == "postgresql"
    greatest = "GREATEST" if postgres else "MAX"
    sets = []
    for index, field in enumerate(columns, 1):
        old = f"{table}.{quote(field.column)}"
        template = (assign or {}).get(field.name, "{new}")
        value = template.format(old=old, new=f"v.c{index}", greatest=greatest)
        sets.append(f"{quote(field.column)} = {value}")
    names = ", ".join(f"c{index}" for index in range(len(columns) + 1))
    update = f"UPDATE {table} SET {', '.join(sets)} FROM v "
    match = f"WHERE {table}.{quote(meta.pk.column)} = v.c0"
    prepared = [
        [
            pk,
            *(
                f.get_db_prep_save(value, connection)
                for f, value in zip(columns, values, strict=True)
            ),
        ]
        for pk, values in rows.items()
    ]
    if postgres:
        # One typed array a column: the statement's text, its parsing and its plan are the same
        # for 2 rows or 2,000.
        types = [meta.pk.rel_db_type(connection)] + [f.db_type(connection) for f in columns]
        arrays = ", ".join(f"%s::{kind}[]" for kind in types)
        return [
            (
                f"WITH v({names}) AS (SELECT * FROM unnest({arrays})) {update}{match}",
                [list(column) for column in zip(*prepared, strict=True)],
            )
        ]
    placeholders = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    limit = connection.features.max_query_params or 65535
    per_statement = max(1, limit // (len(columns) + 1))
    return [
        (
            f"WITH v({names}) AS (VALUES {', '.join([placeholders] * len(batch))}) {update}{match}",
            [param for row in batch for param in row],
        )
        for batch in (
            prepared[start : start + per_statement]
            for start in range(0, len(prepared), per_statement)
        )
    ]
