"""Posting throughput for a 10,000-line payment file, on the seeded portfolio (PostgreSQL).

Target (issue "Servicing", Performance): at least 1,000 payments per second for a 10,000-line import file, each
payment allocated, with its transaction, allocation lines, journal entry, installment and balance updates and
audit rows. The headline figures are the payment import's commit (chunks of 2,000 lines through
``payments_post_many``: the postings ``payment_post`` makes, in a few statements per chunk) with one process and
with ``WORKERS`` processes (``import_payments --workers``: the loans split between them); the file's staging
(parse and validate) and the one-at-a-time ``payment_post`` path (a payment posted from a screen) are printed
beside them. The lines pay the next installment of random loans, dated today. One process, one connection.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import os
import pstats
import random
import time
import uuid
from collections import Counter
from pathlib import Path

from bench._django import is_postgres, setup

setup()

from django.conf import settings  # noqa: E402

# Time what production runs: DEBUG off (Django keeps no log of every query).
settings.DEBUG = False

from django.db import connection, reset_queries  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._report import report  # noqa: E402
from bench._servicing_seed import PREFIX, ensure_portfolio  # noqa: E402
from servicing.models import ImportLine, Installment, LoanAccount  # noqa: E402
from servicing.services import imports  # noqa: E402
from servicing.services.payments import payment_post  # noqa: E402

FILE_LINES = 10_000
TARGET = 1_000  # payments per second, the import with one process
SINGLE_TARGET = 250  # payments per second, payment_post one at a time (issue 15)
PROFILED = 200  # payments whose queries are captured for the per-payment profile
SINGLE_LINES = 1_000  # payments posted one at a time through payment_post, for comparison
WORKERS = 2  # processes for the parallel commit (this machine has 2 cores)


def payment_file(count: int, rng: random.Random) -> list[tuple[LoanAccount, object, str]]:
    """``count`` lines (loan, amount, idempotency key): each pays its loan's next installment in full; one line
    per loan (loans drawn at random; fewer loans than lines: some loans get several lines)."""
    ids = list(
        LoanAccount.objects.filter(loan_number__startswith=f"{PREFIX}-", status="active").values_list("pk", flat=True)
    )
    picked = rng.sample(ids, count) if len(ids) >= count else [rng.choice(ids) for _ in range(count)]
    loans = LoanAccount.objects.in_bulk(set(picked))
    due = dict(
        Installment.objects.filter(loan_id__in=loans, due_date=F("loan__next_due_date")).values_list(
            "loan_id", "payment"
        )
    )
    run = uuid.uuid4().hex[:8]  # a rerun on the same database posts a new file, not the same keys again
    return [(loans[pk], due[pk], f"bench-file-{run}-{n}") for n, pk in enumerate(picked)]


def post_line(loan: LoanAccount, amount, key: str, today) -> None:
    payment_post(
        loan=loan,
        amount=amount,
        effective_date=today,
        method="ach",
        reference=key,
        idempotency_key=key,
        actor=None,
    )


def backend_cpu() -> float:
    """Seconds of CPU this connection's PostgreSQL backend has used so far (Linux's /proc; 0.0 where it cannot
    be read): the database's side of a posting, less disturbed by other work on the machine than the wall clock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, in clock ticks


def cluster_cpu() -> float:
    """Seconds of CPU the whole PostgreSQL cluster has used so far: the postmaster's live children (every
    backend, the import's other connections too) and those it has reaped (0.0 where /proc cannot be read)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        postmaster = int(_stat(pid)[1])
        # A backend reaped between reading the postmaster and listing its children would count in neither: read
        # again until the postmaster's reaped total holds still around the listing.
        for _ in range(10):
            reaped = _reaped(postmaster)
            live = sum(_own_ticks(child, postmaster) for child in Path("/proc").iterdir())
            if _reaped(postmaster) == reaped:
                break
    except OSError:
        return 0.0
    return (reaped + live) / os.sysconf("SC_CLK_TCK")


def _reaped(postmaster: int) -> int:
    return sum(int(value) for value in _stat(postmaster)[11:15])  # its utime, stime, cutime, cstime


def _own_ticks(entry: Path, postmaster: int) -> int:
    """The utime + stime of /proc's ``entry`` if it is a child of ``postmaster`` (0 otherwise, or once gone)."""
    with contextlib.suppress(OSError, ValueError):
        fields = _stat(int(entry.name))
        if int(fields[1]) == postmaster:
            return int(fields[11]) + int(fields[12])
    return 0


