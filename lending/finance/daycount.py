"""Day-count conventions: how many days, and what fraction of a year, lie between two dates.

Conventions (names as stored on products and loans):
- ``"30/360"``: US (NASD / bond basis) rules with the February end-of-month adjustments, as in
  ISDA 2006 section 4.16(f) "30/360 US" and the SIFMA Standard Securities Calculation Methods.
- ``"actual/360"``, ``"actual/365"`` (fixed): actual days over a fixed year.
- ``"actual/actual"``: ISDA 2006 section 4.16(b): days in a leap year over 366 plus the rest over 365.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from lending.finance.money import CONTEXT

THIRTY_360 = "30/360"
ACTUAL_360 = "actual/360"
ACTUAL_365 = "actual/365"
ACTUAL_ACTUAL = "actual/actual"
CONVENTIONS = (THIRTY_360, ACTUAL_360, ACTUAL_365, ACTUAL_ACTUAL)

_FIXED_YEAR = {THIRTY_360: 360, ACTUAL_360: 360, ACTUAL_365: 365}


def check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"day_count: unknown convention {convention!r}; use one of {', '.join(CONVENTIONS)}")
    return convention


def _is_last_of_february(day: date) -> bool:
    return day.month == 2 and day.day == calendar.monthrange(day.year, 2)[1]


def add_months(start: date, months: int, day: int | None = None) -> date:
    """``start`` moved ``months`` calendar months, on ``day`` (default ``start.day``) clamped to the month end:
    Jan 31 + 1 -> Feb 28 (29 in leap years), + 2 -> Mar 31 (no drift to the 28th)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    wanted = start.day if day is None else day
    return date(year, month + 1, min(wanted, calendar.monthrange(year, month + 1)[1]))


def days_30_360_us(start: date, end: date) -> int:
    """Days between two dates by 30/360 US (ISDA 2006 4.16(f), with the SIFMA February rules)."""
    d1, d2 = start.day, end.day
    if _is_last_of_february(start) and _is_last_of_february(end):
        d2 = 30
    if _is_last_of_february(start):
        d1 = 30
    if d2 == 31 and d1 >= 30:
        d2 = 30
    if d1 == 31:
        d1 = 30
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def days_between(start: date, end: date, convention: str) -> int:
    """Days from ``start`` to ``end`` (negative when ``end`` is earlier) under ``convention``."""
    check_convention(convention)
    if convention == THIRTY_360:
        return days_30_360_us(start, end)
    return (end - start).days


def _actual_actual_isda(start: date, end: date) -> Decimal:
    if end < start:
        return CONTEXT.minus(_actual_actual_isda(end, start))  # not unary minus: the default context has 28 digits
    total = Decimal(0)
    cursor = start
    while cursor.year < end.year:
        next_year = date(cursor.year + 1, 1, 1)
        total = CONTEXT.add(
            total, CONTEXT.divide((next_year - cursor).days, 366 if calendar.isleap(cursor.year) else 365)
        )
        cursor = next_year
    return CONTEXT.add(total, CONTEXT.divide((end - cursor).days, 366 if calendar.isleap(end.year) else 365))


def year_fraction(start: date, end: date, convention: str) -> Decimal:
    """Fraction of a year from ``start`` to ``end`` under ``convention`` (full working precision)."""
    check_convention(convention)
    if convention == ACTUAL_ACTUAL:
        return _actual_actual_isda(start, end)
    return CONTEXT.divide(days_between(start, end, convention), _FIXED_YEAR[convention])


def days_in_year(convention: str, year: int) -> int:
    """The denominator a per-diem uses in ``year`` (366 in a leap year for actual/actual)."""
    check_convention(convention)
    if convention == ACTUAL_ACTUAL:
        return 366 if calendar.isleap(year) else 365
    return _FIXED_YEAR[convention]
