"""Updating and inserting many rows in one statement.

Django's ``bulk_update`` writes ``SET col = CASE WHEN id = 1 THEN ... WHEN id = 2 THEN ... END`` for every column:
building those expressions costs more Python than the posting it saves, and the database checks every WHEN for
every row. On PostgreSQL ``bulk_update_rows`` writes ``UPDATE t SET col = v.col FROM UNNEST(...) v WHERE t.id =
v.id`` instead, the values sent as one array per column: one join, a parameter a column. Elsewhere (SQLite in
development and in the mutation runs) it is one prepared ``UPDATE ... WHERE id = ?`` the driver runs for every row.
``bulk_insert_rows`` is the same for inserts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import NoneType
from typing import Any, cast

from django.db import connection, models
from django.db.models.sql import UpdateQuery


def bulk_update_rows(
    model: type[models.Model],
    objs: Sequence[models.Model],
    fields: Sequence[str],
    *,
    also: RowsAlso | None = None,
) -> None:
    """Save ``fields`` of ``objs`` (instances of ``model`` with primary keys) in as few statements as possible.
    ``also`` (``rows_also``): more columns set on the same rows, by expressions over other tables (subqueries)
    and the row's columns not in ``fields`` (on PostgreSQL, in the same statement, they see the row as it was);
    one UPDATE there (a second UPDATE of rows this transaction wrote re-checks every reference they hold and writes
    them again), elsewhere a second."""
    objs = list(objs)
    if not objs:
        return
    if any(obj.pk is None for obj in objs):  # a row never saved: refused before anything is written
        raise ValueError(f"{model.__name__}: every row to update needs its primary key")
    meta = model._meta
    # Concrete fields of one table: each has a column (django-stubs types get_field() and .column loosely).
    columns: list[Any] = [meta.get_field(name) for name in fields]
    references = [field for field in columns if field.is_relation]
    for obj in objs if references else ():  # most writes are amounts and dates: no per-row check for them
        # Django's own guard (bulk_update's): a reference to a row never saved would be written as NULL; refused.
        obj._prepare_related_fields_for_save(  # type: ignore[attr-defined]  # Django's, private: not in the stubs
            operation_name="bulk_update", fields=references
        )
    quote = connection.ops.quote_name
    pk: Any = meta.pk
    if connection.vendor != "postgresql":
        _update_many(meta.db_table, pk, columns, objs)
        if also is not None:
            model._default_manager.filter(pk__in=[obj.pk for obj in objs]).update(**also.expressions)
        return
    # One array per column, not one parameter per value: 2,000 rows of five columns are five parameters, not
    # 10,000 for the driver to splice into the text.
    arrays: list[list[Any]] = [_prepared(pk, [obj.pk for obj in objs])]
    arrays += [_prepared(field, [getattr(obj, field.attname) for obj in objs]) for field in columns]
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in columns)
    names = ", ".join(quote(field.column) for field in [pk, *columns])
    casts = ", ".join(f"%s::{field.cast_db_type(connection)}[]" for field in [pk, *columns])
    # Only quoted identifiers and column types go into the text; every value is a parameter.
    table, key = quote(meta.db_table), quote(pk.column)
    more, more_params = (also.sql, also.params) if also is not None else ("", ())
    sql = " ".join(
        (
            "UPDATE",
            table,
            "SET",
            assignments + more,
            "FROM UNNEST(",
            casts,
            f") AS v({names}) WHERE {table}.{key} = v.{key}",
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*more_params, *(_column(values) for values in arrays)])


@dataclass(frozen=True)
class RowsAlso:
    """Expressions over each row for ``bulk_update_rows``' ``also`` (``QuerySet.update``'s keyword arguments),
    with their SQL for PostgreSQL compiled once (``rows_also``): compiling subqueries costs more than running them."""

    expressions: dict[str, Any]
    sql: str
    params: tuple[Any, ...]


def rows_also(model: type[models.Model], expressions: Mapping[str, Any]) -> RowsAlso:
    """``expressions`` for ``bulk_update_rows`` of ``model``'s rows; keep it (per process) and pass it each time."""
    if connection.vendor != "postgresql":
        return RowsAlso(dict(expressions), "", ())
    return RowsAlso(dict(expressions), *_also_sql(model, expressions))


