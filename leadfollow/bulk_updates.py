"""Many rows, each with values of its own, updated in one statement.

Django's `bulk_update` builds a CASE WHEN per row and field and resolves each as an expression:
milliseconds a row, most of a dispatcher chunk's time. Here the values travel as a VALUES list
joined by primary key (`WITH v AS (VALUES …) UPDATE … FROM v`, PostgreSQL and SQLite ≥ 3.33).
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
    if not rows:
        return
    meta, quote = model._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    columns = [meta.get_field(name) for name in fields]
    postgres = connection.vendor == "postgresql"
    greatest = "GREATEST" if postgres else "MAX"

    def new(index: int, field) -> str:
        # PostgreSQL reads untyped VALUES as text; SQLite keeps what it is given.
        return f"CAST(v.c{index} AS {field.db_type(connection)})" if postgres else f"v.c{index}"

    sets = []
    for index, field in enumerate(columns, 1):
        old = f"{table}.{quote(field.column)}"
        template = (assign or {}).get(field.name, "{new}")
        value = template.format(old=old, new=new(index, field), greatest=greatest)
        sets.append(f"{quote(field.column)} = {value}")
    names = ", ".join(f"c{index}" for index in range(len(columns) + 1))
    key = f"CAST(v.c0 AS {meta.pk.rel_db_type(connection)})" if postgres else "v.c0"
    placeholders = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    limit = connection.features.max_query_params or 65535  # PostgreSQL's bound parameters
    per_statement = max(1, limit // (len(columns) + 1))
    items = list(rows.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), per_statement):
            batch = items[start : start + per_statement]
            params: list = []
            for pk, values in batch:
                params.append(pk)
                params += [
                    field.get_db_prep_save(value, connection)
                    for field, value in zip(columns, values, strict=True)
                ]
            cursor.execute(
                f"WITH v({names}) AS (VALUES {', '.join([placeholders] * len(batch))}) "
                f"UPDATE {table} SET {', '.join(sets)} FROM v "
                f"WHERE {table}.{quote(meta.pk.column)} = {key}",
                params,
            )
