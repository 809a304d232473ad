"""The nightly close of business at portfolio scale, on PostgreSQL with real Celery workers on Redis.

Targets (issue "Nightly close of business", Performance), on the bench seeder's portfolio (``LENDING_BENCH_LOANS``,
100,000 by default, 5 years of history each, plus young loans with one payment):
- steps 1-6 for one business date in under 60 s in all, printed per step as loans per second (step 7, the
  periodic statements, has its own bench, ``bench_statements``: here the portfolio's statement dates are moved
  past the night, or the first night would render a PDF for every loan due within 15 days, i.e. all of them);
- rerunning the same date writes nothing and takes under 10 % of the first run;
- a night costs no more on an old loan than on a young one (day 700 <= 1.2 x day 1): each step's chunk is timed on
  young loans and on as many old loans, for the next business date, in a transaction that is rolled back;
- a loan's staff page after the night: median under 50 ms, the same query count as before it.

The workers are ``celery worker`` processes started here (``WORKERS`` of them, prefork), fed through Redis; the
bench process only dispatches and polls, as ``manage.py run_nightly`` does. Needs PostgreSQL and Redis
(`make bench` starts both).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta

from bench._django import ROOT, is_postgres, setup

# The bench drives real workers: the steps go through Redis even where the environment (`make bench`) asks the
# other benches for eager tasks.
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
setup()

from django.conf import settings  # noqa: E402

settings.DEBUG = False  # time what production runs: Django keeps no log of every query

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench._report import report  # noqa: E402
from bench._servicing_seed import PREFIX, YOUNG_PREFIX, ensure_portfolio  # noqa: E402
from lending.core import roles  # noqa: E402
from lending.core.models import User  # noqa: E402
from lending.core.services import user_create  # noqa: E402
from servicing.models import JournalEntry, LoanAccount  # noqa: E402
from servicing.models.nightly import NightlyRun, NightlyStepRun  # noqa: E402
from servicing.services.nightly import base  # noqa: E402
from servicing.services.nightly.runner import last_closable_date, local_today, nightly_run  # noqa: E402

NIGHT_TARGET_S = 60
# The six steps of the close of business the 60 s target is about (later steps, such as statements, have their
# own bench and targets).
BOOK_STEPS = ("interest", "billing", "ach", "late_fees", "delinquency", "escrow")
RERUN_SHARE = 0.10
HISTORY_RATIO = 1.2
PAGE_MS = 50
WORKERS = int(os.environ.get("LENDING_BENCH_WORKERS", "2"))  # worker processes (this machine has 2 cores)
SAMPLE = 2_000  # loans per history-independence sample (one chunk)


class _Rollback(Exception):
    pass


def start_workers() -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "lending",
        "worker",
        "--pool=prefork",
        f"--concurrency={WORKERS}",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=WARNING",
        "--queues=celery",  # the night's steps only: the notices it makes wait on the documents queue
    ]
    worker = subprocess.Popen(command, cwd=ROOT, env={**os.environ}, start_new_session=True)
    from lending.celery import app

    for _ in range(60):  # wait until a worker answers
        if app.control.ping(timeout=1.0):
            return worker
        time.sleep(0.5)
    stop_workers(worker)
    raise RuntimeError("the Celery workers did not start")


def stop_workers(worker: subprocess.Popen) -> None:
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)


def entries() -> int:
    return JournalEntry.objects.count()


def night(business_date: date) -> tuple[float, list[NightlyStepRun]]:
    start = time.perf_counter()
    run = nightly_run(business_date=business_date, actor=None, trigger=NightlyRun.Trigger.COMMAND)
    seconds = time.perf_counter() - start
    steps = list(NightlyStepRun.objects.filter(run=run).order_by("position"))
    if run.status != "completed":
        print(f"  the run for {business_date} ended {run.status}: {[(s.name, s.error_count) for s in steps]}")
    return seconds, steps


def report_steps(steps: list[NightlyStepRun], label: str) -> None:
    for step in steps:
        seconds = step.duration.total_seconds() if step.duration else 0.0
        rate = step.done_this_attempt / seconds if seconds else 0.0
        print(
            f"  {label} {step.name:<12} {step.done_this_attempt:>8,} loans in {seconds:7.2f} s = {rate:>10,.0f} loans/s"
            f"  ({step.error_count} errors)",
            flush=True,
        )


def chunk_seconds(step: base.NightlyStep, business_date: date, prefix: str) -> tuple[float, int]:
    """Seconds for one chunk of ``SAMPLE`` pending loans of ``prefix`` on ``business_date``, then rolled back."""
    ids = list(step.pending_loan_ids(business_date).filter(loan_number__startswith=f"{prefix}-")[:SAMPLE])
    if not ids:
        return 0.0, 0
    start = time.perf_counter()
    try:
        with transaction.atomic():
            step.run_chunk(business_date, ids, None)
            seconds = time.perf_counter() - start
            raise _Rollback
    except _Rollback:
        pass
    return seconds, len(ids)


def history_ratio(next_date: date) -> None:
    """Each step's cost per loan on loans with 5 years of history against loans with one month of it."""
    for step_class in base.steps_in_order():
        step = step_class()
        old, old_n = chunk_seconds(step, next_date, PREFIX)
        young, young_n = chunk_seconds(step, next_date, YOUNG_PREFIX)
        n = min(old_n, young_n)
        if not n or not young:
            print(f"  {step.name:<12} nothing pending on {next_date} for one of the samples: not comparable")
            continue
        ratio = (old / old_n) / (young / young_n)
        report(
            f"night cost, 5-year-old / 1-month-old loan: {step.name}", ratio, "x", HISTORY_RATIO, higher_is_better=False
        )


