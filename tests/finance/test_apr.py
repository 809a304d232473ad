"""lending.finance.apr: Regulation Z Appendix J vectors, properties, edge cases and bad input."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from decimal import Context, Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lending.finance.apr import (
    UNIT_PERIODS,
    Payment,
    TimeFactor,
    amount_financed,
    apr,
    apr_within_tolerance,
    finance_charge,
    finance_charge_within_tolerance,
    is_irregular,
    present_value,
    time_factors,
    total_of_payments,
    unit_period_for,
)
from lending.finance.money import CONTEXT, cents
from tests.hypothesis_budget import examples

D = Decimal
WIDE = Context(prec=60)  # the tests' own arithmetic, independent of the module's CONTEXT
CENT_TWO = D("0.01")


def ratio(numerator: int, denominator: int) -> Decimal:
    """A fraction of a unit-period at the module's working precision (34 digits)."""
    return CONTEXT.divide(numerator, denominator)


# --- independent helpers ------------------------------------------------------------------------------


def add_months(start: date, months: int, anchor: int | None = None) -> date:
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    return date(year, month + 1, min(anchor or start.day, calendar.monthrange(year, month + 1)[1]))


def monthly(first: date, count: int, amount: str, every: int = 1) -> list[tuple[date, Decimal]]:
    return [(add_months(first, every * k), D(amount)) for k in range(count)]


def every_days(first: date, count: int, amount: str, days: int) -> list[tuple[date, Decimal]]:
    return [(first + timedelta(days=days * k), D(amount)) for k in range(count)]


def level_payment(principal: Decimal, unit_rate: Decimal, count: int) -> Decimal:
    """The annuity payment P i / (1 - (1 + i)^-n), unrounded, at 60 digits."""
    if unit_rate == 0:
        return WIDE.divide(principal, count)
    discount = WIDE.power(WIDE.add(1, unit_rate), -count)
    return WIDE.divide(WIDE.multiply(principal, unit_rate), WIDE.subtract(1, discount))


def direct_value(annual: Decimal, advance: date, payments, unit: str) -> Decimal:
    """App. J (b)(8) summed payment by payment from the module's (q, f), with no closed forms."""
    per_year, factors = time_factors(advance, payments, unit)
    i = WIDE.divide(annual, WIDE.multiply(per_year, 100))
    ordered = sorted(payments, key=lambda p: p[0])
    total = D(0)
    for (_, amount), factor in zip(ordered, factors, strict=True):
        simple = WIDE.add(1, WIDE.multiply(factor.fraction, i))
        total = WIDE.add(total, WIDE.divide(amount, WIDE.multiply(simple, WIDE.power(WIDE.add(1, i), factor.periods))))
    return total


def bisect_apr(amount: Decimal, advance: date, payments, unit: str) -> Decimal:
    """An independent solver: bisection on the direct sum, to 1e-9 percent."""
    low, high = D(0), D(1000)
    while high - low > D("1e-9"):
        middle = (low + high) / 2
        low, high = (middle, high) if direct_value(middle, advance, payments, unit) > amount else (low, middle)
    return low


# --- known vectors -----------------------------------------------------------------------------------

