"""Interest accrual rules at their edges: a loan's open period is found among its own installments, and interest
accrued through a due date starts the next period from zero.

The factory mortgage (tests.servicing.factories.boarded_loan): 300,000.00 at 6.5 %, 30/360, disbursed Nov 13 2026,
installment 1 due Jan 1 2027 (2,600.06 of interest), installment 2 due Feb 1 2027 (1,623.53: 54.12 a day for the
first days, cents(1,623.53 x k / 30)).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import F

from servicing.models import Installment, InterestAccrual, LoanAccount
from servicing.services.nightly.steps.interest import InterestStep, interest_accrue
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal


def _night(day: date) -> None:
    step = InterestStep()
    result = step.run_chunk(day, list(step.pending_loan_ids(day)), None)
    assert result.errors == []


def _rows(loan: LoanAccount, day: date) -> list[tuple[int, int, Decimal]]:
    rows = InterestAccrual.objects.filter(loan=loan, accrual_date=day).order_by("pk")
    return [(row.installment.number, row.days, row.amount) for row in rows]


def _number_from_13(loan: LoanAccount) -> None:
    """Number the loan's installments from 13, as a transferred loan's (twelve paid before boarding)."""
    Installment.objects.filter(loan=loan).update(number=F("number") + 1000)
    Installment.objects.filter(loan=loan).update(number=F("number") - 988)


@pytest.mark.parametrize("from_13", ["other", "this"])
def test_each_loans_open_period_is_found_among_its_own_installments(from_13):
    # Another loan due on the 15th: its Jan 15 installment is due between this loan's Jan 1 and Feb 1 ones. One of
    # the two is numbered from 13, so the other loan's numbers are no guide to this loan's periods.
    other = boarded_loan(first_payment_date=date(2027, 1, 15))
    loan = boarded_loan()
    _number_from_13(other if from_13 == "other" else loan)
    first = 13 if from_13 == "this" else 1
    _night(date(2027, 1, 1))
    _night(date(2027, 1, 2))
    # This loan on Jan 2: one day of its second installment's period, cents(1,623.53 / 30) = 54.12.
    assert _rows(loan, date(2027, 1, 2)) == [(first + 1, 1, D("54.12"))]
    loan.refresh_from_db()
    assert loan.interest_due == D("2654.18")  # 2,600.06 + 54.12


def test_a_loan_no_longer_active_when_its_chunk_runs_is_not_accrued():
    loan = boarded_loan()
    ids = list(InterestStep().pending_loan_ids(date(2027, 1, 2)))
    assert ids == [loan.pk]
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.CHARGED_OFF)  # before the chunk runs
    assert interest_accrue(business_date=date(2027, 1, 2), loan_ids=ids, actor=None) == 1  # looked at, not accrued
    assert not InterestAccrual.objects.filter(loan=loan).exists()
    loan.refresh_from_db()
    assert (loan.interest_due, loan.interest_accrued_through) == (D("0.00"), date(2026, 11, 13))


def test_interest_accrued_through_a_due_date_starts_the_next_period_from_zero():
    loan = boarded_loan()
    # As a loan boarded with its interest settled through its Jan 1 2027 due date: no accrual rows yet.
    LoanAccount.objects.filter(pk=loan.pk).update(interest_accrued_through=date(2027, 1, 1))
    _night(date(2027, 1, 2))
    assert list(InterestAccrual.objects.filter(loan=loan).values_list("accrual_date", flat=True)) == [date(2027, 1, 2)]
    assert _rows(loan, date(2027, 1, 2)) == [(2, 1, D("54.12"))]  # not the Jan 1 period's 2,600.06 again
    loan.refresh_from_db()
    assert (loan.interest_due, loan.interest_accrued_through) == (D("54.12"), date(2027, 1, 2))
