"""The month-end loan tape: the nightly close of a month's last business day writes each loan's row (once), with
its row of the month before; a past month is rebuilt from the delinquency history and the ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum

from lending.core import roles
from servicing.models import DelinquencyHistory, LoanAccount, LoanMonthEnd, LoanMonthEndCount
from servicing.services.ledger import journal_post
from servicing.services.month_end import is_month_close, month_close, month_end_rebuild, month_end_record
from servicing.services.nightly.steps.month_end import MonthEndStep
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal
DEC_CLOSE = date(2026, 12, 31)  # a Thursday
JAN_CLOSE = date(2027, 1, 29)  # a Friday: January 30 and 31, 2027 are a weekend


def _rows(month):
    return {
        row.loan_id: (row.bucket_before, row.principal_before, row.bucket, row.days_past_due, row.principal_balance)
        for row in LoanMonthEnd.objects.filter(month=month)
    }


def _counts_agree_with_the_tape():
    """The kept counts equal the tape grouped the same way."""
    grouped = (
        LoanMonthEnd.objects.values("month", "product_code", "bucket_before", "bucket")
        .annotate(n=Count("pk"), before=Sum("principal_before"), after=Sum("principal_balance"))
        .order_by("month", "product_code", "bucket_before", "bucket")
    )
    kept = LoanMonthEndCount.objects.order_by("month", "product_code", "bucket_before", "bucket")
    assert [
        (r["month"], r["product_code"], r["bucket_before"], r["bucket"], r["n"], r["before"], r["after"])
        for r in grouped
    ] == [
        (c.month, c.product_code, c.bucket_before, c.bucket, c.loans, c.principal_before, c.principal_balance)
        for c in kept
    ]
    return len(kept)


def test_a_month_closes_on_its_last_business_day():
    assert month_close(date(2026, 12, 1)) == DEC_CLOSE
    assert month_close(date(2027, 1, 1)) == JAN_CLOSE
    assert (is_month_close(DEC_CLOSE), is_month_close(date(2026, 12, 30)), is_month_close(JAN_CLOSE)) == (
        True,
        False,
        True,
    )


@pytest.fixture
def book():
    """Boarded November 13, 2026 for $300,000: one current, one 30-59 days past due (45 days), one paid off on
    December 10."""
    current, late, paid = boarded_loan(), boarded_loan(), boarded_loan()
    LoanAccount.objects.filter(pk=late.pk).update(days_past_due=45, delinquency_bucket="30-59")
    LoanAccount.objects.filter(pk=paid.pk).update(
        status=LoanAccount.Status.PAID_OFF, paid_off_on=date(2026, 12, 10), principal_balance=D("0.00")
    )
    return current, late, paid


def test_the_close_of_a_month_records_each_loan_once_with_the_month_before(book):
    current, late, paid = book
    step = MonthEndStep()
    assert list(step.pending_loan_ids(date(2026, 12, 30))) == []  # not a month's close
    ids = list(step.pending_loan_ids(DEC_CLOSE))
    assert ids == sorted([current.pk, late.pk, paid.pk])
    assert step.run_chunk(DEC_CLOSE, ids, None).done == 3
    assert _rows(date(2026, 12, 1)) == {
        current.pk: ("new", D("0.00"), "current", 0, D("300000.00")),
        late.pk: ("new", D("0.00"), "30-59", 45, D("300000.00")),
        paid.pk: ("new", D("0.00"), "paid_off", 0, D("0.00")),
    }
    assert list(step.pending_loan_ids(DEC_CLOSE)) == []  # a rerun finds nothing to do
    assert month_end_record(business_date=DEC_CLOSE, loan_ids=ids) == 0
    # January: the paid-off loan has left the book; the others carry December's row.
    LoanAccount.objects.filter(pk=late.pk).update(days_past_due=0, delinquency_bucket="current")
    assert month_end_record(business_date=JAN_CLOSE, loan_ids=ids) == 2
    assert _rows(date(2027, 1, 1)) == {
        current.pk: ("current", D("300000.00"), "current", 0, D("300000.00")),
        late.pk: ("30-59", D("300000.00"), "current", 0, D("300000.00")),
    }
    # Counted as written: Dec new->current, new->30-59, new->paid_off; Jan current->current, 30-59->current.
    assert _counts_agree_with_the_tape() == 5


def test_a_past_month_is_rebuilt_from_the_history_and_the_ledger(book):
    current, late, paid = book
    manager = user_with_role(roles.MANAGER)
    # The late loan went 1-29 on January 20 (5 days past due): 14 days at the close of January 29.
    DelinquencyHistory.objects.create(
        loan=late,
        as_of=date(2027, 1, 20),
        days_past_due=5,
        bucket_from="current",
        bucket_to="1-29",
        status_from="current",
        status_to="delinquent",
    )
    # $1,000.00 of principal repaid on January 15 counts; $500.00 on February 1 is after the close.
    for day, amount in ((date(2027, 1, 15), D("1000.00")), (date(2027, 2, 1), D("500.00"))):
        journal_post(
            actor=None,
            loan=current,
            effective_date=day,
            kind="payment",
            memo="test",
            lines=[("cash", amount, D("0")), ("loans_receivable", D("0"), amount)],
        )
    assert month_end_rebuild(month=date(2026, 12, 1), actor=manager) == 3
    assert month_end_rebuild(month=date(2027, 1, 1), actor=manager) == 2
    assert _rows(date(2027, 1, 1)) == {
        current.pk: ("current", D("300000.00"), "current", 0, D("299000.00")),
        late.pk: ("current", D("300000.00"), "1-29", 14, D("300000.00")),
    }
    assert _rows(date(2026, 12, 1))[paid.pk] == ("new", D("0.00"), "paid_off", 0, D("0.00"))
    assert _counts_agree_with_the_tape() == 5
    with pytest.raises(ValueError, match="2027-01 is already written"):
        month_end_rebuild(month=date(2027, 1, 1), actor=manager)


def test_the_command_rebuilds_months_oldest_first_and_refuses_a_written_one(book):
    out = StringIO()
    call_command("month_end_rebuild", "--from", "2026-12", "--through", "2027-01", stdout=out)
    assert out.getvalue() == "2026-12: 3 loans on the tape.\n2027-01: 2 loans on the tape.\n"
    with pytest.raises(CommandError, match="2027-01 is already written"):
        call_command("month_end_rebuild", "--from", "2027-01")
    with pytest.raises(CommandError, match=r"'2027-13': expected a month, YYYY-MM\."):
        call_command("month_end_rebuild", "--from", "2027-13")
