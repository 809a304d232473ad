"""One line per figure: name, measured value, target, and PASS or MISS. Benchmarks never fail the build."""

from __future__ import annotations

import time
from collections.abc import Callable

RESULTS: list[tuple[str, bool]] = []


def report(name: str, figure: float, unit: str, target: float, *, higher_is_better: bool, note: str = "") -> bool:
    ok = figure >= target if higher_is_better else figure <= target
    op = ">=" if higher_is_better else "<="
    verdict = "PASS" if ok else "MISS"
    extra = f"  ({note})" if note else ""
    print(
        f"{name:<58} {figure:>14,.3f} {unit:<10} target {op} {target:,} {unit:<10} {verdict}{extra}",
        flush=True,
    )
    RESULTS.append((name, ok))
    return ok


def best_rate(fn: Callable[[], object], *, count: int, repeat: int = 5) -> float:
    """Calls per second of ``fn``, best of ``repeat`` rounds of ``count`` calls (least disturbed by the machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(count):
            fn()
        best = min(best, time.perf_counter() - start)
    return count / best
