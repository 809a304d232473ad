# ruff: noqa: S608 -- the SQL is this module's constant text; every value is a bound parameter
"""The collections queue and dashboard on a 100,000-loan portfolio of which 8,000 are delinquent.

Target (issue 12, Performance): the queue has a constant query count and a median under 50 ms per page; the same
is measured for the dashboard. The portfolio is bench/_servicing_seed.py's (``LENDING_BENCH_LOANS`` loans,
100,000 by default); 8 % of it (loans whose id % 25 is 0 or 1) is made delinquent here, set-based: its last 1 to 5
installments un-paid, aged into the bucket that many missed payments make, assigned to ten collectors, with
contacts, promises and delinquency history for the dashboard. All of that is rolled back at the end, so the
benchmarks after this one see the seeded portfolio as it was. Needs PostgreSQL (`make bench` starts one).
"""

from __future__ import annotations

import itertools
import os
import statistics
import time
from typing import Any

from bench._django import is_postgres, setup

setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402

settings.DEBUG = False  # time what production runs

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._report import report  # noqa: E402
from bench._servicing_seed import HISTORY_MONTHS, PREFIX, ensure_portfolio  # noqa: E402
from lending.core import roles  # noqa: E402
from lending.core.services import user_create  # noqa: E402
from servicing.models import LoanAccount  # noqa: E402
from servicing.services.roll_rates import roll_rates_keep  # noqa: E402

TARGET_MS = 50
REQUESTS = 40
COLLECTORS = 10

# The delinquent loans: id % 25 in (0, 1) is 8 % of the portfolio; m = 1 + (id / 25) % 5 payments missed.
DELINQUENT = f"""
    SELECT id, (1 + (id / 25) %% 5)::int AS missed FROM servicing_loanaccount
    WHERE loan_number LIKE '{PREFIX}-%%' AND id %% 25 IN (0, 1)
"""
STATEMENTS = (
    (
        "un-pay the missed installments",
        f"""UPDATE servicing_installment i SET paid_principal = 0, paid_interest = 0, paid_escrow = 0, paid_on = NULL
        FROM ({DELINQUENT}) d WHERE i.loan_id = d.id AND i.number > %(months)s - d.missed
        AND i.number <= %(months)s""",
    ),
    (
        "age the loans",
        f"""UPDATE servicing_loanaccount l SET
            days_past_due = GREATEST(1, %(today)s::date - (date_trunc('month', %(today)s::date)
                - make_interval(months => d.missed - 1))::date),
            delinquency_bucket = (ARRAY['1-29', '30-59', '60-89', '90-119', '120+'])[d.missed],
            delinquency_status = 'delinquent', delinquency_as_of = %(today)s,
            amount_to_bring_current = l.fees_due + (
                SELECT SUM(i.payment - i.paid_principal - i.paid_interest - i.paid_escrow)
                FROM servicing_installment i WHERE i.loan_id = l.id AND i.paid_on IS NULL AND i.due_date <= %(today)s
            ),
            collector_id = (%(collectors)s::bigint[])[1 + l.id %% {COLLECTORS}]
        FROM ({DELINQUENT}) d WHERE l.id = d.id""",
    ),
    (
        "delinquency history",
        f"""INSERT INTO servicing_delinquencyhistory
            (loan_id, as_of, days_past_due, bucket_from, bucket_to, status_from, status_to)
        SELECT d.id, (date_trunc('month', %(today)s::date) - make_interval(months => d.missed - j))::date + 1,
            1 + 30 * (j - 1),
            (ARRAY['current', '1-29', '30-59', '60-89', '90-119'])[j],
            (ARRAY['1-29', '30-59', '60-89', '90-119', '120+'])[j],
            CASE WHEN j = 1 THEN 'current' ELSE 'delinquent' END, 'delinquent'
        FROM ({DELINQUENT}) d, generate_series(1, d.missed) AS j""",
    ),
    (
        "contacts",
        f"""INSERT INTO servicing_contactattempt
            (loan_id, collector_id, channel, at, right_party_contact, outcome, note, created_at)
        SELECT d.id, (%(collectors)s::bigint[])[1 + d.id %% {COLLECTORS}], 'call',
            %(now)s - make_interval(days => ((d.id + c) %% 30)::int, hours => c), (d.id + c) %% 3 = 0,
            CASE WHEN (d.id + c) %% 3 = 0 THEN 'callback' ELSE 'no_answer' END, '', %(now)s
        FROM ({DELINQUENT}) d, generate_series(1, 2) AS c""",
    ),
    (
        "promises (resolved)",
        f"""INSERT INTO servicing_promisetopay
            (loan_id, amount, promised_date, made_on, made_by_id, status, paid_amount, resolved_on, created_at)
        SELECT d.id, 500.00, %(today)s::date - (d.id %% 40)::int, %(today)s::date - (d.id %% 40)::int - 7,
            (%(collectors)s::bigint[])[1 + d.id %% {COLLECTORS}],
            CASE WHEN d.id %% 2 = 0 THEN 'kept' ELSE 'broken' END,
            CASE WHEN d.id %% 2 = 0 THEN 500.00 ELSE 0.00 END, %(today)s::date - (d.id %% 40)::int, %(now)s
        FROM ({DELINQUENT}) d WHERE (d.id / 25) %% 4 = 0""",
    ),
    (
        "promises (open)",
        f"""INSERT INTO servicing_promisetopay
            (loan_id, amount, promised_date, made_on, made_by_id, status, paid_amount, resolved_on, created_at)
        SELECT d.id, 250.00, %(today)s::date + 7, %(today)s, (%(collectors)s::bigint[])[1 + d.id %% {COLLECTORS}],
            'pending', NULL, NULL, %(now)s
        FROM ({DELINQUENT}) d WHERE (d.id / 25) %% 8 = 1""",
    ),
)


