"""The collections queue and dashboard on a 100,000-loan portfolio of which 8,000 are delinquent.

Target (issue 12, Performance): the queue has a constant query count and a median under 50 ms per page; the same
is measured for the dashboard. The portfolio is bench/_servicing_seed.py's (``LENDING_BENCH_LOANS`` loans,
100,000 by default); 8 % of it (loans whose id % 25 is 0 or 1) is made delinquent here, set-based
(bench/_delinquent.py): its last 1 to 5 installments un-paid, aged into the bucket that many missed payments make,
assigned to ten collectors, with contacts, promises and delinquency history for the dashboard. All of that is
rolled back at the end, so the
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

from bench._delinquent import make_delinquent  # noqa: E402
from bench._report import report  # noqa: E402
from bench._servicing_seed import ensure_portfolio  # noqa: E402
from lending.core import roles  # noqa: E402
from lending.core.services import user_create  # noqa: E402
from servicing.models import LoanAccount  # noqa: E402
from servicing.services.roll_rates import roll_rates_keep  # noqa: E402

TARGET_MS = 50
REQUESTS = 40


class Rollback(Exception):
    """Raised to undo the delinquency once measured."""


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
