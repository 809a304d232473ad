"""Payoff and per-diem rules the mutation run found unpinned: refusals word for word (each names its argument),
actual/actual per-diem interest across a year end, and accrual over two leap years."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from lending.finance.payoff import accrual_fraction, per_diem, per_diem_interest, simple_interest
from tests.finance.test_payoff import quote

D = Decimal


def _exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


_quote = quote  # the payoff tests' quote: 150,000.00 at 5 %, actual/365, paid through 2024-03-01


def test_a_quote_as_of_a_day_before_interest_was_paid_through_is_refused_in_whole_words():
    with pytest.raises(ValueError, match=_exactly("as_of must not be before interest_paid_through")):
        _quote(as_of=date(2024, 2, 29))


def test_a_quote_good_through_a_day_before_it_is_made_is_refused_in_whole_words():
    with pytest.raises(ValueError, match=_exactly("good_through must not be before as_of")):
        _quote(good_through=date(2024, 3, 9))


@pytest.mark.parametrize("day_count", ["30/360", "actual/actual"])
def test_per_diem_interest_from_a_datetime_is_refused_naming_start(day_count):
    with pytest.raises(ValueError, match=_exactly("start: must be a date, got datetime.datetime(2013, 4, 15, 9, 30)")):
        per_diem_interest(D("162000"), D("3.875"), datetime(2013, 4, 15, 9, 30), date(2013, 5, 1), day_count)


@pytest.mark.parametrize("day_count", ["30/360", "actual/actual"])
def test_per_diem_interest_to_a_string_is_refused_naming_end(day_count):
    with pytest.raises(ValueError, match=_exactly("end: must be a date, got '2013-05-01'")):
        per_diem_interest(D("162000"), D("3.875"), date(2013, 4, 15), "2013-05-01", day_count)


def test_actual_actual_per_diem_interest_prices_common_year_days_over_365_and_leap_year_days_over_366():
    # $100,000 at 6 %: $16.44 a day in 2023 (6000 / 365 = 16.438) and $16.39 in 2024 (6000 / 366 = 16.393).
    # Dec 21 2023 -> Jan 10 2024 by ISDA (start counted, end not): 11 days of 2023 and 9 of 2024,
    # 11 * 16.44 + 9 * 16.39 = 180.84 + 147.51.
    assert per_diem_interest(D("100000"), D("6"), date(2023, 12, 21), date(2024, 1, 10), "actual/actual") == D("328.35")
    # Backwards, the same days negative.
    assert per_diem_interest(D("100000"), D("6"), date(2024, 1, 10), date(2023, 12, 21), "actual/actual") == D(
        "-328.35"
    )


@pytest.mark.parametrize(
    ("principal", "annual_rate", "message"),
    [
        (D("-1.00"), D("5"), "principal must not be negative, got -1.00"),
        (D("1000.005"), D("5"), "principal: 1000.005 is not a whole number of cents"),
        (D("1000.00"), D("-0.5"), "annual_rate must not be negative, got -0.5"),
    ],
)
def test_simple_interest_refuses_a_bad_amount_naming_the_field(principal, annual_rate, message):
    with pytest.raises(ValueError, match=_exactly(message)):
        simple_interest(principal, annual_rate, date(2024, 3, 1), date(2024, 3, 15), "actual/365")


def test_simple_interest_from_a_datetime_is_refused_naming_start():
    with pytest.raises(ValueError, match=_exactly("start: must be a date, got datetime.datetime(2024, 3, 1, 8, 0)")):
        simple_interest(D("1000.00"), D("5"), datetime(2024, 3, 1, 8, 0), date(2024, 3, 15), "actual/365")


def test_simple_interest_to_a_string_is_refused_naming_end():
    with pytest.raises(ValueError, match=_exactly("end: must be a date, got '2024-03-15'")):
        simple_interest(D("1000.00"), D("5"), date(2024, 3, 1), "2024-03-15", "actual/365")


@pytest.mark.parametrize("day_count", ["30/360", "actual/actual"])
def test_a_per_diem_at_a_negative_rate_is_refused_naming_annual_rate(day_count):
    with pytest.raises(ValueError, match=_exactly("annual_rate must not be negative, got -6")):
        per_diem(D("100000.00"), D("-6"), day_count, date(2024, 6, 1))


def test_four_calendar_years_spanning_two_leap_years_accrue_four_years_interest_under_actual_actual():
    # Jul 1 2024 -> Jul 1 2028 by ISDA: 184 days of 2024 and 182 of 2028 over 366 (one year together), and the
    # 1,095 days of 2025-2027 over 365 (three years): $10,000 at 5 % for exactly four years is $2,000.00.
    assert simple_interest(D("10000.00"), D("5"), date(2024, 7, 1), date(2028, 7, 1), "actual/actual") == D("2000.00")
    assert accrual_fraction(date(2024, 7, 1), date(2028, 7, 1), "actual/actual") == (
        1095 * 366 + 366 * 365,
        365 * 366,
    )
