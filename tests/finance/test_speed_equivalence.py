"""Issue 15 made build_schedule and apr() faster; these tests hold them to the code they replaced, kept frozen in
tests/finance/reference/: over thousands of seeded random loans every Decimal must be equal and carry the same
exponent (compared as strings), so the speed work changed no figure anywhere."""

from __future__ import annotations

import calendar
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from lending.finance import amortization, apr
from tests.finance.reference import amortization as reference_amortization
from tests.finance.reference import apr as reference_apr

SEED = 20261205


def _cents(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low, high)).scaleb(-2)


def _rate(rng: random.Random) -> Decimal:
    kind = rng.random()
    if kind < 0.05:
        return Decimal(0)
    if kind < 0.1:  # tiny rates take the exact-rational path of the level payment
        return Decimal(rng.randint(1, 999)).scaleb(-9)
    return Decimal(rng.randint(1, 30_000)).scaleb(-rng.choice((2, 3, 4)))


def _loan(rng: random.Random) -> dict[str, Any]:
    frequency = rng.choice(list(amortization.FREQUENCIES))
    term = rng.choice((1, 2, 12, 60, 180, 360, rng.randint(1, 480)))
    amortization_kind = rng.choice(amortization.AMORTIZATIONS)
    if term == 1 and amortization_kind == "balloon":
        amortization_kind = "level"
    disbursed = date(2020, 1, 1) + timedelta(days=rng.randint(0, 3000))
    first = disbursed + timedelta(days=rng.randint(1, 75))
    loan: dict[str, Any] = {
        "principal": _cents(rng, 1, 300_000_000) if rng.random() < 0.9 else _cents(rng, 1, 5_000),
        "annual_rate": _rate(rng),
        "term_periods": term,
        "disbursement_date": disbursed,
        "first_payment_date": first,
        "frequency": frequency,
        "amortization": amortization_kind,
        "day_count": rng.choice(("30/360", "actual/360", "actual/365", "actual/actual")),
        "odd_first_period": rng.choice(("per_diem", "per_diem", "none")),
    }
    if amortization_kind == "interest_only":
        loan["interest_only_periods"] = rng.randint(1, term)
    if amortization_kind == "balloon":
        loan["balloon_after_periods"] = rng.randint(1, term - 1)
    return loan


def _strings(schedule: Any) -> list[str]:
    rows = [str(value) for row in schedule.rows for value in row]
    totals = (schedule.regular_payment, schedule.odd_period_interest, schedule.total_interest, schedule.total_payments)
    return rows + [str(value) for value in totals]


def test_build_schedule_equals_the_reference_over_random_loans() -> None:
    rng = random.Random(SEED)
    for _ in range(1500):
        loan = _loan(rng)
        new = amortization.build_schedule(amortization.LoanTerms(**loan))
        old = reference_amortization.build_schedule(reference_amortization.LoanTerms(**loan))
        assert new.rows == old.rows, loan
        assert _strings(new) == _strings(old), loan


def test_the_reference_comparison_can_fail() -> None:
    # A cent moved on one row must show: the comparison above is not vacuous.
    loan: dict[str, Any] = {
        "principal": Decimal("300000.00"),
        "annual_rate": Decimal("6.5"),
        "term_periods": 360,
        "disbursement_date": date(2025, 1, 1),
        "first_payment_date": date(2025, 2, 1),
    }
    old = reference_amortization.build_schedule(reference_amortization.LoanTerms(**loan))
    moved = old.rows[5]._replace(interest=old.rows[5].interest + Decimal("0.01"))
    new = amortization.build_schedule(amortization.LoanTerms(**loan))
    assert new.rows == old.rows
    assert (*new.rows[:5], moved, *new.rows[6:]) != old.rows


def _add_months(start: date, months: int) -> date:
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


_UNIT_DAYS = {"daily": 1, "weekly": 7, "biweekly": 14, "fourweekly": 28}
_UNIT_MONTHS = {"monthly": 1, "bimonthly": 2, "quarterly": 3, "semiannual": 6, "annual": 12}


def _due_dates(rng: random.Random, unit: str, first: date, count: int) -> list[date]:
    if unit in _UNIT_DAYS:
        return [first + timedelta(days=_UNIT_DAYS[unit] * k) for k in range(count)]
    if unit == "semimonthly":
        return [_add_months(first, k // 2) + timedelta(days=15 * (k % 2)) for k in range(count)]
    dates = [_add_months(first, _UNIT_MONTHS[unit] * k) for k in range(count)]
    if rng.random() < 0.2:  # irregular: some payments a few days late
        dates = sorted(due + timedelta(days=rng.choice((0, 0, 0, 3, 11))) for due in dates)
    return dates


def _stream(rng: random.Random) -> tuple[Decimal, date, list[tuple[date, Decimal]], str]:
    unit = rng.choice(list(apr.UNIT_PERIODS))
    count = rng.choice((1, 2, 12, 36, 60, 120, 360, rng.randint(1, 400)))
    if unit == "daily":
        count = min(count, 60)
    advance = date(2021, 1, 1) + timedelta(days=rng.randint(0, 2000))
    first = advance + timedelta(days=rng.randint(1, 70))
    dates = _due_dates(rng, unit, first, count)
    level = _cents(rng, 1_000, 500_000)
    shape = rng.random()
    if shape < 0.4:
        amounts = [level] * count
    elif shape < 0.7:  # all different
        amounts = [level + Decimal(k).scaleb(-2) for k in range(count)]
    else:  # odd first and last payments, a few irregular ones
        amounts = [level] * count
        amounts[0] += _cents(rng, 0, 20_000)
        amounts[-1] = _cents(rng, 0, 900_000)
        for _ in range(rng.randint(0, 5)):
            amounts[rng.randrange(count)] = _cents(rng, 0, 900_000)
    total = sum(amounts, Decimal(0))
    # a finance charge from none to most of the total (APRs from 0 to several hundred percent)
    financed = max(
        Decimal("0.01"),
        (total * Decimal(rng.choice(("1", "0.99", "0.9", "0.7", "0.5", "0.2")))).quantize(Decimal("0.01")),
    )
    if rng.random() < 0.3:
        financed = max(Decimal("0.01"), total - _cents(rng, 0, 300_000))
    return financed, advance, list(zip(dates, amounts, strict=True)), unit


def test_apr_equals_the_reference_over_random_payment_streams() -> None:
    rng = random.Random(SEED)
    for _ in range(1200):
        financed, advance, payments, unit = _stream(rng)
        new = apr.apr(financed, advance, payments, unit)
        old = reference_apr.apr(financed, advance, payments, unit)
        assert str(new) == str(old), (financed, advance, unit, len(payments))


@pytest.mark.parametrize("annual_rate", ["0", "3.875", "6.5", "24.99", "199.5"])
def test_present_value_equals_the_reference(annual_rate: str) -> None:
    rng = random.Random(f"{SEED}{annual_rate}")
    for _ in range(60):
        _, advance, payments, unit = _stream(rng)
        new = apr.present_value(Decimal(annual_rate), advance, payments, unit)
        old = reference_apr.present_value(Decimal(annual_rate), advance, payments, unit)
        assert str(new) == str(old)