class Rollback(Exception):
    """Raised to undo the delinquency once measured."""


def _collectors() -> list[int]:
    return [
        user_create(
            actor=None,
            email=f"bench-collector-{n}@lending.test",
            password=None,
            first_name="Collector",
            last_name=str(n),
            role_names=(roles.COLLECTOR,),
        ).pk
        for n in range(COLLECTORS)
    ]


def make_delinquent() -> None:
    params: dict[str, Any] = {"months": HISTORY_MONTHS, "today": timezone.localdate(), "now": timezone.now()}
    params["collectors"] = _collectors()
    with connection.cursor() as cursor:
        for name, sql in STATEMENTS:
            begin = time.perf_counter()
            cursor.execute(sql, params)
            print(f"  {name}: {cursor.rowcount:,} rows in {time.perf_counter() - begin:.1f}s", flush=True)
        # Every table the statements wrote, as the nightly run's autovacuum would have analysed them by morning.
        for table in (
            "servicing_installment",
            "servicing_loanaccount",
            "servicing_promisetopay",
            "servicing_delinquencyhistory",
            "servicing_contactattempt",
        ):
            cursor.execute(f"ANALYZE {table}")


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if os.environ.get("LENDING_BENCH_VERBOSE"):
        for query in queries.captured_queries:
            print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:200]}")
    return len(queries)


def explain(client: Client, url: str) -> None:
    """LENDING_BENCH_EXPLAIN=1: EXPLAIN ANALYZE the slowest query of ``url``."""
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    reads = [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("SELECT", "WITH", "("))]
    slowest = max(reads, key=lambda q: float(q["time"]))
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ANALYZE {slowest['sql']}")
        print(f"--- {url}\n" + "\n".join(row[0] for row in cursor.fetchall()), flush=True)


def _sql_share_ms(client: Client, urls: list[str]) -> float:
    """The median time a page spends in its queries (as the database driver reports them)."""
    spent = []
    for url in itertools.islice(itertools.cycle(urls), 14):
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        spent.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
    return statistics.median(spent)


