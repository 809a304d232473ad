"""A ``CompiledQuery`` gives the rows its queryset gives, for any values, and refuses a queryset it cannot run
again with other values (a value the SQL does not carry as given, or not whole rows); audit rows written in bulk
are the rows ``audit_record`` writes."""

from datetime import date

import pytest
from django.core.paginator import Paginator
from django.db import DataError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import CharField, Count, F, Prefetch, Value, prefetch_related_objects
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Upper
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from psycopg import pq

from lending.core.compiled import (
    CompiledCount,
    CompiledIds,
    CompiledPages,
    CompiledPrefetch,
    CompiledQuery,
    CompiledRowsByIds,
    CompiledValues,
    _statement_cursor,
    fetch_together,
    send_sql,
    together,
)
from lending.core.models import AuditEvent, User
from lending.core.pagination import CappedPaginator
from lending.core.services import audit_event, audit_record_many
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db


def _by_name(first_name: str, joined_after: date):
    return User.objects.filter(first_name=first_name, date_joined__date__gte=joined_after).order_by("pk")


def test_the_rows_are_the_querysets_rows_for_each_value():
    ann, bob, ann_too = UserFactory(first_name="Ann"), UserFactory(first_name="Bob"), UserFactory(first_name="Ann")
    query = CompiledQuery(_by_name, first_name=str, joined_after=date)
    for name, expected in (("Ann", [ann, ann_too]), ("Bob", [bob]), ("Cy", [])):
        found = query.fetch(first_name=name, joined_after=date(2000, 1, 1))
        assert found == expected
        assert [(u.email, u.date_joined, u.is_active) for u in found] == [
            (u.email, u.date_joined, u.is_active) for u in expected
        ]
    assert query.fetch(first_name="Ann", joined_after=date(9999, 1, 1)) == []


@pytest.mark.postgres
def test_a_value_the_sql_does_not_carry_as_given_is_refused():
    UserFactory(first_name="Ann")
    contains = CompiledQuery(lambda part: User.objects.filter(first_name__contains=part), part=str)
    with pytest.raises(ValueError, match="cannot be compiled once"):
        contains.fetch(part="An")  # the SQL carries '%An%', not the value
    names = CompiledQuery(lambda pk: User.objects.filter(pk=pk).values("email"), pk=int)
    with pytest.raises(ValueError, match="not model rows"):
        names.fetch(pk=1)


def _labelled(pk: int):
    label = Concat(F("first_name"), Value(" <"), F("email"), Value(">"), output_field=CharField())
    return User.objects.annotate(label=label, shout=Upper("first_name")).filter(pk=pk)


def test_annotations_are_set_on_each_row_as_the_queryset_sets_them():
    ann, bob = UserFactory(first_name="Ann", email="ann@lending.test"), UserFactory(first_name="Bob")
    query = CompiledQuery(_labelled, pk=int)
    for user in (ann, bob):
        (found,) = query.fetch(pk=user.pk)
        (expected,) = _labelled(user.pk)
        assert (found.pk, found.email, found.label, found.shout) == (
            user.pk,
            user.email,
            expected.label,
            expected.shout,
        )
    (found,) = query.fetch(pk=ann.pk)
    assert (found.label, found.shout) == ("Ann <ann@lending.test>", "ANN")
    assert query.fetch(pk=10**9) == []


def _with_actor(verb: str):
    rows = AuditEvent.objects.filter(verb=verb).select_related("actor", "target_type").annotate(shout=Upper("note"))
    return rows.order_by("pk")


