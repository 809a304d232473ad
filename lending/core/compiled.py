"""A queryset compiled once per process and run again with other values, for a hot path.

Django compiles a queryset to SQL on every evaluation: for the three reads of a payment posting (the loan's row
lock, the idempotency key and later payments, the installments it pays) the compiling costs 1.8 ms of Python, the
database answers in a fraction of that. A ``CompiledQuery`` keeps the queryset's definition where it is (a
function of the values that change) and compiles it once, with a placeholder for each of those values: later
runs put the values in the placeholders' places in the parameters, run the SQL and build the model instances as
Django does (its converters, ``from_db``). On PostgreSQL only; elsewhere (SQLite in development) the queryset is
evaluated as usual.

Only querysets that select model rows (no ``values``; ``only`` and ``defer`` leave the other fields deferred,
``annotate`` adds its values as attributes and ``select_related`` its related rows, as Django does), and only values
that reach the SQL as given (equality and range lookups on ints, strings and dates).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Generic, TypeVar, overload

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from psycopg.pq import PipelineStatus, TransactionStatus

M = TypeVar("M", bound=models.Model)

# A value no caller passes, per type: where it appears among the compiled parameters is where the value goes.
_PLACEHOLDERS: dict[type, Any] = {int: -7_314_159_265_358, str: "\ue000compiled-query-placeholder", date: date(1, 2, 3)}


@dataclass(frozen=True)
class _Compiled:
    model: type[models.Model]
    sql: str
    params: tuple[tuple[str | None, Any], ...]  # (name of the value to put there, or None: the compiled value)
    converters: tuple[tuple[int, list[Any], Any], ...]  # (column, converters, expression), as Django applies them
    fields: int  # the model's columns, first in each row
    names: tuple[str, ...] | None  # their attnames when some are deferred (None: every concrete field, in order)
    annotations: tuple[tuple[str, int], ...]  # (name, column) of each annotation
    related: tuple[Any, ...]  # Django's RelatedPopulator of each select_related row (they keep no row's state)


class CompiledQuery(Generic[M]):
    """``build(**values)`` returns the queryset; ``kinds`` names each value's type (int, str or date)."""

    def __init__(self, build: Callable[..., models.QuerySet[M]], **kinds: type) -> None:
        self._build = build
        self._kinds = kinds
        self._compiled: _Compiled | None = None
        self._lock = threading.Lock()

    def fetch(self, **values: Any) -> list[M]:
        """The rows the queryset built from ``values`` selects, as model instances."""
        if connection.vendor != "postgresql":
            return list(self._build(**values))
        compiled = self._compiled or self._compile()
        params = [value if name is None else values[name] for name, value in compiled.params]
        rows = _fetch_converted(compiled.sql, params, compiled.converters)
        return [_instance(compiled, row) for row in rows]

    def send(self, **values: Any) -> Sent[M]:
        """Run the query now and build its rows when ``Sent.rows`` is called: inside PostgreSQL's pipeline mode
        (``fetch_together``) the statement goes out with the ones after it and its rows are read with theirs."""
        db = _db()
        if db.vendor != "postgresql":
            return Sent(self.fetch(**values))
        compiled = self._compiled or self._compile()
        params = [value if name is None else values[name] for name, value in compiled.params]
        cursor = _statement_cursor(db)
        cursor.execute(compiled.sql, params)
        return Sent(compiled, cursor)

    def _compile(self) -> _Compiled:
        with self._lock:
            if self._compiled is None:
                self._compiled = self._compiled_now()
            return self._compiled

    def _compiled_now(self) -> _Compiled:
        placeholders = _placeholders(self._kinds)
        queryset = self._build(**placeholders)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, compiled_params = compiler.as_sql()
        params, missing = _placed(compiled_params, placeholders)
        fields = queryset.model._meta.concrete_fields
        selected = len(compiler.klass_info["select_fields"])
        columns = [getattr(col, "target", None) for col, _, _ in compiler.select[:selected]]
        annotations = tuple(compiler.annotation_col_map.items())
        rows = queryset._iterable_class is ModelIterable  # not values()/values_list()
        if missing or not rows or not set(columns) <= set(fields) or queryset.query.extra_select:
            name = queryset.model.__name__
            raise ValueError(f"{name}: cannot be compiled once (values {missing} not in the SQL, or not model rows)")
        converters = compiler.get_converters([col for col, _, _ in compiler.select])
        return _Compiled(
            model=queryset.model,
            sql=sql,
            params=tuple(params),
            converters=tuple((pos, convs, expression) for pos, (convs, expression) in converters.items()),
            fields=selected,
            # only()/defer(): the fields selected, as Django's ModelIterable names them to from_db
            names=None if columns == list(fields) else tuple(field.attname for field in fields if field in columns),
            annotations=annotations,
            related=tuple(get_related_populators(compiler.klass_info, compiler.select, connection.alias)),  # type: ignore[call-arg]  # the stubs are of a later Django (a fetch_mode argument)
        )


