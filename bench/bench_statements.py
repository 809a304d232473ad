"""Periodic statements at portfolio scale, on PostgreSQL (issue "Statements and borrower notices", Performance).

Targets:
- at least 20 one-page statements per second per worker process: the PDF alone (WeasyPrint, the statement's
  stylesheet parsed once per process), and a whole statement (figures, PDF, stored document, statement row) in
  one process;
- the statement step for one cycle day of the portfolio (``LENDING_BENCH_LOANS`` loans / 28, statement dates
  being spread over the month) with 2 worker processes in under 180 s.

The bench seeder's loans all fall due on the first of next month, so the cycle day is a sample: the first
loans / 28 of them, run as the close of business of their statement date (the due date less 15 days) by the
step's own ``run_chunk``, one chunk per task, over a pool of ``WORKERS`` forked processes (as Celery's prefork
workers run the chunks). Their statements are deleted first and afterwards, so the bench can run again.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from datetime import date, timedelta

from bench._django import is_postgres, setup

setup()

from django.conf import settings  # noqa: E402

settings.DEBUG = False  # time what production runs: Django keeps no log of every query

from django.db import connection, connections, transaction  # noqa: E402

from bench._report import best_rate, report  # noqa: E402
from bench._seed_load import backend_cpu  # noqa: E402
from bench._servicing_seed import PREFIX, ensure_portfolio  # noqa: E402
from lending.core.collector import collector_paused  # noqa: E402
from servicing.models import BorrowerDocument, LoanAccount, Statement  # noqa: E402
from servicing.models.loans import STATEMENT_DAYS_DEFAULT  # noqa: E402
from servicing.selectors.statements import statement_due_date, statement_figures  # noqa: E402
from servicing.services.nightly.steps.statements import CHUNK_SIZE, StatementsStep  # noqa: E402
from servicing.services.statements import statement_pdf  # noqa: E402

PER_PROCESS_TARGET = 20  # statements per second per worker process
CYCLE_DAY_TARGET_S = 180
WORKERS = int(os.environ.get("LENDING_BENCH_WORKERS", "2"))
SINGLE_SAMPLE = 100  # loans timed in one process


class _Rollback(Exception):
    pass


def statement_date(loan_ids: list[int]) -> date:
    """The close of business that makes the sample's statements: their due date less the product's 15 days (the
    nightly bench moves the portfolio's lead time; the sample gets the default back)."""
    LoanAccount.objects.filter(pk__in=loan_ids).update(statement_days_before_due=STATEMENT_DAYS_DEFAULT)
    loan = LoanAccount.objects.get(pk=loan_ids[0])
    return statement_due_date(loan) - timedelta(days=STATEMENT_DAYS_DEFAULT)


def forget(loan_ids: list[int]) -> None:
    """Delete the statements an earlier run made for the sample, their documents and stored PDFs (a bench-only
    clean-up: documents are never deleted). Only documents with a statement row: the seeded history's statements
    (bench/_seed_history.py) have none, and share one stored PDF."""
    statements = Statement.objects.filter(loan_id__in=loan_ids)
    documents = list(BorrowerDocument.objects.filter(pk__in=statements.values("document_id")))
    statements.delete()
    for document in documents:
        document.file.delete(save=False)
    for start in range(0, len(documents), 10_000):  # a delete's parameters stay under PostgreSQL's 65,535
        BorrowerDocument.objects.filter(pk__in=[d.pk for d in documents[start : start + 10_000]]).delete()


def pdf_rate(business_date: date, loan_ids: list[int]) -> tuple[float, float]:
    """PDFs per second of wall time (best of 3 rounds) and of this process's CPU time (what a busy machine's other
    processes do not change)."""
    figures = statement_figures(business_date=business_date, loan_ids=loan_ids[:1])[0]
    statement_pdf(figures)  # the stylesheet and fonts are loaded once per process
    wall = best_rate(lambda: statement_pdf(figures), count=20, repeat=3)
    start = time.process_time()
    for _ in range(20):
        statement_pdf(figures)
    return wall, 20 / (time.process_time() - start)


def single_process_rate(business_date: date, loan_ids: list[int]) -> tuple[float, float, float]:
    """Statements per second of one chunk in this process (figures, PDFs, documents, rows), rolled back: of wall
    time, of this process's CPU time, and the milliseconds of the database server's CPU a statement. The chunk runs
    with Python's cycle collector paused, as a worker runs it (measured: the collector took 2.1-2.8 ms of a
    statement's 43-48 ms of CPU when left on)."""
    ids = loan_ids[:SINGLE_SAMPLE]
    with connection.cursor() as cursor:
        server_start = backend_cpu(cursor)
    start, start_cpu = time.perf_counter(), time.process_time()
    try:
        with collector_paused(), transaction.atomic():  # as the worker runs a chunk (execution.step_chunk_run)
            result = StatementsStep().run_chunk(business_date, ids, None)
            seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            raise _Rollback
    except _Rollback:
        pass
    with connection.cursor() as cursor:
        server_end = backend_cpu(cursor)
    assert not result.errors, result.errors[:3]
    server_ms = (server_end - server_start) * 1000 / len(ids) if server_start is not None and server_end else 0.0
    return len(ids) / seconds, len(ids) / cpu, server_ms


def _chunk(args: tuple[date, list[int]]) -> int:
    business_date, ids = args
    with collector_paused(), transaction.atomic():
        result = StatementsStep().run_chunk(business_date, ids, None)
    return len(result.errors)


def cycle_day(business_date: date, loan_ids: list[int]) -> tuple[float, int]:
    """Wall seconds for the sample's statements over ``WORKERS`` processes, and the errors."""
    chunks = [loan_ids[i : i + CHUNK_SIZE] for i in range(0, len(loan_ids), CHUNK_SIZE)]
    connections.close_all()  # each forked process opens its own connection
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
        errors = sum(pool.map(_chunk, [(business_date, chunk) for chunk in chunks], chunksize=1))
    return time.perf_counter() - start, errors


def main() -> None:
    if not is_postgres():
        print("SKIP: the statements bench needs the seeded PostgreSQL portfolio (run `make bench`)")
        return
    loans = ensure_portfolio()
    day = math.ceil(loans / 28)
    sample = list(
        LoanAccount.objects.filter(loan_number__startswith=f"{PREFIX}-", status=LoanAccount.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)[:day]
    )
    forget(sample)
    business_date = statement_date(sample)
    print(f"  cycle day: {len(sample):,} loans, statement date {business_date}, {WORKERS} processes", flush=True)

    wall, cpu = pdf_rate(business_date, sample)
    report(
        "statement PDFs per second, one process",
        wall,
        "/s",
        PER_PROCESS_TARGET,
        higher_is_better=True,
        note=f"{cpu:.1f}/s of the process's CPU time",
    )
    made, made_cpu, server_ms = single_process_rate(business_date, sample)
    report(
        "statements made per second, one process (figures, PDF, store)",
        made,
        "/s",
        PER_PROCESS_TARGET,
        higher_is_better=True,
        note=f"{made_cpu:.1f}/s of the process's CPU time, {server_ms:.1f} ms of the database's CPU a statement",
    )
    seconds, errors = cycle_day(business_date, sample)
    made = Statement.objects.filter(loan_id__in=sample).count()
    report(
        f"statement step, one cycle day ({len(sample):,} loans), {WORKERS} processes",
        seconds,
        "s",
        CYCLE_DAY_TARGET_S,
        higher_is_better=False,
        note=f"{made:,} made, {errors} errors, {made / seconds:,.1f} statements/s",
    )
    pending = StatementsStep().pending_loan_ids(business_date).filter(pk__in=sample).count()
    report("statement step rerun: loans still pending", pending, "loans", 0, higher_is_better=False)
    forget(sample)


if __name__ == "__main__":
    main()