def test_related_rows_and_annotations_are_set_as_the_queryset_sets_them():
    ann = UserFactory(first_name="Ann", email="ann@lending.test")
    by_ann, by_nobody, other = audit_record_many(
        [
            audit_event(actor=ann, verb="thing.done", target=ann, note="first"),
            audit_event(actor=None, verb="thing.done", note="second"),
            audit_event(actor=ann, verb="other.done", note="third"),
        ]
    )
    query = CompiledQuery(_with_actor, verb=str)
    found = query.fetch(verb="thing.done")
    assert found == [by_ann, by_nobody]
    with_ann, with_nobody = found
    assert (with_ann.actor.pk, with_ann.actor.email, with_ann.actor.first_name) == (ann.pk, "ann@lending.test", "Ann")
    assert (with_ann.target_type.app_label, with_ann.target_type.model) == ("core", "user")
    assert (with_ann.shout, with_nobody.shout) == ("FIRST", "SECOND")
    assert (with_nobody.actor, with_nobody.target_type) == (None, None)
    with CaptureQueriesContext(connection) as queries:  # the related rows came with the row: no query to read them
        assert (with_ann.actor.email, with_nobody.actor) == ("ann@lending.test", None)
    assert len(queries) == 0
    (third,) = query.fetch(verb="other.done")
    assert (third.pk, third.actor.email, third.shout) == (other.pk, "ann@lending.test", "THIRD")


def _deferred(first_name: str):
    rows = User.objects.filter(first_name=first_name).defer("password", "last_login")
    return rows.annotate(shout=Upper("email")).order_by("pk")


@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_deferred_fields_stay_deferred_as_the_queryset_leaves_them(vendor, monkeypatch):
    ann, bob = UserFactory(first_name="Ann", email="ann@lending.test"), UserFactory(first_name="Bob")
    query = CompiledQuery(_deferred, first_name=str)
    query.fetch(first_name="Cy")  # compiled on PostgreSQL before the vendor may be changed
    monkeypatch.setattr(connection, "vendor", vendor)
    (found,) = query.fetch(first_name="Ann")
    (expected,) = _deferred("Ann")
    assert found.get_deferred_fields() == expected.get_deferred_fields() == {"password", "last_login"}
    assert (found.pk, found.email, found.first_name, found.date_joined, found.shout) == (
        ann.pk,
        "ann@lending.test",
        "Ann",
        ann.date_joined,
        "ANN@LENDING.TEST",
    )
    with CaptureQueriesContext(connection) as queries:  # a deferred field is read when asked for, as Django does
        assert found.password == ann.password
    assert len(queries) == 1
    assert [u.pk for u in query.fetch(first_name="Bob")] == [bob.pk]


@pytest.mark.postgres
def test_a_queryset_with_extra_columns_is_refused():
    extra = CompiledQuery(lambda pk: User.objects.filter(pk=pk).extra(select={"one": "1"}), pk=int)
    with pytest.raises(ValueError, match="not model rows"):
        extra.fetch(pk=1)


def _named(ids: list[int]):
    rows = User.objects.filter(pk__in=ids).annotate(
        label=Concat(F("first_name"), Value(" <"), F("email"), Value(">"), output_field=CharField())
    )
    return rows.order_by("-pk").values("id", "first_name", "date_joined", "label")


def test_rows_by_ids_are_the_values_rows_for_any_ids_and_any_number_of_them():
    ann, bob, cy = UserFactory(first_name="Ann"), UserFactory(first_name="Bob"), UserFactory(first_name="Cy")
    query = CompiledRowsByIds(_named)
    for ids in ([ann.pk, cy.pk], [bob.pk, ann.pk], [bob.pk], [cy.pk, bob.pk, ann.pk], [ann.pk, 10**9]):
        found = query.fetch(ids)
        assert found == list(_named(ids))  # the same dicts, keys and converted values, in the queryset's order
        assert [row["first_name"] for row in found] == [
            u.first_name for u in sorted((ann, bob, cy), key=lambda u: -u.pk) if u.pk in ids
        ]
    assert found[0]["label"] == f"Ann <{ann.email}>"
    assert found[0]["date_joined"] == ann.date_joined
    assert query.fetch([]) == []


def test_rows_by_no_ids_are_none_and_build_no_queryset():
    def build(ids: list[int]):
        raise AssertionError("built")

    with CaptureQueriesContext(connection) as queries:
        assert CompiledRowsByIds(build).fetch([]) == []
    assert len(queries) == 0


