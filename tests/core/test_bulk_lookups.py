"""``__any`` (membership as one array parameter) and the bulk row writers, on whichever database runs the suite."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.core.bulk import bulk_insert_rows, bulk_update_rows
from lending.core.models import User
from servicing.models import JournalEntry, JournalLine, LedgerAccount
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
