"""APR rules at their edges: month-end series anchored across a year and along a run of short months, daily and
weekly unit-periods, single payments of exactly a year, regularity boundaries (1026.22(a)(3)), and every refusal
word for word."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Context, Decimal, localcontext

import pytest

import lending.finance.apr as apr_module
from lending.finance.apr import (
    TimeFactor,
    amount_financed,
    apr,
    apr_within_tolerance,
    finance_charge,
    finance_charge_within_tolerance,
    is_irregular,
    present_value,
    time_factors,
    unit_period_for,
)
from lending.finance.money import CONTEXT

D = Decimal


def _exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def ratio(numerator: int, denominator: int) -> Decimal:
    """A fraction of a unit-period at the module's working precision (34 digits)."""
    return CONTEXT.divide(numerator, denominator)


def pay(*days: date) -> list[tuple[date, Decimal]]:
    return [(day, D("50.00")) for day in days]


def pay_one(day: date, amount: str) -> list[tuple[date, Decimal]]:
    return [(day, D(amount))]


# --- time factors, App. J (b)(5) ----------------------------------------------------------------------


def test_time_factors_come_in_date_order_whatever_the_input_order():
    # Jan 1 to Feb 1 is one month, to Mar 1 two: (1, 0) then (2, 0), although Mar 1 is given first.
    _, factors = time_factors(date(2024, 1, 1), pay(date(2024, 3, 1), date(2024, 2, 1)), "monthly")
    assert factors == [TimeFactor(1, D(0)), TimeFactor(2, D(0))]


def test_a_month_end_payment_takes_its_day_from_the_series_a_year_before():
    # Quarterly on the 30th: Aug 30, Nov 30, then Feb 29 2024 (month end) is "the 30th" from Nov 30, across
    # the new year. From Jun 15 2023, measured back to Jun 30: 15 days; Aug 30 is 2 months + 15 days = 75 days
    # = 0 quarters + 75/90, Nov 30 1 + 75/90, Feb 29 (8 months + 15 days = 255 days) 2 + 75/90.
    dates = pay(date(2023, 8, 30), date(2023, 11, 30), date(2024, 2, 29))
    per_year, factors = time_factors(date(2023, 6, 15), dates, "quarterly")
    assert per_year == 4
    assert factors == [TimeFactor(0, ratio(75, 90)), TimeFactor(1, ratio(75, 90)), TimeFactor(2, ratio(75, 90))]


def test_a_run_of_short_month_ends_keeps_the_31st_from_the_payment_before_it():
    # Bimonthly on the 31st: Dec 31, Feb 29, Apr 30, Jun 30. Feb 29 is "the 31st" from Dec 31, Apr 30 from
    # Feb 29 and Jun 30 from Apr 30 (passed along the run). From Oct 15 2023 back to Oct 31: 16 days, so each
    # payment is whole bimonths + 16/60: Dec 31 = 2 months + 16 days = 76 days = 1 + 16/60, then 2, 3, 4.
    dates = pay(date(2023, 12, 31), date(2024, 2, 29), date(2024, 4, 30), date(2024, 6, 30))
    per_year, factors = time_factors(date(2023, 10, 15), dates, "bimonthly")
    assert per_year == 6
    assert factors == [TimeFactor(q, ratio(16, 60)) for q in (1, 2, 3, 4)]


def test_daily_unit_periods_count_days():
    # App. J (b)(5)(iv): 10 and 11 days after Jan 1 are 10 and 11 whole daily unit-periods, no fraction.
    per_year, factors = time_factors(date(2024, 1, 1), pay(date(2024, 1, 11), date(2024, 1, 12)), "daily")
    assert per_year == 365
    assert factors == [TimeFactor(10, D(0)), TimeFactor(11, D(0))]


