"""Annual percentage rate of closed-end credit by the actuarial method of Regulation Z, Appendix J.

12 CFR 1026 App. J: each payment is discounted over its full unit-periods ``q`` at compound interest and
over its fraction of a unit-period ``f`` at simple interest (App. J (b)(8)), and the unit-period rate that
makes the payments worth the amount financed, times the unit-periods in a year, is the APR (App. J (b)(1)).

Decisions callers must know:

- :func:`apr` returns percent (``Decimal("6.5")`` is 6.5 %) quantized to 10 decimal places. It is not the
  disclosed figure: rounding for disclosure (to the 1/8 or 1/4 point tolerance of 1026.22(a)(2)/(3), or to
  three decimals as on the Closing Disclosure, 1026.38(o)(4)) is the caller's.
- One advance. ``advance_date`` is the beginning of the term (App. J (b)(2)): consummation, or the later
  date from which the finance charge is earned. Payments due on or before it are refused.
- The caller names the unit-period: under App. J (b)(4)(i) it is the common period that occurs most
  often. A transaction with a single payment always uses App. J (b)(4)(ii) instead: the unit-period is the
  term, not more than a year.
- Months are counted back from each payment date on the day of its series (App. J (b)(3)(iv)); a
  payment on the last day of a month takes its series' day from the payments one unit-period either side.
  Each payment gets its own (q, f) (App. J (b)(5)): semimonthly payments on the 1st and 16th can differ in f.
- A negative finance charge (payments worth less than the amount financed) is refused; zero gives 0.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Context, Decimal, localcontext
from functools import lru_cache, reduce
from itertools import accumulate, islice, pairwise, repeat
from operator import add, attrgetter, eq, floordiv, lt, mod, mul
from typing import NamedTuple

from lending.finance.money import CONTEXT, HUNDRED, ROUNDING, cents, require_non_negative, require_positive, to_decimal

APR_QUANTUM = Decimal("1E-10")
REGULAR_TOLERANCE = Decimal("0.125")  # 1026.22(a)(2): 1/8 of 1 percentage point
IRREGULAR_TOLERANCE = Decimal("0.25")  # 1026.22(a)(3): 1/4 of 1 percentage point
MORTGAGE_FINANCE_CHARGE_UNDERSTATEMENT = Decimal(100)  # 1026.18(d)(1)(i)

_ZERO = Decimal(0)
_ONE = Decimal(1)
_TWO = Decimal(2)
_ONE_DAY = timedelta(days=1)
_DAY = attrgetter("day")
_STEP_EPSILON = Decimal("1E-16")  # Newton stops when the unit-period rate moves less than this
_SMALL_RATE = Decimal("1E-9")  # below this the closed-form sums lose digits: sum term by term
_MAX_ITERATIONS = 200
_ROUGH_TOLERANCE = Decimal("0.01")  # a starting guess stops on a step of at most 1 % of the rate
_BATCHED_PER_GROUP = 8  # a stream's batches hold this many payments a group or more: its start is corrected
_ROOT_MARGIN = Decimal("1E-26")  # relative to 1 + the rate: how far the iteration's rate may be from the root
_QUANTUM_RATE = Decimal("1E-12")  # APR_QUANTUM (1E-10 percent) as a rate a year
# Digits of the corrected start's Horner pass: one 19-digit word of libmpdec's (0.2 of the time saved), and its
# rounding (some 1E-17 relative for 360 payments) is far below the start's own distance from the root (1E-9).
_HORNER_CONTEXT = Context(prec=19, rounding=ROUNDING)


@dataclass(frozen=True, slots=True)
class UnitPeriod:
    """A standard interval of time (App. J (b)(3)(iii)) and its unit-periods per year (App. J (b)(5))."""

    code: str
    kind: str  # "day", "week", "semimonth", "month" or "year"
    multiple: int
    per_year: Decimal


UNIT_PERIODS: dict[str, UnitPeriod] = {
    unit.code: unit
    for unit in (
        UnitPeriod("daily", "day", 1, Decimal(365)),  # App. J (b)(5)(iv): 365 a year
        UnitPeriod("weekly", "week", 1, Decimal(52)),  # App. J (b)(5)(iv): 52 / weeks per unit
        UnitPeriod("biweekly", "week", 2, Decimal(26)),
        UnitPeriod("fourweekly", "week", 4, Decimal(13)),
        UnitPeriod("semimonthly", "semimonth", 1, Decimal(24)),  # App. J (b)(5)(iii): 24 a year
        UnitPeriod("monthly", "month", 1, Decimal(12)),  # App. J (b)(5)(ii): 12 a year
        UnitPeriod("bimonthly", "month", 2, Decimal(6)),  # App. J (b)(5)(iii): 12 / months per unit
        UnitPeriod("quarterly", "month", 3, Decimal(4)),
        UnitPeriod("semiannual", "month", 6, Decimal(2)),
        UnitPeriod("annual", "year", 1, Decimal(1)),  # App. J (b)(5)(v)
    )
}


@dataclass(frozen=True, slots=True)
class Payment:
    """One scheduled payment; a plain ``(date, amount)`` pair is accepted wherever a Payment is."""

    due_date: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class TimeFactor:
    """App. J (b)(8): full unit-periods ``q`` and fraction ``f`` from the start of the term to a payment."""

    periods: int
    fraction: Decimal


Payments = Iterable[Payment | tuple[date, Decimal]]


# --- input -------------------------------------------------------------------------------------------


def unit_period_for(code: str) -> UnitPeriod:
    """The :class:`UnitPeriod` for ``code`` (one of :data:`UNIT_PERIODS`)."""
    if not isinstance(code, str) or code not in UNIT_PERIODS:
        raise ValueError(f"unit_period: unknown unit period {code!r}; use one of {', '.join(UNIT_PERIODS)}")
    return UNIT_PERIODS[code]


def _check_date(value: object, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"{field}: expected a datetime.date, got {value!r}")
    return value


def _payments(payments: Payments, advance_date: date) -> tuple[list[date], list[Decimal]]:
    """Validated due dates and amounts in date order; each is due after ``advance_date``, not negative."""
    if isinstance(payments, str | bytes) or not isinstance(payments, Iterable):
        raise ValueError(f"payments: expected a sequence of Payment or (date, amount), got {payments!r}")
    if isinstance(payments, list | tuple):
        checked = _plain_pairs(payments, advance_date)
        if checked is not None:
            return checked
    dates: list[date] = []
    amounts: list[Decimal] = []
    for n, item in enumerate(payments):
        if isinstance(item, tuple) and len(item) == 2:
            due, amount = item
        elif isinstance(item, Payment):
            due, amount = item.due_date, item.amount
        else:
            raise ValueError(f"payments[{n}]: expected Payment or (date, amount), got {item!r}")
        if type(due) is not date:
            due = _check_date(due, f"payments[{n}].due_date")
        if due <= advance_date:
            raise ValueError(f"payments[{n}].due_date: {due} is not after advance_date {advance_date}")
        if type(amount) is not Decimal or not amount.is_finite() or amount < 0:
            amount = require_non_negative(amount, f"payments[{n}].amount")
        dates.append(due)
        amounts.append(amount)
    if not dates:
        raise ValueError("payments: at least one payment is required")
    if any(later < earlier for earlier, later in pairwise(dates)):
        order = sorted(range(len(dates)), key=dates.__getitem__)
        dates, amounts = [dates[k] for k in order], [amounts[k] for k in order]
    return dates, amounts


def _plain_pairs(payments: Sequence[object], advance_date: date) -> tuple[list[date], list[Decimal]] | None:
    """The common input checked column by column at C speed: (date, Decimal) pairs, due after ``advance_date``,
    finite and not negative, in date order. None for anything else: the item by item checks then name the fault."""
    if not payments or set(map(type, payments)) != {tuple}:
        return None
    try:
        due_dates, amounts = map(list, zip(*payments, strict=True))
    except ValueError:  # tuples of unequal lengths, or all of a length other than 2
        return None
    if set(map(type, due_dates)) != {date} or set(map(type, amounts)) != {Decimal}:
        return None
    if due_dates != sorted(due_dates) or due_dates[0] <= advance_date:
        return None
    if not all(map(Decimal.is_finite, amounts)) or any(map(Decimal.is_signed, amounts)):  # -0 too: checked item by item
        return None
    return due_dates, amounts


# --- time: App. J (b)(3) to (b)(5) ----------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _fraction(days: int, unit_days: int) -> Decimal:
    return CONTEXT.divide(days, unit_days)


def _day_in_month(index: int, anchor: int) -> date:
    """The ``anchor`` day of month ``index`` (year * 12 + month - 1), or its last day if it is shorter."""
    year, month = divmod(index, 12)
    return date(year, month + 1, min(anchor, calendar.monthrange(year, month + 1)[1]))


def _is_month_end(day: date) -> bool:
    return day.day >= 28 and (day + _ONE_DAY).month != day.month


def _anchor_days(dates: Sequence[date], step: int) -> list[int]:
    """The day of the month each payment's series falls on, App. J (b)(3)(iv).

    Full months run from a date to the same date of another month; a series on the last day of each
    month runs from month end to month end, and one on the 29th or 30th uses the end of February. A
    payment on the last day of its month is therefore on the latest day (28th or later) found among the
    payments ``step`` months (one unit-period) before and after it, passed along runs of month ends:
    Feb 28 between Jan 30 and Mar 30 is "the 30th"; Apr 30 after Mar 31 is "the 31st", a month end.
    """
    anchors = [day.day for day in dates]
    # Only payments on the 28th or later take part (every month end is one): most series have none.
    lates = [n for n, day in enumerate(anchors) if day >= 28]
    indexes = {n: dates[n].year * 12 + dates[n].month - 1 for n in lates}
    late: dict[int, int] = {}
    for n in lates:
        late[indexes[n]] = max(late.get(indexes[n], 0), anchors[n])
    ends = [n for n in lates if _is_month_end(dates[n])]
    for order, offset in ((ends, -step), (ends[::-1], step)):
        for n in order:
            anchors[n] = max(anchors[n], late.get(indexes[n] + offset, 0))
            late[indexes[n]] = max(late[indexes[n]], anchors[n])
    return anchors


def _last_full_month(start: date, anchor: int) -> tuple[int, int]:
    """App. J (b)(5)(ii): months measured back from a payment on day ``anchor`` stop at the first anchor
    day not before ``start``; returns that month's index and the days from ``start`` to it."""
    index = start.year * 12 + start.month - 1
    begins = _day_in_month(index, anchor)
    if begins < start:
        index += 1
        begins = _day_in_month(index, anchor)
    return index, (begins - start).days


