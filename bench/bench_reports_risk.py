"""The delinquency and pipeline reports on 100,000 loans and 50,000 applications.

Target (issue 14, Performance): each report page under 300 ms median with a constant query count. The loans are
bench/_servicing_seed.py's portfolio; here, set-based and rolled back at the end: twelve months of its month-end
tape (90 % current, the rest spread over the buckets) and the tape's counts, 50,000 applications over the last
330 days with their transition logs (funded ones with eight steps and a funding, denied and withdrawn ones with
their step out; each step records when its stay began and the stay it ended, as the workflow does, so the time
in each state has its 256,250 stays to measure), and 80,000 leads, half of them converted, a quarter referred by
one of 30 partners.
Needs PostgreSQL (`make bench` starts one).
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta

from bench._django import is_postgres, setup

setup()

from django.conf import settings  # noqa: E402

settings.DEBUG = False  # time what production runs

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._report import report  # noqa: E402
from bench._servicing_seed import ensure_portfolio  # noqa: E402
from bench.bench_origination import bench_product  # noqa: E402
from lending.core import roles  # noqa: E402
from lending.core.services import user_create  # noqa: E402
from origination.models import LoanProduct  # noqa: E402

TARGET_MS = 300
REQUESTS = 15
APPLICATIONS = 50_000
LEADS = 80_000

TAPE = """
INSERT INTO servicing_loanmonthend (month, as_of, loan_id, product_code, bucket, days_past_due, principal_balance,
    bucket_before, principal_before)
SELECT m.month, (m.month + interval '1 month' - interval '1 day')::date, l.id, l.product_code, b.bucket, 0,
    l.principal_balance, pb.bucket, l.principal_balance
FROM servicing_loanaccount l
CROSS JOIN (SELECT (date_trunc('month', %(today)s::date) - make_interval(months => k))::date AS month, k
            FROM generate_series(1, 12) k) m
CROSS JOIN LATERAL (SELECT CASE WHEN (l.id * 7 + m.k * 13) %% 100 < 90 THEN 'current'
    ELSE (ARRAY['1-29', '30-59', '60-89', '90-119', '120+'])[1 + ((l.id + m.k) %% 5)] END AS bucket) b
CROSS JOIN LATERAL (SELECT CASE WHEN (l.id * 7 + (m.k + 1) * 13) %% 100 < 90 THEN 'current'
    ELSE (ARRAY['1-29', '30-59', '60-89', '90-119', '120+'])[1 + ((l.id + m.k + 1) %% 5)] END AS bucket) pb
"""
TAPE_COUNTS = """
INSERT INTO servicing_loanmonthendcount (month, product_code, bucket_before, bucket, loans, principal_before,
    principal_balance)
SELECT month, product_code, bucket_before, bucket, COUNT(*), SUM(principal_before), SUM(principal_balance)
FROM servicing_loanmonthend GROUP BY 1, 2, 3, 4
"""
APPLICATIONS_SQL = """
INSERT INTO origination_application (number, status, purpose, declarations, intake_step, created_at, updated_at,
    product_id, status_changed_at, application_date, amount_requested, loan_officer_id)
SELECT 'BENCH-R-' || g, (ARRAY['funded', 'funded', 'funded', 'denied', 'withdrawn', 'processing', 'underwriting',
    'approved'])[1 + g %% 8], 'purchase', '{}', '', %(start)s::timestamptz + (g %% 330) * interval '1 day', now(),
    %(product)s, now(), %(start)s::date + (g %% 330), 200000 + (g %% 100) * 1000, (%(officers)s::bigint[])[1 + g %% 20]
FROM generate_series(1, %(n)s::int) g
"""
TRANSITIONS = """
INSERT INTO origination_transitionlog (application_id, transition, from_status, to_status, note, created_at,
    entered_at)
SELECT a.id, s.to_s, s.from_s, s.to_s, '', a.created_at + (s.k * 2 + a.id %% 3) * interval '1 day',
    CASE WHEN s.k = 1 THEN a.created_at ELSE a.created_at + ((s.k - 1) * 2 + a.id %% 3) * interval '1 day' END
FROM origination_application a
JOIN (VALUES (1, 'draft', 'submitted'), (2, 'submitted', 'processing'), (3, 'processing', 'underwriting'),
    (4, 'underwriting', 'approved'), (5, 'approved', 'clear_to_close'), (6, 'clear_to_close', 'closing'),
    (7, 'closing', 'closed'), (8, 'closed', 'funded'), (4, 'underwriting', 'denied'), (4, 'underwriting', 'withdrawn'))
    AS s(k, from_s, to_s)
  ON (s.to_s NOT IN ('denied', 'withdrawn') AND (a.status = 'funded' OR (a.status = 'processing' AND s.k <= 2)
    OR (a.status = 'underwriting' AND s.k <= 3) OR (a.status = 'approved' AND s.k <= 4)))
    OR (a.status IN ('denied', 'withdrawn') AND (s.k <= 3 OR s.to_s = a.status))
WHERE a.number LIKE 'BENCH-R-%%'
"""
# The stay each step ended, as the workflow writes it with the step (origination.services.workflow.stay_record).
STAYS = """
INSERT INTO origination_applicationstay (step_id, application_id, state, length_us)
SELECT t.id, t.application_id, t.from_status, (EXTRACT(EPOCH FROM t.created_at - t.entered_at) * 1000000)::bigint
FROM origination_transitionlog t JOIN origination_application a ON a.id = t.application_id
WHERE a.number LIKE 'BENCH-R-%%'
"""
FUNDINGS = """
INSERT INTO origination_funding (application_id, loan_amount, disbursed_amount, funded_on, wire_reference,
    created_at, funded_by_id, method)