def test_an_annual_month_end_series_takes_the_29th_of_february_from_the_year_before():
    # Annual: Feb 29 2024 then Feb 28 2025 (month end, "the 29th"). From Mar 15 2023 back to Mar 29: 14 days.
    # Feb 29 2024 is 11 months on: no full year, the rest Mar 15 2023 -> Feb 29 2024 = 351 days / 365;
    # Feb 28 2025 is 1 year back to Feb 29 2024, the same 351 / 365.
    dates = pay(date(2024, 2, 29), date(2025, 2, 28))
    per_year, factors = time_factors(date(2023, 3, 15), dates, "annual")
    assert per_year == 1
    assert factors == [TimeFactor(0, ratio(351, 365)), TimeFactor(1, ratio(351, 365))]
    assert not is_irregular(date(2023, 3, 15), dates, "annual")  # 12 whole months apart


def test_a_single_payment_over_two_years_counts_the_rest_in_days():
    # App. J (b)(5)(v): Jan 15 2024 -> Mar 20 2026 is 2 years back to Mar 20 2024, the rest Jan 15 -> Mar 20
    # 2024 = 16 + 29 + 20 = 65 days, over 365.
    per_year, factors = time_factors(date(2024, 1, 15), pay(date(2026, 3, 20)), "monthly")
    assert (per_year, factors) == (1, [TimeFactor(2, ratio(65, 365))])


def test_a_single_payment_twelve_months_and_some_days_on_uses_the_annual_unit():
    # 12 months and 5 days: a year or more, so the unit-period is a year (App. J (b)(4)(ii)):
    # 1 full year back to Jan 20 2024, the rest 5 days / 365.
    per_year, factors = time_factors(date(2024, 1, 15), pay(date(2025, 1, 20)), "monthly")
    assert (per_year, factors) == (1, [TimeFactor(1, ratio(5, 365))])


def test_a_single_payment_on_the_28th_is_whole_months_not_month_end_to_month_end():
    # Jan 28 -> Apr 28 2023: 3 whole months, so 4 unit-periods a year; 1030 repays 1000: 3 % a period, 12 %.
    assert apr(D(1000), date(2023, 1, 28), pay_one(date(2023, 4, 28), "1030"), "monthly") == D("12.0000000000")


def test_a_single_payment_from_a_month_end_to_a_mid_month_day_counts_days():
    # Jan 31 -> Apr 15 2024 is not whole months (only the start is a month end): 29 + 31 + 15 = 75 days, so
    # 365 / 75 unit-periods a year; 1010 repays 1000: 1 % a period, 365 / 75 = 4.8666666667 %.
    assert apr(D(1000), date(2024, 1, 31), pay_one(date(2024, 4, 15), "1010"), "monthly") == D("4.8666666667")


# --- the APR figure -----------------------------------------------------------------------------------


def test_apr_is_quantized_at_the_working_precision_whatever_the_callers_context():
    # A 12.0000000000 result has 12 digits: a caller's 5-digit context would make its quantize invalid.
    with localcontext(Context(prec=5)):
        assert apr(D(1000), date(2023, 1, 28), pay_one(date(2023, 4, 28), "1030"), "monthly") == D("12")


def test_an_iteration_that_does_not_converge_says_so(monkeypatch):
    monkeypatch.setattr(apr_module, "_MAX_ITERATIONS", 1)
    with pytest.raises(ArithmeticError, match=_exactly("apr: the App. J iteration did not converge")):
        apr(D(500), date(2024, 1, 1), GOOD, "monthly")  # 550.00 for 500.00: one Newton step is not enough


def test_a_fraction_that_recurs_after_another_keeps_its_earlier_payments_in_the_solution():
    # Weekly from Jan 1 2024: $1,000 on Jan 8 (q 1, f 0), $10 on Jan 11 (q 1, f 3/7), $10 on Jan 15 (q 2, f 0).
    # The f = 0 payments are split by the 3/7 one; the rate solving 1000 = 1000 / (1 + i) + 10 / ((1 + 3i/7)(1 + i))
    # + 10 / (1 + i)**2, found by bisection to 60 digits, is i = 0.0197227..., 52 i = 102.5584002186 %.
    payments = [(date(2024, 1, 8), D("1000.00")), (date(2024, 1, 11), D("10.00")), (date(2024, 1, 15), D("10.00"))]
    assert apr(D("1000.00"), date(2024, 1, 1), payments, "weekly") == D("102.5584002186")