def _factors(unit: UnitPeriod, start: date, dates: Sequence[date]) -> list[tuple[int, Decimal]]:
    """App. J (b)(5): the full unit-periods q and fraction f of each payment, counted from ``start``."""
    if unit.kind in ("day", "week"):  # App. J (b)(5)(iv): days divided by days per unit-period
        unit_days = unit.multiple * (7 if unit.kind == "week" else 1)
        return _periods_and_fractions([(due - start).days for due in dates], unit_days)
    # App. J (b)(5)(ii)/(iii): 30 days a month plus the remaining days, divided by 15 (semimonth) or by
    # 30 times the months in the unit-period; for a monthly unit that is q months and f = days / 30.
    unit_days = 15 if unit.kind == "semimonth" else 30 * unit.multiple
    if unit.code == "monthly" and _monthly_series(dates):
        return _monthly_factors(start, dates)
    step = 12 if unit.kind == "year" else unit.multiple  # a semimonth's series repeats monthly
    anchors = _anchor_days(dates, step)
    starts = {anchor: _last_full_month(start, anchor) for anchor in set(anchors)}  # (month index, days) a series
    if unit.kind == "year":
        return [
            _year_factor(due, anchor, start, due.year * 12 + due.month - 1 - starts[anchor][0], starts[anchor][1])
            for due, anchor in zip(dates, anchors, strict=True)
        ]
    # 30 days a month since the series' first full month, plus the days before it, divided into q and r
    offsets = {anchor: days - 30 * (base + 1) for anchor, (base, days) in starts.items()}
    if len(offsets) == 1:  # one series (the common case): no per-payment look-up of its offset
        (offset,) = offsets.values()
        spans = [30 * (due.year * 12 + due.month) + offset for due in dates]
    else:
        spans = [30 * (due.year * 12 + due.month) + offsets[anchor] for due, anchor in zip(dates, anchors, strict=True)]
    return _periods_and_fractions(spans, unit_days)


