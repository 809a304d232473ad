"""Amortization: published vectors, hand-checked schedules, due dates, validation, and properties against a
straightforward Decimal reference implementation (row by row, no integer tricks)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lending.finance import daycount
from lending.finance.amortization import (
    AMORTIZATIONS,
    FREQUENCIES,
    LoanTerms,
    ScheduleRow,
    build_schedule,
    due_date,
    due_dates,
    level_payment,
    period_interest,
    periods_per_year,
)
from lending.finance.daycount import add_months
from lending.finance.money import CONTEXT, cents
from tests.hypothesis_budget import examples

D = Decimal
CONVENTIONS = daycount.CONVENTIONS


def terms(**overrides: Any) -> LoanTerms:
    values: dict[str, Any] = {
        "principal": D("100000"),
        "annual_rate": D("6"),
        "term_periods": 360,
        "disbursement_date": date(2024, 1, 1),
        "first_payment_date": date(2024, 2, 1),
    }
    values.update(overrides)
    return LoanTerms(**values)


def table(schedule) -> list[tuple[str, str, str, str]]:
    return [(str(r.payment), str(r.principal), str(r.interest), str(r.balance)) for r in schedule.rows]


# ---- reference implementation: plain Decimal arithmetic, one row at a time -------------------------------------


def ref_level_payment(principal: Decimal, rate: Decimal, periods: int, per_year: int) -> Decimal:
    r = CONTEXT.divide(rate, 100 * per_year)
    if r == 0:
        return cents(CONTEXT.divide(principal, periods))
    discount = CONTEXT.power(CONTEXT.add(1, r), -periods)
    approx = CONTEXT.divide(CONTEXT.multiply(principal, r), CONTEXT.subtract(1, discount))
    # Within a hair of a half cent the 34-digit annuity cannot tell which way to round: decide exactly.
    # (Found by Hypothesis: 50.00 at 5 % for one quarter is exactly 50.625 -> 50.63.)
    hundredths = approx * 100
    if abs(hundredths - hundredths.to_integral_value(rounding="ROUND_FLOOR") - Decimal("0.5")) < Decimal("1e-20"):
        exact_r = Fraction(rate) / (100 * per_year)
        exact = Fraction(principal) * exact_r / (1 - (1 + exact_r) ** -periods)
        whole, rest = divmod(exact * 100, 1)
        return D(int(whole) + (rest >= Fraction(1, 2))).scaleb(-2)
    return cents(approx)


def ref_add_months(start: date, months: int, day: int) -> date:
    year, month = start.year + (start.month - 1 + months) // 12, (start.month - 1 + months) % 12 + 1
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def ref_due_date(first: date, frequency: str, k: int) -> date:
    if frequency in ("weekly", "biweekly"):
        return first + timedelta(weeks=k * (1 if frequency == "weekly" else 2))
    if frequency in ("monthly", "quarterly"):
        return ref_add_months(first, k * (1 if frequency == "monthly" else 3), first.day)
    last = calendar.monthrange(first.year, first.month)[1]
    if first.day <= 15:
        days, start = (first.day, 31 if first.day == 15 else first.day + 15), 0
    else:
        days, start = ((15, 31) if first.day == last else (first.day - 15, first.day)), 1
    months, half = divmod(start + k, 2)
    return ref_add_months(first.replace(day=1), months, days[half])


def ref_year_fraction(start: date, end: date, convention: str) -> Fraction:
    if convention != "actual/actual":
        basis = 360 if convention in ("30/360", "actual/360") else 365
        return Fraction(daycount.days_between(start, end, convention), basis)
    sign, low, high = (1, start, end) if start <= end else (-1, end, start)
    days = (low + timedelta(n) for n in range((high - low).days))  # ISDA: each day by its own year
    return sign * sum((Fraction(1, 366 if calendar.isleap(d.year) else 365) for d in days), Fraction(0))


def ref_odd_interest(t: LoanTerms) -> Decimal:
    start = ref_due_date(t.first_payment_date, t.frequency, -1)
    if t.odd_first_period == "none" or start == t.disbursement_date:
        return D("0.00")
    total = D(0)
    sign, low, high = (
        (1, t.disbursement_date, start) if t.disbursement_date <= start else (-1, start, t.disbursement_date)
    )
    if t.day_count == "actual/actual":  # per-diem of each day's year
        for n in range((high - low).days):
            year_days = 366 if calendar.isleap((low + timedelta(n)).year) else 365
            total += cents(CONTEXT.divide(CONTEXT.multiply(t.principal, t.annual_rate), 100 * year_days))
        return sign * total
    basis = daycount.days_in_year(t.day_count, 2001)
    daily = cents(CONTEXT.divide(CONTEXT.multiply(t.principal, t.annual_rate), 100 * basis))
    return daily * daycount.days_between(t.disbursement_date, start, t.day_count)


def reference_schedule(t: LoanTerms) -> list[ScheduleRow]:
    per_year = FREQUENCIES[t.frequency]
    rate, principal = t.annual_rate, t.principal
    rows = t.balloon_after_periods or t.term_periods
    io = t.interest_only_periods

    def interest_on(balance: Decimal) -> Decimal:
        return cents(CONTEXT.divide(CONTEXT.multiply(balance, rate), 100 * per_year))

    if t.amortization == "equal_principal":
        share = CONTEXT.divide(principal, rows).quantize(D("0.01"), rounding=ROUND_DOWN)
    elif io and io == t.term_periods:
        regular = interest_on(principal)
    else:
        regular = ref_level_payment(principal, rate, t.term_periods - io, per_year)
    out: list[list[Any]]  # [number, due date, principal, interest, balance]
    out, balance = [], principal
    for number in range(1, rows + 1):
        interest = interest_on(balance)
        if number == rows:
            part = balance
        elif number <= io:
            part = D("0.00")
        elif t.amortization == "equal_principal":
            part = min(share, balance)
        else:
            part = min(regular - interest, balance)
        balance -= part
        out.append([number, ref_due_date(t.first_payment_date, t.frequency, number - 1), part, interest, balance])
    out[0][3] = max(out[0][3] + ref_odd_interest(t), D("0.00"))
    return [ScheduleRow(n, d, p + i, p, i, b) for n, d, p, i, b in out]


# ---- strategies ---------------------------------------------------------------------------------------------------

amounts = st.integers(min_value=1, max_value=10**10).map(lambda c: D(c).scaleb(-2))
rates = st.integers(min_value=0, max_value=30_000).map(lambda m: D(m).scaleb(-3))
frequencies = st.sampled_from(sorted(FREQUENCIES))


@st.composite
def loan_terms(draw, max_term: int = 360) -> LoanTerms:
    term = draw(st.integers(min_value=1, max_value=max_term))
    amortization = draw(st.sampled_from(AMORTIZATIONS if term > 1 else ("level", "equal_principal", "interest_only")))
    disbursed = draw(st.dates(min_value=date(1995, 1, 1), max_value=date(2060, 12, 31)))
    extra = {}
    if amortization == "interest_only":
        extra["interest_only_periods"] = draw(st.integers(min_value=1, max_value=term))
    if amortization == "balloon":
        extra["balloon_after_periods"] = draw(st.integers(min_value=1, max_value=term - 1))
    return LoanTerms(
        principal=draw(amounts),
        annual_rate=draw(rates),
        term_periods=term,
        frequency=draw(frequencies),
        amortization=amortization,
        day_count=draw(st.sampled_from(CONVENTIONS)),
        odd_first_period=draw(st.sampled_from(("per_diem", "none"))),
        disbursement_date=disbursed,
        first_payment_date=disbursed + timedelta(days=draw(st.integers(min_value=1, max_value=120))),
        **extra,
    )


# ---- published vectors --------------------------------------------------------------------------------------------


def test_cfpb_h25_sample_closing_disclosure():
    # CFPB sample Closing Disclosure (Reg Z form H-25(B)), files.consumerfinance.gov/f/201311_cfpb_kbyo_closing-
    # disclosure.pdf: loan amount $162,000, 3.875 %, 30 years, "Monthly Principal & Interest $761.78"; closing
    # and disbursement 4/15/2013, "Prepaid Interest ($17.44 per day from 4/15/13 to 5/1/13)" = 16 x 17.44.
    assert level_payment(D("162000"), D("3.875"), 360) == D("761.78")
    schedule = build_schedule(
        terms(
            principal=D("162000"),
            annual_rate=D("3.875"),
            disbursement_date=date(2013, 4, 15),
            first_payment_date=date(2013, 6, 1),
        )
    )
    assert schedule.regular_payment == D("761.78")
    assert schedule.odd_period_interest == D("279.04")
    first = schedule.rows[0]
    assert (first.due_date, first.interest, first.principal) == (date(2013, 6, 1), D("802.17"), D("238.65"))
    assert first.payment == D("761.78") + D("279.04")
    assert [r.payment for r in schedule.rows[1:-1]] == [D("761.78")] * 358
    assert schedule.rows[-1] == ScheduleRow(360, date(2043, 5, 1), D("764.68"), D("762.22"), D("2.46"), D("0.00"))
    # Total interest with the prepaid interest, over the loan amount: 69.458 %, the sample's TIP line (69.46 %).
    assert schedule.total_interest == D("112522.74")
    assert schedule.total_payments == D("274522.74")


def test_numpy_financial_pmt_docs_example():
    # numpy-financial docs, pmt: npf.pmt(0.075/12, 12*15, 200000) -> -1854.0247200054619
    # (numpy.org/numpy-financial/latest/pmt.html).
    assert level_payment(D("200000"), D("7.5"), 180) == D("1854.02")


# numpy-financial docs, ipmt (numpy.org/numpy-financial/latest/ipmt.html): "amortization schedule for a 1 year loan
# of $2500 at 8.24% interest per year compounded monthly", printed as period, ppmt, ipmt, running principal.
NPF_IPMT_DOCS = [
    (-200.58, -17.17, 2299.42),
    (-201.96, -15.79, 2097.46),
    (-203.35, -14.40, 1894.11),
    (-204.74, -13.01, 1689.37),
    (-206.15, -11.60, 1483.22),
    (-207.56, -10.18, 1275.66),
    (-208.99, -8.76, 1066.67),
    (-210.42, -7.32, 856.25),
    (-211.87, -5.88, 644.38),
    (-213.32, -4.42, 431.05),
    (-214.79, -2.96, 216.26),
    (-216.26, -1.49, -0.00),
]


def test_numpy_financial_ipmt_docs_schedule():
    schedule = build_schedule(terms(principal=D("2500"), annual_rate=D("8.24"), term_periods=12))
    assert schedule.regular_payment == D("217.75")  # npf.pmt(0.0824/12, 12, 2500) = -217.7486
    assert table(schedule) == [
        ("217.75", "200.58", "17.17", "2299.42"),
        ("217.75", "201.96", "15.79", "2097.46"),
        ("217.75", "203.35", "14.40", "1894.11"),
        ("217.75", "204.74", "13.01", "1689.37"),
        ("217.75", "206.15", "11.60", "1483.22"),
        ("217.75", "207.57", "10.18", "1275.65"),
        ("217.75", "208.99", "8.76", "1066.66"),
        ("217.75", "210.43", "7.32", "856.23"),
        ("217.75", "211.87", "5.88", "644.36"),
        ("217.75", "213.33", "4.42", "431.03"),
        ("217.75", "214.79", "2.96", "216.24"),
        ("217.72", "216.24", "1.48", "0.00"),
    ]
    # The docs print unrounded float columns; a schedule that pays whole cents differs by at most a cent a row
    # (2 cents on the running balance and the last row), the drift the last payment (217.72) absorbs.
    for row, (ppmt, ipmt, balance) in zip(schedule.rows, NPF_IPMT_DOCS, strict=True):
        assert abs(row.principal + D(str(ppmt))) <= (D("0.02") if row.number == 12 else D("0.01"))
        assert abs(row.interest + D(str(ipmt))) <= D("0.01")
        assert abs(row.balance - D(str(balance))) <= D("0.02")
    assert schedule.total_interest == D("112.97")  # docs: np.round(np.sum(ipmt), 2) = -112.98 before rounding rows


# ---- hand-checked schedules ---------------------------------------------------------------------------------------


def test_hand_checked_three_month_level_loan():
    # 1,000 at 12 % (1 % a month) over 3: payment 1000 * 0.01 / (1 - 1.01^-3) = 340.0221 -> 340.02.
    # Interest 10.00, 6.6998 -> 6.70, 3.3666 -> 3.37; the last payment clears 336.66 + 3.37.
    schedule = build_schedule(terms(principal=D("1000"), annual_rate=D("12"), term_periods=3))
    assert table(schedule) == [
        ("340.02", "330.02", "10.00", "669.98"),
        ("340.02", "333.32", "6.70", "336.66"),
        ("340.03", "336.66", "3.37", "0.00"),
    ]
    assert (schedule.total_interest, schedule.total_payments) == (D("20.07"), D("1020.07"))


def test_hand_checked_equal_principal():
    schedule = build_schedule(
        terms(principal=D("1200"), annual_rate=D("12"), term_periods=3, amortization="equal_principal")
    )
    assert table(schedule) == [
        ("412.00", "400.00", "12.00", "800.00"),
        ("408.00", "400.00", "8.00", "400.00"),
        ("404.00", "400.00", "4.00", "0.00"),
    ]
    assert schedule.regular_payment == D("412.00")


def test_equal_principal_rounds_the_share_down_and_the_remainder_goes_last():
    schedule = build_schedule(
        terms(principal=D("1000"), annual_rate=D("0"), term_periods=3, amortization="equal_principal")
    )
    assert [r.principal for r in schedule.rows] == [D("333.33"), D("333.33"), D("333.34")]
    # 100 / 360 = 0.2777...: 0.27 a row, the last 100 - 359 * 0.27 = 3.07 (half-up 0.28 would overpay by row 358).
    schedule = build_schedule(
        terms(principal=D("100"), annual_rate=D("0"), term_periods=360, amortization="equal_principal")
    )
    assert {r.principal for r in schedule.rows[:-1]} == {D("0.27")}
    assert schedule.rows[-1].principal == D("3.07")


def test_interest_only_then_level():
    schedule = build_schedule(
        terms(
            principal=D("120000"),
            annual_rate=D("6"),
            term_periods=36,
            amortization="interest_only",
            interest_only_periods=12,
        )
    )
    assert [r.payment for r in schedule.rows[:12]] == [D("600.00")] * 12
    assert {r.principal for r in schedule.rows[:12]} == {D("0.00")}
    assert schedule.regular_payment == level_payment(D("120000"), D("6"), 24) == D("5318.47")
    assert [r.payment for r in schedule.rows[12:-1]] == [D("5318.47")] * 23
    assert schedule.rows[12].interest == D("600.00")
    assert schedule.rows[-1].balance == D("0.00")


def test_bullet_loan_when_whole_term_is_interest_only():
    schedule = build_schedule(
        terms(
            principal=D("10000"),
            annual_rate=D("6"),
            term_periods=12,
            amortization="interest_only",
            interest_only_periods=12,
        )
    )
    assert [r.payment for r in schedule.rows] == [D("50.00")] * 11 + [D("10050.00")]
    assert schedule.regular_payment == D("50.00")
    assert schedule.total_interest == D("600.00")


def test_balloon_after_five_years_of_a_thirty_year_amortization():
    # 100,000 at 6 %: the 30-year payment 599.55; after 59 payments the balance is 93,187.98 (closed form
    # P*1.005^59 - 599.55*(1.005^59 - 1)/0.005 = 93,187.97...), and row 60 pays it with the 60th interest.
    schedule = build_schedule(terms(amortization="balloon", balloon_after_periods=60))
    assert len(schedule.rows) == 60
    assert schedule.regular_payment == D("599.55")
    assert schedule.rows[58].balance == D("93187.98")
    assert schedule.rows[-1] == ScheduleRow(60, date(2029, 1, 1), D("93653.92"), D("93187.98"), D("465.94"), D("0.00"))


def test_zero_rate_loan():
    assert level_payment(D("1000"), D("0"), 3) == D("333.33")
    schedule = build_schedule(terms(principal=D("1000"), annual_rate=D("0"), term_periods=3))
    assert table(schedule) == [
        ("333.33", "333.33", "0.00", "666.67"),
        ("333.33", "333.33", "0.00", "333.34"),
        ("333.34", "333.34", "0.00", "0.00"),
    ]


def test_rounded_up_payment_that_would_overpay_is_capped():
    # 100 / 360 = 0.2777... -> 0.28 a month pays the loan off in row 358; later rows are zero, never negative.
    schedule = build_schedule(terms(principal=D("100"), annual_rate=D("0"), term_periods=360))
    assert [r.payment for r in schedule.rows[355:]] == [D("0.28"), D("0.28"), D("0.04"), D("0.00"), D("0.00")]
    assert sum(r.principal for r in schedule.rows) == D("100.00")


def test_rounded_up_payment_with_interest_is_capped_on_its_principal_part():
    # $100 at 0.5 % for 360 months, r = 0.5 / 1200 = 1/2400: 100 r / (1 - (1 + r)**-360) = 0.2996 -> 0.30 a month,
    # rounded up, so the loan is paid off early. Row 1: interest 100.00 / 2400 = 0.0417 -> 0.04, principal
    # 0.30 - 0.04 = 0.26. Each principal part is the payment less that row's interest, capped at the balance:
    # row 359 pays the 0.29 left (its interest, on 0.29, is 0.00); row 360 is all zero.
    schedule = build_schedule(terms(principal=D("100"), annual_rate=D("0.5"), term_periods=360))
    assert table(schedule)[0] == ("0.30", "0.26", "0.04", "99.74")
    assert table(schedule)[358:] == [("0.29", "0.29", "0.00", "0.00"), ("0.00", "0.00", "0.00", "0.00")]
    assert {r.payment for r in schedule.rows[:358]} == {D("0.30")}
    # 358 x 0.30 + 0.29 = 107.69 paid: the 100.00 principal and 7.69 of interest
    assert (schedule.total_payments, schedule.total_interest) == (D("107.69"), D("7.69"))
    assert sum(r.principal for r in schedule.rows) == D("100.00")


def test_one_period_loan():
    schedule = build_schedule(terms(principal=D("500"), annual_rate=D("12"), term_periods=1))
    assert table(schedule) == [("505.00", "500.00", "5.00", "0.00")]
    assert level_payment(D("500"), D("12"), 1) == D("505.00")


def test_period_interest_rounds_exact_half_cent_up():
    # 6.00 at 1 %: 6.00 * 0.01 / 12 = 0.005 exactly. money.periodic_rate rounds 1/1200 to 34 digits first,
    # which would give 0.004999... -> 0.00; the rule multiplies first, so the half cent rounds up.
    assert period_interest(D("6.00"), D("1"), 12) == D("0.01")
    assert build_schedule(terms(principal=D("6.00"), annual_rate=D("1"), term_periods=2)).rows[0].interest == D("0.01")


# ---- odd first period ---------------------------------------------------------------------------------------------


def test_long_odd_first_period_adds_per_diem_interest():
    # Disbursed Jan 15, first payment Mar 1: the regular period starts Feb 1, 16 odd days (30/360) at
    # 100000 * 6 % / 360 = 16.67 a day.
    schedule = build_schedule(terms(disbursement_date=date(2024, 1, 15), first_payment_date=date(2024, 3, 1)))
    assert schedule.odd_period_interest == D("266.72")
    assert schedule.rows[0] == ScheduleRow(1, date(2024, 3, 1), D("866.27"), D("99.55"), D("766.72"), D("99900.45"))
    assert schedule.rows[1].payment == schedule.regular_payment == D("599.55")


@pytest.mark.parametrize(
    ("day_count", "odd"),
    [("30/360", "266.72"), ("actual/360", "283.39"), ("actual/365", "279.48"), ("actual/actual", "278.63")],
)
def test_odd_days_by_day_count(day_count, odd):
    # Jan 15 -> Feb 1 2024: 16 days 30/360, 17 actual; per-diem 16.67 (/360), 16.44 (/365), 16.39 (/366, 2024).
    schedule = build_schedule(
        terms(disbursement_date=date(2024, 1, 15), first_payment_date=date(2024, 3, 1), day_count=day_count)
    )
    assert schedule.odd_period_interest == D(odd)


def test_odd_period_across_new_year_actual_actual_uses_each_years_per_diem():
    # Dec 20 2023 -> Jan 15 2024: 12 days at 16.44 (2023, /365) + 14 days at 16.39 (2024, /366) = 426.74.
    schedule = build_schedule(
        terms(disbursement_date=date(2023, 12, 20), first_payment_date=date(2024, 2, 15), day_count="actual/actual")
    )
    assert schedule.odd_period_interest == D("426.74")


def test_short_first_period_credits_per_diem():
    # Disbursed Feb 10, first payment Mar 1: 9 days short of the Feb 1 start -> 9 x 16.67 off the first interest.
    schedule = build_schedule(terms(disbursement_date=date(2024, 2, 10), first_payment_date=date(2024, 3, 1)))
    assert schedule.odd_period_interest == D("-150.03")
    assert schedule.rows[0].interest == D("349.97")
    assert schedule.rows[0].principal == D("99.55")


def test_very_short_first_period_never_makes_interest_negative():
    # Quarterly, actual/360: 91 days short of a 90-day-rate period would be negative; floored at zero.
    schedule = build_schedule(
        terms(
            frequency="quarterly",
            term_periods=8,
            day_count="actual/360",
            disbursement_date=date(2024, 3, 31),
            first_payment_date=date(2024, 4, 1),
        )
    )
    assert schedule.rows[0].interest == D("0.00")
    assert schedule.rows[0].payment == schedule.rows[0].principal
    assert sum(r.principal for r in schedule.rows) == D("100000.00")


def test_odd_first_period_none_treats_first_period_as_regular():
    schedule = build_schedule(
        terms(disbursement_date=date(2024, 1, 15), first_payment_date=date(2024, 3, 1), odd_first_period="none")
    )
    assert schedule.odd_period_interest == D("0.00")
    assert schedule.rows[0].payment == D("599.55")


# ---- due dates ----------------------------------------------------------------------------------------------------


def test_monthly_month_end_clamps_without_drifting():
    leap = due_dates(date(2024, 1, 31), "monthly", 5)
    assert leap == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31)]
    assert due_dates(date(2023, 1, 31), "monthly", 3) == [date(2023, 1, 31), date(2023, 2, 28), date(2023, 3, 31)]
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 15), -2, 31) == date(2023, 12, 31)


def test_semimonthly_pairs():
    assert due_dates(date(2024, 1, 1), "semimonthly", 4) == [
        date(2024, 1, 1), date(2024, 1, 16), date(2024, 2, 1), date(2024, 2, 16),
    ]  # fmt: skip
    assert due_dates(date(2024, 1, 15), "semimonthly", 5) == [
        date(2024, 1, 15), date(2024, 1, 31), date(2024, 2, 15), date(2024, 2, 29), date(2024, 3, 15),
    ]  # fmt: skip
    assert due_dates(date(2023, 2, 28), "semimonthly", 3) == [date(2023, 2, 28), date(2023, 3, 15), date(2023, 3, 31)]
    assert due_dates(date(2024, 1, 20), "semimonthly", 3) == [date(2024, 1, 20), date(2024, 2, 5), date(2024, 2, 20)]
    assert due_date(date(2024, 1, 16), "semimonthly", -1) == date(2024, 1, 1)


def test_weekly_biweekly_quarterly():
    assert due_dates(date(2024, 2, 26), "weekly", 3) == [date(2024, 2, 26), date(2024, 3, 4), date(2024, 3, 11)]
    assert due_dates(date(2024, 2, 26), "biweekly", 3) == [date(2024, 2, 26), date(2024, 3, 11), date(2024, 3, 25)]
    assert due_dates(date(2023, 11, 30), "quarterly", 4) == [
        date(2023, 11, 30), date(2024, 2, 29), date(2024, 5, 30), date(2024, 8, 30),
    ]  # fmt: skip
    assert due_date(date(2024, 3, 1), "quarterly", -1) == date(2023, 12, 1)


def test_schedule_due_dates_follow_first_payment_date():
    schedule = build_schedule(terms(first_payment_date=date(2024, 1, 31), term_periods=3))
    assert [r.due_date for r in schedule.rows] == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]


@settings(max_examples=examples(2000), deadline=None)
@given(
    first=st.dates(min_value=date(1800, 1, 1), max_value=date(2400, 12, 31)),
    frequency=frequencies,
    count=st.integers(min_value=1, max_value=400),
)
def test_due_dates_match_one_by_one_and_the_reference(first, frequency, count):
    # Covers both the calendar tables (1900..2299) and the date-by-date path around them.
    dates = due_dates(first, frequency, count)
    assert len(dates) == count
    assert dates[0] == first
    for k in {0, min(1, count - 1), count // 2, count - 1}:
        assert dates[k] == due_date(first, frequency, k) == ref_due_date(first, frequency, k)
    assert dates == sorted(set(dates))


# ---- validation ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"principal": D("0")}, "principal must be greater than zero"),
        ({"principal": D("-5")}, "principal must be greater than zero"),
        ({"principal": D("10.001")}, "principal: 10.001 is not a whole number of cents"),
        ({"principal": 1000.0}, "principal: use Decimal or str, not float"),
        ({"annual_rate": D("-0.5")}, "annual_rate must not be negative"),
        ({"annual_rate": "abc"}, "annual_rate: 'abc' is not a number"),
        ({"term_periods": 0}, "term_periods must be between 1 and 1600"),
        ({"first_payment_date": date(1, 1, 15), "disbursement_date": date(1, 1, 1)}, "first_payment_date: the sched"),
        ({"term_periods": 12.0}, "term_periods: must be a whole number"),
        ({"first_payment_date": date(2023, 12, 1)}, "first_payment_date must be after disbursement_date"),
        ({"first_payment_date": date(2024, 1, 1)}, "first_payment_date must be after disbursement_date"),
        ({"disbursement_date": "2024-01-01"}, "disbursement_date: must be a date"),
        ({"frequency": "fortnightly"}, "frequency: unknown 'fortnightly'"),
        ({"amortization": "negative"}, "amortization: unknown 'negative'"),
        ({"day_count": "30/365"}, "day_count: unknown convention '30/365'"),
        ({"odd_first_period": "prorate"}, "odd_first_period: unknown 'prorate'"),
        ({"amortization": "interest_only"}, "interest_only_periods must be between 1 and 360"),
        ({"amortization": "interest_only", "interest_only_periods": 361}, "interest_only_periods must be between"),
        ({"interest_only_periods": 12}, "interest_only_periods: only allowed with amortization='interest_only'"),
        ({"amortization": "balloon"}, "balloon_after_periods: must be a whole number, got None"),
        ({"amortization": "balloon", "balloon_after_periods": 360}, "balloon_after_periods must be between 1 and 359"),
        ({"balloon_after_periods": 60}, "balloon_after_periods: only allowed with amortization='balloon'"),
        ({"first_payment_date": date(9999, 1, 1), "disbursement_date": date(9998, 1, 1)}, "term_periods: the schedule"),
    ],
)
def test_bad_terms_name_the_field(overrides, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        terms(**overrides)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((D("0"), D("5"), 12), "principal must be greater than zero"),
        ((D("100"), D("-1"), 12), "annual_rate must not be negative"),
        ((D("100"), D("5"), 0), "periods must be at least 1"),
        ((D("100"), D("5"), 12, 0), "periods_per_year must be at least 1"),
    ],
)
def test_bad_level_payment_input_names_the_field(args, message):
    with pytest.raises(ValueError, match=message):
        level_payment(*args)


def test_unknown_frequency_and_bad_terms_object():
    with pytest.raises(ValueError, match="frequency: unknown 'daily'"):
        periods_per_year("daily")
    with pytest.raises(ValueError, match="terms: must be LoanTerms"):
        build_schedule({"principal": 1})


# ---- every frequency x amortization x day count ------------------------------------------------------------------

EXTRA = {
    "level": {},
    "equal_principal": {},
    "interest_only": {"interest_only_periods": 6},
    "balloon": {"balloon_after_periods": 18},
}


@pytest.mark.parametrize("day_count", CONVENTIONS)
@pytest.mark.parametrize("amortization", AMORTIZATIONS)
@pytest.mark.parametrize("frequency", sorted(FREQUENCIES))
def test_every_combination_matches_reference(frequency, amortization, day_count):
    t = terms(
        principal=D("25000"),
        annual_rate=D("7.25"),
        term_periods=24,
        frequency=frequency,
        amortization=amortization,
        day_count=day_count,
        disbursement_date=date(2023, 10, 20),
        first_payment_date=date(2024, 1, 31),
        **EXTRA[amortization],
    )
    schedule = build_schedule(t)
    assert list(schedule.rows) == reference_schedule(t)
    assert len(schedule.rows) == (18 if amortization == "balloon" else 24)
    assert schedule.rows[0].due_date == date(2024, 1, 31)
    assert sum(r.principal for r in schedule.rows) == D("25000.00")
    assert schedule.rows[-1].balance == D("0.00")
    assert schedule.odd_period_interest > 0  # disbursed before the regular first period's start
    if amortization == "interest_only":
        assert {r.principal for r in schedule.rows[:6]} == {D("0.00")}


# ---- properties ---------------------------------------------------------------------------------------------------


@settings(max_examples=examples(2000), deadline=None)
@given(t=loan_terms())
def test_schedule_equals_decimal_reference(t):
    assert list(build_schedule(t).rows) == reference_schedule(t)


@settings(max_examples=examples(2000), deadline=None)
@given(t=loan_terms())
def test_schedule_invariants(t):
    schedule = build_schedule(t)
    rows = schedule.rows
    assert [r.number for r in rows] == list(range(1, len(rows) + 1))
    assert sum(r.principal for r in rows) == t.principal
    assert rows[-1].balance == 0
    assert schedule.total_interest == sum(r.interest for r in rows)
    assert schedule.total_payments == sum(r.payment for r in rows) == t.principal + schedule.total_interest
    balance = t.principal
    for row in rows:
        for amount in (row.payment, row.principal, row.interest, row.balance):
            assert amount.as_tuple().exponent == -2
            assert amount >= 0
        assert row.payment == row.principal + row.interest
        assert row.balance == balance - row.principal
        balance = row.balance
    if t.amortization in ("level", "balloon"):
        # Every payment is the level one but the last and (odd days) the first, unless rounding paid it off early.
        for row in rows[1:-1]:
            assert row.payment == schedule.regular_payment or row.balance == 0


@settings(max_examples=examples(2000), deadline=None)
@given(
    principal=amounts,
    rate=rates,
    periods=st.integers(min_value=1, max_value=1600),
    per_year=st.sampled_from([1, 4, 12, 24, 26, 52]),
)
def test_level_payment_equals_decimal_reference(principal, rate, periods, per_year):
    assert level_payment(principal, rate, periods, per_year) == ref_level_payment(principal, rate, periods, per_year)


@settings(max_examples=examples(2000), deadline=None)
@given(balance=amounts, rate=rates, per_year=st.sampled_from([4, 12, 24, 26, 52]))
def test_period_interest_is_exact_half_up(balance, rate, per_year):
    exact = Fraction(balance) * Fraction(rate) / (100 * per_year)
    whole, rest = divmod(exact * 100, 1)
    assert period_interest(balance, rate, per_year) == D(int(whole) + (rest >= Fraction(1, 2))).scaleb(-2)


@settings(max_examples=examples(2000), deadline=None)
@given(principal=amounts, rate=rates.filter(bool), periods=st.integers(min_value=1, max_value=480))
def test_level_payment_is_the_exact_annuity_rounded_half_up(principal, rate, periods):
    r = Fraction(rate) / 1200
    exact = Fraction(principal) * r / (1 - (1 + r) ** -periods)
    whole, rest = divmod(exact * 100, 1)
    assert level_payment(principal, rate, periods) == D(int(whole) + (rest >= Fraction(1, 2))).scaleb(-2)


def test_results_do_not_depend_on_the_thread_decimal_context():
    t = terms(principal=D("162000"), annual_rate=D("3.875"), disbursement_date=date(2013, 4, 15))
    expected = build_schedule(t)
    # 12 digits and flooring: any arithmetic done in the thread's context instead of money.CONTEXT (34 digits,
    # half-up) or integers would change some figure. (money.cents quantizes in the thread context, so 12, not 6.)
    with localcontext(prec=12, rounding=ROUND_FLOOR):
        assert build_schedule(t) == expected
        assert level_payment(D("162000"), D("3.875"), 360) == D("761.78")
    assert expected.balance_after(0) == D("162000.00")
    assert expected.balance_after(359) == expected.rows[358].balance == D("762.22")


def test_a_tiny_rate_still_pays_the_exact_level_payment():
    # r * n below 1e-8: the Decimal shortcut would lose digits in (1 + r)^n - 1, so the rational path answers.
    assert level_payment(D("100000"), D("0.000001"), 360) == D("277.78")
    assert level_payment(D("100000"), D("0.000001"), 360) == ref_level_payment(D("100000"), D("0.000001"), 360, 12)


def test_year_fraction_reference_agrees_with_daycount():
    # The reference's exact day-by-day fraction is the same quantity daycount.year_fraction rounds to 34 digits.
    start, end = date(2023, 12, 20), date(2025, 3, 3)
    for convention in CONVENTIONS:
        exact = ref_year_fraction(start, end, convention)
        assert abs(Fraction(daycount.year_fraction(start, end, convention)) - exact) < Fraction(1, 10**26)


def test_level_payment_rounds_an_exact_half_cent_up():
    # 50.00 at 5 % for one quarter is exactly 50.625: ROUND_HALF_UP gives 50.63 (a float or 34-digit
    # annuity evaluates 50.62499... and would round down).
    assert level_payment(D("50.00"), D("5"), 1, 4) == D("50.63")
