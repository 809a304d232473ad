"""Daily interest accrual: how much interest a loan earned on each day, so the books show earned interest any day.

Two methods (names as stored on products and loans, ``interest_method``):
- ``"scheduled"`` (monthly-interest mortgages): each installment's interest is fixed when its period starts (the
  schedule, re-derived from the actual balance after a prepayment). The period of an installment runs from the
  day after the previous due date (or the disbursement date) through its own due date. Interest is earned pro
  rata by the days of that period counted by the loan's day count, rounded so a whole period earns exactly the
  installment's interest: ``earned_through(d) = cents(I * elapsed(d) / period_days)`` (half-up, once), and a
  day earns ``earned_through(d) - earned_through(d - 1)``. The rounding remainder never accumulates: the last
  day of the period tops the period up to exactly ``I``.
- ``"daily_simple"`` (simple-interest products): each day earns simple interest on the actual principal balance
  by the day count (``payoff.simple_interest``: ``cents(balance * rate / 100 * days / year)``, rounded once per
  span).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lending.finance import daycount
from lending.finance.money import from_cents, half_up, require_non_negative_cents, to_cents
from lending.finance.payoff import simple_interest

SCHEDULED = "scheduled"
DAILY_SIMPLE = "daily_simple"
METHODS = (SCHEDULED, DAILY_SIMPLE)


@dataclass(frozen=True, slots=True)
class Period:
    """One installment's interest period: the days after ``start`` through ``end`` (its due date) earn
    ``interest``."""

    start: date
    end: date
    interest: Decimal


def period_days(period: Period, day_count: str) -> int:
    """The days of ``period`` by the day count (at least 1: a degenerate period earns everything on its due date)."""
    return max(daycount.days_between(period.start, period.end, day_count), 1)


def earned_through(period: Period, on: date, day_count: str) -> Decimal:
    """Interest of ``period`` earned from its start through ``on`` inclusive: ``cents(I * elapsed / days)``,
    nothing before the period and all of ``I`` from its due date on."""
    interest = require_non_negative_cents(period.interest, "interest")
    if on <= period.start:
        return from_cents(0)
    if on >= period.end:
        return interest
    total = period_days(period, day_count)
    elapsed = min(max(daycount.days_between(period.start, on, day_count), 0), total)
    return from_cents(half_up(to_cents(interest) * elapsed, total))


def scheduled_accrual(period: Period, after: date, through: date, day_count: str) -> Decimal:
    """Interest of ``period`` earned on the days after ``after`` through ``through`` (both clamped to the period);
    the days of a period, accrued in any spans, sum to exactly its interest."""
    return earned_through(period, through, day_count) - earned_through(period, after, day_count)


def daily_simple_accrual(balance: Decimal, annual_rate: Decimal, after: date, through: date, day_count: str) -> Decimal:
    """Simple interest on ``balance`` for the days after ``after`` through ``through`` by the day count (nothing
    for an empty span)."""
    if through <= after:
        return from_cents(0)
    return simple_interest(balance, annual_rate, after, through, day_count)


def accrual_days(after: date, through: date, day_count: str) -> int:
    """The days a span covers by the day count (what an accrual row records)."""
    return max(daycount.days_between(after, through, day_count), 0)