def _placeholders(kinds: dict[str, type]) -> dict[str, Any]:
    """A placeholder per value, each its own (two strings in one query are told apart by where they go)."""
    offsets = {int: lambda p, i: p - i, str: lambda p, i: f"{p}{i}", date: lambda p, i: p + timedelta(days=i)}
    return {name: offsets[kind](_PLACEHOLDERS[kind], i) for i, (name, kind) in enumerate(kinds.items())}


def _placed(compiled: Any, placeholders: dict[str, Any]) -> tuple[list[tuple[str | None, Any]], set[str]]:
    """Each compiled parameter with the name of the value that goes there (None: the compiled value), and the
    names of the values the SQL does not carry as given."""
    params, found = [], set()
    for value in compiled:
        name = next((n for n, p in placeholders.items() if type(value) is type(p) and value == p), None)
        params.append((name, value))
        found.add(name)
    return params, set(placeholders) - found


class CompiledCount:
    """``build(**values).count()`` compiled once per process (as ``SELECT COUNT(*) FROM (its pks)``) and run again
    with other values: for a count whose queryset costs more to compile than to count (filters of several
    subqueries). The same values as ``CompiledQuery``; on PostgreSQL only, elsewhere the queryset counts."""

    def __init__(self, build: Callable[..., models.QuerySet[Any]], **kinds: type) -> None:
        self._build = build
        self._kinds = kinds
        self._compiled: tuple[str, tuple[tuple[str | None, Any], ...]] | None = None
        self._lock = threading.Lock()

    def count(self, **values: Any) -> int:
        if connection.vendor != "postgresql":
            return self._build(**values).count()
        sql, compiled = self._compiled or self._compile()
        with connection.cursor() as cursor:
            cursor.execute(sql, [value if name is None else values[name] for name, value in compiled])
            return int(cursor.fetchone()[0])

    def _compile(self) -> tuple[str, tuple[tuple[str | None, Any], ...]]:
        with self._lock:
            if self._compiled is None:
                sql, params = _compiled_pks(self._build, self._kinds, ordered=False)
                self._compiled = (f"SELECT COUNT(*) FROM ({sql}) AS counted", params)  # noqa: S608 -- compiled SQL
            return self._compiled


