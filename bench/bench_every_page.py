"""Every page a user can reach, at portfolio scale: each page's median and p95 server time and its queries.

Target (issue 15, "Pages"): every staff, portal and admin page a median of at most 50 ms and a p95 of at most
100 ms, at 100,000 loans and 50,000 applications. bench_pages times chosen pages; this one finds the pages as users
do: from each user's start pages it follows every link (``<a href>``, and the panels htmx loads, ``hx-get``) of every
page it reaches, breadth first, keeping one URL per route and set of query-string keys (at most ``VARIANTS`` a route),
then times each page ``REQUESTS`` times. The users: a visitor (the public site), a staff user holding every staff
role and the admin (superuser), and a borrower of a seeded loan with five years of payments in the portal. 8 % of
the portfolio is delinquent (bench/_delinquent.py) and the collections dashboard's closed months are kept, as the
nightly close keeps them, so the collections pages have work; the borrower also has three of the seeded
applications (one in processing, one funded, one denied), so the portal's application pages are crawled too. Files
(PDF, CSV) are listed with the time of their one fetch and have no target here (bench_pdfs and bench_statements have
theirs). Read-only: everything runs in a transaction rolled back at the end.

Then every route no link reached is fetched directly, its parameters filled from the database (an admin object
route with a row of its table, a loan's or an application's route with the borrower's loan or an application): a
page it answers is timed as the others; the rest are counted by answer (405: an action that only takes a POST; 403:
refused by design, as an add or delete page of a read-only table; 302: a redirect) and the routes left unmeasured
are listed with the reason.

Server time is the Django test client's request (middleware, view, template) with DEBUG off against the live
database, as bench_pages. ``LENDING_BENCH_REQUESTS`` (default 15) sets the timed requests a page;
``LENDING_BENCH_PAGES_MAX`` (default 900) caps the URLs a user fetches while crawling.
"""

from __future__ import annotations

import os
import time
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from bench._django import is_postgres, setup

setup()

from django.conf import settings  # noqa: E402

settings.DEBUG = False  # time what production runs: no log of every query

from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench._crawl import Page, page_links, project_routes, route_url, variant_key  # noqa: E402
from bench._delinquent import make_delinquent  # noqa: E402
from bench._report import report  # noqa: E402
from bench._seed_history import ensure_history  # noqa: E402
from bench._servicing_seed import PREFIX, ensure_portfolio  # noqa: E402
from bench.bench_collections import keep_closed_months  # noqa: E402
from bench.bench_origination import seed as seed_applications  # noqa: E402
from lending.core import roles  # noqa: E402
from lending.core.models import User  # noqa: E402
from lending.core.services import user_create  # noqa: E402
from origination.models import Application, Status  # noqa: E402
from servicing.models import LoanAccount  # noqa: E402

MEDIAN_MS, P95_MS = 50, 100
REQUESTS = int(os.environ.get("LENDING_BENCH_REQUESTS", "15"))
MAX_FETCHES = int(os.environ.get("LENDING_BENCH_PAGES_MAX", "900"))
VARIANTS = 3  # URLs kept a route: its plain page and up to two filtered or paged ones


class Rollback(Exception):
    """Raised to undo the users, sessions and delinquency once measured."""


def _get(client: Client, url: str) -> Any:
    response: Any = client.get(url)  # a streaming response has no .content
    if response.streaming:
        b"".join(response.streaming_content)  # a streamed file costs its whole body
    return response


def crawl(user: str, client: Client, starts: list[str], budget: int) -> list[Page]:
    """Breadth first from ``starts``: every page reached (at most ``VARIANTS`` a route), fetched once."""
    queue = deque(starts)
    kept: dict[tuple[str, tuple[str, ...]], None] = {}
    per_route: dict[str, int] = {}
    pages: list[Page] = []
    while queue and len(pages) < budget:
        url = queue.popleft()
        key = variant_key(url)
        if key is None or key in kept or per_route.get(key[0], 0) >= VARIANTS:
            continue
        kept[key] = None
        per_route[key[0]] = per_route.get(key[0], 0) + 1
        start = time.perf_counter()
        response = _get(client, url)
        took = (time.perf_counter() - start) * 1000
        content_type = response.get("Content-Type", "")
        pages.append(Page(user, url, key[0], response.status_code, content_type, wall_ms=[took]))
        if response.status_code == 200 and content_type.startswith("text/html"):
            queue.extend(page_links(response.content.decode(), urlsplit(url).path))
    return pages


def measure(client: Client, page: Page) -> None:
    """A page's queries, then ``REQUESTS`` timed requests after two to warm up; a file keeps its one crawl fetch."""
    if not page.is_html:
        return
    reset_queries()  # the log keeps 9,000 queries: once full, a capture would count none
    with CaptureQueriesContext(connection) as queries:
        _get(client, page.url)
    page.queries = len(queries)
    _get(client, page.url)  # warm-up: templates compiled, caches filled
    page.wall_ms = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        _get(client, page.url)
        page.wall_ms.append((time.perf_counter() - start) * 1000)


def _bench_loan() -> LoanAccount:
    """A borrower's loan with the seeded five years of history (the oldest seeded loans have the most)."""
    return LoanAccount.objects.filter(loan_number__startswith=f"{PREFIX}-", borrower__isnull=False).order_by("pk")[50]


def _give_applications(loan: LoanAccount) -> None:
    """Three seeded applications become the borrower's (processing, funded, denied): the portal lists them."""
    for status in (Status.PROCESSING, Status.FUNDED, Status.DENIED):
        pks = Application.objects.filter(status=status, applicant__isnull=True).values_list("pk", flat=True)[:1]
        Application.objects.filter(pk__in=list(pks)).update(applicant=loan.borrower)


