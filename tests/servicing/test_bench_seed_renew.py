"""The fast load's TRUNCATE of empty tables (bench/_seed_load.py ``renew_if_empty``): a new file in the load's
transaction, which ``wal_level = minimal`` fills without WAL; never a table with rows, never one another connection
is loading."""

import pytest
from django.db import connection, transaction

from bench._seed_load import renew_if_empty, set_aside
from servicing.models import JournalLine
from tests.servicing.factories import boarded_loan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _file(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relfilenode FROM pg_class WHERE oid = %s::regclass", [table])
        return cursor.fetchone()[0]


def test_an_empty_table_no_key_refers_to_gets_a_new_file():
    assert not JournalLine.objects.exists()
    before = _file("servicing_journalline")
    with transaction.atomic(), connection.cursor() as cursor:
        assert renew_if_empty(cursor, ["servicing_journalline"]) is True
        assert _file("servicing_journalline") != before
        transaction.set_rollback(True)


def test_the_tables_whose_keys_refer_to_it_are_renewed_with_it():
    with transaction.atomic(), connection.cursor() as cursor:
        before = _file("servicing_allocationline")
        assert renew_if_empty(cursor, ["servicing_installment"]) is True
        assert _file("servicing_allocationline") != before  # its foreign key refers to the installments
        transaction.set_rollback(True)


def test_a_table_whose_referrer_another_connection_loads_is_left_alone():
    before = _file("servicing_installment")
    with transaction.atomic(), connection.cursor() as cursor:
        assert renew_if_empty(cursor, ["servicing_installment"], busy=["servicing_allocationline"]) is False
    assert _file("servicing_installment") == before


def test_a_table_with_rows_is_never_truncated():
    loan = boarded_loan()
    before = _file("servicing_installment")
    with transaction.atomic(), connection.cursor() as cursor:
        assert renew_if_empty(cursor, ["servicing_installment"]) is False
    assert _file("servicing_installment") == before
    assert loan.installments.count() == 360


def test_a_key_set_aside_with_its_referrers_comes_after_their_foreign_keys_and_frees_the_table_to_renew_alone():
    """The installments' primary key, set aside with the foreign keys that refer to it (dropped first): once they
    are dropped, a TRUNCATE of the installments needs no other table, so the allocation lines load on their own."""
    with transaction.atomic(), connection.cursor() as cursor:
        aside = set_aside(cursor, ["servicing_installment"], keys_with_referrers=["servicing_installment"])
        kinds = [(index.table, index.constraint, index.references) for index in aside]
        assert kinds[:7] == [(table, "FOREIGN KEY", "servicing_installment") for table in sorted(REFERRING)]
        assert ("servicing_installment", "PRIMARY KEY", "") in kinds[7:]
        assert len(kinds) == 12  # with the key, the three (loan, due date) indexes and the unique number
        for index in aside:
            cursor.execute(index.drop_sql())
        before = _file("servicing_allocationline")
        assert renew_if_empty(cursor, ["servicing_installment"], busy=["servicing_allocationline"]) is True
        assert _file("servicing_allocationline") == before
        transaction.set_rollback(True)


def test_without_referrers_a_referred_key_stays():
    with connection.cursor() as cursor:
        aside = set_aside(cursor, ["servicing_installment"])
    assert [(index.name, index.constraint) for index in aside] == [
        ("installment_fees_owed_idx", ""),
        ("installment_loan_due_idx", ""),
        ("installment_unique_number", "UNIQUE"),
        ("installment_unpaid_idx", ""),
    ]


REFERRING = (
    "servicing_allocationline",
    "servicing_autopayskippeddraft",
    "servicing_billingrecord",
    "servicing_escrowanalysis",
    "servicing_interestaccrual",
    "servicing_loanfee",
    "servicing_pendingpayment",
)