@pytest.mark.postgres
def test_rows_by_ids_refuse_a_query_that_is_not_values_or_does_not_carry_the_ids():
    user = UserFactory()
    with pytest.raises(ValueError, match="cannot be compiled once"):
        CompiledRowsByIds(lambda ids: User.objects.filter(pk__in=ids)).fetch([user.pk])  # model rows, not values
    with pytest.raises(ValueError, match="cannot be compiled once"):
        CompiledRowsByIds(lambda ids: User.objects.filter(pk__gt=0).values("id")).fetch([user.pk])  # no ids


def _named_since(ids: list[int], first_name: str, joined_after: date, most: int):
    return _named(ids).filter(first_name=first_name, date_joined__date__gte=joined_after, pk__lte=most)


def test_rows_by_ids_put_other_values_in_their_places_too():
    ann, bob, ann_too = UserFactory(first_name="Ann"), UserFactory(first_name="Bob"), UserFactory(first_name="Ann")
    query = CompiledRowsByIds(_named_since, first_name=str, joined_after=date, most=int)
    every = [ann.pk, bob.pk, ann_too.pk]
    for ids, name, since, most in (
        (every, "Ann", date(2000, 1, 1), 10**9),
        (every, "Bob", date(2000, 1, 1), 10**9),
        (every, "Ann", date(2000, 1, 1), ann.pk),  # the int value apart from the ids
        (every, "Ann", date(3000, 1, 1), 10**9),  # none joined since
        ([bob.pk, ann.pk, 10**9], "Ann", date(2000, 1, 1), 10**9),  # the same number of ids, others
    ):
        values = {"first_name": name, "joined_after": since, "most": most}
        assert query.fetch(ids, **values) == list(_named_since(ids, **values))
    assert [row["id"] for row in query.fetch(every, first_name="Ann", joined_after=date(2000, 1, 1), most=10**9)] == [
        ann_too.pk,
        ann.pk,
    ]


@pytest.mark.postgres
def test_rows_by_ids_refuse_a_value_the_sql_does_not_carry():
    user = UserFactory()
    query = CompiledRowsByIds(lambda ids, name: User.objects.filter(pk__in=ids).values("id"), name=str)
    with pytest.raises(ValueError, match="cannot be compiled once"):
        query.fetch([user.pk], name="Ann")


def test_queries_fetched_together_give_each_querys_own_rows_in_order():
    ann, bob, ann_too = UserFactory(first_name="Ann"), UserFactory(first_name="Bob"), UserFactory(first_name="Ann")
    by_name = CompiledQuery(_by_name, first_name=str, joined_after=date)
    labelled = CompiledQuery(_labelled, pk=int)
    since = date(2000, 1, 1)
    found = fetch_together(
        (by_name, {"first_name": "Ann", "joined_after": since}),
        (labelled, {"pk": bob.pk}),
        (by_name, {"first_name": "Cy", "joined_after": since}),
        (by_name, {"first_name": "Bob", "joined_after": since}),
    )
    assert found == [[ann, ann_too], [bob], [], [bob]]
    assert [(u.email, u.date_joined) for u in found[0]] == [
        (ann.email, ann.date_joined),
        (ann_too.email, ann_too.date_joined),
    ]
    assert found[1][0].label == f"Bob <{bob.email}>"
    assert fetch_together() == []


@pytest.mark.postgres
def test_queries_fetched_together_go_to_the_server_in_one_pipeline_and_an_error_is_djangos():
    ann = UserFactory(first_name="Ann")
    by_name = CompiledQuery(_by_name, first_name=str, joined_after=date)
    modes = []

    def record(execute, sql, params, many, context):
        modes.append(connection.connection.pgconn.pipeline_status)
        return execute(sql, params, many, context)

    values = {"first_name": "Ann", "joined_after": date(2000, 1, 1)}
    with connection.execute_wrapper(record):
        assert fetch_together((by_name, values), (by_name, values)) == [[ann], [ann]]
    assert modes == [pq.PipelineStatus.ON, pq.PipelineStatus.ON]
    assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF
    broken = CompiledQuery(lambda pk: User.objects.filter(pk=pk).annotate(boom=RawSQL("1 / 0", ())), pk=int)
    with pytest.raises(DataError, match="division by zero"), transaction.atomic():
        fetch_together((by_name, values), (broken, {"pk": ann.pk}))
    assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF


