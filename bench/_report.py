"""One line per figure: name, measured value, target, and PASS or MISS. Benchmarks never fail the build."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

RESULTS: list[tuple[str, bool]] = []


def report(name: str, figure: float, unit: str, target: float, *, higher_is_better: bool, note: str = "") -> bool:
    ok = figure >= target if higher_is_better else figure <= target
    op = ">=" if higher_is_better else "<="
    verdict = "PASS" if ok else "MISS"
    extra = f"  ({note}; load {load_average():.1f})" if note else f"  (load {load_average():.1f})"
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


def load_average() -> float:
    """The machine's 1-minute load average (0.0 where the platform has none)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


IDLE_LOAD = 1.0  # below this the machine is idle but for the bench itself (which then adds its own load)


def wait_for_idle(*, timeout_s: float = 90.0, poll_s: float = 5.0) -> tuple[float, bool]:
    """Wait up to ``timeout_s`` for the load average to fall under ``IDLE_LOAD``; (the load, idle or not)."""
    deadline = time.monotonic() + timeout_s
    load = load_average()
    while load >= IDLE_LOAD and time.monotonic() < deadline:
        time.sleep(poll_s)
        load = load_average()
    return load, load < IDLE_LOAD
