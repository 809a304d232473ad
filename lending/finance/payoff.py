"""Interest accrual by day count, per-diem and payoff quotes.

Rules:
- Accrual is simple interest on the principal balance: ``cents(principal * annual_rate / 100 * fraction)``
  where ``fraction`` is the exact year fraction by the day count (``daycount`` rules, without its rounding
  to 34 digits), rounded once, half-up. It covers each day *after* ``start`` up to and *including* ``end``:
  interest paid through Jan 31 and good through Feb 5 accrues Feb 1..5 (5 days; 30/360 counts its own).
- A payoff quote accrues from ``interest_paid_through`` through ``good_through`` inclusive, so a quote on a
  due date whose installment is paid (interest paid through that date) is exactly the principal balance.
- ``per_diem`` is the interest of one day, ``cents(principal * annual_rate / 100 / days_in_year)``, for
  quoting "add this much per day after good_through". Payoff accrual is *not* ``per_diem * days`` (rounding
  once keeps it exact, and 30 days of 30/360 equal the schedule's monthly interest to the cent);
  ``per_diem_interest`` is that product, as closing disclosures price prepaid (odd-days) interest.
- Total = principal + accrued interest + fees - escrow credit, never below zero: an escrow balance larger
  than the debt is credited up to the debt and the rest reported as ``escrow_refund``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from lending.finance import daycount
from lending.finance.money import (
    from_cents,
    half_up,
    require_cents,
    require_non_negative,
    to_cents,
)

# ---- exact cent arithmetic (shared with amortization; candidates for money.py) -------------------------------------


# ---- accrual --------------------------------------------------------------------------------------------------------


def _require_date(value: date, field: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError(f"{field}: must be a date, got {value!r}")
    return value


def _require_amount(value: Decimal | int | str, field: str) -> Decimal:
    return require_cents(require_non_negative(value, field), field)


def _actual_days_by_year_kind(start: date, end: date) -> tuple[int, int]:
    # Actual days from start (inclusive) to end (exclusive) in common and in leap years, negative when reversed.
    sign, low, high = (1, start, end) if start <= end else (-1, end, start)
    common_days = leap_days = 0
    for year in range(low.year, high.year + 1):
        span = (min(high, date(year, 12, 31) + timedelta(days=1)) - max(low, date(year, 1, 1))).days
        if calendar.isleap(year):
            leap_days += span
        else:
            common_days += span
    return sign * common_days, sign * leap_days


def accrual_fraction(start: date, end: date, day_count: str) -> tuple[int, int]:
    """The year fraction from ``start`` to ``end`` by ``day_count`` as an exact fraction (num, den).

    Same conventions as ``daycount.year_fraction``: 30/360 US, actual/360, actual/365 fixed and
    actual/actual ISDA (days in leap years over 366, the others over 365); negative when ``end`` is earlier.
    """
    daycount.check_convention(day_count)
    if day_count != daycount.ACTUAL_ACTUAL:
        return daycount.days_between(start, end, day_count), daycount.days_in_year(day_count, start.year)
    common_days, leap_days = _actual_days_by_year_kind(start, end)
    return common_days * 366 + leap_days * 365, 365 * 366


def simple_interest(principal: Decimal, annual_rate: Decimal, start: date, end: date, day_count: str) -> Decimal:
    """Simple interest on ``principal`` for the days after ``start`` through ``end`` (module rule).

    ``cents(principal * annual_rate / 100 * year_fraction)``, exact and rounded once; negative when ``end``
    is before ``start``.
    """
    amount = to_cents(_require_amount(principal, "principal"))
    rate_num, rate_den = require_non_negative(annual_rate, "annual_rate").as_integer_ratio()
    frac_num, frac_den = accrual_fraction(_require_date(start, "start"), _require_date(end, "end"), day_count)
    return from_cents(half_up(amount * rate_num * frac_num, rate_den * 100 * frac_den))


def per_diem(principal: Decimal, annual_rate: Decimal, day_count: str, on_date: date) -> Decimal:
    """One day's interest on ``principal`` on ``on_date``: ``cents(principal * rate / 100 / days_in_year)``.

    The year is 360 days for 30/360 and actual/360, 365 for actual/365 and 365 or 366 (``on_date``'s year)
    for actual/actual ISDA.
    """
    year_days = daycount.days_in_year(day_count, _require_date(on_date, "on_date").year)
    return from_cents(_daily_cents(principal, annual_rate, year_days))


def _daily_cents(principal: Decimal, annual_rate: Decimal, year_days: int) -> int:
    amount = to_cents(_require_amount(principal, "principal"))
    rate_num, rate_den = require_non_negative(annual_rate, "annual_rate").as_integer_ratio()
    return half_up(amount * rate_num, rate_den * 100 * year_days)


def per_diem_interest(principal: Decimal, annual_rate: Decimal, start: date, end: date, day_count: str) -> Decimal:
    """The per-diem (rounded to cents) times the days after ``start`` through ``end`` by the day count.

    How closing disclosures price prepaid (odd-days) interest, e.g. CFPB H-25: "$17.44 per day from 4/15/13
    to 5/1/13". Under actual/actual each year's days use that year's per-diem. Negative when reversed.
    """
    daycount.check_convention(day_count)
    _require_date(start, "start")
    _require_date(end, "end")
    if day_count != daycount.ACTUAL_ACTUAL:
        daily = _daily_cents(principal, annual_rate, daycount.days_in_year(day_count, start.year))
        return from_cents(daily * daycount.days_between(start, end, day_count))
    common_days, leap_days = _actual_days_by_year_kind(start, end)
    common, leap = (_daily_cents(principal, annual_rate, year_days) for year_days in (365, 366))
    return from_cents(common * common_days + leap * leap_days)


@dataclass(frozen=True, slots=True)
class PayoffQuote:
    """What it takes to close the loan if the funds arrive by ``good_through``.

    ``accrued_interest`` is the interest accrued from ``interest_paid_through`` through ``good_through``
    (``accrual_days`` days by the day count) plus any ``accrued_interest_due`` passed in; ``per_diem`` is one day's
    interest on the principal in ``good_through``'s year, to add for each day the funds arrive later.
    """

    as_of: date
    good_through: date
    interest_paid_through: date
    accrual_days: int
    principal: Decimal
    accrued_interest: Decimal
    fees: Decimal
    escrow_credit: Decimal
    escrow_refund: Decimal
    per_diem: Decimal
    total: Decimal


def payoff_quote(
    *,
    principal_balance: Decimal,
    annual_rate: Decimal,
    day_count: str,
    interest_paid_through: date,
    as_of: date,
    good_through: date,
    accrued_interest_due: Decimal = Decimal(0),
    fees_due: Decimal = Decimal(0),
    escrow_balance: Decimal = Decimal(0),
) -> PayoffQuote:
    """Payoff amount good through ``good_through`` (module rules: accrual through that date inclusive).

    ``accrued_interest_due`` is interest owed beyond the simple accrual (e.g. deferred interest); the
    ``escrow_balance`` is credited against the payoff. Requires
    ``interest_paid_through <= as_of <= good_through`` and non-negative amounts in whole cents.
    """
    principal = _require_amount(principal_balance, "principal_balance")
    rate = require_non_negative(annual_rate, "annual_rate")
    daycount.check_convention(day_count)
    paid_through = _require_date(interest_paid_through, "interest_paid_through")
    if _require_date(as_of, "as_of") < paid_through:
        raise ValueError("as_of must not be before interest_paid_through")
    if _require_date(good_through, "good_through") < as_of:
        raise ValueError("good_through must not be before as_of")
    accrued = simple_interest(principal, rate, paid_through, good_through, day_count)
    interest = to_cents(_require_amount(accrued_interest_due, "accrued_interest_due")) + to_cents(accrued)
    fees = to_cents(_require_amount(fees_due, "fees_due"))
    escrow = to_cents(_require_amount(escrow_balance, "escrow_balance"))
    owed = to_cents(principal) + interest + fees  # integer cents: exact, whatever the thread's decimal context
    credit = min(escrow, owed)
    return PayoffQuote(
        as_of=as_of,
        good_through=good_through,
        interest_paid_through=paid_through,
        accrual_days=daycount.days_between(paid_through, good_through, day_count),
        principal=principal,
        accrued_interest=from_cents(interest),
        fees=from_cents(fees),
        escrow_credit=from_cents(credit),
        escrow_refund=from_cents(escrow - credit),
        per_diem=per_diem(principal, rate, day_count, good_through),
        total=from_cents(owed - credit),
    )