# 12 CFR 1026 Appendix J (c) "Examples for the actuarial method", (c)(1)(i) to (c)(5)(i), as published at
# https://www.consumerfinance.gov/rules-policy/regulations/1026/j/ and transcribed (amounts, dates, APRs)
# in the tests of github.com/simontreanor/FSharp.Finance.Personal (tests/AprUsActuarialTests.fs). The
# appendix gives each APR to two decimals (App. J (b)(9)(ii)).
SEMIMONTHLY_C1III = sorted(monthly(date(1978, 3, 1), 12, "219.17") + monthly(date(1978, 3, 16), 12, "219.17"))
APPENDIX_J = [
    (
        "c1i monthly, regular first period",
        "5000",
        date(1978, 1, 10),
        monthly(date(1978, 2, 10), 24, "230"),
        "monthly",
        "9.69",
    ),
    (
        "c1ii monthly, long first period",
        "6000",
        date(1978, 2, 10),
        monthly(date(1978, 4, 1), 36, "200"),
        "monthly",
        "11.82",
    ),
    (
        "c1iii semimonthly, short first period",
        "5000",
        date(1978, 2, 23),
        SEMIMONTHLY_C1III,
        "semimonthly",
        "10.34",
    ),
    (
        "c1iv quarterly, long first period",
        "10000",
        date(1978, 5, 23),
        monthly(date(1978, 10, 1), 40, "385", 3),
        "quarterly",
        "8.97",
    ),
    (
        "c1v weekly, long first period",
        "500",
        date(1978, 3, 20),
        every_days(date(1978, 4, 21), 30, "17.60", 7),
        "weekly",
        "14.96",
    ),
    (
        "c2i monthly, irregular first payment",
        "5000",
        date(1978, 1, 10),
        [(date(1978, 2, 10), D(250)), *monthly(date(1978, 3, 10), 23, "230")],
        "monthly",
        "10.08",
    ),
    (
        "c2ii every 4 weeks, long first period, irregular first payment",
        "400",
        date(1978, 3, 18),
        [(date(1978, 4, 20), D("39.50")), *every_days(date(1978, 5, 18), 11, "38.31", 28)],
        "fourweekly",
        "28.50",
    ),
    (
        "c3i monthly, irregular final payment",
        "5000",
        date(1978, 1, 10),
        [*monthly(date(1978, 2, 10), 23, "230"), (date(1980, 1, 10), D(280))],
        "monthly",
        "10.50",
    ),
    (
        "c3ii every 2 weeks, short first period, irregular final payment",
        "200",
        date(1978, 4, 3),
        [*every_days(date(1978, 4, 11), 19, "9.50", 14), (date(1978, 4, 11) + timedelta(days=266), D(30))],
        "biweekly",
        "12.22",
    ),
    (
        "c4i monthly, irregular first and final payments",
        "5000",
        date(1978, 1, 10),
        [(date(1978, 2, 10), D(250)), *monthly(date(1978, 3, 10), 22, "230"), (date(1980, 1, 10), D(280))],
        "monthly",
        "10.90",
    ),
    (
        "c4ii every 2 months, short first period, irregular first and final payments",
        "8000",
        date(1978, 1, 10),
        [
            (date(1978, 3, 1), D("449.36")),
            *monthly(date(1978, 5, 1), 18, "465", 2),
            (date(1981, 5, 1), D(200)),
        ],
        "bimonthly",
        "7.30",
    ),
    (
        "c5i single advance, single payment",
        "1000",
        date(1978, 1, 3),
        [(date(1978, 9, 15), D(1080))],
        "monthly",
        "11.45",
    ),
]


@pytest.mark.parametrize(
    ("amount", "advance", "payments", "unit", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in APPENDIX_J],
)
def test_appendix_j_examples(amount, advance, payments, unit, expected):
    result = apr(D(amount), advance, payments, unit)
    assert result.quantize(CENT_TWO) == D(expected)
    assert abs(result - bisect_apr(D(amount), advance, payments, unit)) < D("1e-8")


