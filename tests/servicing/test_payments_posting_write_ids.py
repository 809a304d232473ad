"""The ids a posting takes with the loan's lock (servicing.services.posting_write, issue 15): the next values of the
entry's and the transaction's sequences, which the posting's entry and transaction then carry.

The lock's query is compiled once per process (lending.core.compiled): each test here compiles it afresh, so the
query is built from ``_next_id`` as the module now has it (mutation testing forks its workers from a process that
compiled it already, and a changed ``_next_id`` would otherwise never run)."""

from decimal import Decimal

import pytest
from django.db import connection, transaction

from servicing.models import JournalEntry, LoanTransaction
from servicing.services import payments, posting_write
from servicing.services.posting_write import PostingIds, loan_lock_posting
from tests.servicing.factories import boarded_loan
from tests.servicing.test_payments import TODAY, _pay

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


@pytest.fixture(autouse=True)
def _compiled_afresh(monkeypatch):
    monkeypatch.setattr(posting_write._LOAN_LOCK_GENERIC, "_compiled", None)


def _last_taken(model) -> int:
    """The value ``nextval`` last gave in this session for ``model``'s id sequence."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT currval(pg_get_serial_sequence(%s, 'id'))", [model._meta.db_table])
        return cursor.fetchone()[0]


def test_the_lock_takes_the_next_entry_id_and_the_next_transaction_id_from_their_sequences():
    loan = boarded_loan()
    with transaction.atomic():
        locked, rows, ids = loan_lock_posting(loan)
        assert (locked.pk, rows) == (loan.pk, [])
        assert ids == PostingIds(entry=_last_taken(JournalEntry), transaction=_last_taken(LoanTransaction))
        assert type(ids.entry) is int
        assert type(ids.transaction) is int
        again = loan_lock_posting(loan)[2]
        assert again == PostingIds(entry=ids.entry + 1, transaction=ids.transaction + 1)


def test_a_posting_written_together_carries_the_ids_the_lock_took():
    loan = boarded_loan()
    txn = _pay(loan, "500.00", "ids")  # paid within the first installment: no prepayment, written together
    assert txn.pk == _last_taken(LoanTransaction)
    assert txn.journal_entry_id == _last_taken(JournalEntry)
    stored = LoanTransaction.objects.get(pk=txn.pk)
    assert (stored.journal_entry_id, stored.amount) == (txn.journal_entry_id, Decimal("500.00"))
    assert JournalEntry.objects.get(pk=txn.journal_entry_id).kind == JournalEntry.Kind.PAYMENT