def _median_ms(client: Client, urls: list[str], *, cold: bool = False) -> float:
    """``cold``: each request with an empty cache (the queue's count computed afresh)."""
    for url in urls[:3]:
        client.get(url)  # warm-up
    samples = []
    for url in itertools.islice(itertools.cycle(urls), REQUESTS):
        if cold:
            cache.clear()
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def measure(client: Client, label: str, urls: list[str], note: str) -> None:
    if os.environ.get("LENDING_BENCH_EXPLAIN"):
        for url in urls:
            explain(client, url)
    for url in urls:
        client.get(url)  # warm: a cold cache (the count) adds one query to the first page of a set of filters
    counts = [_queries(client, url) for url in urls]
    report(
        f"{label}: queries (most of {len(urls)} pages)",
        max(counts),
        "queries",
        min(counts),
        higher_is_better=False,
        note=f"target: the same on every page; counts {sorted(set(counts))}",
    )
    sql = _sql_share_ms(client, urls)
    load = os.getloadavg()[0]
    note = f"{note}; of which SQL {sql:.0f} ms; load average {load:.1f} on {os.cpu_count()} CPUs"
    report(f"{label}: median server time", _median_ms(client, urls), "ms", TARGET_MS, higher_is_better=False, note=note)


def keep_closed_months() -> None:
    """What the nightly ``servicing.roll_rates_keep`` does after the close: count the dashboard's closed months from
    the whole delinquency history once and keep them; the views after it read them (a view never writes)."""
    begin = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        kept = roll_rates_keep(today=timezone.localdate(), actor=None)
    took = (time.perf_counter() - begin) * 1000
    label = "collections dashboard: closed months kept (nightly task)" if kept else "closed months: already kept"
    print(f"{label:<58} {took:>14,.3f} ms ({len(queries)} queries)")


def main() -> None:
    if not is_postgres():
        print("collections: skipped, the seeder needs PostgreSQL (`make bench` starts one)")
        return
    scale = ensure_portfolio()
    try:
        with transaction.atomic():
            manager = user_create(
                actor=None, email="bench-collections-manager@lending.test", password=None, role_names=(roles.MANAGER,)
            )
            print("making 8 % of the portfolio delinquent (rolled back at the end):", flush=True)
            make_delinquent()
            delinquent = LoanAccount.objects.filter(status="active", days_past_due__gt=0).count()
            print(f"loan accounts: {LoanAccount.objects.count():,} (scale {scale:,}); delinquent {delinquent:,}")
            client = Client()
            client.force_login(manager)
            home = _median_ms(client, ["/staff/"])
            print(
                f"{'reference: the staff home page, median':<58} {home:>14,.3f} ms (the machine's baseline)", flush=True
            )
            queue = reverse("collections:queue")
            pages = max(1, delinquent // 50)
            queue_urls = [
                queue,
                f"{queue}?page=2",
                f"{queue}?page={pages // 2}",
                f"{queue}?page={pages}",
                f"{queue}?bucket=60-89",
                f"{queue}?bucket=120%2B&page=3",
                f"{queue}?include_promised=on",
            ]
            measure(client, "collections queue", queue_urls, "first, middle, last pages and filters, 50 rows each")
            cold = _median_ms(client, queue_urls, cold=True)
            note = "every request with an empty cache: the count (cached a minute) read afresh"
            report(
                "collections queue: median server time, cold cache",
                cold,
                "ms",
                TARGET_MS,
                higher_is_better=False,
                note=note,
            )
            dashboard = reverse("collections:dashboard")
            keep_closed_months()
            measure(client, "collections dashboard", [dashboard], "buckets, promises, 6 months of rolls, collectors")
            begin = time.perf_counter()
            response: Any = client.get(reverse("collections:queue-export"))  # a streaming response
            rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
            print(f"{'collections queue CSV export':<58} {rows:>14,} rows in {time.perf_counter() - begin:.2f}s")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
