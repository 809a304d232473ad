"""The least work a materialised 360-row schedule can cost in CPython, beside ``build_schedule`` (issue 15).

Run: .venv/bin/python bench/schedule_floor.py

Not a figure of ``make bench``: a ceiling for the ``build_schedule`` target. Each "floor" below does only what every
materialised schedule must do, with its inputs already at hand (no validation, rate, level payment, due dates,
totals or odd days): the integer half-up loop of the 359 interest figures, one int->Decimal conversion and two
Decimal subtractions a row (interest, principal, balance; the payment is one shared Decimal), one row tuple a row,
and freeing it all again (the bench drops each schedule). Timed in thread CPU time, best of interleaved rounds, so
a busy machine moves the rates but hardly the ratios; the ceiling is the bench's idle rate over the ratio.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal, localcontext
from itertools import accumulate, repeat
from operator import mul, sub
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lending.finance import amortization
from lending.finance.money import CENT, CONTEXT, from_cents, to_cents

IDLE_RATE = 6_623  # build_schedule's idle figure before session 11 (bench_schedule.py), schedules per second
TERMS = amortization.LoanTerms(
    principal=Decimal("300000"),
    annual_rate=Decimal("6.5"),
    term_periods=360,
    disbursement_date=date(2025, 1, 1),
    first_payment_date=date(2025, 2, 1),
)
NUM, DEN = amortization.periodic_ratio(TERMS.annual_rate, 12)
PRINCIPAL = to_cents(TERMS.principal)
PAYMENT = amortization._level_payment_cents(PRINCIPAL, NUM, DEN, 360)
INTERESTS = list(amortization._installments(TERMS, PRINCIPAL, NUM, DEN)[0])
DATES = amortization.due_dates(TERMS.first_payment_date, "monthly", 360)
NUMBERS = tuple(range(1, 361))


class _CallWithFields(type):
    def __call__(cls, *fields: object) -> object:  # field by field through Python; the bench calls type.__call__
        return type.__call__(cls, fields)


class _CRow(tuple[object, ...], metaclass=_CallWithFields):
    """A row class whose construction from a whole tuple stays in C (tuple's own tp_new); not a NamedTuple."""

    __slots__ = ()


def interest_loop() -> list[int]:
    interests = []
    twice_num, twice_den = 2 * NUM, 2 * DEN
    scaled, scaled_payment = PRINCIPAL * twice_num + DEN, PAYMENT * twice_num
    for _ in repeat(None, 359):
        interest = scaled // twice_den
        scaled += interest * twice_num - scaled_payment
        interests.append(interest)
    return interests


def decimal_rows(make_rows: Callable[[Iterator[tuple[object, ...]]], tuple[object, ...]]) -> tuple[object, ...]:
    payment = from_cents(PAYMENT)
    with localcontext(CONTEXT):
        interest_column = list(map(mul, repeat(CENT), INTERESTS))
        principal_column = list(map(sub, repeat(payment), interest_column))
        balances = accumulate(principal_column, sub, initial=TERMS.principal)
        next(balances)
        columns = zip(NUMBERS, DATES, repeat(payment), principal_column, interest_column, balances)
        return make_rows(columns)


def named_tuple_rows(columns: Iterator[tuple[object, ...]]) -> tuple[object, ...]:
    return tuple(map(tuple.__new__, repeat(amortization.ScheduleRow), columns))  # as build_schedule makes them


def main() -> None:
    c_row = type.__call__.__get__(_CRow)  # type.__call__ bound to the class: C-level tuple_new, no Python frame

    def c_rows(columns: Iterator[tuple[object, ...]]) -> tuple[object, ...]:
        return tuple(map(c_row, columns))

    cases: dict[str, Callable[[], object]] = {
        "build_schedule(terms)": lambda: amortization.build_schedule(TERMS),
        "floor: loop + Decimal columns + ScheduleRow rows": lambda: (interest_loop(), decimal_rows(named_tuple_rows)),
        "floor: the same with a C-constructed row class": lambda: (interest_loop(), decimal_rows(c_rows)),
        "  of which the integer loop": interest_loop,
    }
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(150):
        for name, case in cases.items():
            start = time.thread_time()
            for _ in range(20):
                case()
            best[name] = min(best[name], (time.thread_time() - start) / 20)
    base = best["build_schedule(terms)"]
    for name, seconds in best.items():
        ceiling = IDLE_RATE * base / seconds
        print(f"{name:<50} {seconds * 1e6:8.1f} us CPU  {seconds / base:6.3f} x  ceiling {ceiling:>9,.0f}/s")


if __name__ == "__main__":
    main()