def _monthly_series(dates: Sequence[date]) -> bool:
    """Whether ``dates`` (in date order) fall in consecutive months on one day of the month, which is then each
    payment's anchor (:func:`_anchor_days` moves a month end only to a later day its neighbours fall on)."""
    first, last = dates[0], dates[-1]
    return (
        (last.year - first.year) * 12 + last.month - first.month == len(dates) - 1
        and set(map(_DAY, dates)) == {first.day}
        and all(map(lt, dates, islice(dates, 1, None)))
    )


def _monthly_factors(start: date, dates: Sequence[date]) -> list[tuple[int, Decimal]]:
    """App. J (b)(5)(ii) for a monthly unit and :func:`_monthly_series` dates: q one more each payment, one f."""
    return _series_factors(*_monthly_first(start, dates[0]), len(dates))


def _monthly_first(start: date, first_due: date) -> tuple[int, Decimal]:
    """(q, f) of a :func:`_monthly_series`' first payment, due on ``first_due``; each later one's q is one more."""
    base, days = _last_full_month(start, first_due.day)
    months = first_due.year * 12 + first_due.month - 1 - base  # full months to the first payment
    first, rest = divmod(30 * months + days, 30)
    return first, _fraction(rest, 30)


def _series_factors(first: int, fraction: Decimal, count: int) -> list[tuple[int, Decimal]]:
    """(q, f) of ``count`` payments one unit-period apart from q = ``first``, all under ``fraction``."""
    return list(zip(range(first, first + count), repeat(fraction), strict=False))


def _periods_and_fractions(spans: list[int], unit_days: int) -> list[tuple[int, Decimal]]:
    """(q, f) of each span of days: whole unit-periods and the fraction left; each distinct f divided once."""
    periods, rests = map(floordiv, spans, repeat(unit_days)), list(map(mod, spans, repeat(unit_days)))
    fractions = {rest: _fraction(rest, unit_days) for rest in set(rests)}
    return list(zip(periods, map(fractions.__getitem__, rests), strict=True))


def _year_factor(due: date, anchor: int, start: date, months: int, days: int) -> tuple[int, Decimal]:
    """App. J (b)(5)(v): full years of 12 months measured back; the rest in twelfths if it is whole
    months, else its days / 365."""
    years, rest = divmod(months, 12)
    if days == 0:
        return years, _fraction(rest, 12)
    year_begins = _day_in_month(due.year * 12 + due.month - 1 - 12 * years, anchor)
    return years, _fraction((year_begins - start).days, 365)


def _single_payment_per_year(start: date, due: date) -> Decimal | None:
    """App. J (b)(5)(vi)/(vii): a single payment due less than a year on is one unit-period, and a year
    holds 12 / months of them if the term is whole months (the rule also allows 365 / days; this module
    uses months), else 365 / days. None for a term of a year or more: App. J (b)(4)(ii) caps the
    unit-period at a year. A term from a month end to a month end counts in whole months."""
    anchor = 31 if _is_month_end(start) and _is_month_end(due) else due.day
    base, days = _last_full_month(start, anchor)
    months = due.year * 12 + due.month - 1 - base
    if months >= 12:
        return None
    if days == 0:
        return CONTEXT.divide(12, months)
    return CONTEXT.divide(365, (due - start).days)