# --- regularity, 1026.22(a)(3) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "days"),
    [("daily", 1), ("weekly", 7), ("biweekly", 14), ("fourweekly", 28)],
)
def test_payments_exactly_one_day_or_week_unit_apart_are_regular(unit, days):
    start = date(2024, 1, 1)
    dates = pay(*(start + timedelta(days=days * k) for k in range(1, 5)))
    assert not is_irregular(date(2023, 12, 31), dates, unit)


@pytest.mark.parametrize(("unit", "days"), [("daily", 2), ("weekly", 8), ("weekly", 6), ("biweekly", 7)])
def test_payments_not_one_day_or_week_unit_apart_are_irregular(unit, days):
    start = date(2024, 1, 1)
    dates = pay(*(start + timedelta(days=days * k) for k in range(1, 5)))
    assert is_irregular(date(2023, 12, 31), dates, unit)


@pytest.mark.parametrize(("days", "irregular"), [(12, True), (13, False), (15, False), (17, False), (18, True)])
def test_semimonthly_payments_are_13_to_17_days_apart(days, irregular):
    dates = pay(date(2024, 1, 1), date(2024, 1, 1) + timedelta(days=days))
    assert is_irregular(date(2023, 12, 20), dates, "semimonthly") is irregular


def test_semimonthly_payments_every_15_days_drift_off_the_month_and_are_irregular():
    # Every step is 15 days, but Jan 1 -> Jan 31 (the next payment on the same series) is not a whole month.
    dates = pay(*(date(2023, 1, 1) + timedelta(days=15 * k) for k in range(6)))
    assert is_irregular(date(2022, 12, 20), dates, "semimonthly")


def test_a_monthly_step_with_days_left_over_is_irregular():
    # Jan 15 -> Feb 20 is a month and 5 days, not one unit-period.
    assert is_irregular(date(2024, 1, 1), pay(date(2024, 1, 15), date(2024, 2, 20), date(2024, 3, 20)), "monthly")


def test_a_skipped_month_before_the_last_payment_is_irregular():
    dates = pay(date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1), date(2024, 6, 1))
    assert is_irregular(date(2024, 1, 1), dates, "monthly")


# --- tolerance, 1026.22(a)(5) -------------------------------------------------------------------------


def test_a_disclosed_rate_equal_to_the_finance_charge_rate_above_the_actual_is_accurate():
    # Actual 9.00, rate from the disclosed finance charge 9.50, disclosed 9.50: outside 1/4 point, but from the
    # finance-charge rate to the actual rate, both edges included.
    assert apr_within_tolerance(D("9.50"), D("9.00"), False, finance_charge_rate=D("9.50"))
    assert not apr_within_tolerance(D("9.51"), D("9.00"), False, finance_charge_rate=D("9.50"))


# --- refusals, word for word --------------------------------------------------------------------------

GOOD = pay(*(date(2024, m, 1) for m in range(2, 13)))  # 11 x 50.00 = 550.00


def test_an_unknown_unit_period_is_refused_listing_the_known_ones():
    with pytest.raises(
        ValueError,
        match=_exactly(
            "unit_period: unknown unit period 'fortnightly'; use one of daily, weekly, biweekly, fourweekly, "
            "semimonthly, monthly, bimonthly, quarterly, semiannual, annual"
        ),
    ):
        unit_period_for("fortnightly")


@pytest.mark.parametrize(
    ("payments", "message"),
    [
        ([], "payments: at least one payment is required"),
        ([("2024-03-01", D(5))], "payments[0].due_date: expected a datetime.date, got '2024-03-01'"),
        ([(date(2024, 3, 1), 5.0)], "payments[0].amount: use Decimal or str, not float (5.0)"),
        ([(date(2024, 3, 1), D("Infinity"))], "payments[0].amount: Decimal('Infinity') is not a finite number"),
    ],
)
def test_bad_payments_are_refused_naming_the_payment(payments, message):
    with pytest.raises(ValueError, match=_exactly(message)):
        apr(D(100), date(2024, 1, 1), payments, "monthly")


