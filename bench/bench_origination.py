"""Pipeline page and application workspace with 50,000 applications: queries per page and median server time.

Targets (issue "Origination"): a fixed number of queries per page; median under 50 ms. ``LENDING_BENCH_APPLICATIONS``
applications (50,000 by default). Needs PostgreSQL
(`make bench` starts one); on SQLite it still runs but says so.
"""

from __future__ import annotations

import os
import random
import time
from datetime import timedelta
from decimal import Decimal

from bench._django import is_postgres, median_ms, setup

setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._report import report  # noqa: E402
from bench._seed_load import copy_objects, reserve_ids, set_aside  # noqa: E402
from bench._servicing_seed import vacuum_analyze  # noqa: E402
from lending.core import roles  # noqa: E402
from lending.core.models import User  # noqa: E402
from lending.core.services import user_create  # noqa: E402
from origination.models import Application, Borrower, LoanProduct, Status  # noqa: E402

TARGET_APPLICATIONS = int(os.environ.get("LENDING_BENCH_APPLICATIONS", "50000"))  # 50,000: the figure
BATCH = 5_000
SEEDED_TABLES = ("origination_application", "origination_borrower")


def bench_product() -> LoanProduct:
    """The benches' 30-year fixed product, made on first use."""
    product, _ = LoanProduct.objects.get_or_create(
        code="bench-30y",
        defaults={
            "name": "Bench 30y fixed",
            "kind": "mortgage",
            "annual_rate": Decimal("6.5"),
            "term_periods": 360,
            "max_dti": Decimal("43"),
            "max_ltv": Decimal("95"),
            "max_cltv": Decimal("95"),
        },
    )
    return product


def seed() -> None:
    have = Application.objects.count()
    if have >= TARGET_APPLICATIONS:
        return
    product = bench_product()
    officer = User.objects.filter(email="bench-officer@lending.test").first() or user_create(
        actor=None, email="bench-officer@lending.test", password=None, role_names=(roles.LOAN_OFFICER,)
    )
    rng = random.Random(7)
    statuses = [s for s, _ in Status.choices]
    now = timezone.now()
    begin = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # Indexes (four of them trigram GIN) are built once from the rows, not maintained row by row: 80 s -> ~10 s.
        aside = set_aside(cursor, SEEDED_TABLES) if is_postgres() else []
        for index in aside:
            cursor.execute(index.drop_sql())
        for start in range(have, TARGET_APPLICATIONS, BATCH):
            _seed_batch(cursor, product, officer, rng, statuses, now, start)
        cursor.execute(
            "SET CONSTRAINTS ALL IMMEDIATE"
        )  # check the foreign keys now: no index is built over pending checks
        for index in aside:
            for sql in index.rebuild_sql():
                cursor.execute(sql)
    if is_postgres():
        vacuum_analyze(SEEDED_TABLES)  # as autovacuum would have done on a live database
    print(f"applications seeded: {TARGET_APPLICATIONS - have:,} in {time.perf_counter() - begin:.1f}s", flush=True)


def _seed_batch(cursor, product, officer, rng, statuses, now, start: int) -> None:
    """Applications ``start``... of one batch, each with its primary borrower: COPYed with reserved ids on
    PostgreSQL (the ORM's 5,000-row INSERT took most of the time), ``bulk_create`` elsewhere."""
    numbers = range(start, min(start + BATCH, TARGET_APPLICATIONS))
    first_id = reserve_ids(cursor, Application._meta.db_table, len(numbers)) if is_postgres() else None
    apps = [
        Application(
            id=None if first_id is None else first_id + i,
            number=f"B-{n:07d}",
            product=product,
            status=rng.choice(statuses),
            loan_officer=officer,
            purpose="purchase",
            amount_requested=Decimal(rng.randrange(50_000, 900_000)),
            created_at=now - timedelta(minutes=n),
        )
        for i, n in enumerate(numbers)
    ]
    _insert(cursor, Application, apps)
    _insert(
        cursor,
        Borrower,
        [
            Borrower(
                application=a,
                is_primary=True,
                first_name="Pat",
                last_name=f"Borrower{a.number[2:]}",
                email=f"{a.number.lower()}@example.com",
                ssn_last4="6789",
            )
            for a in apps
        ],
    )


def _insert(cursor, model, objects: list) -> None:
    if is_postgres():
        copy_objects(cursor, model, objects, with_ids=model is Application)
    else:
        model.objects.bulk_create(objects)  # sets the ids the borrowers refer to


def measure(client: Client, name: str, url: str) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if os.environ.get("LENDING_BENCH_VERBOSE"):
        for query in queries.captured_queries:
            print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:150]}")
    report(f"{name}: queries per page", len(queries), "queries", 12, higher_is_better=False)
    report(f"{name}: median server time", median_ms(lambda: client.get(url)), "ms", 50, higher_is_better=False)


def main() -> None:
    seed()
    if not is_postgres():
        print("NOTE: running on SQLite; the targets are for PostgreSQL (`make bench` starts one)")
    client = Client()
    client.force_login(User.objects.get(email="bench-officer@lending.test"))
    print(f"applications in the database: {Application.objects.count():,}")
    measure(client, "pipeline (first page)", "/staff/origination/")
    measure(client, "pipeline (page 500)", "/staff/origination/?page=500")
    measure(client, "pipeline (status filter + search)", "/staff/origination/?status=underwriting&q=Borrower0012")
    some = Application.objects.order_by("pk")[TARGET_APPLICATIONS // 2]
    measure(client, "application workspace", f"/staff/origination/applications/{some.pk}/")
    for panel in ("intake", "documents", "underwriting", "compliance", "closing", "communication"):
        measure(client, f"workspace panel: {panel}", f"/staff/origination/applications/{some.pk}/{panel}/panel/")


if __name__ == "__main__":
    main()
