"""The rules of posting a payment that no other test pins (issue 17): which installments a payment dated on a due
date pays, a reversal's idempotency key, an installment that prepayments have shrunk, the retry after a lost race
on the idempotency key, and the loan's derived dates. Each test asserts what was written, or that nothing was."""

from datetime import timedelta
from decimal import Decimal

import pytest

from lending.core.models import AuditEvent
from servicing.models import AllocationLine, Installment, JournalEntry, LoanAccount, LoanTransaction, Replay
from servicing.services import payments
from servicing.services.payments import PaymentError, payment_reverse
from servicing.services.payments_batch import PaymentRequest, payments_post_many
from tests.servicing.factories import boarded_loan
from tests.servicing.factories_portal import set_today
from tests.servicing.test_payments import TODAY, _assert_books, _lines, _pay

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")


def _numbered(loan, *numbers) -> list[Installment]:
    return list(Installment.objects.filter(loan=loan, number__in=numbers).order_by("number"))


def _paid(installment) -> tuple[Decimal, Decimal, Decimal, object]:
    installment.refresh_from_db()
    return (installment.paid_interest, installment.paid_principal, installment.paid_escrow, installment.paid_on)


# --- a payment dated on a due date ------------------------------------------------------------------------------


def _assert_pays_first_and_second(loan, txn, first, second, third):
    assert _lines(txn) == {
        (1, "interest"): first.interest,
        (1, "principal"): first.principal,
        (2, "interest"): second.interest,
        (2, "principal"): second.principal,
    }
    assert _paid(first) == (first.interest, first.principal, ZERO, first.due_date)
    assert _paid(second) == (second.interest, second.principal, ZERO, first.due_date)
    loan.refresh_from_db()
    assert (loan.next_due_date, loan.interest_paid_through) == (third.due_date, second.due_date)
    _assert_books()


def test_payment_dated_on_the_due_date_pays_that_installment_and_the_next_one_billed(monkeypatch):
    loan = boarded_loan(consumer=True)
    first, second, third = _numbered(loan, 1, 2, 3)
    set_today(monkeypatch, first.due_date)
    txn = _pay(loan, first.payment + second.payment, "on-due", when=first.due_date)
    _assert_pays_first_and_second(loan, txn, first, second, third)


def test_batch_payment_dated_on_the_due_date_pays_that_installment_and_the_next_one_billed(monkeypatch):
    loan = boarded_loan(consumer=True)
    first, second, third = _numbered(loan, 1, 2, 3)
    set_today(monkeypatch, first.due_date)
    [result] = payments_post_many(
        requests=[PaymentRequest(loan.pk, first.payment + second.payment, first.due_date, "ach", "f", "on-due")],
        actor=None,
    )
    assert result.error is None
    _assert_pays_first_and_second(loan, result.transaction, first, second, third)


def test_payment_the_day_before_a_due_date_pays_only_that_installment_then_prepays(monkeypatch):
    loan = boarded_loan(consumer=True)
    first, second = _numbered(loan, 1, 2)
    when = first.due_date - timedelta(days=1)
    set_today(monkeypatch, when)
    txn = _pay(loan, first.payment + D("100.00"), "eve", when=when)
    assert _lines(txn) == {
        (1, "interest"): first.interest,
        (1, "principal"): first.principal,
        (None, "prepayment"): D("100.00"),
    }
    assert _paid(first)[3] == when
    assert _paid(second)[:3] == (ZERO, ZERO, ZERO)


# --- idempotency keys --------------------------------------------------------------------------------------------


def test_a_new_payment_reusing_a_reversals_idempotency_key_is_refused():
    loan = boarded_loan()
    txn = _pay(loan, "900.00", "nsf")
    reversal = payment_reverse(transaction=txn, reason="NSF", actor=None)
    assert reversal.idempotency_key == "nsf:reversal"
    entries, audits = JournalEntry.objects.count(), AuditEvent.objects.count()
    with pytest.raises(PaymentError, match=rf"^idempotency_key: 'nsf:reversal' was already used .*\({reversal.pk}\)"):
        _pay(loan, "900.00", "nsf:reversal")
    assert LoanTransaction.objects.count() == 2
    assert (JournalEntry.objects.count(), AuditEvent.objects.count()) == (entries, audits)