def test_apr_refuses_a_non_positive_amount_financed_and_a_non_date_advance():
    with pytest.raises(ValueError, match=_exactly("amount_financed must be greater than zero, got 0")):
        apr(D(0), date(2024, 1, 1), GOOD, "monthly")
    with pytest.raises(ValueError, match=_exactly("advance_date: expected a datetime.date, got '2024-01-01'")):
        apr(D(500), "2024-01-01", GOOD, "monthly")


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: time_factors("2024-01-01", GOOD, "monthly"), id="time_factors"),  # type: ignore[arg-type]
        pytest.param(lambda: present_value(D(5), "2024-01-01", GOOD, "monthly"), id="present_value"),  # type: ignore[arg-type]
        pytest.param(lambda: is_irregular("2024-01-01", GOOD, "monthly"), id="is_irregular"),  # type: ignore[arg-type]
    ],
)
def test_a_non_date_advance_is_refused_naming_advance_date(call):
    with pytest.raises(ValueError, match=_exactly("advance_date: expected a datetime.date, got '2024-01-01'")):
        call()


def test_present_value_refuses_a_float_rate_naming_annual_rate():
    with pytest.raises(ValueError, match=_exactly("annual_rate: use Decimal or str, not float (5.0)")):
        present_value(5.0, date(2024, 1, 1), GOOD, "monthly")


def test_disclosure_figures_refuse_bad_amounts_naming_them():
    with pytest.raises(ValueError, match=_exactly("loan_amount must be greater than zero, got 0")):
        amount_financed(loan_amount=D(0), prepaid_finance_charges=D(0))
    with pytest.raises(ValueError, match=_exactly("prepaid_finance_charges must not be negative, got -1")):
        amount_financed(loan_amount=D(100), prepaid_finance_charges=D(-1))
    with pytest.raises(ValueError, match=_exactly("total_of_payments must not be negative, got -1")):
        finance_charge(total_of_payments=D(-1), amount_financed=D(100))
    with pytest.raises(ValueError, match=_exactly("amount_financed must be greater than zero, got 0")):
        finance_charge(total_of_payments=D(100), amount_financed=D(0))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((6.0, D(6), True), "disclosed: use Decimal or str, not float (6.0)"),
        ((D(6), 6.0, True), "actual: use Decimal or str, not float (6.0)"),
    ],
)
def test_apr_tolerance_refuses_floats_naming_them(arguments, message):
    with pytest.raises(ValueError, match=_exactly(message)):
        apr_within_tolerance(*arguments)


def test_apr_tolerance_refuses_a_float_finance_charge_rate():
    with pytest.raises(ValueError, match=_exactly("finance_charge_rate: use Decimal or str, not float (8.5)")):
        apr_within_tolerance(D("8.65"), D("9.00"), False, finance_charge_rate=8.5)


@pytest.mark.parametrize(
    ("arguments", "keywords", "message"),
    [
        ((6.0, D(6)), {}, "disclosed: use Decimal or str, not float (6.0)"),
        ((D(6), 6.0), {}, "actual: use Decimal or str, not float (6.0)"),
        ((D(6), D(6)), {"amount_financed": D(0)}, "amount_financed must be greater than zero, got 0"),
        ((D(6), D(6)), {"secured_by_dwelling": "yes"}, "secured_by_dwelling: expected True or False, got 'yes'"),
    ],
)
def test_finance_charge_tolerance_refuses_bad_input_naming_it(arguments, keywords, message):
    keywords = {"amount_financed": D(1000), "secured_by_dwelling": True} | keywords
    with pytest.raises(ValueError, match=_exactly(message)):
        finance_charge_within_tolerance(*arguments, **keywords)
