"""A payment posted in its own transaction sends its COMMIT with its writes (servicing.services.payments, issue 15):
one round trip less. Nothing is checked in Python between the writes and the COMMIT, so the database refuses what
Python checked after the answer before (a line whose account is not active); a COMMIT that fails rolls back every
row; inside a caller's transaction nothing is committed."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from psycopg import pq

from lending.core import compiled
from lending.core.models import AuditEvent
from servicing import selectors
from servicing.models import Installment, JournalEntry, LedgerAccount, LoanAccount, LoanTransaction
from servicing.services import payments
from servicing.services.payments import PaymentError
from servicing.signals import payment_posted
from tests.servicing.factories import boarded_loan
from tests.servicing.test_payments import TODAY, _pay

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


@pytest.fixture
def commits(monkeypatch):
    """Each ``commit_send`` of a posting: whether the driver's connection still had its transaction open then (the
    COMMIT is sent, not yet answered)."""
    seen: list[bool] = []

    def spy():
        seen.append(connection.connection.pgconn.transaction_status != pq.TransactionStatus.IDLE)
        compiled.commit_send()

    monkeypatch.setattr(payments, "commit_send", spy)
    return seen


def _written(loan):
    return (
        JournalEntry.objects.filter(loan=loan, kind="payment").count(),
        LoanTransaction.objects.filter(loan=loan).count(),
        AuditEvent.objects.filter(verb="payment.posted").count(),
        LoanAccount.objects.get(pk=loan.pk).version,
    )


def test_a_posting_of_its_own_commits_with_its_writes_and_the_rows_are_committed(commits):
    loan = boarded_loan()
    first = Installment.objects.get(loan=loan, number=1)
    txn = _pay(loan, first.payment, "own")
    assert commits == [True]
    assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.IDLE
    assert not connection.in_atomic_block
    assert LoanTransaction.objects.get(pk=txn.pk).journal_entry_id == txn.journal_entry_id
    assert Installment.objects.get(pk=first.pk).paid_on == TODAY
    assert LoanAccount.objects.get(pk=loan.pk).next_due_date == loan.next_due_date  # the caller's instance
    assert loan.next_due_date == Installment.objects.get(loan=loan, number=2).due_date
    assert selectors.loan_balance_mismatches() == []
    assert selectors.unbalanced_entries() == []
    assert _pay(loan, first.payment, "own").pk == txn.pk  # a double submit: the same posting
    assert commits == [True]


def test_inside_a_callers_transaction_nothing_is_committed(commits):
    loan = boarded_loan()
    with transaction.atomic():
        txn = _pay(loan, "500.00", "inside")
        assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.INTRANS
        transaction.set_rollback(True)
    assert commits == []
    assert not LoanTransaction.objects.filter(pk=txn.pk).exists()


def test_with_autocommit_off_the_caller_commits_or_rolls_back(commits):
    loan = boarded_loan()
    transaction.set_autocommit(False)
    try:
        txn = _pay(loan, "500.00", "manual")
        assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.INTRANS
        transaction.rollback()
    finally:
        transaction.set_autocommit(True)
    assert commits == []
    assert not LoanTransaction.objects.filter(pk=txn.pk).exists()


def test_an_inactive_account_refuses_the_posting_by_name_and_nothing_is_written(commits):
    loan = boarded_loan()
    before = _written(loan)
    LedgerAccount.objects.filter(code="escrow_liability").update(is_active=False)
    with pytest.raises(PaymentError, match=r"^Inactive ledger account\(s\): escrow_liability\.$"):
        _pay(loan, Installment.objects.get(loan=loan, number=1).payment, "inactive")
    # The entry's error comes back while the writes are sent (no COMMIT sent then), or skips the COMMIT sent.
    assert commits in ([], [True])
    assert _written(loan) == before
    assert not connection.in_atomic_block
    LedgerAccount.objects.filter(code="escrow_liability").update(is_active=True)
    assert _pay(loan, "500.00", "after").pk  # the connection is usable


def test_a_commit_that_fails_rolls_back_every_row_and_raises(commits):
    loan = boarded_loan()
    before = _written(loan)
    with connection.cursor() as cursor:  # a deferred check that fails at COMMIT, whatever the posting
        cursor.execute(
            "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'refused at commit' USING ERRCODE = 'check_violation'; END $$; "
            "CREATE CONSTRAINT TRIGGER test_refuse AFTER INSERT ON servicing_loantransaction "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_refuse()"
        )
    try:
        with pytest.raises(IntegrityError, match="refused at commit"):
            _pay(loan, "500.00", "refused")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER test_refuse ON servicing_loantransaction; DROP FUNCTION test_refuse()")
    assert commits == [True]
    assert _written(loan) == before
    assert not connection.in_atomic_block
    assert _pay(loan, Decimal("500.00"), "after").pk


def test_what_waits_for_the_commit_runs_once_the_rows_are_committed(commits):
    loan = boarded_loan()
    heard = []

    def receiver(sender, loan, transaction, actor, **kwargs):
        heard.append((connection.in_atomic_block, LoanTransaction.objects.filter(pk=transaction.pk).exists()))

    payment_posted.connect(receiver, sender=LoanTransaction)
    try:
        _pay(loan, "500.00", "heard")
    finally:
        payment_posted.disconnect(receiver, sender=LoanTransaction)
    assert commits == [True]
    assert heard == [(False, True)]


def test_lines_on_an_inactive_account_that_balance_each_other_refuse_the_posting(commits, monkeypatch):
    """Not left to the balance check at COMMIT: two lines left out (an account not active) would leave a balanced
    entry, committed short of them. The entry's statement itself refuses a line whose account is not active."""
    loan = boarded_loan()
    before = _written(loan)
    lines = payments.journal_lines

    def with_a_pair(allocation, locked):
        return [
            *lines(allocation, locked),
            ("fee_income", Decimal("1.00"), Decimal("0")),
            ("fee_income", Decimal("0"), Decimal("1.00")),
        ]

    monkeypatch.setattr(payments, "journal_lines", with_a_pair)
    LedgerAccount.objects.filter(code="fee_income").update(is_active=False)
    with pytest.raises(PaymentError, match=r"^Inactive ledger account\(s\): fee_income\.$"):
        _pay(loan, "500.00", "pair")
    assert _written(loan) == before


def test_a_statement_run_after_the_commit_sent_is_refused_and_rolled_back(monkeypatch):
    """The guard: code added after the writes (here, the notice hook) would run in a transaction of its own."""
    loan = boarded_loan()
    first = Installment.objects.get(loan=loan, number=1)
    before = AuditEvent.objects.count()

    def a_write_after_the_commit(txn, actor):
        AuditEvent.objects.create(verb="late.write")

    monkeypatch.setattr(payments, "announce_posted", a_write_after_the_commit)
    refused = r"^A statement ran after the COMMIT sent with the writes \(commit_send\)\.$"
    with pytest.raises(RuntimeError, match=refused):
        _pay(loan, first.payment, "late")
    assert not AuditEvent.objects.filter(verb="late.write").exists()
    assert LoanTransaction.objects.filter(loan=loan).count() == 1  # the posting itself was committed
    assert AuditEvent.objects.count() == before + 2
