"""Where the payment import's CPU goes (issue 15, Posting): a payment file's commit with one process, as
``bench_payments`` posts it, timed by the steps of ``payments_post_many`` and the import around it, in this
process's CPU time (Python) and its database backend's (read from ``/proc``), per payment.

Each step counts its own time only (a step inside another counts for the inner one). The steps: the import lines
read (``_commit_share``, what no other step takes), the keys posted before (``commit_context``), the loans' lock
(what ``payments_post_many`` does itself), the keys read again under the lock (``_screen``), the later payments
read (``_replaying_loans``), the installments read (``_unpaid_windows``), the allocation in memory, the writes
(``_write``: pipelined, so the server's work on them lands here as the pipeline is synced), the COMMIT (the
deferred foreign-key checks, one query a referenced row, and the journal's balance check) and the import lines'
statuses. ``LENDING_PROFILE=tottime`` (or ``cumulative``) prints cProfile's top functions of the commit too (its
overhead inflates the Python times; ``LENDING_PROFILE_TOP`` how many, 30 by default).

It posts payments: point ``DATABASE_URL`` at a throw-away bench cluster (``python -m bench.profile_import``), with
``LENDING_BENCH_LOANS`` as the benches take it: a database without that portfolio is seeded first (100,000 loans by
default). ``LENDING_PROFILE_LINES`` sets the file's lines (default 5,000, after a 500-line warm-up file).
"""

from __future__ import annotations

import cProfile
import functools
import io
import os
import pstats
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LINES = int(os.environ.get("LENDING_PROFILE_LINES", "5000"))
TOP = int(os.environ.get("LENDING_PROFILE_TOP", "30"))  # cProfile's functions printed
WARM_UP = 500


class StepClock:
    """Wall, process CPU and backend CPU seconds spent in each step, own time only (nested steps subtract)."""

    def __init__(self, backend_pid: int) -> None:
        self.totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        self._stat = Path(f"/proc/{backend_pid}/stat")
        self._inner: list[list[float]] = []  # per open step: the time its inner steps took

    def now(self) -> tuple[float, float, float]:
        fields = self._stat.read_text().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
        return time.perf_counter(), time.process_time(), backend

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = self.now()
        self._inner.append([0.0, 0.0, 0.0])
        try:
            yield
        finally:
            taken = [end - begin for end, begin in zip(self.now(), start, strict=True)]
            inner = self._inner.pop()
            for index, seconds in enumerate(taken):
                self.totals[name][index] += seconds - inner[index]
                if self._inner:
                    self._inner[-1][index] += seconds

    def timed(self, owner: Any, attribute: str, name: str) -> Callable[[], None]:
        """Time every call of ``owner.attribute`` as step ``name``; returns the undo."""
        original = getattr(owner, attribute)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.step(name):
                return original(*args, **kwargs)

        setattr(owner, attribute, timed)
        return lambda: setattr(owner, attribute, original)

    def print(self, payments: int) -> None:
        print(f"  {'step':44} {'wall':>7} {'Python':>7} {'backend':>7}  ms a payment", flush=True)
        rows = [*self.totals.items(), ("all", [sum(seconds[i] for seconds in self.totals.values()) for i in range(3)])]
        for name, seconds in rows:
            ms = [value * 1000 / payments for value in seconds]
            print(f"  {name:44} {ms[0]:7.3f} {ms[1]:7.3f} {ms[2]:7.3f}", flush=True)


def instrument(clock: StepClock) -> list[Callable[[], None]]:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from servicing.services import import_batches, imports, payments_batch

    return [
        clock.timed(imports, "payment_import_commit", "import lines read, batch closed"),
        clock.timed(imports.PaymentFile, "commit_context", "keys posted before (commit_context)"),
        clock.timed(imports, "payments_post_many", "loans locked, results"),
        clock.timed(payments_batch, "_screen", "keys read again under the lock (_screen)"),
        clock.timed(payments_batch, "_replaying_loans", "later payments read (_replaying_loans)"),
        clock.timed(payments_batch, "_allocate_in_memory", "allocation in memory"),
        clock.timed(payments_batch, "_unpaid_windows", "installments read (_unpaid_windows)"),
        clock.timed(payments_batch, "_write", "writes, pipelined (_write)"),
        clock.timed(BaseDatabaseWrapper, "commit", "COMMIT: deferred FK checks, balance check"),
        clock.timed(import_batches, "bulk_update_rows", "import lines' statuses"),
    ]


def staged(lines: list[Any], tag: str) -> Any:
    """The payment file of ``lines`` (``bench_payments.payment_file``'s), staged as a batch."""
    from django.utils import timezone

    from servicing.services import imports

    today = timezone.localdate().isoformat()
    rows = ["loan_number,amount,effective_date,reference,method"]
    rows += [f"{loan.loan_number},{amount},{today},{key}-{tag},ach" for loan, amount, key in lines]
    return imports.payment_import_stage(file_name="profile.csv", content="\n".join(rows), actor=None)


def committed(batch: Any) -> int:
    """Commit ``batch`` with one process; the payments posted."""
    from servicing.models import ImportLine
    from servicing.services import imports

    batch = imports.payment_import_commit(batch=batch, actor=None)
    return ImportLine.objects.filter(batch=batch, status=ImportLine.Status.POSTED).count()


def main() -> None:
    from django.db import connection

    from bench._servicing_seed import ensure_portfolio
    from bench.bench_payments import payment_file

    ensure_portfolio()
    rng = random.Random(5)
    warm, lines = payment_file(WARM_UP, rng), payment_file(LINES, rng)
    committed(staged(warm, "warm"))  # imports, compiled queries, caches
    batch = staged(lines, "file")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    clock = StepClock(pid)
    undo = instrument(clock)
    sort = os.environ.get("LENDING_PROFILE") or None
    profiler = cProfile.Profile() if sort else None
    try:
        if profiler is not None:
            profiler.enable()
        posted = committed(batch)
    finally:
        if profiler is not None:
            profiler.disable()
        for step_undo in undo:
            step_undo()
    print(f"payment import, {posted:,} payments committed by one process; load {os.getloadavg()[0]:.2f}")
    clock.print(posted)
    if profiler is not None and sort:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(TOP)
        print(out.getvalue())


if __name__ == "__main__":
    from bench._django import setup

    setup()
    from django.conf import settings

    settings.DEBUG = False
    main()
