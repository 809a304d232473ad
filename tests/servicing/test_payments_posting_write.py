"""``payment_post`` writes a posting in a few statements (servicing.services.posting_write, ledger_entry): the
query count is pinned, a refusal still writes nothing (the race on the key: test_posting_rules), and the rows
are the ones ``journal_post`` and the old path wrote (balances, dates, audit rows)."""

from datetime import date
from decimal import Decimal

import pytest

from lending.core.models import AuditEvent
from servicing import selectors
from servicing.models import Installment, JournalEntry, JournalLine, LedgerAccount, LoanAccount, LoanTransaction
from servicing.services import payments
from servicing.services.payments import PaymentError, payment_post
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 12, 1)  # after boarding (2026-11-13), before the first installment (2027-01-01)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


def _pay(loan, amount, key):
    return payment_post(
        loan=loan,
        amount=D(amount),
        effective_date=TODAY,
        method="ach",
        reference=f"ref-{key}",
        idempotency_key=key,
        actor=None,
    )


@pytest.mark.postgres
def test_a_payment_is_a_lock_two_reads_two_writes(django_assert_num_queries):
    warm, loan = boarded_loan(), boarded_loan()
    _pay(warm, "100.00", "warm")  # the compiled queries and the chart's sides are read once per process
    first = Installment.objects.get(loan=loan, number=1)  # paid exactly: no prepayment to re-price the rest
    # SAVEPOINT; lock; key and later payments; installments; entry with lines, transaction with allocation
    # lines and installments; loan balances with dates and both audit rows; RELEASE.
    with django_assert_num_queries(7):
        _pay(loan, first.payment, "p1")


def test_the_loan_row_and_the_callers_instance_carry_the_balances_version_and_dates():
    loan = boarded_loan()
    first, second = Installment.objects.filter(loan=loan).order_by("number")[:2]
    version, principal = loan.version, loan.principal_balance
    txn = _pay(loan, first.payment, "p1")
    stored = LoanAccount.objects.get(pk=loan.pk)
    # The first installment paid in full: its principal comes off, the next due date is the second's.
    assert stored.principal_balance == loan.principal_balance == principal - first.principal
    assert stored.version == loan.version == version + 1
    assert stored.next_due_date == loan.next_due_date == second.due_date
    assert stored.interest_paid_through == loan.interest_paid_through == first.due_date
    assert txn.pk == LoanTransaction.objects.get(idempotency_key="p1").pk
    assert selectors.loan_balance_mismatches() == []
    assert selectors.unbalanced_entries() == []


def test_the_entry_has_its_lines_in_order_and_both_audit_rows_are_written():
    loan = boarded_loan()
    first = Installment.objects.get(loan=loan, number=1)
    boarded = AuditEvent.objects.order_by("id").last().pk  # boarding wrote its own rows
    txn = _pay(loan, first.payment, "p1")
    lines = list(JournalLine.objects.filter(entry=txn.journal_entry).order_by("id").select_related("account"))
    # Dr cash the payment; Cr interest paid in advance (not yet earned), principal, escrow: in that order.
    assert [(line.account.code, line.debit, line.credit) for line in lines] == [
        ("cash", first.payment, D("0.00")),
        ("interest_prepaid", D("0.00"), first.interest),
        ("loans_receivable", D("0.00"), first.principal),
        ("escrow_liability", D("0.00"), first.escrow),
    ]
    assert all(line.loan_id == loan.pk for line in lines)
    journal, posted = AuditEvent.objects.filter(pk__gt=boarded).order_by("id")
    assert (journal.verb, journal.target_id) == ("journal.posted", str(txn.journal_entry_id))
    assert journal.after["lines"][0] == ["cash", str(first.payment), "0.00"]
    assert (posted.verb, posted.target_id) == ("payment.posted", str(txn.pk))
    assert posted.after["journal_entry"] == txn.journal_entry_id


def test_an_inactive_account_refuses_the_payment_and_writes_nothing():
    loan = boarded_loan()
    LedgerAccount.objects.filter(code="escrow_liability").update(is_active=False)
    entries, audits = JournalEntry.objects.count(), AuditEvent.objects.count()
    with pytest.raises(PaymentError, match="Inactive ledger account"):
        _pay(loan, Installment.objects.get(loan=loan, number=1).payment, "p1")
    assert JournalEntry.objects.count() == entries
    assert AuditEvent.objects.count() == audits
    assert not LoanTransaction.objects.exists()
    assert LoanAccount.objects.get(pk=loan.pk).version == loan.version


@pytest.mark.postgres
def test_the_entry_written_with_the_transactions_statement_is_a_saved_row():
    loan = boarded_loan()
    txn = _pay(loan, Installment.objects.get(loan=loan, number=1).payment, "p1")
    entry = txn.journal_entry
    # Written in the transaction's statement (journal_entry_ctes): saved, with the id taken with the lock.
    assert not entry._state.adding
    assert not txn._state.adding
    assert JournalEntry.objects.get(pk=entry.pk).loan_id == loan.pk
    assert JournalLine.objects.filter(entry_id=entry.pk).count() == 4


def test_a_prepayments_entry_written_in_turn_is_a_saved_row():
    loan = boarded_loan()
    first = Installment.objects.get(loan=loan, number=1)
    txn = _pay(loan, first.payment + D("1000.00"), "pre")  # a prepayment: written in turn (the rest re-priced)
    assert not txn.journal_entry._state.adding
    assert JournalEntry.objects.get(pk=txn.journal_entry.pk).loan_id == loan.pk
    assert txn.allocation_lines.filter(bucket="prepayment").exists()
