"""Posting payments: the waterfall, suspense, prepayment, directives, idempotency, bad input, reversals, and the
books staying equal to the journal (hypothesis sequences; threads on PostgreSQL)."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lending.core.models import AuditEvent
from servicing import selectors
from servicing.models import AllocationLine, Installment, JournalEntry, JournalLine, LoanAccount, LoanTransaction
from servicing.services import payments
from servicing.services.payments import PaymentError, payment_post, payment_reverse
from tests.hypothesis_budget import examples
from tests.servicing.concurrency import run_in_threads
from tests.servicing.factories import CLOSING_DATE, boarded_loan

D = Decimal
ZERO = D("0.00")
TODAY = date(2026, 12, 1)  # between boarding (2026-11-13) and the first installment (2027-01-01)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


def _pay(loan, amount, key, *, when=TODAY, directive="standard", method="ach"):
    return payment_post(
        loan=loan,
        amount=D(amount),
        effective_date=when,
        method=method,
        reference=f"ref-{key}",
        idempotency_key=key,
        actor=None,
        directive=directive,
    )


def _lines(txn) -> dict[tuple[int | None, str], Decimal]:
    return {
        (line.installment.number if line.installment else None, line.bucket): line.amount
        for line in txn.allocation_lines.current().select_related("installment")
    }


def _assert_books(loan=None):
    assert selectors.unbalanced_entries() == []
    assert selectors.loan_balance_mismatches() == []
    out = StringIO()
    call_command("ledger_verify", stdout=out)
    assert "Ledger verified" in out.getvalue()


def _first(loan) -> Installment:
    return Installment.objects.get(loan=loan, number=1)


@pytest.mark.django_db
def test_a_full_periodic_payment_pays_the_first_installment_interest_principal_escrow():
    loan = boarded_loan()
    first = _first(loan)
    assert first.escrow > 0
    principal_before, escrow_before = loan.principal_balance, loan.escrow_balance
    txn = _pay(loan, first.payment, "p1")
    assert txn.status == "posted"
    assert txn.amount == first.payment
    assert _lines(txn) == {
        (1, "interest"): first.interest,
        (1, "principal"): first.principal,
        (1, "escrow"): first.escrow,
    }
    first.refresh_from_db()
    assert (first.paid_interest, first.paid_principal, first.paid_escrow) == (
        first.interest,
        first.principal,
        first.escrow,
    )
    assert first.paid_on == TODAY
    loan.refresh_from_db()
    assert loan.principal_balance == principal_before - first.principal
    assert loan.escrow_balance == escrow_before + first.escrow
    assert loan.next_due_date == Installment.objects.get(loan=loan, number=2).due_date
    entry = txn.journal_entry
    lines = {(line.account.code, line.debit, line.credit) for line in entry.lines.select_related("account")}
    # Paid a month before its due date and no accrual has run: the interest is not earned yet, so it is paid in
    # advance (a liability the nightly accrual earns), not income.
    assert lines == {
        ("cash", first.payment, ZERO),
        ("interest_prepaid", ZERO, first.interest),
        ("loans_receivable", ZERO, first.principal),
        ("escrow_liability", ZERO, first.escrow),
    }
    assert AuditEvent.objects.filter(verb="payment.posted").count() == 1
    _assert_books()


@pytest.mark.django_db
def test_a_partial_payment_waits_in_suspense_until_a_full_payment_accumulates():
    loan = boarded_loan()
    first = _first(loan)
    part = D("500.00")
    held = _pay(loan, part, "part-1")
    assert _lines(held) == {(None, "suspense"): part}
    loan.refresh_from_db()
    assert loan.suspense_balance == part
    assert _first(loan).paid == ZERO
    rest = _pay(loan, first.payment - part, "part-2")
    assert _lines(rest) == {
        (1, "interest"): first.interest,
        (1, "principal"): first.principal,
        (1, "escrow"): first.escrow,
        (None, "suspense"): -part,
    }
    debits = {line.account.code: line.debit for line in rest.journal_entry.lines.all() if line.debit}
    assert debits == {"cash": first.payment - part, "suspense": part}
    loan.refresh_from_db()
    assert loan.suspense_balance == ZERO
    assert _first(loan).paid_on == TODAY
    assert sum(line.amount for line in AllocationLine.objects.all()) == first.payment
    _assert_books()


@pytest.mark.django_db
def test_extra_money_goes_to_principal_prepayment():
    loan = boarded_loan()
    first = _first(loan)
    before = loan.principal_balance
    txn = _pay(loan, first.payment + D("1000.00"), "extra")
    assert _lines(txn)[(None, "prepayment")] == D("1000.00")
    loan.refresh_from_db()
    assert loan.principal_balance == before - first.principal - D("1000.00")
    assert Installment.objects.get(loan=loan, number=2).paid == ZERO
    _assert_books()


@pytest.mark.django_db
def test_principal_only_directive_curtails_and_leaves_the_installment_due():
    loan = boarded_loan()
    before = loan.principal_balance
    txn = _pay(loan, "2500.00", "po", directive="principal_only")
    assert _lines(txn) == {(None, "prepayment"): D("2500.00")}
    loan.refresh_from_db()
    assert loan.principal_balance == before - D("2500.00")
    assert _first(loan).paid == ZERO
    assert loan.next_due_date == _first(loan).due_date
    _assert_books()


@pytest.mark.django_db
def test_consumer_loan_without_escrow_posts_through_its_own_strategy():
    loan = boarded_loan(consumer=True)
    first = _first(loan)
    txn = _pay(loan, "100.00", "c1")  # fees_interest_principal: no partial hold
    assert sum(_lines(txn).values()) == D("100.00")
    assert (1, "interest") in _lines(txn)
    assert first.escrow == ZERO
    _assert_books()


@pytest.mark.django_db
def test_a_repeated_idempotency_key_posts_once():
    loan = boarded_loan()
    first = _pay(loan, "900.00", "same")
    again = _pay(loan, "900.00", "same")
    assert again.pk == first.pk
    assert LoanTransaction.objects.count() == 1
    assert JournalEntry.objects.filter(kind="payment").count() == 1
    other = boarded_loan()
    with pytest.raises(PaymentError, match="idempotency_key"):
        _pay(other, "900.00", "same")
    _assert_books()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "10.005"}, "amount"),
        ({"when": TODAY + timedelta(days=6)}, "effective_date"),
        ({"when": CLOSING_DATE - timedelta(days=1)}, "effective_date"),
        ({"method": "bitcoin"}, "method"),
        ({"directive": "whatever"}, "directive"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_written(kwargs, field):
    loan = boarded_loan()
    entries = JournalEntry.objects.count()
    args = {"amount": "100.00", **kwargs}
    with pytest.raises(PaymentError, match=f"^{field}:") as refused:
        _pay(loan, args.pop("amount"), "bad", **args)
    assert refused.value.field == field
    assert not LoanTransaction.objects.exists()
    assert JournalEntry.objects.count() == entries


@pytest.mark.django_db
def test_the_limits_themselves_are_accepted():
    loan = boarded_loan()
    _pay(loan, "1.00", "edge-1", when=TODAY + timedelta(days=payments.MAX_DAYS_AHEAD))
    _pay(loan, "1.00", "edge-2", when=CLOSING_DATE)
    assert LoanTransaction.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["paid_off", "charged_off"])
def test_a_closed_loan_takes_no_payment(status):
    loan = boarded_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(status=status)
    with pytest.raises(PaymentError, match=r"^loan:"):
        _pay(loan, "100.00", "closed")
    assert not LoanTransaction.objects.exists()


@pytest.mark.django_db
def test_a_reversal_restores_balances_and_installments_and_is_refused_twice():
    loan = boarded_loan()
    first = _first(loan)
    before = LoanAccount.objects.get(pk=loan.pk)
    txn = _pay(loan, first.payment + D("300.00"), "nsf")
    reversal = payment_reverse(transaction=txn, reason="NSF", actor=None)
    assert reversal.kind == "reversal"
    assert reversal.reverses_id == txn.pk
    txn.refresh_from_db()
    assert txn.status == "reversed"
    after = LoanAccount.objects.get(pk=loan.pk)
    for field in ("principal_balance", "interest_due", "escrow_balance", "suspense_balance", "next_due_date"):
        assert getattr(after, field) == getattr(before, field)
    first.refresh_from_db()
    assert first.paid == ZERO
    assert first.paid_on is None
    assert reversal.journal_entry.reverses_id == txn.journal_entry_id
    assert AuditEvent.objects.filter(verb="payment.reversed").count() == 1
    with pytest.raises(PaymentError, match="already reversed"):
        payment_reverse(transaction=txn, reason="again", actor=None)
    with pytest.raises(PaymentError, match="reason"):
        payment_reverse(transaction=_pay(loan, "5.00", "x"), reason=" ", actor=None)
    _assert_books()


# --- random sequences -----------------------------------------------------------------------------------------

steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("pay"),
            st.decimals(min_value=D("0.01"), max_value=D("6000.00"), places=2),
            st.integers(min_value=0, max_value=18),
            st.sampled_from(["standard", "standard", "principal_only", "escrow_only"]),
        ),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=20)),
    ),
    min_size=1,
    max_size=8,
)


class _Rollback(Exception):
    pass


@pytest.fixture
def two_loans(db):
    return boarded_loan(), boarded_loan(consumer=True)


@pytest.mark.django_db
# In a mutation run 10 examples, not 50: 50 took 27 s of every payments.py survivor's 31 s and this test was the
# first to kill none of its mutants (docs/testing.md, "Where the time went").
@settings(
    max_examples=examples(200, mutation=10),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=steps, on_consumer=st.booleans())
def test_random_payment_sequences_keep_the_books(two_loans, steps, on_consumer):
    loan = LoanAccount.objects.get(pk=two_loans[1 if on_consumer else 0].pk)
    try:
        with transaction.atomic():
            posted = []
            for number, step in enumerate(steps):
                if step[0] == "pay":
                    _, amount, days, directive = step
                    when = min(CLOSING_DATE + timedelta(days=days), TODAY)
                    posted.append(_pay(loan, amount, f"h{number}", when=when, directive=directive))
                elif posted:
                    txn = posted[step[1] % len(posted)]
                    try:
                        payment_reverse(transaction=txn, reason="returned", actor=None)
                    except PaymentError as exc:
                        if "already reversed" not in str(exc):
                            raise
                live = LoanTransaction.objects.filter(loan=loan, kind="payment", status="posted")
                paid_in = sum((t.amount for t in live), ZERO)
                allocated = sum((a.amount for a in AllocationLine.objects.current().filter(transaction__in=live)), ZERO)
                assert allocated == paid_in
                assert selectors.unbalanced_entries() == []
                assert selectors.loan_balance_mismatches() == []
                for installment in Installment.objects.filter(loan=loan, number__lte=3):
                    assert installment.paid == sum(
                        (a.amount for a in installment.allocation_lines.current().filter(transaction__in=live)), ZERO
                    )
            raise _Rollback
    except _Rollback:
        pass


# --- PostgreSQL: threads ------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_threads_posting_fifty_payments_each_post_every_payment_exactly_once():
    loan = boarded_loan()
    threads, per_thread = 8, 50

    def work(index):
        for n in range(per_thread):
            _pay(LoanAccount.objects.get(pk=loan.pk), "250.00", f"t{index}-{n}")

    assert run_in_threads(threads, work) == []  # no deadlock, no error
    count = threads * per_thread
    assert LoanTransaction.objects.filter(loan=loan).count() == count
    assert LoanTransaction.objects.filter(loan=loan).values("idempotency_key").distinct().count() == count
    assert JournalEntry.objects.filter(loan=loan, kind="payment").count() == count
    assert sum(a.amount for a in AllocationLine.objects.filter(transaction__loan=loan)) == D("250.00") * count
    assert selectors.loan_balance_mismatches() == []
    assert selectors.unbalanced_entries() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_backdated_payments_replay_under_the_loan_lock_and_keep_the_books():
    loan = boarded_loan()
    dates = [CLOSING_DATE + timedelta(days=(7 * i) % 17 + 1) for i in range(24)]

    def work(index):
        for n in range(6):
            when = dates[(index * 6 + n) % len(dates)]
            _pay(LoanAccount.objects.get(pk=loan.pk), "400.00", f"bd{index}-{n}", when=when)

    assert run_in_threads(4, work) == []
    standing = LoanTransaction.objects.filter(loan=loan, kind="payment", status="posted")
    assert standing.count() == 24
    assert sum(a.amount for a in AllocationLine.objects.current().filter(transaction__in=standing)) == D("9600.00")
    assert selectors.loan_balance_mismatches() == []
    assert selectors.unbalanced_entries() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_idempotency_key_from_eight_threads_posts_once():
    loan = boarded_loan()
    results = []

    def work(index):
        results.append(_pay(LoanAccount.objects.get(pk=loan.pk), "1200.00", "one-key").pk)

    assert run_in_threads(8, work) == []
    assert len(set(results)) == 1
    assert len(results) == 8
    assert LoanTransaction.objects.count() == 1
    assert JournalLine.objects.filter(entry__kind="payment").values("entry").distinct().count() == 1
    assert selectors.loan_balance_mismatches() == []


@pytest.mark.django_db
def test_installments_past_due_are_paid_oldest_first_and_the_next_due_date_follows():
    loan = boarded_loan(closing_date=date(2026, 8, 14), first_payment_date=date(2026, 10, 1))
    one, two, three = Installment.objects.filter(loan=loan, number__lte=3).order_by("number")
    when = date(2026, 11, 20)
    assert two.due_date <= when < three.due_date
    txn = _pay(loan, one.payment + two.payment, "arrears", when=when)
    assert {number for number, _ in _lines(txn)} == {1, 2}
    loan.refresh_from_db()
    assert loan.next_due_date == three.due_date
    _assert_books()