class CompiledPages(Generic[M]):
    """The rows a ``Paginator`` pages through, ``build(**values)``, with its count and each page's rows compiled once
    per process: a page's LIMIT and OFFSET are in the SQL's text, so each window asked for (page 1, page 20, a short
    last page) is its own ``CompiledQuery``, up to ``windows`` of them; a window beyond those is read as usual.
    ``rows(**values)`` is the paginator's object list. The same values as ``CompiledQuery``."""

    def __init__(self, build: Callable[..., models.QuerySet[M]], *, windows: int = 64, **kinds: type) -> None:
        self._build = build
        self._kinds = kinds
        self._most = windows
        self._count = CompiledCount(build, **kinds)
        self._counts_up_to: dict[int, CompiledCount] = {}
        self._windows: dict[tuple[int, int | None], CompiledQuery[M]] = {}
        self._lock = threading.Lock()

    def rows(self, **values: Any) -> CompiledRows[M]:
        return CompiledRows(self, values)

    def _window(self, bottom: int, top: int | None) -> CompiledQuery[M] | None:
        query = self._windows.get((bottom, top))
        if query is None and len(self._windows) < self._most:
            with self._lock:
                query = self._windows.setdefault(
                    (bottom, top), CompiledQuery(lambda **values: self._build(**values)[bottom:top], **self._kinds)
                )
        return query

    def _count_up_to(self, most: int) -> CompiledCount:
        counted = self._counts_up_to.get(most)
        if counted is None:
            with self._lock:
                counted = self._counts_up_to.setdefault(
                    most, CompiledCount(lambda **values: self._build(**values).order_by()[:most], **self._kinds)
                )
        return counted


class CompiledRows(Generic[M]):
    """A ``Paginator``'s object list of ``CompiledPages``: ``count()`` counts, a slice reads a page's rows (a list);
    ``CappedPaginator`` counts up to its cap with ``count_up_to``."""

    def __init__(self, pages: CompiledPages[M], values: dict[str, Any]) -> None:
        self._pages = pages
        self._values = values

    def count(self) -> int:
        return self._pages._count.count(**self._values)

    def count_up_to(self, most: int) -> int:
        """The rows, counted no further than ``most`` (unordered: the scan stops at the first ``most`` matches)."""
        return self._pages._count_up_to(most).count(**self._values)

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[M]:
        return iter(self[0:None])  # every row (a Paginator reads a page's slice)

    @overload
    def __getitem__(self, window: int) -> M: ...

    @overload
    def __getitem__(self, window: slice) -> list[M]: ...

    def __getitem__(self, window: int | slice) -> M | list[M]:
        if isinstance(window, int):
            return self[window : window + 1][0]
        bottom = window.start or 0
        if window.stop is not None and window.stop <= bottom:  # an empty list's page: no rows (no SQL to compile)
            return []
        query = self._pages._window(bottom, window.stop)
        if query is None:  # more windows than kept (deep pages): read as the queryset reads them
            return list(self._pages._build(**self._values)[window])
        return query.fetch(**self._values)


class CompiledIds:
    """The pks of ``build(**values)`` in its order, a slice at a time (``LIMIT`` and ``OFFSET`` as parameters), compiled
    once per process: for a page of a list whose filters cost more to compile than the database takes to walk its
    index range. The same values as ``CompiledQuery``; on PostgreSQL only, elsewhere the queryset is sliced."""

    def __init__(self, build: Callable[..., models.QuerySet[Any]], **kinds: type) -> None:
        self._build = build
        self._kinds = kinds
        self._compiled: tuple[str, tuple[tuple[str | None, Any], ...]] | None = None
        self._lock = threading.Lock()

    def slice(self, start: int, stop: int, **values: Any) -> list[Any]:
        """The pks of rows ``start`` to ``stop`` (as ``queryset[start:stop]``)."""
        if connection.vendor != "postgresql":
            return list(self._build(**values).values_list("pk", flat=True)[start:stop])
        sql, compiled = self._compiled or self._compile()
        params = [value if name is None else values[name] for name, value in compiled]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, stop - start, start])
            return [pk for (pk,) in cursor.fetchall()]

    def rows(self, **values: Any) -> CompiledIdRows:
        """The pks as a ``Paginator``'s object list (a ``CappedPaginator``'s, which counts up to its cap)."""
        return CompiledIdRows(self, values)

    def _compile(self) -> tuple[str, tuple[tuple[str | None, Any], ...]]:
        with self._lock:
            if self._compiled is None:
                sql, params = _compiled_pks(self._build, self._kinds, ordered=True)
                self._compiled = (f"{sql} LIMIT %s OFFSET %s", params)
            return self._compiled


