"""Amortization schedule and payoff throughput on one core, against numpy-financial.

Run: .venv/bin/python bench/bench_schedule.py

What is measured, honestly:
- "build_schedule": ``build_schedule(terms)`` for $300,000 at 6.5 % over 360 months (level, 30/360, no odd days),
  with ``terms`` built once. The result is fully materialised: 360 ``ScheduleRow`` tuples whose payment,
  principal, interest and balance are all Decimal objects, exact to the cent. Nothing is lazy or cached per
  loan; the only cache is the per-day-of-month calendar table of due dates (built once, ~1 ms).
- "LoanTerms + build_schedule": the same, validating the terms on every call.
- numpy-financial: ``pmt`` + ``ipmt`` + ``ppmt`` vectorised over the 360 periods (float64, unrounded, no dates,
  no balances) for the same loan; the ratio is our time over numpy's, best of interleaved rounds.
Single process, single thread; a busy machine slows both sides, so the ratio is steadier than the rates.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import numpy_financial as npf

from bench._report import best_rate, report
from lending.finance.amortization import LoanTerms, build_schedule
from lending.finance.payoff import payoff_quote

SCHEDULES_PER_SECOND = 10_000
RATIO_TO_NUMPY = 1.5
PAYOFFS_PER_SECOND = 10_000

LOAN: dict[str, Any] = {
    "principal": Decimal("300000"),
    "annual_rate": Decimal("6.5"),
    "term_periods": 360,
    "disbursement_date": date(2025, 1, 1),
    "first_payment_date": date(2025, 2, 1),
}


def numpy_schedule() -> tuple[Any, Any, Any]:
    rate, periods = 0.065 / 12, np.arange(1, 361)
    return npf.pmt(rate, 360, 300_000), npf.ipmt(rate, periods, 360, 300_000), npf.ppmt(rate, periods, 360, 300_000)


def interleaved_best(
    first: Callable[[], object], second: Callable[[], object], *, count: int, rounds: int
) -> tuple[float, float]:
    """Best seconds per call of each, alternating rounds so both see the same machine load."""
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for index, fn in enumerate((first, second)):
            start = time.perf_counter()
            for _ in range(count):
                fn()
            best[index] = min(best[index], (time.perf_counter() - start) / count)
    return best[0], best[1]


def check_materialised(terms: LoanTerms) -> str:
    schedule = build_schedule(terms)
    rows = schedule.rows
    assert len(rows) == 360
    assert all(type(value) is Decimal for row in rows for value in row[2:])
    assert sum(r.principal for r in rows) == terms.principal
    assert rows[-1].balance == 0
    _, interest, _ = numpy_schedule()
    drift = max(abs(Decimal(str(-i)) - r.interest) for r, i in zip(rows, interest, strict=True))
    return (
        f"payment {schedule.regular_payment}; rows within {drift.quantize(Decimal('0.01'))} of numpy's float interest"
    )


def main() -> None:
    terms = LoanTerms(**LOAN)
    note = check_materialised(terms)
    load = os.getloadavg()[0]
    print(f"one process, one thread; machine load average {load:.2f} on {os.cpu_count()} CPUs", flush=True)

    rate = best_rate(lambda: build_schedule(terms), count=20, repeat=300)
    report(
        "build_schedule: 360-row monthly level loan, materialised",
        rate,
        "sched/s",
        SCHEDULES_PER_SECOND,
        higher_is_better=True,
        note=note,
    )
    rate = best_rate(lambda: build_schedule(LoanTerms(**LOAN)), count=20, repeat=300)
    report("LoanTerms + build_schedule, same loan", rate, "sched/s", SCHEDULES_PER_SECOND, higher_is_better=True)
    odd = LoanTerms(**{**LOAN, "disbursement_date": date(2024, 12, 12), "day_count": "actual/365"})
    rate = best_rate(lambda: build_schedule(odd), count=20, repeat=300)
    report(
        "build_schedule: same loan, 20 odd days actual/365",
        rate,
        "sched/s",
        SCHEDULES_PER_SECOND,
        higher_is_better=True,
    )

    numpy_rate = best_rate(numpy_schedule, count=20, repeat=300)
    print(f"{'numpy-financial pmt+ipmt+ppmt, 360 periods (reference)':<58} {numpy_rate:>14,.3f} calls/s", flush=True)
    ours, theirs = interleaved_best(lambda: build_schedule(terms), numpy_schedule, count=20, rounds=300)
    report(
        "ratio build_schedule time / numpy-financial time",
        ours / theirs,
        "x",
        RATIO_TO_NUMPY,
        higher_is_better=False,
        note=f"{ours * 1e6:,.0f} us vs {theirs * 1e6:,.0f} us, best of 300 interleaved rounds of 20 calls",
    )

    def quote() -> object:
        return payoff_quote(
            principal_balance=Decimal("287654.32"),
            annual_rate=Decimal("6.5"),
            day_count="actual/365",
            interest_paid_through=date(2026, 3, 1),
            as_of=date(2026, 3, 10),
            good_through=date(2026, 3, 20),
            fees_due=Decimal("35.00"),
            escrow_balance=Decimal("1843.10"),
        )

    rate = best_rate(quote, count=100, repeat=100)
    report("payoff_quote", rate, "quotes/s", PAYOFFS_PER_SECOND, higher_is_better=True)


if __name__ == "__main__":
    main()
