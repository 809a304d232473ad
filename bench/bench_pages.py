"""Staff list pages, searches and the admin loan screens at portfolio scale: median and p95 server time, queries.

Targets (issue 15, "Pages"): every page a median of at most 50 ms and a p95 of at most 100 ms with a constant
query count, at 100,000 loans and 50,000 applications. The loans come from bench/_servicing_seed.py
(``LENDING_BENCH_LOANS``), the applications from bench/bench_origination.py's seeder
(``LENDING_BENCH_APPLICATIONS``). Server time is the Django test client's request (middleware, view, template)
with DEBUG off against the live database. Needs PostgreSQL (`make bench` starts one).
"""

from __future__ import annotations

import os
import statistics
import time

from bench._django import is_postgres, setup

setup()

from django.conf import settings  # noqa: E402

settings.DEBUG = False  # time what production runs: no log of every query

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench._report import report  # noqa: E402
from bench._servicing_seed import PREFIX, ensure_portfolio  # noqa: E402
from bench.bench_origination import seed as seed_applications  # noqa: E402
from lending.core import roles  # noqa: E402
from lending.core.models import User  # noqa: E402
from lending.core.services import user_create  # noqa: E402
from servicing.models import LoanAccount  # noqa: E402

MEDIAN_MS, P95_MS = 50, 100
REQUESTS = int(os.environ.get("LENDING_BENCH_REQUESTS", "30"))
STAFF_EMAIL = "bench-pages@lending.test"


def _staff() -> User:
    user = User.objects.filter(email=STAFF_EMAIL).first() or user_create(
        actor=None, email=STAFF_EMAIL, password=None, role_names=(roles.SERVICER, roles.LOAN_OFFICER)
    )
    if not user.is_staff:  # the admin site wants is_staff; the screens check the servicing roles
        User.objects.filter(pk=user.pk).update(is_staff=True)
    return User.objects.get(pk=user.pk)


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if os.environ.get("LENDING_BENCH_VERBOSE"):
        for query in queries.captured_queries:
            print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:160]}")
    return len(queries)


def _times_ms(client: Client, url: str) -> tuple[list[float], list[float]]:
    """Wall time per request, and this process's CPU time (Python and templates, not the database's work): on a
    busy machine the CPU time says what the page costs when the wall time mostly waits for a core."""
    for _ in range(3):  # warm-up: templates compiled, connection open, caches filled
        client.get(url)
    wall, cpu = [], []
    for _ in range(REQUESTS):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return wall, cpu


def measure(client: Client, label: str, url: str) -> None:
    queries = _queries(client, url)
    wall, cpu = _times_ms(client, url)
    samples = sorted(wall)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    note = f"{queries} queries, {REQUESTS} requests, median Python CPU {statistics.median(cpu):.1f} ms"
    report(f"{label}: median", statistics.median(samples), "ms", MEDIAN_MS, higher_is_better=False, note=note)
    report(f"{label}: p95", p95, "ms", P95_MS, higher_is_better=False)


def main() -> None:
    if not is_postgres():
        print("pages: skipped, the seeders need PostgreSQL (`make bench` starts one)")
        return
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    ensure_portfolio()
    seed_applications()
    client = Client()
    client.force_login(_staff())
    loan = LoanAccount.objects.filter(loan_number__startswith=f"{PREFIX}-").order_by("pk")[50]
    total = LoanAccount.objects.count()
    # A deep admin page by number: past the 5,000 rows the admin's pages show (50 a page), CappedPaginator
    # answers with the last page shown; below that, a page past the end would be an error.
    deep = max(1, total // 100)
    print(f"loan accounts: {total:,}", flush=True)
    pages = (
        ("servicing loan list", "/staff/servicing/"),
        ("servicing loan list, page 1000", "/staff/servicing/?page=1000"),
        ("servicing search q=BL-00050", "/staff/servicing/?q=BL-00050"),
        ("servicing search by name", f"/staff/servicing/?q={loan.borrower_name.split()[-1]}"),
        ("servicing search by email", f"/staff/servicing/?q={loan.borrower.email if loan.borrower else ''}"),
        ("admin loan changelist", "/admin/servicing/loanaccount/"),
        (f"admin loan changelist, page {deep}", f"/admin/servicing/loanaccount/?p={deep}"),
        ("admin loan search", f"/admin/servicing/loanaccount/?q={loan.loan_number}"),
        ("admin search + product filter", f"/admin/servicing/loanaccount/?q=BL-00050&product_code={loan.product_code}"),
        ("admin loan change page", f"/admin/servicing/loanaccount/{loan.pk}/change/"),
        ("pipeline, page 1", "/staff/origination/"),
        ("pipeline, page 1000", "/staff/origination/?page=1000"),
        ("pipeline, status filter + search", "/staff/origination/?status=underwriting&q=Borrower0012"),
    )
    only = os.environ.get("LENDING_BENCH_PAGES", "")
    for label, url in pages:
        if only and only not in label:
            continue
        measure(client, label, url)
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)


if __name__ == "__main__":
    main()
