"""The CRM lead list and board with 200,000 leads: queries per page and median server time.

Targets (issue 13 "Performance"): a constant query count and a median under 100 ms. Needs PostgreSQL
(`make bench` starts one); on SQLite it still runs but says so. BENCH_CRM_LEADS sets a smaller count for a try.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta

from bench._django import is_postgres, median_ms, setup

setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._report import report  # noqa: E402
from bench._servicing_seed import vacuum_analyze  # noqa: E402
from crm.models import Contact, Lead, LeadSource, ReferralPartner, Stage  # noqa: E402
from lending.core import roles  # noqa: E402
from lending.core.models import User  # noqa: E402
from lending.core.services import user_create  # noqa: E402

TARGET_LEADS = int(os.environ.get("BENCH_CRM_LEADS", "200000"))
BATCH = 10_000
OFFICERS = 10


def _user(email: str, role: str) -> User:
    return User.objects.filter(email=email).first() or user_create(
        actor=None, email=email, password=None, role_names=(role,)
    )


def seed() -> None:
    officers = [_user(f"bench-crm-officer{n}@lending.test", roles.LOAN_OFFICER) for n in range(OFFICERS)]
    _user("bench-crm-manager@lending.test", roles.MANAGER)
    have = Lead.objects.filter(source__code="bench").count()
    if have >= TARGET_LEADS:
        return
    source, _ = LeadSource.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    partner = ReferralPartner.objects.filter(name="Bench Agent").first() or ReferralPartner.objects.create(
        kind="agent", name="Bench Agent", email="bench-agent@realty.test"
    )
    rng = random.Random(13)
    stages = [s for s in Stage.values if s not in (Stage.APPLICATION, Stage.WON)]  # those need an application
    now = timezone.now()
    for start in range(have, TARGET_LEADS, BATCH):
        with transaction.atomic():
            contacts = Contact.objects.bulk_create(
                Contact(
                    first_name="Pat",
                    last_name=f"Lead{n:07d}",
                    email=f"bench-lead{n}@example.com",
                    email_normalized=f"bench-lead{n}@example.com",
                )
                for n in range(start, min(start + BATCH, TARGET_LEADS))
            )
            leads = []
            for n, contact in enumerate(contacts, start=start):
                stage = rng.choice(stages)
                leads.append(
                    Lead(
                        contact=contact,
                        stage=stage,
                        lost_reason="Bench" if stage == Stage.LOST else "",
                        source=source,
                        officer=officers[n % OFFICERS],
                        referral_partner=partner if n % 7 == 0 else None,
                        created_at=now - timedelta(minutes=n),
                    )
                )
            Lead.objects.bulk_create(leads)
    if is_postgres():
        # A real database's leads are long since vacuumed (autovacuum): the later benches (the pipeline report's
        # funnel) read them from the visibility map and the indexes alone, as they would there.
        vacuum_analyze((Contact._meta.db_table, Lead._meta.db_table))


def measure(client: Client, name: str, url: str, *, max_queries: int = 12) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if os.environ.get("LENDING_BENCH_VERBOSE"):
        for query in queries.captured_queries:
            print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:150]}")
    report(f"{name}: queries per page", len(queries), "queries", max_queries, higher_is_better=False)
    report(f"{name}: median server time", median_ms(lambda: client.get(url)), "ms", 100, higher_is_better=False)


def main() -> None:
    seed()
    if not is_postgres():
        print("NOTE: running on SQLite; the targets are for PostgreSQL (`make bench` starts one)")
    print(f"leads in the database: {Lead.objects.count():,}")
    manager, officer = Client(), Client()
    manager.force_login(User.objects.get(email="bench-crm-manager@lending.test"))
    officer.force_login(User.objects.get(email="bench-crm-officer3@lending.test"))
    measure(manager, "lead list, manager (first page)", "/staff/crm/leads/")
    measure(manager, "lead list, manager (page 1000)", "/staff/crm/leads/?page=1000")
    measure(manager, "lead list, manager (stage filter)", "/staff/crm/leads/?stage=contacted")
    measure(officer, "lead list, one officer (first page)", "/staff/crm/leads/")
    # The board reads each stage's newest cards on the (stage, created) index: one query per stage, so 15.
    measure(manager, "board, manager", "/staff/crm/board/", max_queries=15)
    measure(officer, "board, one officer", "/staff/crm/board/", max_queries=15)


if __name__ == "__main__":
    main()
