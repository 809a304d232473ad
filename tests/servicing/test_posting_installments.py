"""How a payment's lines land on its installments (``servicing.services.posting``: ``dues_of``,
``installments_add``, ``installments_unapply``, ``loan_dates``), pinned where the complete mutation run of
session 10 found no test: a fee line on a paid installment followed by the next installment's line, principal
left by prepayments shared out over two installments, and interest paid through once every installment's
interest is paid. Each test asserts what was written."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import F

from servicing.models import Installment, LoanAccount, LoanTransaction
from servicing.services.payments import PaymentError
from servicing.services.posting import loans_dates_refresh
from servicing.services.transfer_boarding import loan_board_transfer
from tests.servicing.factories import boarded_loan
from tests.servicing.factories_portal import set_today
from tests.servicing.test_boarding_transfer import transfer
from tests.servicing.test_payments import TODAY, _assert_books, _lines, _pay
from tests.servicing.test_posting_pieces import _charge_fees

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")


def _numbered(loan, *numbers) -> list[Installment]:
    return list(Installment.objects.filter(loan=loan, number__in=numbers).order_by("number"))


def _paid(installment) -> tuple[Decimal, Decimal, Decimal, object]:
    installment.refresh_from_db()
    return (installment.paid_interest, installment.paid_principal, installment.paid_late_fees, installment.paid_on)


def test_a_payment_of_a_paid_installments_late_fee_and_the_next_installment_pays_both(monkeypatch):
    loan = boarded_loan(consumer=True)
    first, second = _numbered(loan, 1, 2)
    set_today(monkeypatch, first.due_date)
    _pay(loan, first.payment, "first", when=first.due_date)
    _charge_fees(loan, first, late_fees=D("15.00"), fees=ZERO)
    # On the first's due date the payment is for its 15.00 late fee (the first is paid, the fee still owed) and
    # the next installment billed, the second: 15.00 + the second's periodic payment pays both in full.
    txn = _pay(loan, second.payment + D("15.00"), "fee-and-second", when=first.due_date)
    assert _lines(txn) == {
        (1, "late_fees"): D("15.00"),
        (2, "interest"): second.interest,
        (2, "principal"): second.principal,
    }
    assert _paid(first) == (first.interest, first.principal, D("15.00"), first.due_date)
    assert _paid(second) == (second.interest, second.principal, ZERO, first.due_date)
    loan.refresh_from_db()
    assert loan.interest_paid_through == second.due_date
    _assert_books()


def test_principal_left_by_prepayments_goes_to_the_oldest_due_and_the_next_is_settled_with_what_remains(
    monkeypatch,
):
    loan = boarded_loan(consumer=True)
    first = _numbered(loan, 1)[0]
    # A curtailment leaves 10.00 more principal than the first installment asks for (the schedule after it
    # charges interest on what is left).
    _pay(loan, loan.principal_balance - first.principal - D("10.00"), "curtail", directive="principal_only")
    loan.refresh_from_db()
    first, second, third = _numbered(loan, 1, 2, 3)  # as the curtailment left them
    left = loan.principal_balance - first.principal
    assert left == D("10.00")
    # The schedule asks the second for 50.00 more principal than the loan owes once the first is paid (as
    # prepayments can leave it): the first is owed its whole principal, the second only what is left, the third
    # nothing.
    Installment.objects.filter(pk=second.pk).update(principal=left + 50, payment=second.interest + left + 50)
    set_today(monkeypatch, second.due_date)
    # Both due by the second's due date: the first's periodic payment, the second's interest and what is left.
    txn = _pay(loan, first.payment + second.interest + left, "both", when=second.due_date)
    assert _lines(txn) == {
        (1, "interest"): first.interest,
        (1, "principal"): first.principal,
        (2, "interest"): second.interest,
        (2, "principal"): left,
    }
    assert _paid(first) == (first.interest, first.principal, ZERO, second.due_date)
    # The second, shrunk to what was left, is settled by it; the third is not touched.
    assert _paid(second) == (second.interest, left, ZERO, second.due_date)
    assert _paid(third) == (ZERO, ZERO, ZERO, None)
    loan.refresh_from_db()
    assert loan.principal_balance == ZERO
    _assert_books()


def test_interest_is_paid_through_the_last_due_date_once_every_installments_interest_is_paid():
    loan = boarded_loan(consumer=True)
    installments = list(Installment.objects.filter(loan=loan).order_by("due_date"))
    assert len(installments) == 36
    Installment.objects.filter(loan=loan).update(paid_interest=F("interest"))
    loans_dates_refresh([loan.pk])
    assert LoanAccount.objects.get(pk=loan.pk).interest_paid_through == installments[-1].due_date
    # Every installment but the last with its interest paid: paid through the one before the last.
    Installment.objects.filter(pk=installments[-1].pk).update(paid_interest=ZERO)
    loans_dates_refresh([loan.pk])
    assert LoanAccount.objects.get(pk=loan.pk).interest_paid_through == installments[-2].due_date


# --- which installments a payment is for ------------------------------------------------------------------------


def test_a_payment_is_for_its_own_loans_installments_not_those_of_another_loan_due_earlier(monkeypatch):
    # Another loan with two installments due (2026-10-15 and 2026-11-15) before this payment's date.
    other = boarded_loan(consumer=True, closing_date=date(2026, 8, 14), first_payment_date=date(2026, 10, 15))
    loan = boarded_loan(consumer=True)
    first = _numbered(loan, 1)[0]
    set_today(monkeypatch, date(2026, 12, 1))
    txn = _pay(loan, first.payment, "own", when=date(2026, 12, 1))
    assert _lines(txn) == {(1, "interest"): first.interest, (1, "principal"): first.principal}
    assert _paid(first) == (first.interest, first.principal, ZERO, date(2026, 12, 1))
    assert [_paid(i) for i in _numbered(other, 1, 2, 3)] == [(ZERO, ZERO, ZERO, None)] * 3
    _assert_books()


def test_an_installment_settled_short_is_not_paid_again_the_payment_is_for_the_next_one(monkeypatch):
    loan = boarded_loan(consumer=True)
    first, second = _numbered(loan, 1, 2)
    # The first settled 10.00 short of its scheduled principal (as prepayments can leave it): settled, it owes
    # nothing more, so a payment on its due date is for the second alone.
    Installment.objects.filter(pk=first.pk).update(
        paid_interest=F("interest"), paid_principal=F("principal") - 10, paid_on=first.due_date
    )
    set_today(monkeypatch, first.due_date)
    txn = _pay(loan, second.payment, "second", when=first.due_date)
    assert _lines(txn) == {(2, "interest"): second.interest, (2, "principal"): second.principal}
    assert _paid(first) == (first.interest, first.principal - 10, ZERO, first.due_date)
    assert _paid(second) == (second.interest, second.principal, ZERO, first.due_date)


# --- the loan's derived dates, as a reversal or a replay refreshes them (loans_dates_refresh) -----------------------


def _dates(loan) -> tuple[object, object]:
    loans_dates_refresh([loan.pk])
    next_due, paid_through = LoanAccount.objects.values_list("next_due_date", "interest_paid_through").get(pk=loan.pk)
    return next_due, paid_through


def test_the_next_due_date_skips_an_installment_asking_for_nothing_not_one_asking_for_fifty_cents():
    loan = boarded_loan(consumer=True)
    first, second, third = _numbered(loan, 1, 2, 3)
    Installment.objects.filter(pk=first.pk).update(
        paid_interest=F("interest"), paid_principal=F("principal"), paid_on=first.due_date
    )
    Installment.objects.filter(pk=second.pk).update(interest=ZERO, principal=ZERO, payment=ZERO)
    Installment.objects.filter(pk=third.pk).update(interest=ZERO, principal=D("0.50"), payment=D("0.50"))
    # The first paid, the second asks for nothing (not due), the third asks for 0.50 (due). Interest is paid
    # through the third: the first's interest is paid, the second's and the third's are nothing.
    assert _dates(loan) == (third.due_date, third.due_date)


def test_a_loans_dates_are_its_own_installments_not_another_loans():
    # Another loan with installments due (and interest unpaid) months before this loan's, on the 15th: one of
    # them falls between this loan's first two due dates.
    boarded_loan(consumer=True, closing_date=date(2026, 8, 14), first_payment_date=date(2026, 10, 15))
    loan = boarded_loan(consumer=True)
    first, second = _numbered(loan, 1, 2)
    assert (first.due_date, second.due_date) == (date(2027, 1, 1), date(2027, 2, 1))
    Installment.objects.filter(pk=first.pk).update(
        paid_interest=F("interest"), paid_principal=F("principal"), paid_on=first.due_date
    )
    assert _dates(loan) == (second.due_date, first.due_date)


def test_a_loan_not_transferred_is_paid_through_its_disbursement_date_not_a_transferred_loans_boarding_date():
    transferred = loan_board_transfer(loan=transfer(), actor=None)
    assert transferred.interest_paid_through == date(2025, 12, 1)  # the boarding date of the transfer
    loan = boarded_loan(consumer=True)
    first = _numbered(loan, 1)[0]
    assert _dates(loan) == (first.due_date, loan.disbursement_date)
    assert loan.disbursement_date != date(2025, 12, 1)


def test_a_loan_funded_after_its_closing_is_paid_through_its_disbursement_date_not_its_funding_day():
    # Closed (and disbursed) on its closing date, the wire funded three days later: interest runs from the
    # disbursement date, and the disbursement's journal entry is dated the funding day.
    loan = boarded_loan(consumer=True, funded_on=date(2026, 11, 16))
    first = _numbered(loan, 1)[0]
    assert loan.disbursement_date == date(2026, 11, 13)
    assert _dates(loan) == (first.due_date, date(2026, 11, 13))


# --- the guards ---------------------------------------------------------------------------------------------------


def test_a_payment_on_a_paid_off_loan_is_refused_naming_the_loan_and_nothing_is_written():
    loan = boarded_loan(consumer=True)
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.PAID_OFF)
    loan.refresh_from_db()
    with pytest.raises(PaymentError) as refused:
        _pay(loan, "100.00", "after-payoff")
    assert (str(refused.value), refused.value.field) == (f"loan: {loan.loan_number} is paid off", "loan")
    assert not LoanTransaction.objects.filter(loan=loan).exists()


def test_escrow_still_owed_is_the_escrow_less_what_was_paid_and_the_rest_is_a_prepayment():
    loan = boarded_loan()  # an escrowed mortgage
    LoanAccount.objects.filter(pk=loan.pk).update(allocation_strategy="fees_interest_principal")
    loan.refresh_from_db()
    first = _numbered(loan, 1)[0]
    # The first paid ahead but 2.00 short of its escrow; then 102.00: 2.00 finishes its escrow, 100.00 is prepaid.
    _pay(loan, first.payment - 2, "short")
    txn = _pay(loan, D("102.00"), "rest")
    assert _lines(txn) == {(1, "escrow"): D("2.00"), (None, "prepayment"): D("100.00")}
    first.refresh_from_db()
    assert (first.paid_escrow, first.paid_on) == (first.escrow, TODAY)
    _assert_books()
