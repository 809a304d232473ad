"""``__any`` (membership as one array parameter) and the bulk row writers, on whichever database runs the suite."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models.functions import Upper
from django.test.utils import CaptureQueriesContext

from lending.core.bulk import bulk_insert_rows, bulk_update_rows, rows_also
from lending.core.models import User
from servicing.models import ImportBatch, ImportLine, JournalEntry, JournalLine, LedgerAccount
from tests.core.factories import user_with_role

pytestmark = pytest.mark.django_db


def test_any_matches_exactly_the_listed_keys_and_nothing_for_an_empty_list():
    users = [user_with_role("servicer") for _ in range(3)]
    wanted = [users[0].pk, users[2].pk]
    assert sorted(User.objects.filter(pk__any=wanted).values_list("pk", flat=True)) == sorted(wanted)
    assert list(User.objects.filter(pk__any=[])) == []


def test_any_sends_the_list_as_one_parameter_on_postgresql():
    with CaptureQueriesContext(connection) as queries:
        list(User.objects.filter(pk__any=list(range(1, 501))))
    sql = queries.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql
    else:
        assert sql.count(",") >= 499


def test_insert_rows_returns_keys_in_order_and_update_rows_writes_each_rows_own_values():
    cash = LedgerAccount.objects.get(code="cash")
    income = LedgerAccount.objects.get(code="interest_income")
    ids = bulk_insert_rows(
        JournalEntry,
        ["effective_date", "posted_at", "kind", "memo", "created_by"],
        [(date(2026, 12, 3), "2026-12-04T01:00:00+00:00", "adjustment", f"entry {n}", None) for n in range(3)],
        returning_pk=True,
    )
    assert [JournalEntry.objects.get(pk=pk).memo for pk in ids] == ["entry 0", "entry 1", "entry 2"]
    bulk_insert_rows(
        JournalLine,
        ["entry", "account", "loan", "debit", "credit"],
        [
            row
            for pk in ids
            for row in ((pk, cash.pk, None, Decimal("1.25"), Decimal("0")), (pk, income.pk, None, 0, Decimal("1.25")))
        ],
    )
    assert JournalLine.objects.filter(entry_id__any=ids).count() == 6
    users = [user_with_role("servicer") for _ in range(2)]
    with pytest.raises(TypeError, match="a float for a decimal column"):
        bulk_insert_rows(JournalLine, ["entry", "account", "debit", "credit"], [(ids[0], cash.pk, 1.25, 0)])
    users[0].first_name, users[1].first_name = "Ada", "Grace"
    bulk_update_rows(User, users, ["first_name"])
    assert [User.objects.get(pk=u.pk).first_name for u in users] == ["Ada", "Grace"]


def test_inserted_rows_read_back_exactly_as_given_on_either_database():
    """Without keys asked for, SQLite takes the rows through the driver's executemany: dates, datetimes in another
    time zone, cents, a whole-number amount and a NULL come back as the ORM would have written them."""
    cash = LedgerAccount.objects.get(code="cash")
    posted = datetime(2026, 12, 4, 20, 30, 15, 250000, tzinfo=ZoneInfo("America/New_York"))
    bulk_insert_rows(
        JournalEntry,
        ["effective_date", "posted_at", "kind", "memo", "created_by"],
        [
            (date(2026, 12, 3), posted, "adjustment", "bulk a", None),
            (date(2026, 11, 30), posted, "adjustment", "bulk b", None),
        ],
    )
    entries = {e.memo: e for e in JournalEntry.objects.filter(memo__startswith="bulk ")}
    assert [entries["bulk a"].effective_date, entries["bulk b"].effective_date] == [
        date(2026, 12, 3),
        date(2026, 11, 30),
    ]
    assert entries["bulk a"].posted_at == datetime(2026, 12, 5, 1, 30, 15, 250000, tzinfo=UTC)
    # Written in UTC, as the ORM compares it: the lookup finds both rows.
    assert JournalEntry.objects.filter(posted_at=posted, memo__startswith="bulk ").count() == 2
    assert entries["bulk a"].created_by_id is None
    income = LedgerAccount.objects.get(code="interest_income")
    entry = entries["bulk a"].pk
    bulk_insert_rows(
        JournalLine,
        ["entry", "account", "loan", "debit", "credit"],
        [
            (entry, cash.pk, None, Decimal("1234.56"), 0),
            (entry, cash.pk, None, 7, 0),
            (entry, income.pk, None, 0, Decimal("1241.56")),
        ],
    )
    lines = JournalLine.objects.filter(entry=entry).order_by("pk")
    assert [(line.debit, line.credit) for line in lines] == [
        (Decimal("1234.56"), Decimal("0.00")),
        (Decimal("7.00"), Decimal("0.00")),
        (Decimal("0.00"), Decimal("1241.56")),
    ]
    bulk_insert_rows(
        JournalLine,
        ["entry", "account", "debit", "credit"],
        [(entries["bulk b"].pk, cash.pk, 1, 0), (entries["bulk b"].pk, income.pk, 0, 1)],
    )


def test_update_rows_also_sets_columns_by_expression_over_each_rows_own_values():
    users = [user_with_role("servicer") for _ in range(2)]
    users[0].first_name, users[1].first_name = "Ada", "Grace"
    with CaptureQueriesContext(connection) as queries:
        bulk_update_rows(User, users, ["first_name"], also=rows_also(User, {"last_name": Upper("email")}))
    assert [(u.first_name, u.last_name) for u in User.objects.filter(pk__any=[u.pk for u in users]).order_by("pk")] == [
        ("Ada", users[0].email.upper()),
        ("Grace", users[1].email.upper()),
    ]
    # One statement on PostgreSQL: the expression rides along with the arrays.
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)


def test_any_on_a_text_column_matches_exactly_the_listed_strings_and_nothing_for_an_empty_list():
    users = [user_with_role("servicer") for _ in range(3)]
    wanted = [users[0].email, users[2].email, "nobody@example.com"]
    found = User.objects.filter(email__any=wanted).values_list("pk", flat=True)
    assert sorted(found) == sorted([users[0].pk, users[2].pk])
    assert list(User.objects.filter(email__any=[])) == []


def test_inserted_json_columns_read_back_as_the_objects_given():
    batch = ImportBatch.objects.create(kind="payment", file_name="a.csv", sha256="0" * 64, line_count=2)
    bulk_insert_rows(
        ImportLine,
        ["batch", "line_number", "raw", "parsed", "status", "message", "loan", "transaction"],
        [
            (batch.pk, 2, {"amount": "1.50", "note": 'say "hi"'}, {}, "valid", "", None, None),
            (batch.pk, 3, {"amount": ""}, {"n": [1, None]}, "error", "amount: required", None, None),
        ],
    )
    assert list(ImportLine.objects.filter(batch=batch).order_by("line_number").values_list("raw", "parsed")) == [
        ({"amount": "1.50", "note": 'say "hi"'}, {}),
        ({"amount": ""}, {"n": [1, None]}),
    ]
