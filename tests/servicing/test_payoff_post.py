"""Posting a payoff: the loan closes with every balance at zero, the journal balances, escrow and any overage are
refunded, ``loan_paid_off`` is sent once on commit, a repeat posts nothing, a short amount writes nothing."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from lending.core.models import AuditEvent
from servicing import selectors
from servicing.models import AllocationLine, JournalEntry, LoanAccount, LoanPayoff, LoanTransaction
from servicing.services import payments
from servicing.services.ledger import journal_post
from servicing.services.payments import PaymentError, payment_post
from servicing.services.payoff import payoff_post, payoff_quote_issue
from servicing.signals import loan_paid_off
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")
TODAY = date(2026, 12, 1)
PAYOFF_TODAY = D("300975.00")  # 300,000 + 18 days (30/360) at 6.5% = 975.00: see test_payoff_figures
BALANCES = ("principal_balance", "interest_due", "fees_due", "escrow_balance", "suspense_balance")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


@pytest.fixture
def loan():
    return boarded_loan()


@pytest.fixture
def signals():
    sent = []

    def receiver(sender, loan, transaction, actor, **kwargs):
        sent.append((loan.pk, transaction.pk, actor))

    loan_paid_off.connect(receiver, dispatch_uid="test_payoff_post")
    yield sent
    loan_paid_off.disconnect(dispatch_uid="test_payoff_post")


def _payoff(loan, amount, key="payoff-1", when=TODAY, actor=None):
    return payoff_post(
        loan=loan,
        amount=D(amount),
        effective_date=when,
        method="wire",
        reference=f"FW-{key}",
        idempotency_key=key,
        actor=actor,
    )


def _lines(entry) -> set[tuple[str, Decimal, Decimal]]:
    return {(line.account.code, line.debit, line.credit) for line in entry.lines.select_related("account")}


def _assert_books():
    assert selectors.unbalanced_entries() == []
    assert selectors.loan_balance_mismatches() == []
    out = StringIO()
    call_command("ledger_verify", stdout=out)
    assert "Ledger verified" in out.getvalue()


def test_the_payoff_closes_the_loan_refunds_escrow_and_announces_it_once_on_commit(
    loan, signals, django_capture_on_commit_callbacks
):
    servicer = user_with_role("servicer")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        txn = _payoff(loan, PAYOFF_TODAY, actor=servicer)
        assert signals == []  # not before commit
    assert len(callbacks) == 2  # loan_paid_off, and the paid-in-full notice (test_notices)
    assert signals == [(loan.pk, txn.pk, servicer)]

    assert (txn.kind, txn.directive, txn.amount, txn.status) == ("payment", "payoff", PAYOFF_TODAY, "posted")
    assert _lines(txn.journal_entry) == {
        ("cash", PAYOFF_TODAY, ZERO),
        ("loans_receivable", ZERO, D("300000.00")),
        ("interest_income", ZERO, D("975.00")),
    }
    assert txn.journal_entry.kind == JournalEntry.Kind.PAYOFF
    lines = {(line.bucket, line.installment_id, line.amount) for line in txn.allocation_lines.current()}
    assert lines == {("interest", None, D("975.00")), ("prepayment", None, D("300000.00"))}

    payoff = LoanPayoff.objects.get(loan=loan)
    assert payoff.transaction == txn
    assert (payoff.total, payoff.escrow_refund, payoff.overage_refund, payoff.refund_entry) == (
        PAYOFF_TODAY,
        D("1050.00"),
        ZERO,
        None,
    )
    assert payoff.escrow_refund_entry.kind == JournalEntry.Kind.ESCROW_REFUND
    assert _lines(payoff.escrow_refund_entry) == {
        ("escrow_liability", D("1050.00"), ZERO),
        ("cash", ZERO, D("1050.00")),
    }
    assert payoff.refund_due_by == date(2026, 12, 30)  # 20 business days (Thanksgiving is past, Christmas is not)

    loan.refresh_from_db()
    assert loan.status == LoanAccount.Status.PAID_OFF
    assert (loan.paid_off_on, loan.next_due_date, loan.interest_paid_through) == (TODAY, None, TODAY)
    assert all(getattr(loan, field) == ZERO for field in BALANCES)
    assert AuditEvent.objects.filter(verb="loan.paid_off", target_id=str(loan.pk)).count() == 1
    _assert_books()


def test_an_overage_is_refunded_through_suspense(loan):
    txn = _payoff(loan, PAYOFF_TODAY + D("24.50"))
    assert ("suspense", ZERO, D("24.50")) in _lines(txn.journal_entry)
    assert ("suspense", None, D("24.50")) in {
        (line.bucket, line.installment_id, line.amount) for line in txn.allocation_lines.current()
    }
    payoff = LoanPayoff.objects.get(loan=loan)
    assert payoff.overage_refund == D("24.50")
    assert _lines(payoff.refund_entry) == {("suspense", D("24.50"), ZERO), ("cash", ZERO, D("24.50"))}
    assert payoff.refund_total == D("1074.50")
    loan.refresh_from_db()
    assert all(getattr(loan, field) == ZERO for field in BALANCES)
    _assert_books()


def test_a_short_amount_is_refused_naming_the_shortfall_and_writes_nothing(loan, signals):
    entries, audits = JournalEntry.objects.count(), AuditEvent.objects.count()
    with pytest.raises(PaymentError, match=r"short of the payoff of 300975\.00 .* by 0\.01") as refused:
        _payoff(loan, PAYOFF_TODAY - D("0.01"))
    assert refused.value.field == "amount"
    assert (JournalEntry.objects.count(), AuditEvent.objects.count()) == (entries, audits)
    assert not LoanTransaction.objects.exists()
    assert not LoanPayoff.objects.exists()
    loan.refresh_from_db()
    assert (loan.status, loan.principal_balance) == ("active", D("300000.00"))
    assert signals == []


def test_a_stale_quote_is_not_trusted(loan, monkeypatch):
    # Quoted through 12-01; the funds arrive 12-03: two more days of interest (2 x 54.17 by a single rounding).
    quote = payoff_quote_issue(loan=loan, as_of=TODAY, good_through=TODAY, actor=None, channel="staff")
    monkeypatch.setattr(payments, "_today", lambda: date(2026, 12, 3))
    with pytest.raises(PaymentError, match="short"):
        _payoff(loan, quote.total, when=date(2026, 12, 3))
    txn = _payoff(loan, quote.total + D("108.33"), when=date(2026, 12, 3))  # 300,000 x 6.5% x 20/360 = 1,083.33
    assert LoanPayoff.objects.get(transaction=txn).interest == D("1083.33")


def test_a_repeated_key_returns_the_first_posting_and_writes_nothing(loan, signals, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _payoff(loan, PAYOFF_TODAY)
    entries = JournalEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = _payoff(LoanAccount.objects.get(pk=loan.pk), PAYOFF_TODAY)
    assert again == first
    assert JournalEntry.objects.count() == entries
    assert callbacks == []
    assert len(signals) == 1


def test_a_key_used_by_an_ordinary_payment_is_refused(loan):
    payment_post(
        loan=loan,
        amount=D("500.00"),
        effective_date=TODAY,
        method="ach",
        reference="",
        idempotency_key="shared",
        actor=None,
    )
    with pytest.raises(PaymentError, match="already used") as refused:
        _payoff(loan, PAYOFF_TODAY, key="shared")
    assert refused.value.field == "idempotency_key"


def test_after_payoff_payments_and_quotes_are_refused(loan):
    _payoff(loan, PAYOFF_TODAY)
    with pytest.raises(PaymentError, match="paid off"):
        payment_post(
            loan=loan,
            amount=D("100.00"),
            effective_date=TODAY,
            method="ach",
            reference="",
            idempotency_key="late",
            actor=None,
        )
    with pytest.raises(PaymentError, match="paid off"):
        _payoff(loan, PAYOFF_TODAY, key="payoff-2")
    with pytest.raises(PaymentError, match="paid off"):
        payoff_quote_issue(loan=loan, as_of=TODAY, good_through=TODAY, actor=None, channel="staff")
    assert LoanTransaction.objects.count() == 1


def test_a_charged_off_loan_cannot_be_paid_off(loan):
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.CHARGED_OFF)
    with pytest.raises(PaymentError, match="charged off"):
        _payoff(loan, PAYOFF_TODAY)


@pytest.mark.parametrize(
    ("amount", "when", "field"),
    [
        ("0", TODAY, "amount"),
        ("-5", TODAY, "amount"),
        ("300975.001", TODAY, "amount"),
        (PAYOFF_TODAY, date(2026, 11, 1), "effective_date"),  # before disbursement
        (PAYOFF_TODAY, date(2026, 12, 31), "effective_date"),  # too far ahead
    ],
)
def test_bad_input_is_refused(loan, amount, when, field):
    with pytest.raises(PaymentError) as refused:
        _payoff(loan, amount, when=when)
    assert refused.value.field == field
    assert not LoanTransaction.objects.exists()


def test_a_payoff_dated_before_the_latest_posting_is_refused(loan, monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2026, 12, 5))
    payment_post(
        loan=loan,
        amount=D("500.00"),
        effective_date=date(2026, 12, 4),
        method="ach",
        reference="",
        idempotency_key="p",
        actor=None,
    )
    with pytest.raises(PaymentError, match="latest posting") as refused:
        _payoff(loan, PAYOFF_TODAY, when=date(2026, 12, 3))
    assert refused.value.field == "effective_date"


def test_suspense_fees_accrued_interest_and_an_escrow_advance_all_end_at_zero(loan):
    payment_post(
        loan=loan,
        amount=D("500.00"),
        effective_date=TODAY,
        method="ach",
        reference="",
        idempotency_key="partial",
        actor=None,
    )  # held in suspense
    for kind, lines in (
        (JournalEntry.Kind.FEE, [("fees_receivable", D("25.00"), ZERO), ("fee_income", ZERO, D("25.00"))]),
        (
            JournalEntry.Kind.ACCRUAL,
            [("interest_receivable", D("900.00"), ZERO), ("interest_income", ZERO, D("900.00"))],
        ),
        (
            JournalEntry.Kind.ESCROW_DISBURSEMENT,
            [("escrow_liability", D("1500.00"), ZERO), ("cash", ZERO, D("1500.00"))],
        ),
    ):
        journal_post(actor=None, loan=loan, effective_date=TODAY, kind=kind, memo=kind, lines=lines)
    # 300,000 + 975.00 interest + 25.00 fees + 450.00 escrow advanced - 500.00 suspense
    total = D("300950.00")
    txn = _payoff(loan, total)
    assert _lines(txn.journal_entry) == {
        ("cash", total, ZERO),
        ("suspense", D("500.00"), ZERO),
        ("loans_receivable", ZERO, D("300000.00")),
        ("interest_receivable", ZERO, D("900.00")),
        ("interest_income", ZERO, D("75.00")),
        ("fees_receivable", ZERO, D("25.00")),
        ("escrow_liability", ZERO, D("450.00")),
    }
    amounts = [line.amount for line in txn.allocation_lines.current()]
    assert sum(amounts) == total
    payoff = LoanPayoff.objects.get(loan=loan)
    assert (payoff.escrow_refund_entry, payoff.refund_entry) == (None, None)
    loan.refresh_from_db()
    assert all(getattr(loan, field) == ZERO for field in BALANCES)
    _assert_books()


def test_interest_paid_ahead_is_refunded_and_the_books_close(loan, monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2026, 12, 11))
    payment_post(
        loan=loan,
        amount=loan.installments.get(number=1).payment,
        effective_date=TODAY,
        method="ach",
        reference="",
        idempotency_key="early",
        actor=None,
    )
    txn = _payoff(loan, D("299728.80"), when=date(2026, 12, 11))
    payoff = LoanPayoff.objects.get(transaction=txn)
    assert (payoff.interest, payoff.interest_refund) == (ZERO, D("1082.35"))
    assert _lines(payoff.refund_entry) == {("interest_income", D("1082.35"), ZERO), ("cash", ZERO, D("1082.35"))}
    assert AllocationLine.objects.filter(transaction=txn, bucket="interest").count() == 0
    loan.refresh_from_db()
    assert all(getattr(loan, field) == ZERO for field in BALANCES)
    _assert_books()
