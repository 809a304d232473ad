"""What ``payment_post`` and ``payment_reverse`` read of the journal entries they reverse (issue 17: the session-11
mutation run left only these): a backdated payment reads the entries of the later payments it takes off in one
statement, and a reversal reads its payment's entry with the payment, so the ledger's lock of each entry is the
only other read of it: a replay costs no query more per payment for its entry."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from django.db import connection

from servicing.models import JournalEntry, LoanTransaction
from servicing.services import payments
from servicing.services.payments import payment_reverse
from tests.servicing.factories import boarded_loan
from tests.servicing.test_payments import TODAY, _assert_books, _pay

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


_BY_ID = 'FROM "servicing_journalentry" WHERE '


@contextmanager
def _entries_read_by_id() -> Iterator[list[set[int]]]:
    """The journal entries read by primary key while inside: one set of ids per statement, in order."""
    reads: list[set[int]] = []

    def record(execute, sql, params, many, context):
        where = sql.partition(_BY_ID)[2].lstrip("(")
        if sql.startswith("SELECT") and where.startswith('"servicing_journalentry"."id"'):
            reads.append(set(params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield reads


def test_a_backdated_payment_reads_the_later_payments_entries_in_one_statement_not_one_each(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2026, 12, 5))
    loan = boarded_loan()
    later = [_pay(loan, "100.00", f"later-{day}", when=date(2026, 12, day)) for day in (3, 5)]
    first, second = (txn.journal_entry_id for txn in later)
    with _entries_read_by_id() as reads:
        _pay(loan, "50.00", "backdated", when=TODAY)
    # Both in one statement with the payments, then the ledger's lock of each as it reverses it (newest first).
    assert reads == [{first, second}, {second}, {first}]
    assert JournalEntry.objects.filter(reverses__in=(first, second)).count() == 2  # both taken off and put back
    _assert_books()


def test_a_reversal_reads_its_payments_entry_with_the_payment():
    loan = boarded_loan()
    txn = _pay(loan, "900.00", "returned")
    with _entries_read_by_id() as reads:
        reversal = payment_reverse(transaction=LoanTransaction.objects.get(pk=txn.pk), reason="NSF", actor=None)
    assert reads == [{txn.journal_entry_id}]  # the ledger's lock of it, as it reverses it: read once
    assert LoanTransaction.objects.get(pk=reversal.pk).journal_entry.reverses_id == txn.journal_entry_id
    _assert_books()