@pytest.mark.postgres
def test_statements_in_a_pipeline_go_on_the_drivers_cursor_unless_djangos_is_watched_and_errors_stay_djangos():
    ann = UserFactory(first_name="Ann")
    by_name = CompiledQuery(_by_name, first_name=str, joined_after=date)
    values = {"first_name": "Ann", "joined_after": date(2000, 1, 1)}
    assert isinstance(send_sql("SELECT 1", [])._cursor, CursorWrapper)  # outside a pipeline: Django's cursor
    with transaction.atomic():
        with together():
            driver = send_sql("SELECT 1", [])
            with CaptureQueriesContext(connection) as queries:  # a query log (tests' counts) sees every statement
                logged = send_sql("SELECT 2", [])
            sent = by_name.send(**values)
        assert not isinstance(driver._cursor, CursorWrapper)
        assert isinstance(logged._cursor, CursorWrapper)
        assert [q["sql"] for q in queries] == ["SELECT 2"]
        assert (driver.rows(), logged.rows(), sent.rows()) == ([(1,)], [(2,)], [ann])
    broken = CompiledQuery(lambda pk: User.objects.filter(pk=pk).annotate(boom=RawSQL("1 / 0", ())), pk=int)
    with pytest.raises(DataError, match="division by zero"), transaction.atomic():  # Django's error, not psycopg's
        fetch_together((by_name, values), (broken, {"pk": ann.pk}))
    with transaction.atomic():
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError), together():  # refused in a broken transaction, as Django does
            send_sql("SELECT 1", [])
    assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF


class _SQLiteLike:
    """What ``_statement_cursor`` reads of a connection that is not PostgreSQL's: its driver has no ``pgconn``."""

    vendor = "sqlite"
    connection = object()
    queries_logged = False
    execute_wrappers: list[object] = []

    def cursor(self):
        return "Django's cursor"


def test_a_statement_off_postgresql_goes_on_djangos_cursor_even_inside_together():
    assert _statement_cursor(_SQLiteLike()) == "Django's cursor"  # no pgconn asked of sqlite3's connection
    with transaction.atomic(), together():  # make run's demo seed posts payments this way on SQLite
        sent = send_sql("SELECT 1", [])
    assert sent.rows() == [(1,)]


def test_audit_rows_written_in_bulk_are_those_audit_record_writes():
    actor = UserFactory()
    events = [
        audit_event(actor=actor, verb="thing.done", target=actor, after={"n": n, "amount": "1.50"}, note=f"#{n}")
        for n in range(3)
    ]
    written = audit_record_many(events)
    assert [e.pk for e in written] == sorted(e.pk for e in written)
    stored = list(AuditEvent.objects.filter(verb="thing.done").order_by("pk"))
    assert [(e.pk, e.actor_id, e.target_id, e.after, e.before, e.note) for e in stored] == [
        (e.pk, actor.pk, str(actor.pk), {"n": n, "amount": "1.50"}, {}, f"#{n}") for n, e in enumerate(written)
    ]
    assert audit_record_many([]) == []


def _by_full_name(first_name: str, last_name: str, joined_after: date):
    return User.objects.filter(first_name=first_name, last_name=last_name, date_joined__date__gte=joined_after)


@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_a_compiled_count_is_the_querysets_count_for_each_value(vendor, monkeypatch):
    if vendor == "postgresql" and connection.vendor != "postgresql":
        pytest.skip("compiled on PostgreSQL only")
    if vendor == "other":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    UserFactory(first_name="Ann", last_name="Lee"), UserFactory(first_name="Ann", last_name="Lee")
    UserFactory(first_name="Lee", last_name="Ann")
    count = CompiledCount(_by_full_name, first_name=str, last_name=str, joined_after=date)
    for first, last, expected in (
        ("Ann", "Lee", 2),
        ("Lee", "Ann", 1),
        ("Ann", "Ann", 0),
    ):  # two texts, each in its place
        assert count.count(first_name=first, last_name=last, joined_after=date(2000, 1, 1)) == expected
    assert count.count(first_name="Ann", last_name="Lee", joined_after=date(9999, 1, 1)) == 0


