"""Payoff and accrual: per-diem vectors, quote arithmetic, validation, and properties against build_schedule."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lending.finance import daycount
from lending.finance.amortization import LoanTerms, build_schedule
from lending.finance.payoff import (
    PayoffQuote,
    accrual_fraction,
    payoff_quote,
    per_diem,
    per_diem_interest,
    simple_interest,
)
from tests.finance.test_amortization import amounts, loan_terms, rates, ref_year_fraction
from tests.hypothesis_budget import examples

D = Decimal
CONVENTIONS = daycount.CONVENTIONS


def exact_cents(value: Fraction) -> Decimal:
    """Half away from zero, computed on the exact rational value."""
    magnitude = abs(value) * 100
    whole, rest = divmod(magnitude, 1)
    count = int(whole) + (rest >= Fraction(1, 2))
    return D(count if value >= 0 else -count).scaleb(-2)


def quote(**overrides: Any) -> PayoffQuote:
    values: dict[str, Any] = {
        "principal_balance": D("150000.00"),
        "annual_rate": D("5"),
        "day_count": "actual/365",
        "interest_paid_through": date(2024, 3, 1),
        "as_of": date(2024, 3, 10),
        "good_through": date(2024, 3, 15),
    }
    values.update(overrides)
    return payoff_quote(**values)


# ---- vectors ------------------------------------------------------------------------------------------------------


def test_cfpb_h25_per_diem_and_prepaid_interest():
    # CFPB sample Closing Disclosure (H-25(B)), files.consumerfinance.gov/f/201311_cfpb_kbyo_closing-disclosure.pdf:
    # "Prepaid Interest ($17.44 per day from 4/15/13 to 5/1/13)" on $162,000 at 3.875 %: 162000 * 3.875 % / 360.
    assert per_diem(D("162000"), D("3.875"), "30/360", date(2013, 4, 15)) == D("17.44")
    assert per_diem_interest(D("162000"), D("3.875"), date(2013, 4, 15), date(2013, 5, 1), "30/360") == D("279.04")
    # Exact simple interest for the same 16 days rounds once: 162000 * 0.03875 * 16 / 360 = 279.00.
    assert simple_interest(D("162000"), D("3.875"), date(2013, 4, 15), date(2013, 5, 1), "30/360") == D("279.00")


@pytest.mark.parametrize(
    ("day_count", "on_date", "expected"),
    [
        ("30/360", date(2024, 6, 1), "16.67"),  # 6000 / 360 = 16.666...
        ("actual/360", date(2024, 6, 1), "16.67"),
        ("actual/365", date(2024, 6, 1), "16.44"),  # 6000 / 365 = 16.438...
        ("actual/actual", date(2024, 6, 1), "16.39"),  # 6000 / 366 = 16.393...
        ("actual/actual", date(2023, 6, 1), "16.44"),
    ],
)
def test_per_diem_by_day_count(day_count, on_date, expected):
    assert per_diem(D("100000"), D("6"), day_count, on_date) == D(expected)


def test_payoff_quote_arithmetic():
    # Interest paid through Mar 1, good through Mar 15: 14 days (Mar 2..15) of 150000 * 5 % / 365 = 287.67.
    q = quote(fees_due=D("35.00"), escrow_balance=D("1200.00"))
    assert q.accrual_days == 14
    assert q.accrued_interest == D("287.67")
    assert q.per_diem == D("20.55")
    assert (q.principal, q.fees, q.escrow_credit, q.escrow_refund) == (
        D("150000.00"),
        D("35.00"),
        D("1200.00"),
        D("0.00"),
    )
    assert q.total == D("149122.67")
    assert (q.as_of, q.good_through, q.interest_paid_through) == (
        date(2024, 3, 10),
        date(2024, 3, 15),
        date(2024, 3, 1),
    )


def test_accrual_includes_good_through_and_excludes_paid_through():
    assert quote(as_of=date(2024, 3, 1), good_through=date(2024, 3, 1)).accrued_interest == D("0.00")
    one_day = quote(as_of=date(2024, 3, 1), good_through=date(2024, 3, 2))
    assert (one_day.accrual_days, one_day.accrued_interest) == (1, D("20.55"))
    assert one_day.total == D("150020.55")


def test_accrued_interest_due_is_added():
    q = quote(accrued_interest_due=D("612.40"))
    assert q.accrued_interest == D("900.07")
    assert q.total == D("150900.07")


def test_escrow_larger_than_the_debt_is_refunded_not_negative():
    q = quote(principal_balance=D("1000.00"), escrow_balance=D("2500.00"), good_through=date(2024, 3, 10))
    assert q.accrued_interest == D("1.23")  # 9 days of 1000 * 5 % / 365 = 1.2328
    assert (q.escrow_credit, q.escrow_refund, q.total) == (D("1001.23"), D("1498.77"), D("0.00"))


def test_zero_balance_and_zero_rate():
    assert quote(principal_balance=D("0")).total == D("0.00")
    q = quote(annual_rate=D("0"), fees_due=D("10"))
    assert (q.accrued_interest, q.per_diem, q.total) == (D("0.00"), D("0.00"), D("150010.00"))


def test_thirty_360_month_end_accrual():
    # 30/360 US: Jan 31 -> Feb 29 2024 is 29 days (Feb 29 is February's last day, Jan 31 counts as the 30th).
    q = quote(
        day_count="30/360",
        interest_paid_through=date(2024, 1, 31),
        as_of=date(2024, 2, 1),
        good_through=date(2024, 2, 29),
    )
    assert q.accrual_days == 29
    assert q.accrued_interest == D("604.17")  # 150000 * 5 % * 29 / 360 = 604.1666...


def test_actual_actual_accrual_splits_at_the_year_end():
    # Dec 21 2023 -> Jan 10 2024: 11 days over 365 and 9 over 366 of 150000 * 5 %.
    q = quote(
        day_count="actual/actual",
        interest_paid_through=date(2023, 12, 21),
        as_of=date(2024, 1, 2),
        good_through=date(2024, 1, 10),
    )
    assert q.accrued_interest == D("410.45")  # 7500 * (11/365 + 9/366) = 226.027 + 184.426 = 410.4536...
    assert accrual_fraction(date(2023, 12, 21), date(2024, 1, 10), "actual/actual") == (11 * 366 + 9 * 365, 365 * 366)


# ---- validation ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"as_of": date(2024, 2, 28)}, "as_of must not be before interest_paid_through"),
        ({"good_through": date(2024, 3, 9)}, "good_through must not be before as_of"),
        ({"principal_balance": D("-1")}, "principal_balance must not be negative"),
        ({"principal_balance": D("1.005")}, "principal_balance: 1.005 is not a whole number of cents"),
        ({"annual_rate": D("-2")}, "annual_rate must not be negative"),
        ({"fees_due": D("-10")}, "fees_due must not be negative"),
        ({"escrow_balance": D("-0.01")}, "escrow_balance must not be negative"),
        ({"accrued_interest_due": "x"}, "accrued_interest_due: 'x' is not a number"),
        ({"day_count": "actual/364"}, "day_count: unknown convention"),
        ({"as_of": "2024-03-10"}, "as_of: must be a date"),
        ({"good_through": datetime(2024, 3, 15, 12, 0)}, "good_through: must be a date"),
        ({"interest_paid_through": None}, "interest_paid_through: must be a date"),
    ],
)
def test_bad_payoff_input_names_the_field(overrides, message):
    with pytest.raises(ValueError, match=message):
        quote(**overrides)


def test_bad_per_diem_input_names_the_field():
    with pytest.raises(ValueError, match="principal must not be negative"):
        per_diem(D("-1"), D("5"), "30/360", date(2024, 1, 1))
    with pytest.raises(ValueError, match="day_count: unknown convention"):
        per_diem(D("1"), D("5"), "365/365", date(2024, 1, 1))
    with pytest.raises(ValueError, match="on_date: must be a date"):
        per_diem(D("1"), D("5"), "30/360", "2024-01-01")


# ---- properties ---------------------------------------------------------------------------------------------------

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2080, 12, 31))


@settings(max_examples=examples(2000), deadline=None)
@given(start=dates, days=st.integers(min_value=-800, max_value=800), convention=st.sampled_from(CONVENTIONS))
def test_accrual_fraction_is_the_exact_year_fraction(start, days, convention):
    end = start + timedelta(days=days)
    num, den = accrual_fraction(start, end, convention)
    assert Fraction(num, den) == ref_year_fraction(start, end, convention)
    # daycount.year_fraction rounds (its actual/actual sum to the thread context's 28 digits), so: near, not equal.
    assert abs(Fraction(daycount.year_fraction(start, end, convention)) - Fraction(num, den)) < Fraction(1, 10**26)


@settings(max_examples=examples(2000), deadline=None)
@given(
    principal=amounts,
    rate=rates,
    start=dates,
    days=st.integers(min_value=-400, max_value=400),
    convention=st.sampled_from(CONVENTIONS),
)
def test_simple_and_per_diem_interest_match_references(principal, rate, start, days, convention):
    end = start + timedelta(days=days)
    exact = Fraction(principal) * Fraction(rate) / 100 * ref_year_fraction(start, end, convention)
    assert simple_interest(principal, rate, start, end, convention) == exact_cents(exact)
    # Per-diem interest: each day's per-diem (by its year under actual/actual), days counted by the convention.
    if convention == "actual/actual":
        low, high = sorted((start, end))
        each = (per_diem(principal, rate, convention, low + timedelta(n)) for n in range((high - low).days))
        expected = sum(each, D("0.00")) * (1 if end >= start else -1)
    else:
        expected = per_diem(principal, rate, convention, start) * daycount.days_between(start, end, convention)
    assert per_diem_interest(principal, rate, start, end, convention) == expected


@settings(max_examples=examples(2000), deadline=None)
@given(t=loan_terms(max_term=120), data=st.data())
def test_payoff_on_and_between_due_dates_matches_the_schedule(t, data):
    rows = build_schedule(t).rows
    k = data.draw(st.integers(min_value=0, max_value=len(rows) - 1), label="row index")
    row = rows[k]
    # On a due date whose installment is paid, interest is paid through that date: payoff = the balance left.
    on_due = payoff_quote(
        principal_balance=row.balance,
        annual_rate=t.annual_rate,
        day_count=t.day_count,
        interest_paid_through=row.due_date,
        as_of=row.due_date,
        good_through=row.due_date,
    )
    assert (on_due.total, on_due.accrued_interest) == (row.balance, D("0.00"))
    # Between this due date and the next: the balance plus simple interest on it by the day count.
    next_due = rows[k + 1].due_date if k + 1 < len(rows) else row.due_date + timedelta(days=31)
    between = data.draw(st.dates(min_value=row.due_date, max_value=next_due - timedelta(days=1)), label="good through")
    q = payoff_quote(
        principal_balance=row.balance,
        annual_rate=t.annual_rate,
        day_count=t.day_count,
        interest_paid_through=row.due_date,
        as_of=row.due_date,
        good_through=between,
    )
    exact = (
        Fraction(row.balance) * Fraction(t.annual_rate) / 100 * ref_year_fraction(row.due_date, between, t.day_count)
    )
    assert q.accrued_interest == exact_cents(exact)
    assert q.total == row.balance + exact_cents(exact)


@settings(max_examples=examples(2000), deadline=None)
@given(
    principal=amounts,
    rate=rates,
    term=st.integers(min_value=2, max_value=120),
    frequency=st.sampled_from(["monthly", "quarterly"]),
    first=st.dates(min_value=date(1995, 1, 1), max_value=date(2060, 12, 31)).filter(lambda d: d.day <= 27),
    data=st.data(),
)
def test_thirty_360_payoff_through_next_due_date_equals_that_rows_interest(
    principal, rate, term, frequency, first, data
):
    # Under 30/360 a due day <= 27 is exactly 30 (or 90) days from the previous one, so accruing from one due
    # date through the next is the schedule's period interest on the balance, to the cent.
    t = LoanTerms(
        principal=principal,
        annual_rate=rate,
        term_periods=term,
        frequency=frequency,
        day_count="30/360",
        disbursement_date=first - timedelta(days=calendar.monthrange(first.year, first.month)[1]),
        first_payment_date=first,
    )
    rows = build_schedule(t).rows
    k = data.draw(st.integers(min_value=0, max_value=len(rows) - 2), label="row index")
    q = payoff_quote(
        principal_balance=rows[k].balance,
        annual_rate=rate,
        day_count="30/360",
        interest_paid_through=rows[k].due_date,
        as_of=rows[k].due_date,
        good_through=rows[k + 1].due_date,
    )
    assert q.accrued_interest == rows[k + 1].interest
    assert q.total == rows[k].balance + rows[k + 1].interest
