# ruff: noqa: S608 -- the SQL is this module's constant text; every value is a bound parameter
"""8 % of the bench portfolio made delinquent, set-based (bench_collections rolls it back; bench_load undoes it).

The loans whose id % 25 is 0 or 1: their last 1 to 5 installments un-paid, aged into the bucket that many missed
payments make, assigned to ten collectors, with contacts, promises and delinquency history. The payments and the
journal are left as seeded: a fixture for the collections pages, never a ledger to verify.

bench_collections makes it inside a transaction it rolls back. bench_load's gunicorn reads it on connections of
its own, so it is committed there and undone after the run (``delinquent_undo``): the rows it changes are saved
first (``bench_delinquent_*`` tables), the rows it inserts are deleted, so the benchmarks after it (and the next
run) see the seeded portfolio as it was. A run that died before undoing is undone by the next one first.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bench._servicing_seed import HISTORY_MONTHS, PREFIX
from lending.core import roles
from lending.core.models import User
from lending.core.services import user_create

COLLECTORS = 10
# The delinquent loans: id % 25 in (0, 1) is 8 % of the portfolio; m = 1 + (id / 25) % 5 payments missed.
DELINQUENT = f"""
    SELECT id, (1 + (id / 25) %% 5)::int AS missed FROM servicing_loanaccount
    WHERE loan_number LIKE '{PREFIX}-%%' AND id %% 25 IN (0, 1)
"""
MISSED_INSTALLMENTS = f"""
    ({DELINQUENT}) d WHERE i.loan_id = d.id AND i.number > %(months)s - d.missed AND i.number <= %(months)s
"""
STATEMENTS = (
    (
        "un-pay the missed installments",
        f"""UPDATE servicing_installment i SET paid_principal = 0, paid_interest = 0, paid_escrow = 0, paid_on = NULL
        FROM {MISSED_INSTALLMENTS}""",
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
# The tables the statements write, as the nightly run's autovacuum would have analysed them by morning.
WRITTEN = (
    "servicing_installment",
    "servicing_loanaccount",
    "servicing_promisetopay",
    "servicing_delinquencyhistory",
    "servicing_contactattempt",
)
INSERTED = ("servicing_delinquencyhistory", "servicing_contactattempt", "servicing_promisetopay")
# What the statements change, saved before (bench_load): the installments un-paid and the loans aged.
SAVE = (
    f"""CREATE TABLE bench_delinquent_installments AS
        SELECT i.id, i.paid_principal, i.paid_interest, i.paid_escrow, i.paid_on FROM servicing_installment i,
        {MISSED_INSTALLMENTS}""",
    f"""CREATE TABLE bench_delinquent_loans AS
        SELECT l.id, l.days_past_due, l.delinquency_bucket, l.delinquency_status, l.delinquency_as_of,
            l.amount_to_bring_current, l.collector_id
        FROM servicing_loanaccount l JOIN ({DELINQUENT}) d ON l.id = d.id""",
    "CREATE TABLE bench_delinquent_inserted (name text PRIMARY KEY, after bigint, upto bigint)",
)
RESTORE = (
    """UPDATE servicing_installment i SET paid_principal = s.paid_principal, paid_interest = s.paid_interest,
        paid_escrow = s.paid_escrow, paid_on = s.paid_on FROM bench_delinquent_installments s WHERE i.id = s.id""",
    """UPDATE servicing_loanaccount l SET days_past_due = s.days_past_due, delinquency_bucket = s.delinquency_bucket,
        delinquency_status = s.delinquency_status, delinquency_as_of = s.delinquency_as_of,
        amount_to_bring_current = s.amount_to_bring_current, collector_id = s.collector_id
        FROM bench_delinquent_loans s WHERE l.id = s.id""",
    "DROP TABLE bench_delinquent_installments, bench_delinquent_loans, bench_delinquent_inserted",
)


def collectors() -> list[int]:
    """The ten bench collectors' ids (made once; bench_load's database keeps them from one run to the next)."""
    ids = []
    for n in range(COLLECTORS):
        email = f"bench-collector-{n}@lending.test"
        user = User.objects.filter(email=email).first() or user_create(
            actor=None,
            email=email,
            password=None,
            first_name="Collector",
            last_name=str(n),
            role_names=(roles.COLLECTOR,),
        )
        ids.append(user.pk)
    return ids


def make_delinquent() -> None:
    """The statements, in the caller's transaction; each prints its rows and seconds."""
    params: dict[str, Any] = {"months": HISTORY_MONTHS, "today": timezone.localdate(), "now": timezone.now()}
    params["collectors"] = collectors()
    with connection.cursor() as cursor:
        for name, sql in STATEMENTS:
            begin = time.perf_counter()
            cursor.execute(sql, params)
            print(f"  {name}: {cursor.rowcount:,} rows in {time.perf_counter() - begin:.1f}s", flush=True)
        for table in WRITTEN:
            cursor.execute(f"ANALYZE {table}")


def delinquent_commit() -> None:
    """``make_delinquent`` committed, what it changes saved and what it inserts noted, for ``delinquent_undo``."""
    delinquent_undo()  # a run that died before undoing its own
    with transaction.atomic(), connection.cursor() as cursor:
        params = {"months": HISTORY_MONTHS}
        for sql in SAVE:
            cursor.execute(sql, params)
        before = {table: _last_id(cursor, table) for table in INSERTED}
        make_delinquent()
        for table in INSERTED:
            cursor.execute(
                "INSERT INTO bench_delinquent_inserted VALUES (%s, %s, %s)",
                [table, before[table], _last_id(cursor, table)],
            )


def delinquent_undo() -> None:
    """Puts back what ``delinquent_commit`` changed and deletes what it inserted; nothing when there is nothing."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_delinquent_inserted') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return
        cursor.execute("SELECT name, after, upto FROM bench_delinquent_inserted")
        for table, after, upto in cursor.fetchall():
            cursor.execute(f"DELETE FROM {table} WHERE id > %s AND id <= %s", [after, upto])
        for sql in RESTORE:
            cursor.execute(sql)
        for table in WRITTEN:
            cursor.execute(f"ANALYZE {table}")


def _last_id(cursor: Any, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
    return int(cursor.fetchone()[0])