def test_a_repeated_key_answers_with_the_first_posting_and_writes_nothing():
    loan = boarded_loan()
    first = _pay(loan, "900.00", "again")
    entries, lines, audits = JournalEntry.objects.count(), AllocationLine.objects.count(), AuditEvent.objects.count()
    assert _pay(loan, "5.00", "again").pk == first.pk
    assert (JournalEntry.objects.count(), AllocationLine.objects.count(), AuditEvent.objects.count()) == (
        entries,
        lines,
        audits,
    )


def _lose_the_race(monkeypatch):
    """As when another caller's posting of the same key commits while ours is on its way: under the loan's lock
    our look-up did not see it yet, so the unique key refuses our insert, our transaction rolls back whole, and
    we answer as a retry does."""
    seen = payments._existing_and_later
    monkeypatch.setattr(
        payments,
        "_existing_and_later",
        lambda key, loan, found: seen(key, loan, [t for t in found if t.idempotency_key != key]),
    )


def test_a_lost_race_on_the_key_answers_with_the_winners_posting(monkeypatch):
    loan = boarded_loan()
    won = _pay(loan, "900.00", "raced")
    counts = (JournalEntry.objects.count(), AllocationLine.objects.count(), AuditEvent.objects.count())
    _lose_the_race(monkeypatch)
    txn = _pay(LoanAccount.objects.get(pk=loan.pk), "5.00", "raced")
    assert txn.pk == won.pk
    assert txn.amount == D("900.00")
    assert LoanTransaction.objects.count() == 1
    assert (JournalEntry.objects.count(), AllocationLine.objects.count(), AuditEvent.objects.count()) == counts
    _assert_books()


def test_a_lost_race_after_a_backdated_replay_puts_every_later_payment_back(monkeypatch):
    loan, other = boarded_loan(), boarded_loan()
    first, second = _numbered(loan, 1, 2)
    later = [_pay(loan, first.payment, "later-1"), _pay(loan, second.payment, "later-2")]
    lines_before = [_lines(txn) for txn in later]
    paid_before = [_paid(first), _paid(second)]
    loan.refresh_from_db()
    balances = (loan.principal_balance, loan.escrow_balance, loan.suspense_balance, loan.next_due_date)
    _pay(other, "50.00", "raced-backdated")  # the winner, on another loan
    audits = AuditEvent.objects.count()
    _lose_the_race(monkeypatch)
    # Ours replays the later payments, then the key refuses it: all of it rolls back, and the key is refused.
    with pytest.raises(PaymentError, match=r"^idempotency_key: 'raced-backdated' was already used"):
        _pay(loan, "50.00", "raced-backdated", when=TODAY - timedelta(days=3))
    assert [_lines(txn) for txn in later] == lines_before
    assert [_paid(first), _paid(second)] == paid_before
    loan.refresh_from_db()
    assert (loan.principal_balance, loan.escrow_balance, loan.suspense_balance, loan.next_due_date) == balances
    assert not Replay.objects.exists()
    assert not LoanTransaction.objects.filter(loan=loan, idempotency_key="raced-backdated").exists()
    assert AuditEvent.objects.count() == audits
    _assert_books()


# --- an installment that prepayments have shrunk -----------------------------------------------------------------