def _schedule(unit: UnitPeriod, start: date, dates: list[date]) -> tuple[Decimal, list[tuple[int, Decimal]]]:
    """Unit-periods per year and each payment's (q, f), App. J (b)(4)/(b)(5)."""
    if len(dates) == 1:  # App. J (b)(4)(ii): the unit-period is the term, not more than a year
        per_year = _single_payment_per_year(start, dates[0])
        if per_year is not None:
            return per_year, [(1, _ZERO)]
        unit = UNIT_PERIODS["annual"]
    return unit.per_year, _factors(unit, start, dates)


def time_factors(advance_date: date, payments: Payments, unit_period: str) -> tuple[Decimal, list[TimeFactor]]:
    """Unit-periods per year and, for each payment in date order, its (q, f) under App. J (b)(4)/(b)(5)."""
    start = _check_date(advance_date, "advance_date")
    unit = unit_period_for(unit_period)
    per_year, factors = _schedule(unit, start, _payments(payments, start)[0])
    return per_year, [TimeFactor(q, f) for q, f in factors]


# --- the general equation, App. J (b)(8), solved per App. J (b)(9) ----------------------------------------


class _Run(NamedTuple):
    """``length`` equal payments with one fraction f, one unit-period apart: a single payment when ``length`` is 1,
    else summed in closed form."""

    amount: Decimal
    first: int  # q of the first payment
    length: int  # how many payments
    fraction: Decimal


class _Batch(NamedTuple):
    """Two or more payments of differing amounts with one fraction f, one unit-period apart: summed term by term
    in C-level maps (a mortgage with every payment different is one batch)."""

    amounts: tuple[Decimal, ...]
    first: int  # q of the first payment
    fraction: Decimal


_Group = _Run | _Batch


def _groups(amounts: Sequence[Decimal], factors: Sequence[tuple[int, Decimal]]) -> list[_Group]:
    """The payments in date order as runs of equal payments and batches of differing ones (see the classes)."""
    periods, fractions = zip(*factors, strict=True)
    count, first = len(periods), periods[0]
    if fractions.count(fractions[0]) == count and periods == tuple(range(first, first + count)):
        return _series_groups(amounts, first, fractions[0]) or _mixed_groups(amounts, factors)
    return _mixed_groups(amounts, factors)


def _series_groups(amounts: Sequence[Decimal], first: int, fraction: Decimal) -> list[_Group] | None:
    """Payments one unit-period apart from q = ``first`` under one ``fraction`` as one group, checked at C speed,
    when they are all equal (a level loan) or all differing (no two neighbours equal); None otherwise."""
    if not any(map(eq, amounts, islice(amounts, 1, None))):  # first: a level loan fails it at its first pair
        return [_batch(tuple(amounts), first, fraction)]
    if amounts.count(amounts[0]) == len(amounts):
        return [_Run(amounts[0], first, len(amounts), fraction)]
    return None


def _grouped(unit: UnitPeriod, start: date, dates: list[date], amounts: list[Decimal]) -> tuple[Decimal, list[_Group]]:
    """Unit-periods per year and the payments' groups. A monthly series (the common loan) goes straight from its
    first payment's (q, f) to its group: no (q, f) pair a payment built and then taken apart again."""
    if unit.code == "monthly" and len(dates) > 1 and _monthly_series(dates):
        first, fraction = _monthly_first(start, dates[0])
        groups = _series_groups(amounts, first, fraction)
        return unit.per_year, groups or _mixed_groups(amounts, _series_factors(first, fraction, len(dates)))
    per_year, factors = _schedule(unit, start, dates)
    return per_year, _groups(amounts, factors)


def _mixed_groups(amounts: Sequence[Decimal], factors: Sequence[tuple[int, Decimal]]) -> list[_Group]:
    """Payment by payment: runs of equal payments; the single payments between them, while one unit-period
    apart under one fraction, gathered into batches."""
    groups: list[_Group] = []
    singles: list[Decimal] = []  # the batch in hand: single payments from q = singles_first under singles_f
    singles_first, singles_f = 0, _ZERO
    for amount, first, count, fraction in _runs(amounts, factors):
        if singles and (count > 1 or fraction != singles_f or first != singles_first + len(singles)):
            groups.append(_batch(tuple(singles), singles_first, singles_f))
            singles = []
        if count > 1:
            groups.append(_Run(amount, first, count, fraction))
        elif singles:
            singles.append(amount)
        else:
            singles, singles_first, singles_f = [amount], first, fraction
    if singles:
        groups.append(_batch(tuple(singles), singles_first, singles_f))
    return groups


def _runs(
    amounts: Sequence[Decimal], factors: Sequence[tuple[int, Decimal]]
) -> list[tuple[Decimal, int, int, Decimal]]:
    """Runs of equal payments with equal fractions one unit-period apart: (amount, first q, count, f)."""
    runs: list[tuple[Decimal, int, int, Decimal]] = []
    amount, first, count, fraction = _ZERO, 0, 0, _ZERO
    for pay, (q, f) in zip(amounts, factors, strict=True):
        if count and pay == amount and f == fraction and q == first + count:
            count += 1
            continue
        if count:
            runs.append((amount, first, count, fraction))
        amount, first, count, fraction = pay, q, 1, f
    runs.append((amount, first, count, fraction))
    return runs


