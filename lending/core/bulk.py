"""Updating many rows in one statement.

Django's ``bulk_update`` writes ``SET col = CASE WHEN id = 1 THEN ... WHEN id = 2 THEN ... END`` for every column:
building those expressions costs more Python than the posting it saves, and the database checks every WHEN for
every row. On PostgreSQL ``bulk_update_rows`` writes ``UPDATE t SET col = v.col FROM (VALUES ...) v WHERE t.id =
v.id`` instead: one join, parameters only. Elsewhere (SQLite in development) it is Django's ``bulk_update``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def bulk_update_rows(model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Save ``fields`` of ``objs`` (instances of ``model`` with primary keys) in as few statements as possible."""
    objs = list(objs)
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, fields)
        return
    meta = model._meta
    # Concrete fields of one table: each has a column (django-stubs types get_field() and .column loosely).
    columns: list[Any] = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    pk: Any = meta.pk
    placeholders = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    params: list[Any] = []
    for obj in objs:
        params.append(pk.get_db_prep_value(obj.pk, connection))
        params += [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
    assignments = ", ".join(
        f"{quote(field.column)} = v.{quote(field.column)}::{field.db_type(connection)}" for field in columns
    )
    names = ", ".join(quote(field.column) for field in [pk, *columns])
    # Only quoted identifiers and column types go into the text; every value is a parameter.
    key = quote(pk.column)
    sql = " ".join(
        (
            "UPDATE",
            quote(meta.db_table),
            "AS t SET",
            assignments,
            "FROM (VALUES",
            ", ".join([placeholders] * len(objs)),
            f") AS v({names}) WHERE t.{key} = v.{key}::{pk.db_type(connection)}",
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