def _users(loan: LoanAccount) -> list[tuple[str, Client, list[str]]]:
    staff = user_create(actor=None, email="bench-every-page@lending.test", password=None, role_names=roles.STAFF_ROLES)
    User.objects.filter(pk=staff.pk).update(is_staff=True, is_superuser=True)
    staff_client = Client()
    staff_client.force_login(User.objects.get(pk=staff.pk))
    assert loan.borrower is not None, "seeded loans have a borrower"
    borrower_client = Client()
    borrower_client.force_login(loan.borrower)
    return [
        ("visitor", Client(), ["/"]),
        ("staff", staff_client, ["/staff/", "/admin/"]),
        ("borrower", borrower_client, ["/portal/"]),
    ]


def direct(clients: dict[str, Client], routes: list[str], loan: LoanAccount) -> tuple[list[Page], list[str]]:
    """Each route no link reached, fetched once at a URL filled from the database (``route_url``); a route no row
    can fill is left out, with the reason."""
    application = Application.objects.filter(applicant=loan.borrower).values_list("pk", flat=True).first()
    ids = {"loan": loan.pk, "application": application}
    pages, left = [], []
    for route in routes:
        url, reason = route_url(route, ids)
        if url is None:
            left.append(f"{route or '/'}: {reason}")
            continue
        user = "borrower" if route.startswith("portal/") else "visitor" if route.startswith("apply/") else "staff"
        start = time.perf_counter()
        response = _get(clients[user], url)
        took = (time.perf_counter() - start) * 1000
        pages.append(Page(user, url, route, response.status_code, response.get("Content-Type", ""), wall_ms=[took]))
    return pages, left


def _print_pages(pages: list[Page]) -> None:
    print(f"  {'median':>8} {'p95':>8} {'queries':>7}  user      url", flush=True)
    for page in sorted(pages, key=lambda p: -p.median):
        flag = "  OVER" if page.is_html and (page.median > MEDIAN_MS or page.p95 > P95_MS) else ""
        kind = "" if page.is_html else f"  [{page.content_type.split(';')[0]}]"
        print(
            f"  {page.median:8.1f} {page.p95:8.1f} {page.queries:7d}  {page.user:<9} {page.url[:110]}{kind}{flag}",
            flush=True,
        )


def _report(pages: list[Page], refused: list[Page], direct_pages: list[Page], left: list[str], routes: set[str]):
    html = [p for p in pages if p.is_html]
    over = [p for p in html if p.median > MEDIAN_MS or p.p95 > P95_MS]
    slowest = max(html, key=lambda p: p.median)
    slowest_p95 = max(html, key=lambda p: p.p95)
    report(
        "every page: pages over 50 ms median or 100 ms p95",
        len(over),
        "pages",
        0,
        higher_is_better=False,
        note=f"of {len(html)} pages on {len({p.route for p in html})} routes, {REQUESTS} requests each",
    )
    report("every page: slowest median", slowest.median, "ms", MEDIAN_MS, higher_is_better=False, note=slowest.url)
    report("every page: slowest p95", slowest_p95.p95, "ms", P95_MS, higher_is_better=False, note=slowest_p95.url)
    report(
        "every page: links answered other than 200",
        len(refused),
        "links",
        0,
        higher_is_better=False,
        note="; ".join(f"{p.status} {p.user} {p.url}" for p in refused[:8]) or "none",
    )
    linked = {p.route for p in pages if p not in direct_pages} | {p.route for p in refused}
    answers: dict[str, list[str]] = {}
    for page in direct_pages:
        answers.setdefault(f"{page.status} {page.content_type.split(';')[0]}", []).append(page.route)
    print(f"routes: {len(routes)}; reached by a link {len(linked)}; fetched directly {len(direct_pages)}, answering:")
    for answer, answered in sorted(answers.items()):
        print(f"  {answer}: {len(answered)}")
        if not answer.startswith(("200 text/html", "405", "403")):
            for route in answered:
                print(f"    {route}")
    print(f"not fetched ({len(left)}):")
    for line in left:
        print(f"    {line}")


def main() -> None:
    if not is_postgres():
        print("every page: skipped, the seeders need PostgreSQL (`make bench` starts one)")
        return
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    ensure_portfolio()
    seed_applications()
    ensure_history()  # the bills, accruals, statements, drafts and fees a book of that age has (once a database)
    try:
        with transaction.atomic():
            print("making 8 % of the portfolio delinquent (rolled back at the end):", flush=True)
            make_delinquent()
            keep_closed_months()  # as the nightly close does: the collections dashboard reads the closed months
            loan = _bench_loan()
            _give_applications(loan)
            users = _users(loan)
            fetched: list[tuple[Client, Page]] = []
            for user, client, starts in users:
                begin = time.perf_counter()
                found = crawl(user, client, starts, MAX_FETCHES)
                fetched += [(client, page) for page in found]
                print(f"  {user}: {len(found)} URLs in {time.perf_counter() - begin:.1f}s", flush=True)
            routes = project_routes()
            reached = {page.route for _, page in fetched}
            clients = {user: client for user, client, _ in users}
            direct_pages, left = direct(clients, sorted(routes - reached), loan)
            fetched += [(clients[page.user], page) for page in direct_pages]
            measured = [(c, p) for c, p in fetched if p.status == 200]
            refused = [p for _, p in fetched if p.status not in (200, 302) and p not in direct_pages]
            for client, page in measured:
                measure(client, page)
            _print_pages([p for _, p in measured])
            _report([p for _, p in measured], refused, direct_pages, left, routes)
            raise Rollback
    except Rollback:
        pass
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)


if __name__ == "__main__":
    main()