def page_figures(loan: LoanAccount, client: Client) -> tuple[float, int]:
    url = reverse("servicing:loan-detail", args=[loan.pk])
    # Counted by an execute wrapper, not the debug query log (DEBUG is off here, and the log is a bounded deque).
    executed: list[str] = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    samples = []
    for _ in range(30):
        start = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), len(executed)


def staff_client() -> Client:
    email = "bench-nightly-servicer@lending.test"
    user = User.objects.filter(email=email).first() or user_create(
        actor=None, email=email, password=None, role_names=(roles.SERVICER,)
    )
    client = Client()
    client.force_login(user)
    return client


def main() -> None:
    if not is_postgres():
        print("SKIP: the nightly bench needs PostgreSQL and Redis (run `make bench`)")
        return
    if not os.environ.get("REDIS_URL"):
        print("SKIP: the nightly bench needs a broker (REDIS_URL): `make bench` starts Redis")
        return
    loans = ensure_portfolio()
    # Statements on the due date itself: after every night this bench runs (bench_statements times them).
    LoanAccount.objects.filter(loan_number__startswith=f"{PREFIX}-").update(statement_days_before_due=0)
    business_date = last_closable_date(local_today())
    NightlyRun.objects.filter(business_date__gte=business_date).delete()  # a rerun of the bench starts clean
    client = staff_client()
    old_loan = LoanAccount.objects.filter(loan_number__startswith=f"{PREFIX}-").order_by("pk").first()
    assert old_loan is not None, "the seeder made no loans"
    page_before_ms, queries_before = page_figures(old_loan, client)

    worker = start_workers()
    try:
        before = entries()
        seconds, steps = night(business_date)
        written = entries() - before
        print(f"  first run for {business_date}: {written:,} journal entries", flush=True)
        report_steps(steps, "first")
        books = sum((step.duration.total_seconds() for step in steps if step.name in BOOK_STEPS and step.duration), 0.0)
        report(f"close of business, steps 1-6, {loans:,} loans", books, "s", NIGHT_TARGET_S, higher_is_better=False)
        print(f"  the whole run, every step and the hand-offs between them: {seconds:.1f} s", flush=True)

        before = entries()
        rerun, steps = night(business_date)
        report_steps(steps, "rerun")
        report(
            "rerun of the same date: journal entries written", entries() - before, "entries", 0, higher_is_better=False
        )
        report("rerun of the same date / first run", rerun / seconds, "x", RERUN_SHARE, higher_is_better=False)
    finally:
        stop_workers(worker)

    history_ratio(business_date + timedelta(days=1))
    page_after_ms, queries_after = page_figures(old_loan, client)
    report("staff loan page after the night (median)", page_after_ms, "ms", PAGE_MS, higher_is_better=False)
    report(
        "staff loan page queries, after the night - before",
        queries_after - queries_before,
        "queries",
        0,
        higher_is_better=False,
        note=f"{queries_before} before, {page_before_ms:.1f} ms before",
    )


if __name__ == "__main__":
    main()