def test_appendix_j_time_factors_follow_b5():
    # (c)(1)(ii): Feb 10 to Apr 1 is one month back to Mar 1 plus 19 days: q = 1, f = 19/30 (App. J (b)(5)(ii)).
    per_year, factors = time_factors(date(1978, 2, 10), monthly(date(1978, 4, 1), 3, "200"), "monthly")
    assert per_year == 12
    assert [f.periods for f in factors] == [1, 2, 3]
    assert {f.fraction for f in factors} == {ratio(19, 30)}
    # (c)(1)(iii): Feb 23 to Mar 1 is 6 days; semimonths are 15 days (App. J (b)(5)(iii)).
    _, factors = time_factors(date(1978, 2, 23), SEMIMONTHLY_C1III[:3], "semimonthly")
    assert factors == [TimeFactor(0, D("0.4")), TimeFactor(1, D("0.4")), TimeFactor(2, D("0.4"))]
    # (c)(1)(iv): May 23 to Oct 1 is 4 months back to Jun 1 plus 9 days = 129 days = 1 quarter + 39/90.
    _, factors = time_factors(date(1978, 5, 23), monthly(date(1978, 10, 1), 2, "385", 3), "quarterly")
    assert [(f.periods, f.fraction) for f in factors] == [(1, ratio(39, 90)), (2, ratio(39, 90))]
    # (c)(1)(v): Mar 20 to Apr 21 is 32 days = 4 weeks + 4/7 (App. J (b)(5)(iv)).
    _, factors = time_factors(date(1978, 3, 20), every_days(date(1978, 4, 21), 2, "17.60", 7), "weekly")
    assert [f.periods for f in factors] == [4, 5]
    # (c)(5)(i): one payment 255 days on: one unit-period, 365/255 of them a year (App. J (b)(5)(vii)).
    per_year, factors = time_factors(date(1978, 1, 3), [(date(1978, 9, 15), D(1080))], "monthly")
    assert per_year == ratio(365, 255)
    assert factors == [TimeFactor(1, D(0))]


# CFPB Closing Disclosure sample H-25(B) (purchase, Ficus Bank): loan amount $162,000 at 3.875 % for 30 years,
# monthly principal and interest $761.78; page 5 prints Total of Payments $285,803.36, Finance Charge
# $118,830.27, Amount Financed $162,000.00, APR 4.174 %, TIP 69.46 %. The 4.174 % cannot be rebuilt from the
# printed page-5 figures alone (it also reflects mortgage insurance and prepaid finance charges, and the
# printed Amount Financed equals the loan amount), so only the principal-and-interest stream is asserted.
def test_closing_disclosure_sample_principal_and_interest():
    payment = level_payment(D(162000), D("3.875") / 1200, 360)
    assert cents(payment) == D("761.78")
    stream = monthly(date(2013, 5, 1), 360, "761.78")
    result = apr(D("162000.00"), date(2013, 4, 1), stream, "monthly")
    assert result.quantize(D("0.001")) == D("3.875")  # the cent-rounded payment only: APR = note rate
    assert result < D("4.174")
    assert total_of_payments(stream) == D("274240.80")
    assert finance_charge(total_of_payments=D("274240.80"), amount_financed=D("162000.00")) == D("112240.80")


# --- unit periods, odd periods, single payments --------------------------------------------------------


def test_unit_period_codes():
    assert {code: unit.per_year for code, unit in UNIT_PERIODS.items()} == {
        "daily": 365, "weekly": 52, "biweekly": 26, "fourweekly": 13, "semimonthly": 24,
        "monthly": 12, "bimonthly": 6, "quarterly": 4, "semiannual": 2, "annual": 1,
    }  # fmt: skip
    assert unit_period_for("quarterly").multiple == 3


@pytest.mark.parametrize(
    ("advance", "first", "expected"),
    [
        pytest.param(date(2024, 1, 1), date(2024, 2, 15), TimeFactor(1, ratio(14, 30)), id="long first period"),
        pytest.param(date(2024, 1, 20), date(2024, 2, 5), TimeFactor(0, ratio(16, 30)), id="short first period"),
        pytest.param(date(2024, 1, 5), date(2024, 2, 5), TimeFactor(1, D(0)), id="regular first period"),
    ],
)
def test_odd_first_period(advance, first, expected):
    payments = monthly(first, 12, "90")
    _, factors = time_factors(advance, payments, "monthly")
    assert factors[0] == expected
    assert [f.periods for f in factors] == [expected.periods + k for k in range(12)]
    result = apr(D(1000), advance, payments, "monthly")
    assert abs(result - bisect_apr(D(1000), advance, payments, "monthly")) < D("1e-8")
    assert not is_irregular(advance, payments, "monthly")