def _also_sql(model: type[models.Model], also: Mapping[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """``also`` as Django compiles it for an UPDATE of ``model`` (``, col = ...`` and its parameters): the SET
    clause of ``UPDATE table SET ... WHERE table.pk = %s``, whose expressions refer to the row by the table's name."""
    query = cast(UpdateQuery, model._default_manager.filter(pk=0).query.chain(UpdateQuery))
    query.add_update_values(dict(also))
    sql, params = query.get_compiler(connection=connection).as_sql()
    head, _, where = sql.rpartition(" WHERE ")
    table, _, sets = head.removeprefix("UPDATE ").partition(" SET ")
    pk: Any = model._meta.pk
    if where != f"{table}.{connection.ops.quote_name(pk.column)} = %s" or params[-1] != 0:
        raise RuntimeError(f"unexpected UPDATE for {model.__name__}: {sql}")  # the key's filter is last
    return f", {sets}", tuple(params[:-1])


def bulk_insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]], *, returning_pk: bool = False
) -> list[Any]:
    """Insert ``rows`` (tuples of python values in ``fields`` order, foreign keys as ``<name>_id`` attnames) into
    ``model``'s table; returns their primary keys in ``rows`` order when ``returning_pk``.

    Django's ``bulk_create`` builds a model instance per row and prepares every value through its field: for the
    nightly run's hundreds of thousands of rows that Python costs as much as the database's work. On PostgreSQL
    this sends one ``INSERT ... SELECT * FROM UNNEST(%s::type[], ...)`` with one array per column (what
    ``bulk_create`` sends too, without the instances). No field defaults are applied: give every NOT NULL column
    without a ``db_default``. Elsewhere (SQLite in development and in the mutation runs) it is one prepared
    ``INSERT`` the driver runs for every row (``executemany``), or ``bulk_create`` when the keys are wanted."""
    if not rows:
        return []
    meta = model._meta
    columns: list[Any] = [meta.get_field(name) for name in fields]
    params = [_array(field, values) for field, values in zip(columns, zip(*rows, strict=True), strict=True)]
    if connection.vendor != "postgresql":
        if not returning_pk:
            _insert_many(meta.db_table, columns, params)
            return []
        attnames = [field.attname for field in columns]
        objs = model._default_manager.bulk_create(
            [model(**dict(zip(attnames, row, strict=True))) for row in zip(*params, strict=True)]
        )
        return [obj.pk for obj in objs]
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in columns)
    arrays = ", ".join(f"%s::{field.cast_db_type(connection)}[]" for field in columns)
    # Only quoted identifiers and column types go into the text; every value is a parameter (one array a column).
    sql = " ".join(("INSERT INTO", quote(meta.db_table), "(", names, ") SELECT * FROM UNNEST(", arrays, ")"))
    pk: Any = meta.pk
    if returning_pk:
        sql += f" RETURNING {quote(pk.column)}"
    with connection.cursor() as cursor:
        sent = [_json(field, values) for field, values in zip(columns, params, strict=True)]
        cursor.execute(sql, [_column(values) if isinstance(values, list) else values for values in sent])
        return [row[0] for row in cursor.fetchall()] if returning_pk else []


def _json(field: Any, values: list[Any]) -> str | list[Any]:
    """A JSON column's values as the array text of their JSON text (as the field writes them; None is NULL), for
    the statement's ``jsonb[]`` cast: the driver escapes the quotes of each element by a regular expression, at a
    staged file's 500 rows a chunk a third of its staging; any other column's as they are."""
    if not isinstance(field, models.JSONField):
        return values
    return array_text([None if value is None else json.dumps(value, cls=field.encoder) for value in values])


def _array(field: Any, values: Sequence[Any]) -> list[Any]:
    """A column's values as one array parameter. The driver needs one type per array: a whole-number amount given
    as an int (``0``) joins the column's Decimals; a float is refused (money is never a float)."""
    if not isinstance(field, models.DecimalField):
        return list(values)
    if any(isinstance(value, float) for value in values):
        raise TypeError(f"{field.name}: a float for a decimal column (use Decimal)")
    return [Decimal(value) if isinstance(value, int) else value for value in values]


def _column(values: list[Any]) -> str | list[Any]:
    """A column of numbers, dates, strings and NULLs as PostgreSQL's array text (``array_text``; the statement
    casts it to the column's array type): the driver writes a list element by element in Python (a type lookup, a
    regular expression for quoting), at a payment file's thousands of values a chunk the main cost of sending it;
    ``array_text`` is 4-6 times faster, strings included (measured with psycopg 3.3: 500 memos 1,390 -> 230 us).
    Any other column (bytes, a dict) goes as the list."""
    if not all(kind is NoneType or kind in _UNQUOTED or issubclass(kind, str) for kind in set(map(type, values))):
        return values
    return array_text(values)


def array_text(values: Sequence[Any]) -> str:
    """``values`` (ints, Decimals, dates or strings; None is NULL) as the text of a PostgreSQL array, for a
    parameter the SQL casts (``%s::numeric[]``). The driver adapts a list element by element, looking up each
    element's type, which for a payment's dozen small arrays cost more Python than the statement's other values
    together. A number or a date goes as its text (PostgreSQL's input for the column, with no comma, brace, quote
    or space in it); anything else is quoted, so a string is read whole."""
    kinds = set(map(type, values))  # a column's values are nearly always of one type: its text made in one go
    if kinds <= _UNQUOTED:
        return "{" + ",".join(map(str, values)) + "}"
    if all(issubclass(kind, str) for kind in kinds):
        return '{"' + '","'.join([value.replace("\\", "\\\\").replace('"', '\\"') for value in values]) + '"}'
    return "{" + ",".join([_element(value) for value in values]) + "}"


