"""The portfolio and payment history reports on the 100,000-loan book: page time, queries, and CSV export speed.

Targets (issue 14, Performance): each report page under 300 ms median with a constant query count; a full-portfolio
CSV export streams at over 50,000 rows a second in constant memory. The monthly figures are refreshed first when the
database has none (a one-off: ``manage.py refresh_portfolio_months``). Needs PostgreSQL (`make bench` starts one).
"""

from __future__ import annotations

import resource
import statistics
import time

from bench._django import is_postgres, setup

setup()

from django.conf import settings  # noqa: E402

settings.DEBUG = False

from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench._report import report  # noqa: E402
from bench._servicing_seed import ensure_portfolio  # noqa: E402
from lending.core import roles  # noqa: E402
from lending.core.models import User  # noqa: E402
from lending.core.services import user_create  # noqa: E402
from servicing.models import LoanAccount, PortfolioMonth  # noqa: E402
from servicing.services.portfolio_months import portfolio_months_refresh  # noqa: E402

TARGET_MS = 300
TARGET_ROWS_PER_S = 50_000
REQUESTS = 15
EMAIL = "bench-accountant@lending.test"


def _accountant() -> User:
    return User.objects.filter(email=EMAIL).first() or user_create(
        actor=None, email=EMAIL, password=None, role_names=(roles.ACCOUNTING,)
    )


def _median_ms(client: Client, url: str, params: dict[str, str]) -> float:
    response = client.get(url, params)  # warm-up
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        client.get(url, params)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _export(client: Client, url: str, params: dict[str, str]) -> tuple[float, int, float]:
    """(rows a second, rows, how much the process's peak memory grew in MB) of a streamed CSV export."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    response = client.get(url, {**params, "export": "csv"})
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
    elapsed = time.perf_counter() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024  # kB on Linux
    return lines / elapsed, lines, grown


def main() -> None:
    if not is_postgres():
        print("reports: skipped, the seeder needs PostgreSQL (`make bench` starts one)")
        return
    if not LoanAccount.objects.exists():
        ensure_portfolio()
    if not PortfolioMonth.objects.exists():
        start = time.perf_counter()
        months = portfolio_months_refresh(actor=None)
        print(f"monthly figures built: {len(months)} months in {time.perf_counter() - start:.1f} s", flush=True)
    print(f"loan accounts in the database: {LoanAccount.objects.count():,}", flush=True)
    client = Client()
    client.force_login(_accountant())
    pages = [
        ("portfolio report", "reports:portfolio", {}),
        ("portfolio report, one rate band", "reports:portfolio", {"rate_band": "4"}),
        ("payment history report", "reports:payments", {}),
        ("payment history report, ACH in 2025", "reports:payments", {"method": "ach", "date_from": "2025-01-01"}),
    ]
    for label, name, params in pages:
        median, queries = _median_ms(client, reverse(name), params)
        report(
            f"{label}: median server time", median, "ms", TARGET_MS, higher_is_better=False, note=f"{queries} queries"
        )
    rate, rows, peak = _export(client, reverse("reports:portfolio"), {})
    report(
        "portfolio CSV export (every loan)",
        rate,
        "rows/s",
        TARGET_ROWS_PER_S,
        higher_is_better=True,
        note=f"{rows:,} rows, peak memory grew {peak:.1f} MB",
    )


if __name__ == "__main__":
    main()
