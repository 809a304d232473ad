"""Staff loan page and borrower portal loan page on a portfolio with 5 years of history: server time and queries.

Targets (issue "Servicing", Performance): with 100,000 loans and 5 years of history each, a constant query count
(a loan with 60 payments issues no more queries than one with a single payment) and a median under 50 ms.
The portfolio comes from bench/_servicing_seed.py (``LENDING_BENCH_LOANS`` loans, 100,000 by default). Server
time is the Django test client's request (middleware, view, template) against the live database, median over
requests for random loans after a warm-up. Needs PostgreSQL (`make bench` starts one).
"""

from __future__ import annotations

import itertools
import os
import random
import statistics
import time

from bench._django import is_postgres, setup

setup()

from django.conf import settings  # noqa: E402

# Time what production runs: DEBUG off (Django keeps no log of every query).
settings.DEBUG = False

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from bench._report import report  # noqa: E402
from bench._servicing_seed import PREFIX, YOUNG_PREFIX, ensure_portfolio  # noqa: E402
from lending.core import roles  # noqa: E402
from lending.core.models import User  # noqa: E402
from lending.core.services import user_create  # noqa: E402
from servicing.models import LoanAccount  # noqa: E402

TARGET_MS = 50
SAMPLE_LOANS = 40  # random loans a page is timed on
REQUESTS = 60
SERVICER_EMAIL = "bench-servicer@lending.test"


def _servicer() -> User:
    return User.objects.filter(email=SERVICER_EMAIL).first() or user_create(
        actor=None, email=SERVICER_EMAIL, password=None, role_names=(roles.SERVICER,)
    )


def _sample(prefix: str, count: int, rng: random.Random) -> list[LoanAccount]:
    """``count`` random loans numbered ``<prefix>-...`` (by primary key range, not ORDER BY random())."""
    bounds = LoanAccount.objects.filter(loan_number__startswith=f"{prefix}-").order_by("pk")
    low, high = bounds.values_list("pk", flat=True).first(), bounds.reverse().values_list("pk", flat=True).first()
    assert low is not None, f"no {prefix}- loans: seed the portfolio first"
    assert high is not None
    picks = {rng.randint(low, high) for _ in range(count * 2)}
    return list(LoanAccount.objects.filter(pk__in=picks, loan_number__startswith=f"{prefix}-")[:count])


def _url(name: str, loan: LoanAccount) -> str | None:
    try:
        return reverse(name, args=[loan.pk])
    except NoReverseMatch:
        return None


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if os.environ.get("LENDING_BENCH_VERBOSE"):
        for query in queries.captured_queries:
            print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:160]}")
    return len(queries)


def _median_ms(requests: list[tuple[Client, str]]) -> float:
    for client, url in requests[:5]:  # warm-up: templates compiled, connections open, caches filled
        client.get(url)
    # Each test client builds its own middleware chain on its first request (WhiteNoise alone scans every static
    # file: ~0.25 s), which a server does once per worker: every client is warmed before the clock, or the
    # portal's one-client-per-borrower timings held 35 such loads in 60 requests (median 92 ms, against ~50).
    for client, url in {id(client): (client, url) for client, url in requests}.values():
        client.get(url)
    samples = []
    for client, url in itertools.islice(itertools.cycle(requests), REQUESTS):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def measure(label: str, name: str, loans: list[LoanAccount], young: LoanAccount, client_for) -> None:
    if _url(name, young) is None:
        print(f"{label}: not available yet (url {name!r} does not resolve)", flush=True)
        return
    few = _queries(client_for(young), reverse(name, args=[young.pk]))
    many = _queries(client_for(loans[0]), reverse(name, args=[loans[0].pk]))
    report(
        f"{label}: queries, 60 payments",
        many,
        "queries",
        few,
        higher_is_better=False,
        note=f"target: the count for a loan with 1 payment ({few})",
    )
    requests = [(client_for(loan), reverse(name, args=[loan.pk])) for loan in loans]
    report(
        f"{label}: median server time",
        _median_ms(requests),
        "ms",
        TARGET_MS,
        higher_is_better=False,
        note=f"{REQUESTS} requests over {len(loans)} random loans",
    )


def main() -> None:
    if not is_postgres():
        print("servicing pages: skipped, the seeder needs PostgreSQL (`make bench` starts one)")
        return
    scale = ensure_portfolio()
    rng = random.Random(11)
    loans = _sample(PREFIX, SAMPLE_LOANS, rng)
    young = LoanAccount.objects.filter(loan_number__startswith=f"{YOUNG_PREFIX}-").order_by("pk").first()
    assert young is not None, "the seeder makes the young loans"
    print(f"loan accounts in the database: {LoanAccount.objects.count():,} (scale {scale:,})", flush=True)

    staff = Client()
    staff.force_login(_servicer())
    measure("staff loan page", "servicing:loan-detail", loans, young, lambda loan: staff)

    borrowers: dict[int, Client] = {}

    def borrower_client(loan: LoanAccount) -> Client:
        if loan.pk not in borrowers:
            borrowers[loan.pk] = Client()
            assert loan.borrower is not None, "seeded loans have a borrower"
            borrowers[loan.pk].force_login(loan.borrower)
        return borrowers[loan.pk]

    measure("portal loan page", "servicing_portal:loan-detail", loans, young, borrower_client)


if __name__ == "__main__":
    main()
