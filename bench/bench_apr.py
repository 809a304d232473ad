"""How long lending.finance.apr.apr() takes for a 30-year monthly mortgage (360 payments).

Run: .venv/bin/python bench/bench_apr.py
"""

from __future__ import annotations

import calendar
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import best_rate, report
from lending.finance.apr import apr

TARGET_MS = 1.0


def add_months(start: date, months: int) -> date:
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


def main() -> None:
    # $162,000 at 3.875 % for 30 years (P&I $761.78) less $3,000 of prepaid finance charges, with an odd
    # first period of 45 days: one advance, 360 equal monthly payments.
    advance = date(2025, 3, 17)
    level = [(add_months(date(2025, 5, 1), k), Decimal("761.78")) for k in range(360)]
    financed = Decimal("159000.00")
    result = apr(financed, advance, level, "monthly")
    rate = best_rate(lambda: apr(financed, advance, level, "monthly"), count=200)
    report(
        "apr(): 360 equal monthly payments",
        1000 / rate,
        "ms",
        TARGET_MS,
        higher_is_better=False,
        note=f"APR {result.quantize(Decimal('0.001'))} %",
    )

    # The worst case for the closed-form grouping: every payment differs, so each is discounted alone.
    uneven = [(due, amount + Decimal(k) / 100) for k, (due, amount) in enumerate(level)]
    rate = best_rate(lambda: apr(financed, advance, uneven, "monthly"), count=100)
    report(
        "apr(): 360 monthly payments, all different",
        1000 / rate,
        "ms",
        TARGET_MS,
        higher_is_better=False,
        note="no runs of equal payments to sum in closed form",
    )


if __name__ == "__main__":
    main()