def _stat(pid: int) -> list[str]:
    """A process's /proc/<pid>/stat fields after its name (the first is its state; the ppid is [1])."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def post_file(lines, today) -> tuple[float, float, float]:
    """Post every line through ``payment_post``, one transaction each; seconds taken, and seconds of this
    process's CPU (the Python side) and of its database backend's CPU."""
    start, cpu, db = time.perf_counter(), time.process_time(), backend_cpu()
    for loan, amount, key in lines:
        post_line(loan, amount, key, today)
    return time.perf_counter() - start, time.process_time() - cpu, backend_cpu() - db


def post_file_through_import(lines, today, workers: int = 1) -> tuple[float, float, int, float, float]:
    """The file as a lockbox CSV through the payment import: staging (parse, validate every line) and committing
    (chunks of payment lines through ``payments_post_many``). Seconds for each, the lines posted, and seconds of
    this process's CPU and of the database cluster's CPU while committing (with one process: the Python and the
    database sides of the commit)."""
    rows = ["loan_number,amount,effective_date,reference,method"]
    rows += [f"{loan.loan_number},{amount},{today.isoformat()},{key},ach" for loan, amount, key in lines]
    start = time.perf_counter()
    batch = imports.payment_import_stage(file_name="bench.csv", content="\n".join(rows), actor=None)
    staged, cpu, db = time.perf_counter(), time.process_time(), cluster_cpu()
    batch = imports.payment_import_commit(batch=batch, actor=None, workers=workers)
    committed, cpu, db = time.perf_counter(), time.process_time() - cpu, cluster_cpu() - db
    posted = ImportLine.objects.filter(batch=batch, status=ImportLine.Status.POSTED).count()
    return staged - start, committed - staged, posted, cpu, db


def profile_one(lines, today) -> None:
    """Queries per payment (over ``PROFILED`` payments) and a cProfile of one payment."""
    with CaptureQueriesContext(connection) as captured:
        for loan, amount, key in lines[:PROFILED]:
            post_line(loan, amount, key, today)
    per_payment = len(captured) / PROFILED
    sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000 / PROFILED
    kinds = Counter(q["sql"].split(" ", 1)[0] for q in captured.captured_queries)
    print(
        f"  payment_post profile: {per_payment:.1f} queries per payment "
        f"({', '.join(f'{k} {v / PROFILED:.1f}' for k, v in kinds.most_common())}); "
        f"SQL time {sql_ms:.2f} ms per payment (as measured by the debug cursor)",
        flush=True,
    )
    loan, amount, key = lines[PROFILED]
    with CaptureQueriesContext(connection) as one:
        post_line(loan, amount, key, today)
    for query in one.captured_queries:
        print(f"    {float(query['time']) * 1000:6.2f} ms  {query['sql'][:130]}")
    profiler = cProfile.Profile()
    profiler.enable()
    for loan, amount, key in lines[PROFILED + 1 : PROFILED + 101]:
        post_line(loan, amount, key, today)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(18)
    print("  cProfile of 100 payment_post calls, by own time:")
    print("\n".join("    " + line for line in out.getvalue().splitlines() if line.strip())[:6000], flush=True)
    reset_queries()


def main() -> None:
    if not is_postgres():
        print("payments: skipped, the seeder needs PostgreSQL (`make bench` starts one)")
        return
    scale = ensure_portfolio()
    rng = random.Random(5)
    today = timezone.localdate()
    lines = payment_file(FILE_LINES, rng)
    for loan, amount, key in lines[:20]:  # warm-up: imports, prepared plans, caches
        post_line(loan, amount, f"{key}-warm", today)
    for workers in (1, WORKERS):
        lines = payment_file(FILE_LINES, rng)
        stage_s, commit_s, posted, cpu, db = post_file_through_import(lines, today, workers)
        python = (
            f"Python {cpu * 1000 / posted:.2f} ms CPU per payment, database {db * 1000 / posted:.2f} ms; "
            if workers == 1 and posted
            else ""
        )
        report(
            f"payment import: 10,000-line file, commit with {workers} process{'es' if workers > 1 else ''}",
            posted / commit_s,
            "pay/s",
            TARGET,
            higher_is_better=True,
            note=f"{posted:,} posted in {commit_s:.1f}s; {python}staging (parse and validate) {stage_s:.1f}s more, "
            f"upload to posted {posted / (stage_s + commit_s):,.0f}/s; {scale:,}-loan portfolio, 5 years of history",
        )
    single = payment_file(SINGLE_LINES, rng)
    seconds, cpu, db = post_file(single, today)
    report(
        f"payment_post one at a time: {SINGLE_LINES:,} lines, one transaction each",
        SINGLE_LINES / seconds,
        "pay/s",
        SINGLE_TARGET,
        higher_is_better=True,
        note=f"{seconds:.1f}s; Python {cpu * 1000 / SINGLE_LINES:.2f} ms CPU per payment, database "
        f"{db * 1000 / SINGLE_LINES:.2f} ms; the path of a payment posted from a screen",
    )
    profile_one(payment_file(PROFILED + 101, rng), today)


if __name__ == "__main__":
    main()