def test_long_first_period_costs_less_than_short():
    payments = monthly(date(2024, 3, 1), 24, "47")
    longer = apr(D(1000), date(2024, 1, 1), payments, "monthly")
    shorter = apr(D(1000), date(2024, 2, 15), payments, "monthly")
    assert longer < shorter


@pytest.mark.parametrize(
    ("series", "advance"),
    [
        pytest.param(31, date(2024, 1, 15), id="last day of each month"),
        pytest.param(30, date(2023, 1, 15), id="30th, end of February"),
        pytest.param(29, date(2023, 1, 15), id="29th, end of February"),
    ],
)
def test_month_end_series_counts_whole_months(series, advance):
    # App. J (b)(3)(iv): month ends to month ends; the 29th or 30th uses the last day of February.
    payments = [(add_months(date(advance.year, 1, series), k, series), D(100)) for k in range(1, 15)]
    _, factors = time_factors(advance, payments, "monthly")
    assert len({f.fraction for f in factors}) == 1
    assert [f.periods for f in factors] == [factors[0].periods + k for k in range(14)]


@pytest.mark.parametrize(
    ("advance", "due", "amount", "expected"),
    [
        pytest.param(date(2024, 1, 15), date(2024, 4, 15), "1030", D(12), id="3 whole months: 12 / 3 a year"),
        pytest.param(date(2024, 1, 31), date(2024, 4, 30), "1030", D(12), id="month end to month end"),
        pytest.param(date(2024, 1, 1), date(2026, 1, 1), "1210", D(10), id="2 years: annual unit"),
        pytest.param(date(2023, 1, 1), date(2023, 12, 31), "1100", D(1000) * 365 / D(364) / 100, id="364 days"),
    ],
)
def test_single_payment(advance, due, amount, expected):
    result = apr(D(1000), advance, [(due, D(amount))], "weekly")  # the unit-period is the term, (b)(4)(ii)
    assert abs(result - expected) < D("1e-9")


def test_single_payment_over_a_year_counts_years_and_months():
    # App. J (b)(5)(v): 18 months is one full year and 6/12 of a year at simple interest.
    per_year, factors = time_factors(date(2024, 1, 1), [(date(2025, 7, 1), D(1150))], "monthly")
    assert (per_year, factors) == (1, [TimeFactor(1, D("0.5"))])
    result = apr(D(1000), date(2024, 1, 1), [(date(2025, 7, 1), D(1150))], "monthly")
    assert abs(direct_value(result, date(2024, 1, 1), [(date(2025, 7, 1), D(1150))], "monthly") - 1000) < D("1e-6")


@pytest.mark.parametrize("rate", ["0", "0.000001", "-5", "7.25", "250"])
@pytest.mark.parametrize("unit", ["monthly", "semimonthly", "weekly", "annual"])
def test_present_value_matches_the_direct_sum(rate, unit):
    # Runs of equal payments are summed in closed form; tiny rates are summed term by term instead.
    payments = [(date(2024, 2, 9), D("80")), *monthly(date(2024, 3, 15), 40, "61.50"), (date(2027, 8, 1), D(9))]
    closed = present_value(D(rate), date(2024, 1, 1), payments, unit)
    assert abs(closed - direct_value(D(rate), date(2024, 1, 1), payments, unit)) < D("1e-20")


def test_zero_interest_loan():
    payments = monthly(date(2024, 2, 1), 12, "100")
    assert apr(D(1200), date(2024, 1, 1), payments, "monthly") == 0
    assert apr(D(1200), date(2024, 1, 1), [(date(2024, 6, 1), D(1200))], "monthly") == 0