def test_an_installment_shrunk_by_prepayments_is_settled_once_the_principal_still_owed_is_paid():
    loan = boarded_loan(consumer=True)
    first = _numbered(loan, 1)[0]
    _pay(loan, loan.principal_balance - first.principal, "curtail", directive="principal_only")
    loan.refresh_from_db()
    assert loan.principal_balance == first.principal
    # The schedule still asks for more principal than the loan owes (as prepayments can leave it).
    Installment.objects.filter(pk=first.pk).update(principal=first.principal + 10, payment=first.payment + 10)
    interest, owed = first.interest, first.principal
    txn = _pay(loan, interest + owed, "last")
    assert _lines(txn) == {(1, "interest"): interest, (1, "principal"): owed}
    assert _paid(first) == (interest, owed, ZERO, TODAY)
    loan.refresh_from_db()
    assert (loan.principal_balance, loan.next_due_date) == (ZERO, None)


def test_an_installment_not_shrunk_stays_open_until_paid_in_full():
    loan = boarded_loan(consumer=True)
    first = _numbered(loan, 1)[0]
    txn = _pay(loan, first.principal, "short", directive="standard")
    assert sum(_lines(txn).values()) == first.principal
    assert _paid(first)[3] is None
    loan.refresh_from_db()
    assert loan.next_due_date == first.due_date


# --- the loan's derived dates -------------------------------------------------------------------------------------


def test_interest_paid_through_is_the_disbursement_date_until_an_installments_interest_is_paid_in_full():
    loan = boarded_loan(consumer=True)
    first = _numbered(loan, 1)[0]
    _pay(loan, first.interest - D("0.01"), "short-interest")
    loan.refresh_from_db()
    assert (loan.interest_paid_through, loan.next_due_date) == (loan.disbursement_date, first.due_date)
    _pay(loan, D("0.01"), "rest-of-interest")
    loan.refresh_from_db()
    assert (loan.interest_paid_through, loan.next_due_date) == (first.due_date, first.due_date)


def test_an_installment_asking_for_nothing_is_not_the_next_due_date():
    loan = boarded_loan(consumer=True)
    first, second, third = _numbered(loan, 1, 2, 3)
    Installment.objects.filter(pk=second.pk).update(principal=ZERO, interest=ZERO, payment=ZERO)
    _pay(loan, first.payment, "first")
    loan.refresh_from_db()
    assert loan.next_due_date == third.due_date
    assert LoanAccount.objects.get(pk=loan.pk).next_due_date == third.due_date


# --- the guards ---------------------------------------------------------------------------------------------------


def test_an_idempotency_key_of_100_characters_is_taken_and_one_of_101_refused():
    loan = boarded_loan()
    assert _pay(loan, "1.00", "k" * 100).idempotency_key == "k" * 100
    entries = JournalEntry.objects.count()
    with pytest.raises(PaymentError, match=r"^idempotency_key: required, at most 100 characters$"):
        _pay(loan, "1.00", "k" * 101)
    assert (LoanTransaction.objects.count(), JournalEntry.objects.count()) == (1, entries)


@pytest.mark.parametrize(("amount", "refused"), [("0.00", True), ("0.01", False)])
def test_the_smallest_payment_is_one_cent(amount, refused):
    loan = boarded_loan()
    if refused:
        with pytest.raises(PaymentError, match=r"^amount: must be greater than zero, got 0\.00$"):
            _pay(loan, amount, "tiny")
        assert not LoanTransaction.objects.exists()
    else:
        assert _pay(loan, amount, "tiny").amount == D("0.01")


def test_a_payment_already_reversed_is_refused_as_such_and_nothing_written():
    loan = boarded_loan()
    txn = _pay(loan, "900.00", "twice")
    payment_reverse(transaction=txn, reason="NSF", actor=None)
    entries, audits = JournalEntry.objects.count(), AuditEvent.objects.count()
    with pytest.raises(PaymentError, match=rf"^transaction: transaction {txn.pk} is already reversed$"):
        payment_reverse(transaction=txn, reason="NSF again", actor=None)
    assert LoanTransaction.objects.filter(kind="reversal").count() == 1
    assert (JournalEntry.objects.count(), AuditEvent.objects.count()) == (entries, audits)
