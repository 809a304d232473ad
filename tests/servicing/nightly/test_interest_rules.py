"""Interest accrual rules at their edges: a loan's open period is found among its own installments, and interest
accrued through a due date starts the next period from zero.

The factory mortgage (tests.servicing.factories.boarded_loan): 300,000.00 at 6.5 %, 30/360, disbursed Nov 13 2026,
installment 1 due Jan 1 2027 (2,600.06 of interest), installment 2 due Feb 1 2027 (1,623.53: 54.12 a day for the
first days, cents(1,623.53 x k / 30)).
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import F

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import Installment, InterestAccrual, JournalEntry, LoanAccount
from servicing.services.nightly.steps import interest as interest_step
from servicing.services.nightly.steps.interest import InterestStep, accrual_lines, interest_accrue
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal


def _night(day: date) -> None:
    step = InterestStep()
    result = step.run_chunk(day, list(step.pending_loan_ids(day)), None)
    assert result.errors == []


def _rows(loan: LoanAccount, day: date) -> list[tuple[int, int, Decimal]]:
    rows = InterestAccrual.objects.filter(loan=loan, accrual_date=day).order_by("pk")
    return [(row.installment.number if row.installment else 0, row.days, row.amount) for row in rows]


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


def _loan(due: str, prepaid: str) -> LoanAccount:
    return LoanAccount(interest_due=D(due), interest_prepaid=D(prepaid))


@pytest.mark.parametrize(
    ("due", "prepaid", "earned", "lines"),
    [
        # Earned 0.50 (under a dollar still counts): receivable Dr 0.50, income Cr 0.50.
        ("0.00", "0.00", "0.50", [("interest_receivable", "0.50", "0"), ("interest_income", "0", "0.50")]),
        # Paid in advance 30.00 of 54.12 earned: prepaid Dr 30.00, receivable Dr 54.12 - 30.00 = 24.12.
        (
            "0.00",
            "30.00",
            "54.12",
            [
                ("interest_prepaid", "30.00", "0"),
                ("interest_receivable", "24.12", "0"),
                ("interest_income", "0", "54.12"),
            ],
        ),
        # Paid in advance 100.00, more than the 54.12 earned: all of it from prepaid, no receivable line.
        ("0.00", "100.00", "54.12", [("interest_prepaid", "54.12", "0"), ("interest_income", "0", "54.12")]),
        # A period that shrank by 15.00 with 10.00 receivable: income Dr 15.00, receivable Cr 10.00, the other
        # 15.00 - 10.00 = 5.00 back to prepaid.
        (
            "10.00",
            "0.00",
            "-15.00",
            [
                ("interest_income", "15.00", "0"),
                ("interest_receivable", "0", "10.00"),
                ("interest_prepaid", "0", "5.00"),
            ],
        ),
        # Shrank by 15.00 with 40.00 receivable: all of it off receivable.
        ("40.00", "0.00", "-15.00", [("interest_income", "15.00", "0"), ("interest_receivable", "0", "15.00")]),
        # Shrank by 2.00 with nothing receivable: all to prepaid.
        ("0.00", "0.00", "-2.00", [("interest_income", "2.00", "0"), ("interest_prepaid", "0", "2.00")]),
        ("5.00", "5.00", "0.00", []),  # nothing earned: no lines
    ],
)
def test_the_accrual_lines_take_earned_interest_from_prepaid_first_and_give_it_back_to_receivable_first(
    due, prepaid, earned, lines
):
    got = accrual_lines(_loan(due, prepaid), D(earned))
    assert got == [(code, D(debit), D(credit)) for code, debit, credit in lines]


def test_two_loans_at_different_places_in_their_schedules_accrue_in_one_chunk():
    fresh = boarded_loan()  # accrued through its disbursement, Nov 13 2026
    caught_up = boarded_loan()
    LoanAccount.objects.filter(pk=caught_up.pk).update(interest_accrued_through=date(2027, 1, 1))
    assert interest_accrue(business_date=date(2027, 1, 2), loan_ids=[fresh.pk, caught_up.pk], actor=None) == 2
    # fresh: the whole first period (2,600.06) and a day of the second (54.12); caught_up: the day only.
    assert _rows(fresh, date(2027, 1, 1)) == [(1, 48, D("2600.06"))]
    assert _rows(fresh, date(2027, 1, 2)) == [(2, 1, D("54.12"))]
    assert _rows(caught_up, date(2027, 1, 2)) == [(2, 1, D("54.12"))]


def test_a_night_past_the_last_due_date_accrues_the_rest_of_the_last_period_and_then_nothing():
    loan = boarded_loan()
    last = Installment.objects.get(loan=loan, number=360)
    assert last.due_date == date(2056, 12, 1)
    # Settled through the 359th due date, Nov 1 2056; the night of Dec 5 2056 is past the last due date: the whole
    # last period is earned, its installment's interest, in one row dated its due date.
    LoanAccount.objects.filter(pk=loan.pk).update(interest_accrued_through=date(2056, 11, 1))
    _night(date(2056, 12, 5))
    assert _rows(loan, date(2056, 12, 1)) == [(360, 30, last.interest)]
    _night(date(2056, 12, 6))  # nothing left to earn
    assert InterestAccrual.objects.filter(loan=loan).count() == 1
    loan.refresh_from_db()
    assert (loan.interest_due, loan.interest_accrued_through) == (last.interest, date(2056, 12, 6))


def test_the_accrual_entries_are_the_runs_actor(caplog):
    loans = [boarded_loan(), boarded_loan()]
    operator = user_with_role(roles.SERVICER)
    with caplog.at_level(logging.INFO):
        result = InterestStep().run_chunk(date(2027, 1, 2), [loan.pk for loan in loans], operator)
    assert (result.done, result.errors) == (2, [])
    entries = JournalEntry.objects.filter(kind="accrual", effective_date=date(2027, 1, 2))
    assert sorted(entries.values_list("loan_id", "created_by")) == [
        (loans[0].pk, operator.pk),
        (loans[1].pk, operator.pk),
    ]
    assert AuditEvent.objects.get(verb="journal.posted_bulk").actor == operator
    # A healthy chunk is accrued in one go, not retried loan by loan (100,000 loans a night).
    assert "retrying one loan at a time" not in caplog.text


def test_a_loan_accrued_alone_after_its_chunk_failed_is_the_runs_actor(monkeypatch):
    loan = boarded_loan()
    operator = user_with_role(roles.SERVICER)
    real = interest_step.interest_accrue
    calls = []

    def fails_for_the_chunk(*, business_date, loan_ids, actor):
        calls.append(list(loan_ids))
        if len(calls) == 1:
            raise RuntimeError("the chunk failed")
        return real(business_date=business_date, loan_ids=loan_ids, actor=actor)

    monkeypatch.setattr(interest_step, "interest_accrue", fails_for_the_chunk)
    result = InterestStep().run_chunk(date(2027, 1, 2), [loan.pk], operator)
    assert (result.done, result.errors, calls) == (1, [], [[loan.pk], [loan.pk]])  # retried alone, accrued
    entry = JournalEntry.objects.get(kind="accrual", loan=loan, effective_date=date(2027, 1, 2))
    assert entry.created_by == operator
