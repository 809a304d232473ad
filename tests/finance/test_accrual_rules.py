"""Accrual rules pinned one by one (issue 17): the days a span records, a degenerate period, a 30/360 day that
counts for nothing, and refusals word for word."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from lending.finance import accrual

D = Decimal


@pytest.mark.parametrize(
    ("after", "through", "day_count", "days"),
    [
        (date(2026, 1, 1), date(2026, 1, 31), "actual/365", 30),
        # 30/360 counts Jan 31 as the 30th: Jan 31 -> Mar 1 is 31 days by it, 29 actual days.
        (date(2026, 1, 31), date(2026, 3, 1), "30/360", 31),
        (date(2026, 1, 31), date(2026, 3, 1), "actual/360", 29),
        (date(2026, 1, 1), date(2026, 1, 1), "actual/365", 0),
        (date(2026, 1, 10), date(2026, 1, 1), "actual/365", 0),  # a backward span records no days, never -9
    ],
)
def test_the_days_an_accrual_row_records(after, through, day_count, days):
    assert accrual.accrual_days(after, through, day_count) == days


def test_a_period_of_no_days_counts_as_one_day():
    # Never a zero divisor: a period whose start is its due date counts one day (the schedule never makes one:
    # the first due date is after the disbursement and due dates are distinct).
    period = accrual.Period(date(2026, 3, 1), date(2026, 3, 1), D("12.34"))
    assert accrual.period_days(period, "actual/365") == 1


def test_a_day_that_30_360_counts_as_nothing_earns_nothing():
    # Period Jan 30 -> Feb 28 (30/360: 28 days). Jan 31 is the "30th" under 30/360: 0 days elapsed, 0.00 earned.
    period = accrual.Period(date(2026, 1, 30), date(2026, 2, 28), D("280.00"))
    assert accrual.earned_through(period, date(2026, 1, 31), "30/360") == D("0.00")
    assert accrual.earned_through(period, date(2026, 2, 1), "30/360") == D("10.00")  # 1 day of 28: 280 / 28


@pytest.mark.parametrize(
    ("interest", "message"),
    [
        (D("1.001"), "interest: 1.001 is not a whole number of cents"),
        (D("-1.00"), "interest must not be negative, got -1.00"),
    ],
)
def test_bad_period_interest_is_refused_by_name(interest, message):
    period = accrual.Period(date(2026, 1, 1), date(2026, 2, 1), interest)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        accrual.earned_through(period, date(2026, 1, 15), "actual/365")