class CompiledIdRows:
    """``CompiledIds``' pks as a ``Paginator`` reads them: a slice is a page's pks (compiled), ``count_up_to`` counts
    the queryset up to a cap as ``CappedPaginator`` does (built: a caller that knows the total spares it)."""

    def __init__(self, ids: CompiledIds, values: dict[str, Any]) -> None:
        self._ids = ids
        self._values = values

    def __getitem__(self, window: slice) -> list[Any]:
        bottom = window.start or 0
        if window.stop is None or window.stop <= bottom:  # every row, or none: as the queryset reads them
            return list(self._ids._build(**self._values).values_list("pk", flat=True)[window])
        return self._ids.slice(bottom, window.stop, **self._values)

    def count_up_to(self, most: int) -> int:
        return self._ids._build(**self._values).order_by()[:most].count()

    def count(self) -> int:
        return self._ids._build(**self._values).count()


def _compiled_pks(
    build: Callable[..., models.QuerySet[Any]], kinds: dict[str, type], *, ordered: bool
) -> tuple[str, tuple[tuple[str | None, Any], ...]]:
    """The SQL of ``build``'s pks (in its order, or none) with placeholders, and where each value goes."""
    placeholders = _placeholders(kinds)
    queryset = build(**placeholders)
    if ordered and queryset.query.is_sliced:
        raise ValueError(f"{queryset.model.__name__}: a sliced queryset cannot take a slice's parameters")
    if not ordered and not queryset.query.is_sliced:  # a slice (a capped count) keeps the order that picks its rows
        queryset = queryset.order_by()
    queryset = queryset.values("pk")
    sql, compiled = queryset.query.get_compiler(connection=connection).as_sql()
    params, missing = _placed(compiled, placeholders)
    if missing:
        raise ValueError(f"{queryset.model.__name__}: cannot be compiled once (values {missing} not in the SQL)")
    return sql, tuple(params)


class Sent(Generic[M]):
    """A ``CompiledQuery`` run whose rows are read later (``rows``): its model instances, once."""

    def __init__(self, compiled: _Compiled | list[M], cursor: Any = None) -> None:
        self._compiled = compiled
        self._cursor = cursor

    def rows(self) -> list[M]:
        compiled = self._compiled
        if not isinstance(compiled, _Compiled):  # evaluated as a queryset (not PostgreSQL)
            return compiled
        with self._cursor as cursor:
            rows = cursor.fetchall()
        if compiled.converters:
            rows = [_converted(row, compiled.converters) for row in rows]
        return [_instance(compiled, row) for row in rows]


def fetch_together(*queries: tuple[CompiledQuery[Any], dict[str, Any]]) -> list[list[Any]]:
    """The rows of each ``(query, values)``, run in order in one round trip to the server: on PostgreSQL in
    psycopg's pipeline mode (each statement still sees what the ones before it did, as its own snapshot is taken
    when it starts); elsewhere one after another."""
    db = _db()
    if db.vendor != "postgresql":
        return [query.fetch(**values) for query, values in queries]
    db.ensure_connection()
    with db.wrap_database_errors, db.connection.pipeline():
        sent = [query.send(**values) for query, values in queries]
    return [one.rows() for one in sent]


@contextlib.contextmanager
def together() -> Iterator[None]:
    """Statements sent inside (``send_sql``, ``CompiledQuery.send``) go to the server without waiting for each
    one's answer, in psycopg's pipeline mode as in ``fetch_together``: the server runs one while Python prepares
    the next. Read their rows after the block, where the server's errors are raised. Elsewhere than PostgreSQL
    nothing changes (each statement has run when it is sent)."""
    db = _db()
    if db.vendor != "postgresql":
        yield
        return
    db.ensure_connection()
    with db.wrap_database_errors, db.connection.pipeline():
        yield


def commit_send() -> None:
    """Inside ``together``: send the transaction's COMMIT after the statements sent so far, in the same round trip;
    a statement that fails makes the server skip it (the transaction is rolled back when the error is raised, at
    the block's end). For the outermost ``atomic`` block only, whose exit then finds the transaction over (the
    driver's commit does nothing when none is open). On the driver's connection: Django's cursor would log it as a
    query, and a COMMIT is not one of the caller's statements."""
    connection.connection.execute("COMMIT", prepare=False)