def test_payment_objects_and_unsorted_pairs_agree():
    pairs = monthly(date(2024, 2, 1), 24, "47.50")
    objects = [Payment(due, amount) for due, amount in reversed(pairs)]
    assert apr(D(1000), date(2024, 1, 1), objects, "monthly") == apr(D(1000), date(2024, 1, 1), pairs, "monthly")


def test_high_rate_short_loan():
    payments = every_days(date(2024, 1, 15), 4, "40", 14)
    result = apr(D(100), date(2024, 1, 1), payments, "biweekly")
    assert result > 500
    assert abs(result - bisect_apr(D(100), date(2024, 1, 1), payments, "biweekly")) < D("1e-8")


def test_is_irregular_per_1026_22_a_3():
    advance = date(2024, 1, 1)
    regular = [(date(2024, 2, 20), D(55)), *monthly(date(2024, 3, 20), 10, "50"), (date(2025, 1, 20), D(20))]
    assert not is_irregular(advance, regular, "monthly")  # odd first period, first and final payments only
    skipped = [p for n, p in enumerate(monthly(date(2024, 2, 1), 12, "50")) if n != 5]
    assert is_irregular(advance, skipped, "monthly")  # irregular payment period
    graduated = monthly(date(2024, 2, 1), 6, "50") + monthly(date(2024, 8, 1), 6, "70")
    assert is_irregular(advance, graduated, "monthly")  # irregular payment amounts
    # Semimonthly on the 15th and the last day: the (b)(5)(iii) fractions differ, the periods do not.
    semimonthly = sorted(monthly(date(2024, 1, 15), 12, "30") + monthly(date(2024, 1, 31), 12, "30"))
    assert not is_irregular(advance, semimonthly, "semimonthly")
    assert is_irregular(advance, semimonthly[:5] + semimonthly[6:], "semimonthly")
    quarterly_month_ends = monthly(date(2024, 3, 31), 8, "300", 3)  # Mar 31, Jun 30, Sep 30, Dec 31, ...
    assert not is_irregular(advance, quarterly_month_ends, "quarterly")
    assert is_irregular(advance, quarterly_month_ends, "monthly")


# --- disclosure figures and tolerances ---------------------------------------------------------------


def test_amount_financed_and_finance_charge():
    assert amount_financed(loan_amount=D(162000), prepaid_finance_charges=D("3012.50")) == D("158987.50")
    assert finance_charge(total_of_payments=D("1200.00"), amount_financed=D("1200")) == 0


@pytest.mark.parametrize(
    ("disclosed", "actual", "regular", "expected"),
    [
        ("6.125", "6.000", True, True),  # exactly 1/8 point: accurate, 1026.22(a)(2)
        ("5.875", "6.000", True, True),
        ("6.1251", "6.000", True, False),
        ("6.250", "6.000", False, True),  # exactly 1/4 point in an irregular transaction, 1026.22(a)(3)
        ("5.750", "6.000", False, True),
        ("6.2501", "6.000", False, False),
        ("6.250", "6.000", True, False),
    ],
)
def test_apr_tolerance(disclosed, actual, regular, expected):
    assert apr_within_tolerance(D(disclosed), D(actual), regular) is expected


def test_mortgage_apr_tolerance_follows_finance_charge():
    # Supplement I, comment 22(a)(5)-1 (as quoted on mycomplianceresource.com): in an irregular transaction with
    # an actual APR of 9.00 %, a $75 finance-charge omission gives 8.50 % (accurate under (a)(4)), and a disclosed
    # 8.65 % is accurate under (a)(5).
    assert apr_within_tolerance(D("8.65"), D("9.00"), False, finance_charge_rate=D("8.50"))
    assert apr_within_tolerance(D("8.50"), D("9.00"), False, finance_charge_rate=D("8.50"))
    assert not apr_within_tolerance(D("8.45"), D("9.00"), False, finance_charge_rate=D("8.50"))
    assert not apr_within_tolerance(D("8.65"), D("9.00"), False)


