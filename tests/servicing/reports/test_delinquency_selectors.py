"""The delinquency report's figures from a constructed month-end tape: counts per (month, before, after), the
roll-rate matrix and the month figures, the product filter, and one query whatever the number of loans."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from servicing.models import LoanMonthEndCount
from servicing.selectors.delinquency_report import (
    DelinquencyFilters,
    add_months,
    closed_month,
    delinquency_report,
    latest_tape_month,
    months_between,
    tape_counts,
    window,
)

pytestmark = pytest.mark.django_db
D = Decimal
FEB, MAR = date(2027, 2, 1), date(2027, 3, 1)


def test_months_are_first_days_counted_across_years():
    assert add_months(date(2026, 11, 1), 3) == date(2027, 2, 1)
    assert add_months(date(2027, 1, 1), -1) == date(2026, 12, 1)
    assert months_between(date(2026, 11, 20), date(2027, 1, 5)) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]


def test_tape_counts_group_by_month_and_move(tape):
    counts = tape_counts(DelinquencyFilters(first_month=FEB, last_month=MAR))
    assert [(c.month, c.before, c.after, c.loans, c.balance_before, c.balance_after) for c in counts] == [
        (FEB, "new", "1-29", 1, D("0.00"), D("100000.00")),
        (FEB, "new", "current", 3, D("0.00"), D("550000.00")),  # 300,000 + 200,000 + 50,000
        (MAR, "1-29", "current", 1, D("100000.00"), D("99000.00")),
        (MAR, "current", "30-59", 1, D("200000.00"), D("200000.00")),
        (MAR, "current", "current", 1, D("300000.00"), D("299000.00")),
        (MAR, "current", "paid_off", 1, D("50000.00"), D("0.00")),
    ]


def test_the_report_gives_the_last_month_matrix_and_each_month_figures(tape):
    report = delinquency_report(DelinquencyFilters(first_month=FEB, last_month=MAR))
    current = report.matrix[0]
    # Current at the end of February: L1, L2, L4 ($550,000). L1 stayed (1/3, 300/550 = 54.5 %), L2 rolled to 30-59
    # (200/550 = 36.4 %), L4 paid off (50/550 = 9.1 %).
    cells = {cell.to_bucket: (cell.loans, cell.percent, cell.balance_percent) for cell in current.cells}
    assert (current.loans, current.balance) == (3, D("550000.00"))
    assert cells["current"] == (1, D("33.3"), D("54.5"))
    assert cells["30-59"] == (1, D("33.3"), D("36.4"))
    assert cells["paid_off"] == (1, D("33.3"), D("9.1"))
    early = report.matrix[1]
    assert (early.from_bucket, early.loans, early.cells[0].percent) == ("1-29", 1, D("100.0"))
    feb, mar = report.months
    assert (feb.month, feb.loans, feb.balances[0]) == (FEB, [3, 1, 0, 0, 0, 0], D("550000.00"))
    assert (feb.entering, feb.curing) == (1, 0)
    assert mar.loans == [2, 0, 1, 0, 0, 0]  # L1 and L3 current, L2 in 30-59
    assert mar.balances[:3] == [D("398000.00"), D("0"), D("200000.00")]  # 299,000 + 99,000
    assert (mar.entering, mar.entering_balance, mar.curing, mar.curing_balance) == (1, D("200000.00"), 1, D("99000.00"))
    assert (mar.paid_off, mar.past_due_percent) == (1, D("33.4"))  # 200,000 / 598,000 = 33.44 %


def test_the_product_filter_keeps_that_product_only(tape):
    report = delinquency_report(DelinquencyFilters(first_month=MAR, last_month=MAR, product="p-b"))
    assert [(c.before, c.after, c.loans) for c in report.counts] == [("current", "paid_off", 1)]
    assert (report.months[0].paid_off, report.months[0].total_loans) == (1, 0)


def test_latest_tape_month(tape):
    assert latest_tape_month(date(2027, 6, 3)) == MAR
    LoanMonthEndCount.objects.all().delete()
    assert latest_tape_month(date(2027, 6, 3)) == date(2027, 5, 1)  # none yet: the month before today's


def test_one_query_for_one_loan_or_many(django_assert_num_queries, tape):
    filters = DelinquencyFilters(first_month=FEB, last_month=MAR)
    with django_assert_num_queries(1):
        delinquency_report(filters)
    LoanMonthEndCount.objects.exclude(pk=LoanMonthEndCount.objects.order_by("pk").values("pk").first()["pk"]).delete()
    with django_assert_num_queries(1):
        delinquency_report(filters)


def test_the_window_ends_with_the_last_month_closed_by_the_as_of_date():
    # January 2027 closes on Friday the 29th (the 30th and 31st are a weekend).
    assert closed_month(date(2027, 1, 28)) == date(2026, 12, 1)
    assert closed_month(date(2027, 1, 29)) == date(2027, 1, 1)
    assert closed_month(date(2027, 1, 31)) == date(2027, 1, 1)
    assert window(date(2027, 3, 5), 6) == DelinquencyFilters(first_month=date(2026, 9, 1), last_month=FEB)
