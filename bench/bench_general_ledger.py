"""The trial balance as of any date, and the trial balance and GL activity report pages, on the 100,000-loan
portfolio (bench/_servicing_seed.py: ~24 million journal lines).

Target (issue 14, Performance): a trial balance as of any date under 200 ms; each report page under 300 ms median
with a constant query count. The balances come from the per-account daily totals (``LedgerDailyBalance``), which
the journal-line trigger filled while the seed inserted the lines. The seed posts on a few dates a month; a live
book posts every day (the nightly accrual), so ten years of daily rows for every account are added first (zero
amounts: the balances do not move; rolled back at the end): the trial balance then reads what a ten-year-old book
would. Also measured: what the trigger adds to one posting (the same posting with the trigger disabled), and the
old way, the sum over every line, once, beside the new figure it must equal.

``LENDING_BENCH_GL_NO_SEED=1``: measure a database whose daily totals are already there without seeding a
portfolio (the GL activity page is skipped when it has no lines, the tie to the lines always).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from bench._django import is_postgres, setup

setup()

from django.conf import settings  # noqa: E402

settings.DEBUG = False  # time what production runs

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench._report import report  # noqa: E402
from lending.core import roles  # noqa: E402
from lending.core.models import User  # noqa: E402
from lending.core.services import user_create  # noqa: E402
from servicing.models import JournalLine, LedgerAccount, LedgerDailyBalance  # noqa: E402
from servicing.selectors import general_ledger as gl  # noqa: E402
from servicing.services.ledger import journal_post  # noqa: E402

TRIAL_TARGET_MS = 200
PAGE_TARGET_MS = 300
YEARS = 10
SAMPLES = 25

PAD_DAYS = """
INSERT INTO servicing_ledgerdailybalance (account_id, date, debit, credit, line_count)
SELECT a.id, d::date, 0, 0, 0
  FROM servicing_ledgeraccount a, generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d
"""


# The deferred balance checks run now (ALTER TABLE refuses a table with pending trigger events), then defer again.
FLUSH_CHECKS = "SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED"


class Rollback(Exception):
    """Raised to undo the padding rows and the test postings once measured."""


def _median_ms(fn, count: int = SAMPLES) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _dates(first: date, last: date) -> list[date]:
    rng = random.Random(14)  # repeatable
    span = (last - first).days
    return [first + timedelta(days=rng.randint(0, span)) for _ in range(SAMPLES)]


def measure_trial_balance(first: date, last: date) -> None:
    days = iter(_dates(first, last) * 2)
    rows = LedgerDailyBalance.objects.count()
    median = _median_ms(lambda: gl.trial_balance(next(days)))
    report(
        "trial balance as of a random date",
        median,
        "ms",
        TRIAL_TARGET_MS,
        higher_is_better=False,
        note=f"median of {SAMPLES} dates over {YEARS} years; {rows:,} daily rows",
    )


def measure_against_lines(day: date) -> None:
    """The old way once (every line), and proof that the daily totals give the same figures."""
    start = time.perf_counter()
    from_lines = gl.trial_balance_from_lines(day)
    old_ms = (time.perf_counter() - start) * 1000
    ties = from_lines.rows == gl.trial_balance(day).rows
    print(f"  trial balance summed from every line as of {day}: {old_ms:,.0f} ms; ties to the daily totals: {ties}")
    report("trial balance from the daily totals ties to the lines", int(ties), "yes=1", 1, higher_is_better=True)


def measure_posting_cost() -> None:
    """What the trigger adds to one four-line posting: the same postings with it enabled and disabled."""

    def post() -> None:
        journal_post(
            actor=None,
            loan=None,
            effective_date=date(2026, 11, 30),
            kind="adjustment",
            memo="bench",
            lines=[
                ("cash", Decimal("10.00"), Decimal(0)),
                ("fee_income", Decimal(0), Decimal("4.00")),
                ("interest_income", Decimal(0), Decimal("3.00")),
                ("suspense", Decimal(0), Decimal("3.00")),
            ],
        )

    with_trigger = _median_ms(post, 200)
    with connection.cursor() as cursor:
        cursor.execute(FLUSH_CHECKS)
        cursor.execute("ALTER TABLE servicing_journalline DISABLE TRIGGER servicing_journalline_daily")
    without = _median_ms(post, 200)
    with connection.cursor() as cursor:
        cursor.execute(FLUSH_CHECKS)
        cursor.execute("ALTER TABLE servicing_journalline ENABLE TRIGGER servicing_journalline_daily")
    report(
        "daily totals trigger: cost per posting",
        max(with_trigger - without, 0.0),  # the two medians are noisy on a loaded machine
        "ms",
        1,
        higher_is_better=False,
        note=f"a 4-line entry: {with_trigger:.2f} ms with it, {without:.2f} ms without",
    )


def measure_pages(last: date, with_lines: bool) -> None:
    # The portfolio bench (bench_reports) may have made this user already, in the same database.
    user = User.objects.filter(email="bench-accountant@lending.test").first() or user_create(
        actor=None,
        email="bench-accountant@lending.test",
        password=None,
        first_name="Bench",
        last_name="Accountant",
        role_names=(roles.ACCOUNTING,),
    )
    client = Client()
    client.force_login(user)
    days = _dates(last - timedelta(days=365 * YEARS), last)
    pages = {"trial balance report page": [f"{reverse('reports:trial-balance')}?as_of={day}" for day in days]}
    if with_lines:
        cash = LedgerAccount.objects.get(code="cash").pk
        activity = reverse("reports:gl-activity")
        pages["GL activity report page (cash, a month)"] = [f"{activity}?as_of={day}&account={cash}" for day in days]
    for label, urls in pages.items():
        counts = set()
        for url in urls[:3]:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200, url
            counts.add(len(queries))
        urls_cycle = iter(urls * 2)
        median = _median_ms(lambda u=urls_cycle: client.get(next(u)))
        report(
            f"{label}: median server time",
            median,
            "ms",
            PAGE_TARGET_MS,
            higher_is_better=False,
            note=f"queries per page {sorted(counts)}",
        )


def main() -> None:
    if not is_postgres():
        print("bench_general_ledger: needs PostgreSQL (make bench starts one); skipped")
        return
    seeded = not os.environ.get("LENDING_BENCH_GL_NO_SEED")
    if seeded:
        from bench._servicing_seed import ensure_portfolio

        ensure_portfolio()
    last = LedgerDailyBalance.objects.order_by("-date").values_list("date", flat=True).first() or date.today()
    first = last - timedelta(days=365 * YEARS)
    with_lines = JournalLine.objects.exists()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(PAD_DAYS, {"first": first, "last": last})
                cursor.execute("ANALYZE servicing_ledgerdailybalance")
            measure_trial_balance(first, last)
            if with_lines and seeded:  # a database with copied totals may hold only some of the lines
                measure_against_lines(last - timedelta(days=180))
            measure_pages(last, with_lines)
            measure_posting_cost()
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