def _element(value: Any) -> str:
    return "NULL" if value is None else str(value) if type(value) in _UNQUOTED else _quoted(value)


def _quoted(value: Any) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


_UNQUOTED = frozenset({int, Decimal, date})


def _insert_many(table: str, columns: Sequence[Any], params: Sequence[Sequence[Any]]) -> None:
    """SQLite: one ``INSERT`` run by the driver for every row. A 30-year loan's 360 installments took 22 ms through
    ``bulk_create`` (an instance a row, every value prepared through its field); this takes a few. A ``Decimal`` in a
    decimal column and a ``date`` in a date column go to the driver as they are, since Django's SQLite backend
    registers the driver's adapters for both and their fields hand them on unchanged; any other value is prepared by
    its field, as ``bulk_create`` would."""
    quote = connection.ops.quote_name
    prepared = [_prepared(field, values) for field, values in zip(columns, params, strict=True)]
    names = ", ".join(quote(field.column) for field in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({placeholders})"  # noqa: S608 -- quoted names only
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(zip(*prepared, strict=True)))


def _prepared(field: Any, values: Sequence[Any]) -> list[Any]:
    """``values`` of ``field`` as the driver takes them: a value of the type the field's preparation returns
    unchanged (a ``Decimal`` in a decimal column, a ``date`` in a date column, an ``int`` key...) as it is, any
    other through the field (a payment file's chunk is thousands of values: the field's calls cost more than the
    statement)."""
    passed_as_is = _AS_IS.get(type(field.target_field if field.is_relation else field))
    return [
        value if value is None or type(value) is passed_as_is else field.get_db_prep_save(value, connection)
        for value in values
    ]


# The fields whose preparation hands a value of that exact type on unchanged (not a subclass of either: a
# DateTimeField, the DateField's, prepares its datetimes for the database's time zone; an EmailField is checked).
_AS_IS: dict[type, type] = {
    models.DecimalField: Decimal,
    models.DateField: date,
    models.CharField: str,
    models.TextField: str,
    models.BooleanField: bool,
    models.AutoField: int,
    models.BigAutoField: int,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
}


def _update_many(table: str, pk: Any, columns: Sequence[Any], objs: Sequence[models.Model]) -> None:
    """SQLite: one ``UPDATE`` of a row by its key, run by the driver for every object. Django's ``bulk_update``
    built a ``CASE WHEN`` of every row for every column: a permanent modification's 360 installments took most of a
    second of Python."""
    quote = connection.ops.quote_name
    values = [_prepared(field, [getattr(obj, field.attname) for obj in objs]) for field in columns]
    keys = [pk.get_db_prep_value(obj.pk, connection) for obj in objs]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk.column)} = %s"  # noqa: S608 -- quoted names only
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(zip(*values, keys, strict=True)))


def written_instances(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    pks: Sequence[Any],
    *,
    related: Mapping[str, Sequence[models.Model]] | None = None,
) -> list[models.Model]:
    """Instances of rows just written (``bulk_insert_rows``' ``fields`` and ``rows``, and their
    ``pks``), as saved instances (``_state.adding`` False). Built positionally, as Django builds a fetched row:
    keyword arguments cost a lookup and a default per field, a related instance a descriptor call, which at a
    payment file's thousands of rows cost more than the insert. A field not in ``fields`` takes its default (one
    value for every row: no callable default). ``related``: the instances each row refers to, by field name, kept
    in the instance's cache as passing them to the constructor would."""
    concrete = model._meta.concrete_fields
    position = {model._meta.get_field(name).attname: index for index, name in enumerate(fields)}  # type: ignore[union-attr]
    pk_field: Any = model._meta.pk
    missing = [field for field in concrete if field.attname not in position and field is not pk_field]
    if any(field.has_default() and callable(field.default) for field in missing):
        raise ValueError(f"{model.__name__}: give the fields with a callable default")
    template = [field.get_default() if field in missing else None for field in concrete]
    moves = [(to, position[field.attname]) for to, field in enumerate(concrete) if field.attname in position]
    pk_at = concrete.index(pk_field)
    caches: list[tuple[Any, Sequence[models.Model]]] = [
        (model._meta.get_field(name), objs) for name, objs in (related or {}).items()
    ]
    instances = []
    for index, (row, pk) in enumerate(zip(rows, pks, strict=True)):
        values = template.copy()
        for to, at in moves:
            values[to] = row[at]
        values[pk_at] = pk
        obj = model(*values)
        obj._state.adding = False
        for field, objs in caches:
            field.set_cached_value(obj, objs[index])  # a relation's cache, as its descriptor sets it
        instances.append(obj)
    return instances