SELECT id, amount_requested, amount_requested, application_date + (20 + id %% 7)::int, 'W', now(), %(closer)s, 'wire'
FROM origination_application WHERE number LIKE 'BENCH-R-%%' AND status = 'funded'
"""
LEAD_SQL = (
    """INSERT INTO crm_leadsource (code, name, is_active)
    SELECT 'bench-r-' || g, 'Bench source ' || g, true FROM generate_series(1, 6) g""",
    """INSERT INTO crm_referralpartner (kind, name, company, email, phone, is_active, created_at)
    SELECT 'agent', 'Bench agent ' || g, '', '', '', true, now() FROM generate_series(1, 30) g""",
    """INSERT INTO crm_contact (first_name, last_name, email, email_normalized, phone, phone_normalized,
        consent_to_contact, consent_source, created_at, updated_at)
    SELECT 'Bench', 'Lead ' || g, 'bench-r-' || g || '@lead.test', 'bench-r-' || g || '@lead.test', '', '', false,
        '', now(), now() FROM generate_series(1, %(n)s::int) g""",
    """INSERT INTO crm_lead (contact_id, stage, lost_reason, source_id, campaign_code, purpose, message, created_at,
        updated_at, stage_changed_at, application_id, referral_partner_id, officer_id)
    SELECT c.id, CASE WHEN c.rn <= %(converted)s THEN 'application' ELSE 'new' END, '',
        (SELECT min(id) FROM crm_leadsource WHERE code LIKE 'bench-r-%%') + c.rn %% 6, '', '', '',
        %(start)s::timestamptz + (c.rn %% 330) * interval '1 day', now(), now(),
        CASE WHEN c.rn <= %(converted)s THEN (SELECT min(id) FROM origination_application
            WHERE number LIKE 'BENCH-R-%%') + c.rn - 1 END,
        CASE WHEN c.rn %% 4 = 0 THEN (SELECT min(id) FROM crm_referralpartner WHERE name LIKE 'Bench agent %%')
            + c.rn %% 30 END,
        (%(officers)s::bigint[])[1 + c.rn %% 20]
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM crm_contact
          WHERE email LIKE 'bench-r-%%@lead.test') c""",
)


class Rollback(Exception):
    pass


def seed(today, officers: list[int], closer: int, product: int) -> None:
    start = today - timedelta(days=335)
    steps = [
        ("the month-end tape, 12 months", TAPE, {"today": today}),
        ("its counts", TAPE_COUNTS, {}),
        (
            "applications",
            APPLICATIONS_SQL,
            {"start": start, "product": product, "officers": officers, "n": APPLICATIONS},
        ),
        ("transition logs", TRANSITIONS, {}),
        ("their stays", STAYS, {}),
        ("fundings", FUNDINGS, {"closer": closer}),
    ]
    lead_params = {"n": LEADS, "converted": APPLICATIONS * 4 // 5, "start": start, "officers": officers}
    steps += [("leads", sql, lead_params) for sql in LEAD_SQL]
    with connection.cursor() as cursor:
        for label, sql, params in steps:
            begin = time.perf_counter()
            cursor.execute(sql, params)
            print(f"  {label}: {cursor.rowcount:,} rows in {time.perf_counter() - begin:.1f}s", flush=True)
        cursor.execute("ANALYZE")


def measure(client: Client, label: str, urls: list[str]) -> None:
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        counts.append(len(queries))
    report(
        f"{label}: queries", max(counts), "queries", min(counts), higher_is_better=False, note=f"{sorted(set(counts))}"
    )
    samples = []
    for i in range(REQUESTS):
        begin = time.perf_counter()
        client.get(urls[i % len(urls)])
        samples.append((time.perf_counter() - begin) * 1000)
    report(f"{label}: median server time", statistics.median(samples), "ms", TARGET_MS, higher_is_better=False)


def main() -> None:
    if not is_postgres():
        print("reports (delinquency, pipeline): skipped, the seeder needs PostgreSQL (`make bench` starts one)")
        return
    ensure_portfolio()
    today = timezone.localdate()
    try:
        with transaction.atomic():
            # Alone (`--bench reports_risk`) the database has no product yet: the origination bench's one, rolled back.
            product = LoanProduct.objects.order_by("pk").values_list("pk", flat=True).first() or bench_product().pk
            manager = user_create(
                actor=None, email="bench-reports-manager@lending.test", password=None, role_names=(roles.MANAGER,)
            )
            closer = user_create(
                actor=None, email="bench-reports-closer@lending.test", password=None, role_names=(roles.CLOSER,)
            )
            officers = [
                user_create(
                    actor=None,
                    email=f"bench-reports-lo{i}@lending.test",
                    password=None,
                    role_names=(roles.LOAN_OFFICER,),
                ).pk
                for i in range(20)
            ]
            print("seeding the tape, applications and leads (rolled back at the end):", flush=True)
            seed(today, officers, closer.pk, product)
            client = Client()
            client.force_login(manager)
            delinquency = reverse("reports:delinquency")
            measure(
                client, "delinquency report", [delinquency, f"{delinquency}?months=12", f"{delinquency}?bucket=30-59"]
            )
            pipeline = reverse("reports:pipeline")
            year = f"date_from={today - timedelta(days=364)}&date_to={today}"
            measure(client, "pipeline report", [pipeline, f"{pipeline}?{year}", f"{pipeline}?officer={officers[3]}"])
            if os.environ.get("LENDING_BENCH_VERBOSE"):
                with CaptureQueriesContext(connection) as queries:
                    client.get(f"{pipeline}?{year}")
                for query in queries.captured_queries:
                    print(f"    {float(query['time']) * 1000:7.1f} ms  {query['sql'][:160]}")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
