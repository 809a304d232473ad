"""Day counts (ISDA 2006 4.16): the 30/360 US month-end and February rules and actual/actual ISDA, at each rule's
boundary, with the expected days and fractions written out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending.finance.daycount import days_30_360_us, days_between, year_fraction


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        # D2 = 31 becomes 30 only when D1 is 30 or 31.
        (date(2027, 1, 30), date(2027, 3, 31), 60),
        (date(2027, 1, 31), date(2027, 3, 31), 60),
        (date(2027, 1, 29), date(2027, 3, 31), 62),
        # D1 = 31 becomes 30.
        (date(2027, 1, 31), date(2027, 3, 15), 45),
        # From the last day of February, D1 is 30 (and so a 31st end is 30).
        (date(2027, 2, 28), date(2027, 3, 31), 30),
        (date(2027, 2, 28), date(2027, 3, 15), 15),
        (date(2028, 2, 29), date(2028, 3, 31), 30),
        # February 28 of a leap year is not its last day: no adjustment.
        (date(2028, 2, 28), date(2028, 3, 31), 33),
        # The last of February to the last of February: both 30, a whole year.
        (date(2027, 2, 28), date(2028, 2, 29), 360),
        (date(2028, 2, 29), date(2029, 2, 28), 360),
        # Ending on the last of February from another day: the end is not moved.
        (date(2027, 1, 15), date(2027, 2, 28), 43),
        # A March 31 start is not a February end.
        (date(2027, 3, 31), date(2027, 4, 30), 30),
    ],
)
def test_30_360_us_moves_month_ends_and_february_ends_to_the_30th(start, end, days):
    assert days_30_360_us(start, end) == days
    assert days_between(start, end, "30/360") == days


def test_an_unknown_convention_is_refused_naming_every_convention():
    with pytest.raises(ValueError, match="unknown convention") as refused:
        days_between(date(2027, 1, 1), date(2027, 2, 1), "actual/364")
    assert str(refused.value) == (
        "day_count: unknown convention 'actual/364'; use one of 30/360, actual/360, actual/365, actual/actual"
    )


def test_actual_actual_of_no_days_is_zero():
    assert year_fraction(date(2027, 5, 1), date(2027, 5, 1), "actual/actual") == Decimal(0)


@pytest.mark.parametrize(
    ("start", "end", "fraction"),
    [
        # 122 days of a 365-day year.
        (date(2027, 3, 1), date(2027, 7, 1), Decimal("0.3342465753424657534246575342465753")),
        # 122 days of a 366-day year.
        (date(2028, 3, 1), date(2028, 7, 1), Decimal("0.3333333333333333333333333333333333")),
        # 306 days of 2027 over 365 plus 182 days of 2028 over 366.
        (date(2027, 3, 1), date(2028, 7, 1), Decimal("1.335623923946403173890261247099334")),
    ],
)
def test_actual_actual_counts_each_years_days_over_that_years_length(start, end, fraction):
    assert year_fraction(start, end, "actual/actual") == fraction


def test_actual_actual_backwards_is_the_exact_negation_at_full_precision():
    # 10/365 has 34 significant digits in the finance context; negating it in Python's default 28-digit context
    # would round it, so the backwards fraction must be negated in the finance context too.
    forwards = year_fraction(date(2027, 3, 1), date(2027, 3, 11), "actual/actual")
    assert forwards == Decimal("0.02739726027397260273972602739726027")
    backwards = year_fraction(date(2027, 3, 11), date(2027, 3, 1), "actual/actual")
    assert backwards == Decimal("-0.02739726027397260273972602739726027")
