"""Daily accrual: a period's days earn exactly its installment's interest, whatever the day count or the spans."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lending.finance import accrual
from lending.finance.daycount import CONVENTIONS

D = Decimal
JAN = accrual.Period(start=date(2025, 1, 1), end=date(2025, 2, 1), interest=D("1000.00"))


def _days(period: accrual.Period, day_count: str) -> list[Decimal]:
    """What each day of the period earns, night by night."""
    out = []
    day = period.start
    while day < period.end:
        out.append(accrual.scheduled_accrual(period, day, day + timedelta(days=1), day_count))
        day += timedelta(days=1)
    return out


def test_30_360_period_day_by_day():
    # 30/360: Jan 1 -> Feb 1 is 30 days; earned_through = cents(1000 * elapsed / 30).
    # Jan 2: 33.333 -> 33.33; Jan 3: 66.667 -> 66.67 (that day earns 33.34); Jan 4: 100.00 (33.33).
    days = _days(JAN, "30/360")
    assert days[:3] == [D("33.33"), D("33.34"), D("33.33")]
    # Jan 31 is day 30 by 30/360 (1 -> 31 counts 30): the period is earned by then, Feb 1 adds nothing.
    assert days[-2:] == [D("33.33"), D("0.00")]
    assert sum(days) == D("1000.00")


def test_actual_365_period_day_by_day():
    # actual/365: Jan 1 -> Feb 1 is 31 actual days; cents(1000 * k / 31): 32.26, 64.52, 96.77 ...
    days = _days(JAN, "actual/365")
    assert days[:3] == [D("32.26"), D("32.26"), D("32.25")]
    assert len(days) == 31
    assert sum(days) == D("1000.00")
    # Feb 1, the due date, tops the period up: earned through Jan 31 is cents(1000 * 30 / 31) = 967.74.
    assert accrual.earned_through(JAN, date(2025, 1, 31), "actual/365") == D("967.74")
    assert days[-1] == D("32.26")


def test_nothing_outside_the_period():
    assert accrual.earned_through(JAN, date(2024, 12, 31), "30/360") == D("0.00")
    assert accrual.earned_through(JAN, date(2025, 3, 1), "30/360") == D("1000.00")
    assert accrual.scheduled_accrual(JAN, date(2025, 2, 1), date(2025, 2, 20), "30/360") == D("0.00")


def test_daily_simple():
    # 100,000.00 at 7.3 % actual/365, 3 days: 100000 * 0.073 * 3 / 365 = 60.00 exactly.
    amount = accrual.daily_simple_accrual(D("100000.00"), D("7.3"), date(2025, 3, 1), date(2025, 3, 4), "actual/365")
    assert amount == D("60.00")
    # One day of 30/360 on 12,345.67 at 6 %: 12345.67 * 0.06 / 360 = 2.0576 -> 2.06.
    one = accrual.daily_simple_accrual(D("12345.67"), D("6"), date(2025, 3, 1), date(2025, 3, 2), "30/360")
    assert one == D("2.06")
    assert accrual.daily_simple_accrual(D("1000.00"), D("6"), date(2025, 3, 2), date(2025, 3, 2), "30/360") == 0


def test_refuses_sub_cent_interest():
    with pytest.raises(ValueError, match="whole number of cents"):
        accrual.earned_through(
            accrual.Period(date(2025, 1, 1), date(2025, 2, 1), D("1.001")), date(2025, 1, 5), "30/360"
        )


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)),
    length=st.integers(min_value=1, max_value=120),
    cents=st.integers(min_value=0, max_value=10**9),
    day_count=st.sampled_from(CONVENTIONS),
    cuts=st.lists(st.integers(min_value=1, max_value=119), max_size=6),
)
def test_any_spans_of_a_period_sum_to_its_interest(start, length, cents, day_count, cuts):
    period = accrual.Period(start=start, end=start + timedelta(days=length), interest=D(cents) / 100)
    days = _days(period, day_count)
    assert sum(days) == period.interest
    assert all(day >= 0 for day in days)  # earned_through never falls back within a period
    # Catch-up in arbitrary spans (missed nights) earns the same as night by night.
    points = sorted({start, period.end, *(start + timedelta(days=c) for c in cuts if c < length)})
    spans = [accrual.scheduled_accrual(period, a, b, day_count) for a, b in itertools.pairwise(points)]
    assert sum(spans) == period.interest
