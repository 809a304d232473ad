"""One line per figure: name, measured value, target, and PASS or MISS. Benchmarks never fail the build."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from decimal import Decimal

RESULTS: list[tuple[str, bool]] = []


def report(name: str, figure: float, unit: str, target: float, *, higher_is_better: bool, note: str = "") -> bool:
    ok = figure >= target if higher_is_better else figure <= target
    op = ">=" if higher_is_better else "<="
    verdict = "PASS" if ok else "MISS"
    context = figure_context(load_average(), machine_speed(repeat=3))
    extra = f"  ({note}; {context})" if note else f"  ({context})"
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


# The machine's speed, measured: the same load average can hide a host that runs everything slower (one idle run
# saw the same work take 3 times as long from one bench to the next), so each bench starts by timing one fixed piece
# of CPython work (Decimal money arithmetic, dict and string operations, as the application does) and the run prints
# it beside the fastest seen so far, and at the end the range over the run.
SLOW_SHARE = 0.15  # slower than the run's fastest bench by more than this: its timings say more about the machine


def calibration_work() -> int:
    """The fixed work ``machine_speed`` times (returns a checksum so nothing is optimised away)."""
    balance, rate, cents = Decimal("250000.00"), Decimal("0.005416666666666666666666666667"), Decimal("0.01")
    seen: dict[str, int] = {}
    for month in range(360):
        interest = (balance * rate).quantize(cents)
        balance -= Decimal("1580.17") - interest
        seen[f"{month}:{interest}"] = month
    return len(seen) * 1_000_000 + int(balance * 100)


def machine_speed(*, repeat: int = 7) -> float:
    """Calibration rounds per second, best of ``repeat`` rounds of 20 (higher is faster)."""
    return best_rate(calibration_work, count=20, repeat=repeat)


def is_slow(speed: float, fastest: float) -> bool:
    return speed / fastest < 1 - SLOW_SHARE


def speed_note(speed: float, fastest: float) -> str:
    """How this bench's machine speed compares with the fastest of the run so far, and SLOW when it is lower by
    more than ``SLOW_SHARE``."""
    ratio = speed / fastest
    note = f"machine speed {speed:,.0f} calibrations/s, {ratio:.2f} x the run's fastest so far"
    if is_slow(speed, fastest):
        slower = f"{1 - ratio:.0%} slower than the run's fastest"
        note += f"; SLOW: {slower}, its times are longer than the code alone would make them"
    return note


def figure_context(load: float, speed: float) -> str:
    """The load and the machine's speed as a figure is printed: the host's speed can halve within one bench (a
    payment bench labelled slow at its start ran its posting at fast-phase CPU times), so the speed measured at the
    bench's start does not tell a figure's phase; this one, timed just after the figure, nearly does."""
    return f"load {load:.1f}, machine {speed:,.0f} calibrations/s"


def speed_summary(speeds: dict[str, float]) -> str:
    """The machine's speed over a whole run: its range, and the benches that ran slow against the fastest."""
    fastest = max(speeds.values())
    slow = [name for name, speed in speeds.items() if is_slow(speed, fastest)]
    text = (
        f"machine speed over the run: {min(speeds.values()):,.0f}-{fastest:,.0f} calibrations/s "
        f"({fastest / min(speeds.values()):.2f} x)"
    )
    return text + (f"; SLOW against the fastest: {', '.join(slow)}" if slow else "")