@pytest.mark.parametrize(
    ("disclosed", "actual", "financed", "dwelling", "expected"),
    [
        ("900.00", "1000.00", "150000", True, True),  # understated by exactly $100, 1026.18(d)(1)(i)
        ("899.99", "1000.00", "150000", True, False),
        ("5000.00", "1000.00", "150000", True, True),  # overstated, 1026.18(d)(1)(ii)
        ("95.00", "100.00", "1000", False, True),  # $5 either way up to $1,000 financed, 1026.18(d)(2)
        ("105.01", "100.00", "1000", False, False),
        ("110.00", "100.00", "1000.01", False, True),  # $10 above $1,000 financed
        ("89.99", "100.00", "1000.01", False, False),
    ],
)
def test_finance_charge_tolerance(disclosed, actual, financed, dwelling, expected):
    result = finance_charge_within_tolerance(
        D(disclosed), D(actual), amount_financed=D(financed), secured_by_dwelling=dwelling
    )
    assert result is expected


# --- bad input ---------------------------------------------------------------------------------------

GOOD = monthly(date(2024, 2, 1), 12, "90")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"amount_financed": D(0)}, "amount_financed", id="zero amount"),
        pytest.param({"amount_financed": D(-1)}, "amount_financed", id="negative amount"),
        pytest.param({"amount_financed": 1000.0}, "amount_financed", id="float amount"),
        pytest.param({"payments": []}, "payments", id="no payments"),
        pytest.param({"payments": None}, "payments", id="payments not a sequence"),
        pytest.param({"payments": [(date(2023, 12, 1), D(100))]}, r"payments\[0\]\.due_date", id="before advance"),
        pytest.param({"payments": [(date(2024, 1, 1), D(100))]}, r"payments\[0\]\.due_date", id="on advance"),
        pytest.param({"payments": [*GOOD[:1], (date(2024, 3, 1), D(-5))]}, r"payments\[1\]\.amount", id="negative"),
        pytest.param({"payments": [(date(2024, 3, 1), 5.0)]}, r"payments\[0\]\.amount", id="float payment"),
        pytest.param({"payments": [(date(2024, 3, 1), D(5), "x")]}, r"payments\[0\]", id="not a pair"),
        pytest.param({"payments": [("2024-03-01", D(5))]}, r"payments\[0\]\.due_date", id="string date"),
        pytest.param({"payments": monthly(date(2024, 2, 1), 12, "80")}, "payments", id="negative finance charge"),
        pytest.param({"unit_period": "fortnightly"}, "unit_period", id="unknown unit"),
        pytest.param({"unit_period": None}, "unit_period", id="no unit"),
        pytest.param({"advance_date": datetime(2024, 1, 1)}, "advance_date", id="datetime advance"),
        pytest.param({"advance_date": "2024-01-01"}, "advance_date", id="string advance"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    arguments = {
        "amount_financed": D(1000),
        "advance_date": date(2024, 1, 1),
        "payments": GOOD,
        "unit_period": "monthly",
    }
    with pytest.raises(ValueError, match=field):
        apr(**(arguments | kwargs))


def test_bad_disclosure_input_names_the_field():
    with pytest.raises(ValueError, match="prepaid_finance_charges"):
        amount_financed(loan_amount=D(100), prepaid_finance_charges=D(100))
    with pytest.raises(ValueError, match="prepaid_finance_charges"):
        amount_financed(loan_amount=D(100), prepaid_finance_charges=D(-1))
    with pytest.raises(ValueError, match="loan_amount"):
        amount_financed(loan_amount=D(0), prepaid_finance_charges=D(0))
    with pytest.raises(ValueError, match="total_of_payments"):
        finance_charge(total_of_payments=D(99), amount_financed=D(100))
    with pytest.raises(ValueError, match="regular"):
        apr_within_tolerance(D(6), D(6), "yes")
    with pytest.raises(ValueError, match="disclosed"):
        apr_within_tolerance(6.0, D(6), True)
    with pytest.raises(ValueError, match="annual_rate"):
        present_value(D(-100), date(2024, 1, 1), GOOD, "monthly")


# --- properties ---------------------------------------------------------------------------------------

MONTHS = {"monthly": 1, "bimonthly": 2, "quarterly": 3, "semiannual": 6, "annual": 12}
DAYS = {"daily": 1, "weekly": 7, "biweekly": 14, "fourweekly": 28}


def level_schedule(advance: date, unit: str, count: int, payment: Decimal) -> list[tuple[date, Decimal]]:
    """Payments exactly one unit-period apart from the advance, so every f is 0."""
    if unit in MONTHS:
        return [(add_months(advance, MONTHS[unit] * k), payment) for k in range(1, count + 1)]
    if unit in DAYS:
        return [(advance + timedelta(days=DAYS[unit] * k), payment) for k in range(1, count + 1)]
    second = advance + timedelta(days=15)  # semimonthly: the advance day and 15 days later, each month
    return sorted([(add_months(second, k), payment) for k in range((count + 1) // 2)]
                  + [(add_months(advance, k), payment) for k in range(1, count // 2 + 1)])  # fmt: skip


advances = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
note_rates = st.integers(min_value=1, max_value=36_000).map(lambda n: D(n) / 1000)
principals = st.integers(min_value=10_000, max_value=200_000_000).map(lambda n: D(n) / 100)


@settings(max_examples=examples(2000), deadline=None)
@given(advances, st.sampled_from([*MONTHS, *DAYS, "semimonthly"]), st.integers(2, 480), note_rates, principals)
def test_level_payment_apr_equals_note_rate(advance, unit, count, rate, principal):
    if unit == "semimonthly":
        advance = advance.replace(day=min(advance.day, 13))
    payment = level_payment(principal, WIDE.divide(rate, UNIT_PERIODS[unit].per_year * 100), count)
    schedule = level_schedule(advance, unit, count, payment)
    assert abs(apr(principal, advance, schedule, unit) - rate) <= D("1e-6")


@settings(max_examples=examples(2000), deadline=None)
@given(
    advances,
    st.sampled_from(list(UNIT_PERIODS)),
    st.lists(st.tuples(st.integers(1, 62), st.integers(0, 500_000)), min_size=1, max_size=60),
    st.integers(min_value=50, max_value=100),
)
def test_apr_solves_the_general_equation(advance, unit, steps, share):
    payments, due = [], advance
    for gap, amount in steps:
        due += timedelta(days=gap)
        payments.append((due, D(amount) / 100))
    total = sum(amount for _, amount in payments)
    financed = cents(total * share / 100)
    assume(financed > 0)
    result = apr(financed, advance, payments, unit)
    assert abs(present_value(result, advance, payments, unit) - financed) <= D("0.01")
    assert abs(direct_value(result, advance, payments, unit) - financed) <= D("0.01")


@settings(max_examples=examples(2000), deadline=None)
@given(advances, st.integers(2, 360), note_rates, principals, st.integers(0, 10_000), st.integers(1, 10_000))
def test_apr_rises_with_prepaid_finance_charges(advance, count, rate, loan, fee_cents, more_cents):
    fee, more = D(fee_cents) / 100, D(more_cents) / 100
    assume(fee + more < loan)
    schedule = level_schedule(advance, "monthly", count, cents(level_payment(loan, rate / 1200, count)))
    financed = amount_financed(loan_amount=loan, prepaid_finance_charges=fee)
    assume(total_of_payments(schedule) >= financed)  # a payment rounded down can leave less than the loan
    lower = apr(financed, advance, schedule, "monthly")
    higher = apr(amount_financed(loan_amount=loan, prepaid_finance_charges=fee + more), advance, schedule, "monthly")
    assert higher > lower
