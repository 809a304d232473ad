"""Amortization schedules: level payment, due dates and the split of each installment.

Rules (amounts in cents, each figure rounded ``ROUND_HALF_UP`` once, from its exact value):
- Level payment: ``P * r / (1 - (1 + r) ** -n)``, ``r = annual_rate / 100 / periods_per_year``; ``P / n`` at 0 %.
- Interest of a regular period: ``cents(balance * annual_rate / (100 * periods_per_year))``, multiplying before
  dividing (``money.periodic_rate`` rounds the rate to 34 digits first and can land a cent low on an exact half
  cent, e.g. 6.00 at 1 % monthly). For every day count: the day count prices only the odd first period.
- Odd first period (``odd_first_period="per_diem"``): the odd days between disbursement and the start of a regular
  first period (one period before the first due date), by the day count, times the per-diem on the principal
  (``payoff.per_diem_interest``, as CFPB's H-25 sample prices prepaid interest) are added to the first
  installment's interest; a short first period takes them off, never below zero. ``"none"``: a regular period.
- Equal principal: ``principal / n`` rounded down to the cent each row (as ``money.split_evenly``).
- Remainders: each row's principal is capped at the balance and the last row pays the whole remaining balance,
  so the principal column sums exactly to the principal and the last balance is 0.

Speed: rows are computed in exact integer cents (the rate as an exact fraction, half-up by floor division), equal
to the Decimal rule above, then materialised as Decimal rows in bulk.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, localcontext
from functools import cache
from itertools import accumulate, repeat
from math import gcd
from operator import mul, sub
from typing import NamedTuple, cast

from lending.finance import daycount
from lending.finance.daycount import add_months
from lending.finance.money import (
    CENT,
    CONTEXT,
    cents,
    from_cents,
    half_up,
    require_cents,
    require_non_negative,
    require_positive,
    to_cents,
    to_decimal,
)
from lending.finance.payoff import per_diem_interest

FREQUENCIES = {"monthly": 12, "semimonthly": 24, "biweekly": 26, "weekly": 52, "quarterly": 4}
AMORTIZATIONS = ("level", "equal_principal", "interest_only", "balloon")
ODD_FIRST_PERIODS = ("per_diem", "none")
MAX_TERM_PERIODS = 1600  # 30 years weekly is 1,560
_ROW_NUMBERS = tuple(range(1, MAX_TERM_PERIODS + 1))  # made once: row numbers above 256 are new ints each time

_HALF = Decimal("0.5")
# Relative distance from a half cent under which the fast level payment is re-done exactly.
_GUARD = Decimal("1E-25")


# ---- rates ------------------------------------------------------------------------------------------------------


def periods_per_year(frequency: str) -> int:
    """Installments per year for a payment ``frequency`` (monthly 12, semimonthly 24, biweekly 26, ...)."""
    try:
        return FREQUENCIES[frequency]
    except (KeyError, TypeError):
        raise ValueError(f"frequency: unknown {frequency!r}; use one of {', '.join(FREQUENCIES)}") from None


def periodic_ratio(annual_rate: Decimal, per_year: int) -> tuple[int, int]:
    """The exact rate per period ``annual_rate / (100 * per_year)`` as a reduced fraction (num, den)."""
    num, den = to_decimal(annual_rate, field="annual_rate").as_integer_ratio()
    den *= 100 * per_year
    common = gcd(num, den)
    return num // common, den // common


def period_interest(balance: Decimal, annual_rate: Decimal, per_year: int) -> Decimal:
    """Interest of one regular period: ``cents(balance * annual_rate / (100 * per_year))``, exact."""
    num, den = periodic_ratio(annual_rate, per_year)
    return from_cents(half_up(to_cents(cents(balance)) * num, den))


# ---- due dates ---------------------------------------------------------------------------------------------


def semimonthly_days(first_payment_date: date) -> tuple[int, int, int]:
    """The two due days of a semimonthly loan and whether it starts on the second (0 or 1).

    The first due date fixes the pair: day ``a <= 15`` pairs with ``a + 15`` (the 15th with the month's last day);
    a later day ``b`` pairs with ``b - 15``, a month-end with the 15th. Day 31 stands for "month end".
    """
    d = first_payment_date.day
    if d <= 15:
        return d, (31 if d == 15 else d + 15), 0
    if d == calendar.monthrange(first_payment_date.year, first_payment_date.month)[1]:
        return 15, 31, 1
    return d - 15, d, 1


def due_date(first_payment_date: date, frequency: str, index: int) -> date:
    """Due date number ``index`` (0 = the first; -1 = the start of the first regular period)."""
    per_year = periods_per_year(frequency)
    if per_year in (52, 26):
        return first_payment_date + timedelta(days=index * 364 // per_year)
    if per_year != 24:
        return add_months(first_payment_date, index * 12 // per_year)
    first_day, second_day, offset = semimonthly_days(first_payment_date)
    months, second = divmod(index + offset, 2)
    return add_months(first_payment_date.replace(day=1), months, second_day if second else first_day)


# Monthly due dates in 1900..2299 come from per-day-of-month calendar tables (one date per month, built on first
# use, ~200 kB each), so a schedule's dates are a list slice; other years are computed date by date.
_TABLE_FIRST_YEAR, _TABLE_MONTHS = 1900, 4800


@cache
def _month_day_table(day_of_month: int) -> list[date]:
    return [add_months(date(_TABLE_FIRST_YEAR, 1, 1), index, day_of_month) for index in range(_TABLE_MONTHS)]


def _month_series(first: date, count: int, step: int, day_of_month: int) -> list[date] | None:
    # Equal to [add_months(first, k * step, day_of_month) for k in range(count)], or None outside the table.
    start = (first.year - _TABLE_FIRST_YEAR) * 12 + first.month - 1
    if start < 0 or start + (count - 1) * step >= _TABLE_MONTHS:
        return None
    return _month_day_table(day_of_month)[start : start + count * step : step]


def due_dates(first_payment_date: date, frequency: str, count: int) -> list[date]:
    """The first ``count`` due dates; equal to ``[due_date(first, frequency, k) for k in range(count)]``."""
    per_year = periods_per_year(frequency)
    dates: list[date] | None
    if per_year in (52, 26):
        step = 364 // per_year
        start = first_payment_date.toordinal()
        return list(map(date.fromordinal, range(start, start + step * count, step)))
    if per_year != 24:
        dates = _month_series(first_payment_date, count, 12 // per_year, first_payment_date.day)
    else:
        first_day, second_day, offset = semimonthly_days(first_payment_date)
        months = (count + offset + 1) // 2
        firsts = _month_series(first_payment_date, months, 1, first_day)
        seconds = _month_series(first_payment_date, months, 1, second_day)
        dates = None
        if firsts is not None and seconds is not None:
            dates = [first_payment_date] * (2 * months)
            dates[0::2], dates[1::2] = firsts, seconds
            dates = dates[offset : offset + count]
    return dates if dates is not None else [due_date(first_payment_date, frequency, k) for k in range(count)]


# ---- level payment -----------------------------------------------------------------------------------------


def _level_payment_cents(principal: int, num: int, den: int, periods: int) -> int:
    if num == 0:
        return half_up(principal, periods)
    if num * periods * 10**8 >= den:  # not so tiny a rate that (1 + r) ** n - 1 loses digits
        rate = CONTEXT.divide(num, den)
        growth = CONTEXT.power(CONTEXT.add(1, rate), periods)
        value = CONTEXT.divide(CONTEXT.multiply(CONTEXT.multiply(principal, rate), growth), CONTEXT.subtract(growth, 1))
        whole = int(value)
        fraction = CONTEXT.subtract(value, whole)
        # 34 digits are far more than enough unless the exact value sits on a half cent: re-do that exactly.
        if CONTEXT.abs(CONTEXT.subtract(fraction, _HALF)) > CONTEXT.multiply(value, _GUARD):
            return whole + (fraction > _HALF)
    growth, base = (den + num) ** periods, den**periods
    return half_up(principal * num * growth, den * (growth - base))


def level_payment(principal: Decimal, annual_rate: Decimal, periods: int, periods_per_year: int = 12) -> Decimal:
    """The level installment repaying ``principal`` over ``periods`` (annuity formula, see the module rules).

    Rounded half-up from the exact value: 34-digit Decimal, re-done in exact rationals near a half cent.
    """
    amount = require_positive(require_cents(principal, "principal"), "principal")
    rate = require_non_negative(annual_rate, "annual_rate")
    _require_count(periods, "periods", 1, None)
    _require_count(periods_per_year, "periods_per_year", 1, None)
    num, den = periodic_ratio(rate, periods_per_year)
    return from_cents(_level_payment_cents(to_cents(cents(amount)), num, den, periods))


def _require_count(value: int | None, field: str, low: int, high: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field}: must be a whole number, got {value!r}")
    if value < low or (high is not None and value > high):
        span = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{field} must be {span}, got {value}")
    return value


# ---- loan terms --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LoanTerms:
    """What a schedule is built from. Validated on creation; amounts normalised to cent Decimals.

    ``interest_only_periods`` (only with ``amortization="interest_only"``): that many interest-only rows, then level
    amortization over the rest of the term; equal to ``term_periods`` it is a bullet loan. ``balloon_after_periods``
    (only with ``"balloon"``): the level payment of the full term, the remaining balance due in that row.
    """

    principal: Decimal
    annual_rate: Decimal
    term_periods: int
    disbursement_date: date
    first_payment_date: date
    frequency: str = "monthly"
    amortization: str = "level"
    day_count: str = daycount.THIRTY_360
    odd_first_period: str = "per_diem"
    interest_only_periods: int = 0
    balloon_after_periods: int | None = None

    def __post_init__(self) -> None:
        set_field = object.__setattr__
        set_field(self, "principal", require_positive(require_cents(self.principal, "principal"), "principal"))
        set_field(self, "annual_rate", require_non_negative(self.annual_rate, "annual_rate"))
        _require_count(self.term_periods, "term_periods", 1, MAX_TERM_PERIODS)
        for name in ("disbursement_date", "first_payment_date"):
            value = getattr(self, name)
            if not isinstance(value, date) or isinstance(value, datetime):
                raise ValueError(f"{name}: must be a date, got {value!r}")
        if self.first_payment_date <= self.disbursement_date:
            raise ValueError("first_payment_date must be after disbursement_date")
        periods_per_year(self.frequency)
        if self.amortization not in AMORTIZATIONS:
            raise ValueError(f"amortization: unknown {self.amortization!r}; use one of {', '.join(AMORTIZATIONS)}")
        daycount.check_convention(self.day_count)
        if self.odd_first_period not in ODD_FIRST_PERIODS:
            raise ValueError(f"odd_first_period: unknown {self.odd_first_period!r}; use per_diem or none")
        self._check_counts()
        for index, field in ((-1, "first_payment_date"), (self.term_periods - 1, "term_periods")):
            try:  # the start of the first period and every due date must be real dates
                due_date(self.first_payment_date, self.frequency, index)
            except (ValueError, OverflowError):
                raise ValueError(f"{field}: the schedule would run outside years 1..9999") from None

    def _check_counts(self) -> None:
        if self.amortization == "interest_only":
            _require_count(self.interest_only_periods, "interest_only_periods", 1, self.term_periods)
        elif self.interest_only_periods != 0:
            raise ValueError("interest_only_periods: only allowed with amortization='interest_only'")
        if self.amortization == "balloon":
            _require_count(self.balloon_after_periods, "balloon_after_periods", 1, self.term_periods - 1)
        elif self.balloon_after_periods is not None:
            raise ValueError("balloon_after_periods: only allowed with amortization='balloon'")

    @property
    def periods_per_year(self) -> int:
        return FREQUENCIES[self.frequency]

    @property
    def rows(self) -> int:
        """Installments in the schedule (fewer than the term for a balloon loan)."""
        # _check_counts has made balloon_after_periods an int for a balloon loan
        return cast(int, self.balloon_after_periods) if self.amortization == "balloon" else self.term_periods

    @property
    def first_period_start(self) -> date:
        """Where a regular first period would start: one period before the first due date."""
        return due_date(self.first_payment_date, self.frequency, -1)

    def odd_period_interest(self) -> Decimal:
        """Per-diem interest for the odd days between disbursement and the regular first period's start
        (negative for a short first period); zero when ``odd_first_period="none"``."""
        start = self.first_period_start
        if self.odd_first_period == "none" or start == self.disbursement_date:
            return from_cents(0)
        return per_diem_interest(self.principal, self.annual_rate, self.disbursement_date, start, self.day_count)


# ---- schedule ----------------------------------------------------------------------------------------------


class ScheduleRow(NamedTuple):
    """One installment. Amounts are cent Decimals; ``balance`` is what remains after this payment."""

    number: int
    due_date: date
    payment: Decimal
    principal: Decimal
    interest: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True)
class Schedule:
    """A built schedule: the rows and their totals (``sum`` of each column, exactly).

    ``regular_payment``: the installment before odd-period and last-row adjustments: the level payment (the
    interest-only one when the whole term is interest-only); equal principal: the first, without odd-period interest.
    """

    terms: LoanTerms
    rows: tuple[ScheduleRow, ...]
    regular_payment: Decimal
    odd_period_interest: Decimal
    total_interest: Decimal
    total_payments: Decimal

    @property
    def total_principal(self) -> Decimal:
        return self.terms.principal

    def balance_after(self, number: int) -> Decimal:
        """The balance after installment ``number`` (the principal for 0)."""
        return self.terms.principal if number == 0 else self.rows[number - 1].balance


def _installments(terms: LoanTerms, principal: int, num: int, den: int) -> tuple[list[int], list[int], int, range]:
    """Each row's interest and payment in cents (before the odd-period adjustment), the regular payment, and the
    rows whose payment may differ from it."""
    rows = terms.rows
    first_interest = half_up(principal * num, den)
    if terms.amortization == "equal_principal":
        share = principal // rows  # rounded down, remainder on the last row: never overpays (as money.split_evenly)
        return (
            *_capped_rows(principal, num, den, rows, 0, share, equal=True),
            share + first_interest,
            range(rows),
        )
    interest_only = min(terms.interest_only_periods, rows - 1)
    amortizing = terms.term_periods - terms.interest_only_periods
    payment = _level_payment_cents(principal, num, den, amortizing) if amortizing else first_interest
    interests = [first_interest] * interest_only
    append = interests.append
    # The hot loop: half-up interest by floor division, cents(b r) = (2 b num + den) // (2 den), on that scaled
    # numerator carried from row to row (b moves by interest - payment): four integer operations a row, not five.
    twice_num, twice_den, steps = 2 * num, 2 * den, rows - 1 - interest_only
    scaled, scaled_payment = principal * twice_num + den, payment * twice_num
    for _ in repeat(None, steps):
        interest = scaled // twice_den
        scaled += interest * twice_num - scaled_payment
        append(interest)
    # scaled - den is the balance times twice_num, exactly; at 0 % (no interest) the payments alone reduce it
    balance = (scaled - den) // twice_num if num else principal - steps * payment
    if balance < 0:  # balances never rise: rounding up overpaid before the last row (tiny loans)
        capped = _capped_rows(principal, num, den, rows, interest_only, payment, equal=False)
        return (*capped, payment, range(rows))
    last_interest = half_up(balance * num, den)
    interests.append(last_interest)
    payments = [first_interest] * interest_only + [payment] * steps
    payments.append(balance + last_interest)
    return interests, payments, payment, range(interest_only)


def _capped_rows(
    principal: int, num: int, den: int, rows: int, interest_only: int, regular: int, *, equal: bool
) -> tuple[list[int], list[int]]:
    # Row by row, each principal part capped at the balance; once paid off, later rows are all zero.
    interests, payments, balance = [], [], principal
    for number in range(1, rows + 1):
        interest = half_up(balance * num, den)
        if number == rows:
            part = balance
        elif number <= interest_only:
            part = 0
        else:
            part = min(regular if equal else regular - interest, balance)
        balance -= part
        interests.append(interest)
        payments.append(part + interest)
    return interests, payments


def build_schedule(terms: LoanTerms) -> Schedule:
    """The installment schedule of ``terms`` under the module rules (see the module docstring).

    Every amount is a cent Decimal; the principal column sums exactly to the principal, the last balance is exactly
    0 and the last installment absorbs the rounding remainder.
    """
    if not isinstance(terms, LoanTerms):
        raise ValueError(f"terms: must be LoanTerms, got {type(terms).__name__}")
    num, den = periodic_ratio(terms.annual_rate, terms.periods_per_year)
    interests, payments, regular, irregular = _installments(terms, to_cents(terms.principal), num, den)
    odd = to_cents(terms.odd_period_interest())
    if odd:  # the odd days' interest rides on the first installment; its principal part is unchanged
        adjusted = max(interests[0] + odd, 0)
        payments[0] += adjusted - interests[0]
        interests[0] = adjusted
    dates = due_dates(terms.first_payment_date, terms.frequency, terms.rows)
    total_interest = sum(interests)
    return Schedule(
        terms=terms,
        rows=_materialise(terms.principal, dates, payments, interests, regular, (0, *irregular, len(dates) - 1)),
        regular_payment=from_cents(regular),
        odd_period_interest=from_cents(odd),
        total_interest=from_cents(total_interest),
        total_payments=from_cents(total_interest + to_cents(terms.principal)),  # the principal column sums to it
    )


def _materialise(
    principal: Decimal,
    dates: list[date],
    payments: list[int],
    interests: list[int],
    regular: int,
    irregular: tuple[int, ...],
) -> tuple[ScheduleRow, ...]:
    # Decimal rows in bulk through C-level maps. The payment column is the one regular Decimal but in the
    # ``irregular`` rows; principal = payment - interest and balances are running differences, all exact.
    # The operators run in a local copy of CONTEXT: the same results as its methods, at half their call cost.
    count = len(dates)
    with localcontext(CONTEXT):
        regular_decimal = from_cents(regular)
        payment_column = [regular_decimal] * count
        for index in irregular:
            if payments[index] != regular:
                payment_column[index] = from_cents(payments[index])
        interest_column = list(map(mul, repeat(CENT), interests))
        principal_column = list(map(sub, payment_column, interest_column))
        balances = accumulate(principal_column, sub, initial=principal)
        next(balances)
        numbers = _ROW_NUMBERS[:count]
        columns = zip(numbers, dates, payment_column, principal_column, interest_column, balances, strict=True)
        return tuple(map(tuple.__new__, repeat(ScheduleRow), columns))