def commit_sent_check() -> None:
    """After ``commit_send``, before the ``atomic`` block ends: nothing ran since. A statement run after the COMMIT
    would open a transaction of its own, which the block's exit commits apart from the writes before it: a
    programming error, raised here (the caller's block then rolls that statement back) rather than left silent."""
    if connection.connection.info.transaction_status != TransactionStatus.IDLE:
        raise RuntimeError("A statement ran after the COMMIT sent with the writes (commit_send).")


class SentSQL:
    """A statement ``send_sql`` ran, whose rows are read later (``rows``), once."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def rows(self) -> list[tuple[Any, ...]]:
        with self._cursor as cursor:
            return list(cursor.fetchall())


def send_sql(sql: str, params: list[Any]) -> SentSQL:
    """Run ``sql`` now and read its rows when ``SentSQL.rows`` is called: inside ``together`` the statement goes
    out without waiting for the server's answer."""
    cursor = _statement_cursor(_db())
    cursor.execute(sql, params)
    return SentSQL(cursor)


def _db() -> Any:
    """The default database's connection (``connection``), looked up once: each of ``connection``'s attributes
    looks it up again in a context-local store (asgiref's ``Local``, a few microseconds each), and a payment posting
    read a dozen of them here."""
    return connections[DEFAULT_DB_ALIAS]


def _statement_cursor(db: Any) -> Any:
    """The cursor ``send`` and ``send_sql`` run a statement on. Inside a pipeline block (``fetch_together``,
    ``together``: the block turns the driver's errors into Django's) and with nothing watching Django's cursors (no
    query log, as tests' query counts keep, no execute wrapper), the driver's cursor as Django makes it
    (``create_cursor``: its time zone) without Django's wrapper, which costs about 20 us a statement (a payment
    posting sends five); elsewhere Django's, and always on SQLite (``send_sql`` runs there too: no pipeline)."""
    driver = db.connection
    if (
        db.vendor != "postgresql"
        or driver is None
        or driver.pgconn.pipeline_status == PipelineStatus.OFF
        or db.queries_logged
        or db.execute_wrappers
    ):
        return db.cursor()
    db.validate_no_broken_transaction()  # as Django's cursor does before each statement
    return db.create_cursor()


def _instance(compiled: _Compiled, row: tuple[Any, ...]) -> Any:
    """The model instance of a row, its related rows and its annotations set as Django's ModelIterable sets them."""
    instance = compiled.model.from_db(DEFAULT_DB_ALIAS, compiled.names, row[: compiled.fields])  # type: ignore[arg-type]  # None: every column, in order (Django accepts it)
    for populator in compiled.related:
        populator.populate(row, instance)
    for name, column in compiled.annotations:
        setattr(instance, name, row[column])
    return instance