@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_compiled_ids_are_the_querysets_slice_in_its_order_for_each_value(vendor, monkeypatch):
    if vendor == "postgresql" and connection.vendor != "postgresql":
        pytest.skip("compiled on PostgreSQL only")
    if vendor == "other":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    users = [UserFactory(first_name="Ann", last_name=name) for name in ("Cole", "Abel", "Bell", "Abel")]
    UserFactory(first_name="Bob", last_name="Abel")
    ids = CompiledIds(
        lambda first_name: User.objects.filter(first_name=first_name).order_by("last_name", "-pk"), first_name=str
    )
    ordered = [users[3].pk, users[1].pk, users[2].pk, users[0].pk]
    for start, stop in ((0, 2), (1, 4), (2, 10), (4, 6)):  # the second and later slices from the SQL compiled once
        assert ids.slice(start, stop, first_name="Ann") == ordered[start:stop]
    assert ids.slice(0, 5, first_name="Cy") == []


@pytest.mark.postgres
def test_compiled_ids_refuse_a_sliced_queryset():
    ids = CompiledIds(lambda first_name: User.objects.filter(first_name=first_name).order_by("pk")[:5], first_name=str)
    with pytest.raises(ValueError, match="sliced"):
        ids.slice(0, 2, first_name="Ann")


@pytest.mark.postgres
def test_a_count_whose_value_the_sql_does_not_carry_is_refused():
    count = CompiledCount(lambda part: User.objects.filter(first_name__contains=part), part=str)
    with pytest.raises(ValueError, match="cannot be compiled once"):
        count.count(part="An")  # the SQL carries '%An%', not the value


@pytest.mark.postgres
def test_a_query_that_fails_to_compile_among_queries_fetched_together_raises_and_leaves_the_connection_usable():
    """The error of a query's own Python (here its build) surfaces from inside the pipeline, after a statement went
    out: the pipeline is left, nothing hangs, and the connection still answers."""
    ann = UserFactory(first_name="Ann")
    by_name = CompiledQuery(_by_name, first_name=str, joined_after=date)

    def build(pk):
        raise RuntimeError("no queryset for you")

    failing = CompiledQuery(build, pk=int)
    values = {"first_name": "Ann", "joined_after": date(2000, 1, 1)}
    with pytest.raises(RuntimeError, match="no queryset for you"):
        fetch_together((by_name, values), (failing, {"pk": ann.pk}))
    assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF
    assert by_name.fetch(**values) == [ann]


@pytest.mark.postgres
def test_an_error_raised_in_python_inside_together_after_a_statement_went_out_leaves_the_pipeline():
    def send_then_fail():
        with transaction.atomic(), together():
            send_sql("SELECT 1", [])
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        send_then_fail()
    assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF
    with connection.cursor() as cursor:
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)


def _first_named(first_name: str):
    return User.objects.filter(first_name=first_name).order_by("email")


def test_compiled_pages_are_the_querysets_pages_in_as_many_queries():
    for n in range(7):
        UserFactory(first_name="Ann", email=f"ann{n}@lending.test")
    UserFactory(first_name="Bob")
    pages = CompiledPages(_first_named, windows=2, first_name=str)
    for name in ("Ann", "Bob", "Cy", "Ann"):  # Ann's third page and Bob's only one: beyond the two windows kept
        expected = Paginator(_first_named(name), 3)
        for number in expected.page_range:
            compiled = Paginator(pages.rows(first_name=name), 3)
            with CaptureQueriesContext(connection) as queries:
                rows = list(compiled.page(number))
            assert rows == list(expected.page(number))
            assert [u.email for u in rows] == [u.email for u in expected.page(number)]
            assert (compiled.count, len(queries)) == (expected.count, 2 if expected.count else 1)
    ann = pages.rows(first_name="Ann")
    assert (len(ann), list(ann), ann[1]) == (7, list(_first_named("Ann")), _first_named("Ann")[1])
    assert ann.count_up_to(4) == 4
    capped = CappedPaginator(pages.rows(first_name="Ann"), 3, max_rows=3)
    assert (capped.total, capped.count, capped.capped) == (4, 3, True)
    assert list(capped.page(1)) == list(_first_named("Ann")[:3])


