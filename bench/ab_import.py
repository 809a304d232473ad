"""A/B of the payment import's commit inside one process (issue 15, Posting): files of ``LENDING_AB_LINES`` lines
(default 600) on loans no other file of the run touches, committed alternately by variant A and variant B (``ab`` in
``LENDING_AB_MODULE``: a module with ``VARIANTS = {"A": contextmanager, "B": contextmanager}``), so both see the same
host phase; prints each file's process CPU and backend CPU a payment and the medians. It posts: point
``DATABASE_URL`` at a throw-away bench cluster (``LENDING_BENCH_LOANS`` as the benches take it)."""

from __future__ import annotations

import importlib
import os
import random
import statistics
import time

LINES = int(os.environ.get("LENDING_AB_LINES", "600"))
PAIRS = int(os.environ.get("LENDING_AB_PAIRS", "6"))


def main() -> None:
    from django.db.models import F

    from bench._servicing_seed import PREFIX, ensure_portfolio
    from bench.bench_payments import backend_cpu
    from bench.profile_import import committed, staged
    from servicing.models import Installment, LoanAccount

    ensure_portfolio()
    variants = importlib.import_module(os.environ["LENDING_AB_MODULE"]).VARIANTS
    ids = list(
        LoanAccount.objects.filter(loan_number__startswith=f"{PREFIX}-", status="active").values_list("pk", flat=True)
    )
    random.Random(7).shuffle(ids)
    loans = LoanAccount.objects.in_bulk(ids)
    due = dict(
        Installment.objects.filter(loan_id__in=ids, due_date=F("loan__next_due_date")).values_list("loan_id", "payment")
    )
    run = str(time.time_ns())[-8:]

    def lines(n: int, count: int = LINES) -> list:
        taken = [ids.pop() for _ in range(count)]
        return [(loans[pk], due[pk], f"ab-{run}-{n}-{i}") for i, pk in enumerate(taken)]

    committed(staged(lines(0, 300), "warm"))
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    order = list(variants)
    for pair in range(PAIRS):
        for name in order if pair % 2 == 0 else order[::-1]:
            batch = staged(lines(len(results[name]) * 2 + (name == "B") + 1), name)
            with variants[name]():
                cpu, db, wall = time.process_time(), backend_cpu(), time.perf_counter()
                posted = committed(batch)
                cpu, db, wall = time.process_time() - cpu, backend_cpu() - db, time.perf_counter() - wall
            results[name].append((cpu * 1000 / posted, db * 1000 / posted))
            print(
                f"{name} pair {pair}: {posted} posted, Python {cpu * 1000 / posted:.3f} db {db * 1000 / posted:.3f}"
                f" all {(cpu + db) * 1000 / posted:.3f} ms a payment, {posted / wall:,.0f}/s wall;"
                f" load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    for name, rows in results.items():
        py, db = statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
        both = statistics.median(r[0] + r[1] for r in rows)
        print(f"{name} median: Python {py:.3f} db {db:.3f} all {both:.3f} ms a payment")


if __name__ == "__main__":
    from bench._django import setup

    setup()
    from django.conf import settings

    settings.DEBUG = False
    main()