def _batch(amounts: tuple[Decimal, ...], first: int, fraction: Decimal) -> _Group:
    """A batch of the payments from q = ``first``; a single payment stays a run of one."""
    if len(amounts) == 1:
        return _Run(amounts[0], first, 1, fraction)
    return _Batch(amounts, first, fraction)


def _run_sums(v: Decimal, rate: Decimal, v_first: Decimal, first: int, count: int) -> tuple[Decimal, Decimal]:
    """S = sum of v**k and W = sum of k * v**k over k = first .. first + count - 1 (v_first = v**first), for a
    run of two or more. Called in :func:`_value_and_slope`'s local copy of CONTEXT, which its operators use."""
    if rate.is_zero():
        return Decimal(count), Decimal(count * first + count * (count - 1) // 2)
    if rate.copy_abs() < _SMALL_RATE:  # the closed forms divide by (1 - v) squared: sum term by term
        s = w = _ZERO
        term = v_first
        for k in range(first, first + count):
            s, w, term = s + term, w + k * term, term * v
        return s, w
    one_minus_v, v_count = _ONE - v, v**count
    s = v_first * ((_ONE - v_count) / one_minus_v)
    # sum of k * v**k for k = 0 .. n - 1 is (v - n v**n + (n - 1) v**(n + 1)) / (1 - v)**2
    k_sum = (v - count * v_count) + (count - 1) * (v_count * v)
    k_sum = k_sum / (one_minus_v * one_minus_v)
    return s, first * s + v_first * k_sum


def _value_and_slope(
    groups: Sequence[_Group], rate: Decimal, batch_sums: _BatchSums | None = None
) -> tuple[Decimal, Decimal]:
    """The right side of App. J (b)(8), the sum of P / ((1 + f i)(1 + i) ** q), and its derivative in i.
    Groups come in date order, so v**q carries from one to the next; each f's factor is applied once.
    The operators run in a local copy of CONTEXT: each result as its methods give it, at half their call cost.
    ``batch_sums`` (:func:`_batch_sums` unless given) values the batches; :func:`_batch_value` leaves their
    terms out of the slope."""
    batch_sums = batch_sums or _batch_sums
    with localcontext(CONTEXT):
        v = _ONE / (_ONE + rate)
        s_by_f: dict[Decimal, Decimal] = {}  # sum of P v**q by fraction f
        w_by_f: dict[Decimal, Decimal] = {}  # sum of q P v**q by fraction f
        power, at = _ONE, 0  # power == v ** at
        current, s_sum, w_sum = None, _ZERO, _ZERO  # the sums of the fraction in hand, kept out of the dicts
        for group in groups:
            first, fraction = group.first, group.fraction
            power = power * v if first == at + 1 else power * v ** (first - at)
            at = first
            if fraction != current:
                if current is not None:
                    s_by_f[current], w_by_f[current] = s_sum, w_sum
                current, s_sum, w_sum = fraction, s_by_f.get(fraction, _ZERO), w_by_f.get(fraction, _ZERO)
            if isinstance(group, _Batch):
                s_sum, w_sum, power = batch_sums(group, v, power, s_sum, w_sum)
                at = first + len(group.amounts) - 1
            elif group.length == 1:
                s_sum, w_sum = s_sum + group.amount * power, w_sum + group.amount * (first * power)
            else:
                s, w = _run_sums(v, rate, power, first, group.length)
                s_sum, w_sum = s_sum + group.amount * s, w_sum + group.amount * w
        s_by_f[current], w_by_f[current] = s_sum, w_sum  # type: ignore[index]  # groups are never empty
        value = slope = _ZERO
        for fraction, s in s_by_f.items():
            w = w_by_f[fraction]
            u = _ONE / (_ONE + fraction * rate)  # 1 / (1 + f i)
            value = value + u * s
            slope = slope - u * ((fraction * u) * s + v * w)
        return value, slope


def _batch_sums(
    batch: _Batch, v: Decimal, power: Decimal, s_sum: Decimal, w_sum: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """``s_sum`` plus each P v**q, ``w_sum`` plus each (q P) v**q, and v ** the last q (``power`` is v ** the
    first), in C-level maps. The value's powers, products and sums are those of a payment-by-payment loop, bit
    for bit (``present_value`` keeps its digits). The weighted sum comes from the running sums s_0 = ``s_sum``,
    s_1, ..., s_n of the value: the sum of q P v**q over q = first .. last is last s_n - first s_0 - (s_1 + ...
    + s_(n-1)), two operations a payment instead of three. It may lose the last two or three of the 34 digits,
    which moves the Newton steps only: the slope sets how fast the iteration closes on the root, not where the
    root is. Runs in :func:`_value_and_slope`'s local context."""
    count = len(batch.amounts)
    powers = list(accumulate(repeat(v, count - 1), mul, initial=power))
    sums = list(accumulate(map(mul, batch.amounts, powers), add, initial=s_sum))
    s_total, last = sums[-1], batch.first + count - 1
    w_sum = w_sum + (last * s_total - batch.first * s_sum - sum(islice(sums, 1, count), _ZERO))
    return s_total, w_sum, powers[-1]


def _batch_value(
    batch: _Batch, v: Decimal, power: Decimal, s_sum: Decimal, w_sum: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """As :func:`_batch_sums` for the value alone (``w_sum`` passed through): v**first times the batch's
    polynomial in v by Horner's rule, one fused multiply-add a payment, in 19 digits (:data:`_HORNER_CONTEXT`).
    Equal to the payment-by-payment value to some 1E-17 relative, not bit for bit: for a starting guess only."""
    with localcontext(_HORNER_CONTEXT):
        horner = reduce((+v).fma, reversed(batch.amounts))  # v rounded too: each product fits the word
    return s_sum + power * horner, w_sum, power * v ** (len(batch.amounts) - 1)


_BatchSums = Callable[[_Batch, Decimal, Decimal, Decimal, Decimal], tuple[Decimal, Decimal, Decimal]]


def _solve_unit_rate(
    amount_financed: Decimal, groups: Sequence[_Group], per_year: Decimal | None = None, total: Decimal | None = None
) -> Decimal:
    """Newton's method on ln(value) (App. J (b)(9) allows any iteration). The log of the payments' value is
    convex and falling in the rate, so a step from anywhere lands at or below the root and the iterates then
    rise to it; the log is straighter than the value, which saves an iteration or two. Each batch's payments
    at their average are a cheap closed-form stream whose root is near: the exact iteration starts there (three
    full evaluations instead of five for a mortgage with every payment different). With nothing to average,
    from zero: five steps for a 30-year mortgage. Given ``per_year``, it stops as soon as the APR it rounds to
    is proven (see :func:`_settled`): two full evaluations instead of three for that mortgage, and one when its
    batches hold most of its payments and so correct the start cheaply (see :func:`_corrected`). All in
    Decimal: the finance core holds no floats. ``total``: the payments' sum, if known (see :func:`_averaged`)."""
    averaged = _averaged(groups, total)
    if averaged is None:
        return _newton(amount_financed, groups, _ZERO, per_year)
    start = _newton(amount_financed, averaged, _ZERO, rough=True)
    if _batched(groups) >= _BATCHED_PER_GROUP * len(groups):
        start = _corrected(amount_financed, groups, averaged, start)
    return _newton(amount_financed, groups, start, per_year)


def _batched(groups: Sequence[_Group]) -> int:
    """How many payments the batches hold. The correction's pass costs about half a full evaluation only when
    they are most of the stream: every group costs both passes alike (closed forms, per-group steps)."""
    return sum(len(group.amounts) for group in groups if isinstance(group, _Batch))


def _corrected(
    amount_financed: Decimal, groups: Sequence[_Group], averaged: Sequence[_Group], rate: Decimal
) -> Decimal:
    """A step from the average's root ``rate`` toward the exact stream's: the exact value there (batches by
    Horner's rule, at about half the cost of a full evaluation) over the averaged stream's log slope. The two
    logs fall almost alike, so the step lands some hundred times nearer the root (3.2E-9 off instead of 3.2E-6
    for the bench's mortgage) and one full evaluation then settles the APR instead of two. Kept at or above
    zero, the root's lower bound."""
    with localcontext(CONTEXT):
        value = _value_and_slope(groups, rate, _batch_value)[0]
        averaged_value, averaged_slope = _value_and_slope(averaged, rate)
        step = _log(value / amount_financed, rough=True) * averaged_value / averaged_slope.copy_negate()
        return max(rate + step, _ZERO)


def _averaged(groups: Sequence[_Group], total: Decimal | None = None) -> list[_Group] | None:
    """The groups with each batch's payments at their average (a closed-form run); None when there is no batch.
    ``total``, the sum of all the payments left to right, is a lone batch's own sum: not added up again."""
    if not any(isinstance(group, _Batch) for group in groups):
        return None
    with localcontext(CONTEXT):
        if total is not None and len(groups) == 1:
            return [_average_run(groups[0], total)]  # type: ignore[arg-type]  # the one group is the batch
        return [
            _average_run(group, sum(group.amounts, _ZERO)) if isinstance(group, _Batch) else group for group in groups
        ]


def _average_run(batch: _Batch, total: Decimal) -> _Run:
    """The ``batch`` as a run of its payments' average, ``total`` being their sum. In the caller's context."""
    return _Run(total / len(batch.amounts), batch.first, len(batch.amounts), batch.fraction)


def _newton(
    amount_financed: Decimal,
    groups: Sequence[_Group],
    rate: Decimal,
    per_year: Decimal | None = None,
    *,
    rough: bool = False,
) -> Decimal:
    """Newton steps from ``rate`` until one moves the rate by at most 1E-16, or, given ``per_year``, until the
    APR the root rounds to is settled; ``rough`` (a starting guess) until one moves it by at most 1 % (its error
    is then of the order of the step squared, far below how far the average's root is from the exact one). A
    step from above the root can overshoot far below it (even below -1, where 1 / (1 + i) turns negative): the
    rate is kept at or above zero, the root's lower bound (the payments total more than the amount financed)."""
    with localcontext(CONTEXT):
        curvature = _ZERO if per_year is None else _curvature(groups)
        for _ in range(_MAX_ITERATIONS):
            value, slope = _value_and_slope(groups, rate)
            step = (_log(value / amount_financed, rough) * value) / slope.copy_negate()
            rate = max(rate + step, _ZERO)
            if step.copy_abs() <= (rate * _ROUGH_TOLERANCE if rough else _STEP_EPSILON):
                return rate
            if per_year is not None and _settled(rate, step, curvature * value / slope.copy_negate(), per_year):
                return rate
    raise ArithmeticError("apr: the App. J iteration did not converge")  # pragma: no cover


def _log(ratio: Decimal, rough: bool) -> Decimal:
    """ln(ratio); ``rough``: 2 (r - 1) / (r + 1), which agrees with it to the second order about 1 (0.535 for
    ln 1.73 = 0.548) at a fraction of its cost far from 1 (Decimal's ln of 1.73 costs about as much as half an
    exact evaluation of 360 payments). A starting guess needs no more: the iteration keeps its root, and its
    quadratic approach to it."""
    return _TWO * (ratio - _ONE) / (ratio + _ONE) if rough else ratio.ln()


def _curvature(groups: Sequence[_Group]) -> Decimal:
    """M / 2, M a bound on the second derivative of ln(value) at every rate i >= 0. Each payment's own log
    falls at the rate t = f / (1 + f i) + q / (1 + i), between 0 and Q = the largest q + 1 (f < 1), and curves
    by f**2 / (1 + f i)**2 + q / (1 + i)**2 <= Q; ln(value)'' is the variance of t over the payments'
    shares of the value, at most Q**2 / 4, plus their average curve, at most Q."""
    top = max(group.first + (len(group.amounts) if isinstance(group, _Batch) else group.length) for group in groups)
    return Decimal(top * top + 4 * top) / 8


def _settled(rate: Decimal, step: Decimal, bound: Decimal, per_year: Decimal) -> bool:
    """Whether the root rounds to the APR that ``rate``, the Newton iterate just made with ``step``, rounds to.
    The tangent of the convex ln(value) meets zero at or below the root, so ``rate`` is a lower bound. With
    F = -ln(value)' where the step was taken and ``bound`` = M / 2F (see :func:`_curvature`), Taylor's bound
    puts ln(value) at or below -F d + (M / 2) (|step| + d)**2 at ``rate`` + d: at most zero, so the root is
    below rate + d, once B (|step| + d)**2 <= d, which d = 2 B step**2 meets when steps are small. The
    margin covers the working precision's roundings and the 1E-16 iteration's own distance from the root
    (C step**2 < 1E-28): the APR is then the one that iteration returns, digit for digit."""
    reach = 2 * bound * step * step
    if reach * per_year > _QUANTUM_RATE:  # wider than one APR step: cannot be settled yet
        return False
    span = step.copy_abs() + reach
    if bound * span * span > reach:
        return False
    margin = (_ONE + rate) * _ROOT_MARGIN
    return _annual(rate - margin, per_year) == _annual(rate + reach + margin, per_year)


def _annual(rate: Decimal, per_year: Decimal) -> Decimal:
    """The APR in percent of a unit-period ``rate``, quantized to :data:`APR_QUANTUM` (App. J (b)(1))."""
    annual = CONTEXT.multiply(CONTEXT.multiply(rate, per_year), HUNDRED)
    return annual.quantize(APR_QUANTUM, rounding=ROUNDING, context=CONTEXT)


def _total(amounts: Iterable[Decimal]) -> Decimal:
    with localcontext(CONTEXT):  # the same sums as CONTEXT.add, left to right
        return sum(amounts, _ZERO)


def apr(amount_financed: Decimal, advance_date: date, payments: Payments, unit_period: str) -> Decimal:
    """The annual percentage rate, in percent, by the actuarial method of 12 CFR 1026 App. J: the unit-period
    rate solving App. J (b)(8) times the unit-periods a year (App. J (b)(1)). Quantized to 10 decimals;
    disclosure rounding is the caller's."""
    amount = require_positive(amount_financed, "amount_financed")
    start = _check_date(advance_date, "advance_date")
    unit = unit_period_for(unit_period)
    dates, amounts = _payments(payments, start)
    total = _total(amounts)
    if total < amount:
        raise ValueError(f"payments: total {total} is less than amount_financed {amount}")
    per_year, groups = _grouped(unit, start, dates, amounts)
    rate = _ZERO if total == amount else _solve_unit_rate(amount, groups, per_year, total)
    return _annual(rate, per_year)


def present_value(annual_rate: Decimal, advance_date: date, payments: Payments, unit_period: str) -> Decimal:
    """The payments' value at ``advance_date`` at ``annual_rate`` percent, the right side of App. J (b)(8):
    the inverse of :func:`apr`, the amount financed that the payments repay at that rate (unrounded)."""
    rate = to_decimal(annual_rate, field="annual_rate")
    if rate <= -HUNDRED:
        raise ValueError(f"annual_rate must be greater than -100, got {rate}")
    start = _check_date(advance_date, "advance_date")
    unit = unit_period_for(unit_period)
    dates, amounts = _payments(payments, start)
    per_year, groups = _grouped(unit, start, dates, amounts)
    unit_rate = CONTEXT.divide(rate, CONTEXT.multiply(per_year, HUNDRED))
    return _value_and_slope(groups, unit_rate)[0]


# --- disclosure figures and tolerances ---------------------------------------------------------------


def total_of_payments(payments: Payments) -> Decimal:
    """1026.18(h): the sum of the scheduled payments, in cents."""
    return cents(_total(_payments(payments, date.min)[1]))


def amount_financed(*, loan_amount: Decimal, prepaid_finance_charges: Decimal) -> Decimal:
    """1026.18(b): the principal loan amount less prepaid finance charges (1026.18(b)(3)), in cents."""
    loan = require_positive(loan_amount, "loan_amount")
    prepaid = require_non_negative(prepaid_finance_charges, "prepaid_finance_charges")
    if prepaid >= loan:
        raise ValueError(f"prepaid_finance_charges: {prepaid} is not less than loan_amount {loan}")
    return cents(CONTEXT.subtract(loan, prepaid))


def finance_charge(*, total_of_payments: Decimal, amount_financed: Decimal) -> Decimal:
    """1026.18(d) with 1026.18(h): the finance charge is the total of payments less the amount financed."""
    total = require_non_negative(total_of_payments, "total_of_payments")
    financed = require_positive(amount_financed, "amount_financed")
    if total < financed:
        raise ValueError(f"total_of_payments: {total} is less than amount_financed {financed}")
    return cents(CONTEXT.subtract(total, financed))


def _whole_months(earlier: date, later: date, anchor: int) -> int | None:
    """Full months from ``earlier`` to ``later`` (a payment on day ``anchor``), None if days are left over."""
    base, days = _last_full_month(earlier, anchor)
    return later.year * 12 + later.month - 1 - base if days == 0 else None


def _one_unit_apart(unit: UnitPeriod, earlier: date, later: date, anchor: int) -> bool:
    if unit.kind in ("day", "week"):
        return (later - earlier).days == unit.multiple * (7 if unit.kind == "week" else 1)
    if unit.kind == "semimonth":  # two series a month apart, 13 to 17 days from one to the other
        return 13 <= (later - earlier).days <= 17
    return _whole_months(earlier, later, anchor) == (12 if unit.kind == "year" else unit.multiple)


def is_irregular(advance_date: date, payments: Payments, unit_period: str) -> bool:
    """1026.22(a)(3): payments not one unit-period apart, or of different amounts, other than an irregular
    first period or an irregular first or final payment (single-advance transactions only)."""
    start = _check_date(advance_date, "advance_date")
    unit = unit_period_for(unit_period)
    dates, amounts = _payments(payments, start)
    anchors = _anchor_days(dates, 12 if unit.kind == "year" else unit.multiple)
    steps = zip(dates, dates[1:], anchors[1:], strict=False)
    periods = all(_one_unit_apart(unit, earlier, later, anchor) for earlier, later, anchor in steps)
    if unit.kind == "semimonth":
        pairs = zip(dates, dates[2:], anchors[2:], strict=False)
        periods = periods and all(_whole_months(one, two, anchor) == 1 for one, two, anchor in pairs)
    return not periods or len(set(amounts[1:-1])) > 1


def apr_within_tolerance(
    disclosed: Decimal, actual: Decimal, regular: bool, *, finance_charge_rate: Decimal | None = None
) -> bool:
    """Whether a disclosed APR is accurate under 1026.22(a): within 1/8 of a percentage point of the actual
    rate in a regular transaction ((a)(2)), 1/4 in an irregular one ((a)(3)); both edges count as accurate.
    Mortgage loans, 1026.22(a)(4)/(a)(5): pass ``finance_charge_rate``, the rate that results from the
    disclosed finance charge, only when that finance charge is accurate under 1026.18(d)(1) (see
    :func:`finance_charge_within_tolerance`); a disclosed rate from it to the actual rate is then accurate."""
    shown = to_decimal(disclosed, field="disclosed")
    exact = to_decimal(actual, field="actual")
    if not isinstance(regular, bool):
        raise ValueError(f"regular: expected True or False, got {regular!r}")
    tolerance = REGULAR_TOLERANCE if regular else IRREGULAR_TOLERANCE
    if CONTEXT.subtract(shown, exact).copy_abs() <= tolerance:
        return True
    if finance_charge_rate is None:
        return False
    from_charge = to_decimal(finance_charge_rate, field="finance_charge_rate")
    return min(from_charge, exact) <= shown <= max(from_charge, exact)


def finance_charge_within_tolerance(
    disclosed: Decimal, actual: Decimal, *, amount_financed: Decimal, secured_by_dwelling: bool
) -> bool:
    """1026.18(d): a mortgage finance charge is accurate if understated by no more than $100 or overstated
    by any amount ((d)(1)); other credit within $5 either way if the amount financed is $1,000 or less,
    else $10 ((d)(2)). The rescission tolerances of 1026.23(g)/(h) are not covered."""
    shown = to_decimal(disclosed, field="disclosed")
    exact = to_decimal(actual, field="actual")
    financed = require_positive(amount_financed, "amount_financed")
    if not isinstance(secured_by_dwelling, bool):
        raise ValueError(f"secured_by_dwelling: expected True or False, got {secured_by_dwelling!r}")
    difference = CONTEXT.subtract(shown, exact)
    if secured_by_dwelling:
        return difference >= MORTGAGE_FINANCE_CHARGE_UNDERSTATEMENT.copy_negate()
    return difference.copy_abs() <= (Decimal(5) if financed <= 1000 else Decimal(10))
