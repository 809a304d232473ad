"""Allocations per second: 100,000 random payments against realistic dues, for every strategy.

Inputs (dues of 1-3 installments, payment amounts from a partial to several payments plus a
curtailment, existing suspense on some loans) are built before timing; the timed loop only calls
``allocate``. Run: ``.venv/bin/python bench/bench_allocation.py``.
"""

from __future__ import annotations

import random
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import best_rate, report
from lending.finance.allocation import STRATEGIES, InstallmentDue

PAYMENTS = 100_000
TARGET = 100_000  # allocations per second
SEED = 20240601


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    """Whole cents between ``low`` and ``high`` dollars."""
    return Decimal(rng.randint(low * 100, high * 100)).scaleb(-2)


def _dues(rng: random.Random) -> list[InstallmentDue]:
    count = rng.randint(1, 3)
    dues = []
    for k in range(count):
        late = Decimal("0.00") if k == count - 1 else _money(rng, 15, 90)  # past-due ones carry a late fee
        dues.append(
            InstallmentDue(
                number=100 + k,
                due_date=date(2024, 1 + k, 1),
                interest=_money(rng, 200, 3000),
                principal=_money(rng, 100, 1500),
                escrow=_money(rng, 0, 800),
                late_fees=late,
                fees=Decimal("0.00") if rng.random() < 0.9 else _money(rng, 5, 50),
            )
        )
    rng.shuffle(dues)
    return dues


def _case(rng: random.Random) -> tuple[Decimal, list[InstallmentDue], Decimal, Decimal]:
    dues = _dues(rng)
    owed = sum((d.total for d in dues), Decimal(0))
    periodic = min(dues, key=lambda d: d.due_date).periodic_payment
    kind = rng.random()
    if kind < 0.4:  # exactly the oldest periodic payment
        amount = periodic
    elif kind < 0.6:  # a partial payment
        amount = max(Decimal("0.01"), (periodic * Decimal(rng.randint(10, 99)) / 100).quantize(Decimal("0.01")))
    elif kind < 0.85:  # everything owed, sometimes with a curtailment
        amount = owed + (_money(rng, 0, 2000) if rng.random() < 0.5 else Decimal("0.00"))
    else:  # anything
        amount = _money(rng, 1, 12000)
    suspense = _money(rng, 0, 900) if rng.random() < 0.2 else Decimal("0.00")
    outstanding = sum((d.principal for d in dues), Decimal(0)) + _money(rng, 0, 400_000)
    return amount, dues, suspense, outstanding


def main() -> None:
    rng = random.Random(SEED)
    cases = [_case(rng) for _ in range(PAYMENTS)]
    for code, strategy in STRATEGIES.items():
        allocate = strategy.allocate

        def run_all(allocate=allocate) -> None:
            for amount, dues, suspense, outstanding in cases:
                allocate(amount, dues, suspense=suspense, principal_outstanding=outstanding)

        rate = best_rate(run_all, count=1, repeat=7) * PAYMENTS
        report(
            f"allocation {code}: allocations per second",
            rate,
            "alloc/s",
            TARGET,
            higher_is_better=True,
            note=f"{PAYMENTS:,} payments, 1-3 installments due, best of 7",
        )


if __name__ == "__main__":
    main()