def _done_events():
    return (
        AuditEvent.objects.filter(verb="thing.done")
        .select_related("target_type")
        .only("actor", "note", "target_type__model")
        .order_by("-id")
    )


@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_compiled_prefetch_gives_each_instance_the_rows_djangos_prefetch_gives_in_one_query(vendor, monkeypatch):
    monkeypatch.setattr(connection, "vendor", vendor)
    users = [UserFactory(email=f"u{n}@lending.test") for n in range(4)]
    audit_record_many(
        [
            audit_event(actor=users[n % 3], verb=verb, target=users[n % 2], note=f"n{n}")
            for n in range(9)
            for verb in ("thing.done", "other.done")
        ]
    )
    prefetch = CompiledPrefetch(_done_events, "actor", "done", most=2)
    for picked in ([0, 1], [0, 1, 2, 3], [2, 1], [3], [1, 2, 3]):  # the last two: beyond the two numbers kept
        some = [User.objects.get(pk=users[n].pk) for n in picked]  # read again: Django skips instances prefetched
        expected = [User.objects.get(pk=users[n].pk) for n in picked]
        prefetch_related_objects(expected, Prefetch("audit_events", queryset=_done_events(), to_attr="done"))
        with CaptureQueriesContext(connection) as queries:
            prefetch.attach(some)
        assert len(queries) == 1
        for user, django in zip(some, expected, strict=True):
            assert [(e.pk, e.note, e.target_type.model, e.get_deferred_fields()) for e in user.done] == [
                (e.pk, e.note, e.target_type.model, e.get_deferred_fields()) for e in django.done
            ]
            with CaptureQueriesContext(connection) as queries:  # each row's actor is its instance, as Django sets it
                assert all(event.actor is user for event in user.done)
            assert len(queries) == 0
    assert [len(user.done) for user in some] == [3, 3, 0]
    with CaptureQueriesContext(connection) as queries:
        prefetch.attach([])
    assert len(queries) == 0


def _names_counted(joined_after: date):
    return (
        User.objects.filter(date_joined__date__gte=joined_after)
        .order_by("first_name")
        .values_list("first_name")
        .annotate(n=Count("*"))
    )


@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_compiled_values_are_the_values_list_rows_for_each_value(vendor, monkeypatch):
    for name in ("Ann", "Ann", "Bob"):
        UserFactory(first_name=name)
    values = CompiledValues(_names_counted, joined_after=date)
    values.fetch(joined_after=date(2000, 1, 1))  # compiled on PostgreSQL before the vendor may be changed
    monkeypatch.setattr(connection, "vendor", vendor)
    for day in (date(2000, 1, 1), date(2999, 1, 1)):
        assert values.fetch(joined_after=day) == list(_names_counted(day))
    assert values.fetch(joined_after=date(2000, 1, 1)) == [("Ann", 2), ("Bob", 1)]


def test_compiled_values_refuse_model_rows_flat_lists_and_reordered_columns():
    for build in (
        lambda: User.objects.all(),
        lambda: User.objects.values_list("pk", flat=True),
        lambda: User.objects.annotate(n=Count("*")).values_list("n", "first_name"),
    ):
        with pytest.raises(ValueError, match="values_list"):
            CompiledValues(build).fetch()


def test_compiled_id_rows_are_the_querysets_pks_a_page_at_a_time():
    for _ in range(7):
        UserFactory(first_name="Ann")
    ids = CompiledIds(_first_named, first_name=str)
    rows, expected = ids.rows(first_name="Ann"), Paginator(_first_named("Ann").values_list("pk", flat=True), 3)
    paged = CappedPaginator(rows, 3, max_rows=6)
    assert [list(paged.page(n)) for n in (1, 2)] == [list(expected.page(n)) for n in (1, 2)]
    assert (paged.total, paged.capped, rows.count()) == (7, True, 7)
    assert (rows[0:None], rows[4:4]) == (list(_first_named("Ann").values_list("pk", flat=True)), [])