def _fetch_converted(sql: str, params: list[Any], converters: tuple[tuple[int, list[Any], Any], ...]) -> list[Any]:
    """Run compiled SQL; its rows with Django's converters applied, as the queryset would have read them."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [_converted(row, converters) for row in rows] if converters else rows


def _converted(row: tuple[Any, ...], converters: tuple[tuple[int, list[Any], Any], ...]) -> tuple[Any, ...]:
    values = list(row)
    for pos, convs, expression in converters:
        for converter in convs:
            values[pos] = converter(values[pos], expression, connection)
    return tuple(values)


# Ids no caller passes (primary keys are positive): where one appears among the compiled parameters, that id goes.
_ID_PLACEHOLDER_BASE = -9_271_828_182_845


@dataclass(frozen=True)
class _CompiledValues:
    sql: str
    params: tuple[tuple[int | str | None, Any], ...]  # (the index of the id or the name of the value to put there,
    # or None: the compiled value)
    names: tuple[str, ...]
    converters: tuple[tuple[int, list[Any], Any], ...]


class CompiledRowsByIds:
    """A ``values()`` queryset of the rows with given ids, compiled once per number of ids, for a page of rows
    whose figures take a long queryset to build (a page has its page size of ids, a short last page fewer).

    ``build(ids)`` returns the queryset, filtering ``pk__in=ids``. ``fetch(ids)`` puts the ids in their places in
    the compiled parameters and reads dicts as ``values()`` does (its names, Django's converters). Every other value
    in the queryset is compiled in once for the process: ``build`` must not read one that changes between calls
    (today's date, a setting changed at run time). On PostgreSQL only; elsewhere (SQLite in development) the
    queryset is evaluated as usual.

    ``kinds`` names other values that change between calls (int, str or date, as ``CompiledQuery``'s):
    ``build(ids, **values)`` and ``fetch(ids, **values)`` take them, and they go in their places as the ids do.
    """

    def __init__(self, build: Callable[..., models.QuerySet[Any]], **kinds: type) -> None:
        self._build = build
        self._kinds = kinds
        self._by_count: dict[int, _CompiledValues] = {}
        self._lock = threading.Lock()

    def fetch(self, ids: list[int], **values: Any) -> list[dict[str, Any]]:
        if not ids:  # no rows (an empty page): the queryset is not even built, its subqueries cost more than the page
            return []
        if connection.vendor != "postgresql":
            return list(self._build(ids, **values))
        compiled = self._by_count.get(len(ids)) or self._compile(len(ids))
        params = [
            value if slot is None else ids[slot] if isinstance(slot, int) else values[slot]
            for slot, value in compiled.params
        ]
        rows = _fetch_converted(compiled.sql, params, compiled.converters)
        return [dict(zip(compiled.names, row, strict=True)) for row in rows]

    def _compile(self, count: int) -> _CompiledValues:
        with self._lock:
            if count not in self._by_count:
                self._by_count[count] = self._compiled_now(count)
            return self._by_count[count]

    def _compiled_now(self, count: int) -> _CompiledValues:
        slots = {_ID_PLACEHOLDER_BASE - slot: slot for slot in range(count)}
        placeholders = _placeholders(self._kinds)
        queryset = self._build(list(slots), **placeholders)
        query = queryset.query
        compiler = query.get_compiler(connection=connection)
        sql, compiled_params = compiler.as_sql()
        named, missing = _placed(compiled_params, placeholders)
        params = [(slots.get(value) if type(value) is int and name is None else name, value) for name, value in named]
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
        found = {slot for slot, _ in params if isinstance(slot, int)}
        if len(found) != count or missing or len(names) != len(compiler.select):
            name = queryset.model.__name__
            raise ValueError(
                f"{name}: cannot be compiled once (not every id or value {missing} in the SQL, or not a values() query)"
            )
        converters = compiler.get_converters([col for col, _, _ in compiler.select])
        return _CompiledValues(
            sql=sql,
            params=tuple(params),
            names=names,
            converters=tuple((pos, convs, expression) for pos, (convs, expression) in converters.items()),
        )


class CompiledPrefetch(Generic[M]):
    """``prefetch_related_objects(instances, Prefetch(<the reverse of field>, queryset=rows(), to_attr=to_attr))``
    compiled once per number of instances (a page has its page size of them, a short last page fewer), up to
    ``most`` numbers; more instances are prefetched as Django does. ``rows()`` is the related model's queryset
    (filters, ``select_related``, ``only``, its order); ``field`` the foreign key to the instances. As Django's
    prefetch: each instance gets the list of its rows in the queryset's order, each row the instance as its foreign
    key's value, no query for no instances. On PostgreSQL only; elsewhere Django prefetches."""

    def __init__(self, rows: Callable[[], models.QuerySet[M]], field: str, to_attr: str, *, most: int = 64) -> None:
        self._rows = rows
        self._field = field
        self._to_attr = to_attr
        self._most = most
        self._by_count: dict[int, CompiledQuery[M]] = {}
        self._lock = threading.Lock()

    def attach(self, instances: list[Any]) -> None:
        if not instances:
            return
        ids = list(dict.fromkeys(instance.pk for instance in instances))  # Django's IN list: in order, once each
        query = self._query(len(ids)) if connection.vendor == "postgresql" else None
        field: Any = self._rows().model._meta.get_field(self._field)
        if query is None:  # not PostgreSQL, or more numbers of instances than kept: Django's prefetch
            related = field.remote_field.get_accessor_name()
            prefetch = models.Prefetch(related, queryset=self._rows(), to_attr=self._to_attr)
            models.prefetch_related_objects(instances, prefetch)
            return
        owners = {instance.pk: instance for instance in instances}
        rows: dict[Any, list[M]] = {pk: [] for pk in ids}
        for row in query.fetch(**{f"id{n}": pk for n, pk in enumerate(ids)}):
            pk = getattr(row, field.attname)
            field.set_cached_value(row, owners[pk])  # the row's foreign key is its instance, as Django sets it
            rows[pk].append(row)
        for instance in instances:
            setattr(instance, self._to_attr, rows[instance.pk])

    def _query(self, count: int) -> CompiledQuery[M] | None:
        query = self._by_count.get(count)
        if query is None and len(self._by_count) < self._most:
            names = [f"id{n}" for n in range(count)]
            with self._lock:
                query = self._by_count.setdefault(
                    count,
                    CompiledQuery(
                        lambda **values: self._rows().filter(**{f"{self._field}__in": [values[n] for n in names]}),
                        **dict.fromkeys(names, int),
                    ),
                )
        return query


class CompiledValues:
    """A ``values_list()`` queryset, ``build(**values)``, compiled once per process and run again with other values:
    ``fetch`` returns its rows as tuples, Django's converters applied. The same values as ``CompiledQuery``; on
    PostgreSQL only, elsewhere the queryset is evaluated."""

    def __init__(self, build: Callable[..., models.QuerySet[Any, Any]], **kinds: type) -> None:
        self._build = build
        self._kinds = kinds
        self._compiled: _ValuesList | None = None
        self._lock = threading.Lock()

    def fetch(self, **values: Any) -> list[tuple[Any, ...]]:
        if connection.vendor != "postgresql":
            return [tuple(row) for row in self._build(**values)]
        sql, compiled, converters = self._compiled or self._compile()
        return _fetch_converted(sql, [value if name is None else values[name] for name, value in compiled], converters)

    def _compile(self) -> _ValuesList:
        with self._lock:
            if self._compiled is None:
                self._compiled = _compiled_values_list(self._build(**_placeholders(self._kinds)), self._kinds)
            return self._compiled


_ValuesList = tuple[str, tuple[tuple[str | None, Any], ...], tuple[tuple[int, list[Any], Any], ...]]


def _compiled_values_list(queryset: models.QuerySet[Any, Any], kinds: dict[str, type]) -> _ValuesList:
    """The SQL of a ``values_list()`` queryset built with placeholders, where each value goes, its converters."""
    name, query = queryset.model.__name__, queryset.query
    if queryset._iterable_class is not ValuesListIterable:
        raise ValueError(f"{name}: not a values_list() query (flat ones neither)")
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    named: tuple[str, ...] = getattr(queryset, "_fields", ())  # values_list()'s names (not in the stubs)
    fields = [*named, *(n for n in query.annotation_select if n not in named)]
    if named and fields != names:  # values_list() would reorder the columns: not done here
        raise ValueError(f"{name}: its columns are not in the order values_list() names them")
    compiler = query.get_compiler(connection=connection)
    sql, compiled = compiler.as_sql()
    params, missing = _placed(compiled, _placeholders(kinds))
    if missing:
        raise ValueError(f"{name}: cannot be compiled once (values {missing} not in the SQL)")
    converters = compiler.get_converters([col for col, _, _ in compiler.select])
    return sql, tuple(params), tuple((pos, *pair) for pos, pair in converters.items())
