# ruff: noqa: S608 -- the SQL is assembled from this module's constant fragments; every value is a bound parameter
"""The servicing history of the bench portfolio: the tables that grow with a loan book, which the portfolio seeder
(bench/_servicing_seed.py) leaves empty, filled at the book's volume so that their admin changelists and change
pages (and the loan pages that read them) are measured with the rows a real book has, not with none.

What ``ensure_history`` writes, for the seeded loans (loan numbers ``PREFIX-...``) and their installments due
``HISTORY_LAG_DAYS`` (45) or more days before today (about 59 a loan: 6M at 100,000 loans; the latest is left to
the nights the other benches close), set-based (``INSERT ... SELECT`` over the installments, the loans and
``generate_series``, never the ORM row by row):

- ``BillingRecord`` and ``InterestAccrual``: one a past installment, as the close of business on its due date
  would have billed and accrued it (the installment's amounts; nothing past due; the accrual whole-period, its
  income recognised by the payment, so no journal entry);
- ``BorrowerDocument``: each installment's periodic statement, made ``statement_days_before_due`` days ahead and
  mailed in that day's ``PrintBatch`` (the loans have no e-consent: paper). Every row points at one stored PDF
  (``STATEMENT_FILE``, written once), so a download works;
- ``AutopayEnrollment`` for every ``AUTOPAY_EVERY``-th loan (20 %) and its settled draft (``PendingPayment``) of
  each past installment, settled by the installment's seeded ACH payment (``transaction``);
- ``LoanFee``: a late fee on ``1 / LATE_FEE_EVERY`` of the past installments (5 %), each waived two days later
  (the installments were paid on time): its entry and the waiver's reversal in the journal with their lines and
  the ledger's daily totals, so balances, ``ledger_verify`` and the trial balance are unchanged;
- ``EscrowDisbursement``: each escrow item's payments due in the history (no journal entry: the seeded escrow
  balances never paid anything out); ``EscrowAnalysis``: each loan's yearly analyses before its next one;
- ``PayoffQuote``: one for every ``QUOTE_EVERY``-th loan (10,000), its figures from ``payoff_figures``;
- a few rows of the small tables, through the services where there is one: print batches (above), ACH files,
  staged import batches, skipped autopay drafts, two loans boarded by transfer and paid off (``LoanPayoff``), CRM
  market rates and past clients, APOR rows and django-axes' access attempts and failures.

Speed: the big tables load as the portfolio seeder's fast load does (bench/_seed_load.py ``run_jobs``): indexes set
aside and built once from the rows, two connections, new files where a table is empty (no WAL), ``VACUUM ANALYZE``
once loaded. Rows a nightly close already wrote (a bench run before this one) are left alone: their keys are read
first and skipped (``bench_hist_had``).

Once per database: the small tables' last row (the import batch ``MARKER``) says it is done, so a second call is
one query. A failed load deletes what it wrote (the ids above each table's largest before it). Needs a superuser
(the replica role of the fast load) and no open transaction (the load commits table by table).

Measured on the shared 2-core machine (load 1.2), 100,000 loans: 97 s in all (1m40s with Django's start-up and
migrate check). The statements' and billing jobs took 41 s each with their index builds and VACUUM, the accruals
29 s, pending payments 23 s and their fees 29 s (the fees' 590,000 entries and 1.2M lines go into the journal's
indexed 6M and 25M rows: its indexes cannot be set aside), disbursements 6 s, analyses 16 s, the rest 4 s. Before
``enable_seqscan = off`` (``_Plan.prepare``) the billing, accrual and fee rounds each read all 36M installments:
135 s in all.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from bench._seed_load import Job, Phases, copy_objects, run_jobs, set_aside
from bench._servicing_seed import PREFIX, vacuum_analyze
from lending.finance.daycount import add_months

STATEMENT_FILE = "borrower_documents/bench-history-statement.pdf"  # the one PDF every seeded document points at
MANIFEST_FILE = "print_batches/bench-history-manifest.csv"
MARKER = "bench-history-lockbox.csv"  # the last row written: its import batch says the history is there
PAYOFF_PREFIX = "BP"  # the two loans boarded and paid off for LoanPayoff
WAIVER_REASON = "Payment received within the grace period (lockbox posting delay)"
AUTOPAY_EVERY, QUOTE_EVERY, LATE_FEE_EVERY = 5, 10, 20  # every n-th loan, loan, past installment
SKIP_EVERY, SKIP_NUMBER = 10_000, 24  # the autopay drafts not made (AutopaySkippedDraft): installment 24 of these
BATCH = 10_000  # loans per round
# The big tables' history stops this many days before today: the nights bench_nightly and bench_statements close
# bill, accrue and state each loan's latest installment, and must find that work still to do, as before.
HISTORY_LAG_DAYS = 45
LOCK_TIMEOUT = "60s"  # fail rather than queue behind a reader's long transaction (the tables are shared)

# Each job's tables: indexes set aside, loaded in one transaction, built again, VACUUM ANALYZE. The pending payments
# and the fees share one: a fee's foreign key refers to a payment, so a TRUNCATE of the one takes the other.
DOCUMENTS, BILLING, ACCRUALS = "servicing_borrowerdocument", "servicing_billingrecord", "servicing_interestaccrual"
PAYMENTS, FEES = "servicing_pendingpayment", "servicing_loanfee"
DISBURSEMENTS, ANALYSES = "servicing_escrowdisbursement", "servicing_escrowanalysis"
# The other tables written (their indexes kept): ANALYZEd at the end.
OTHER_TABLES = (
    "servicing_autopayenrollment",
    "servicing_printbatch",
    "servicing_journalentry",
    "servicing_journalline",
    "servicing_ledgerdailybalance",
    "servicing_payoffquote",
    "servicing_autopayskippeddraft",
    "servicing_achfile",
    "servicing_importbatch",
    "servicing_importline",
    "servicing_loanpayoff",
    "crm_marketrate",
    "crm_pastclient",
    "origination_averageprimeofferrate",
    "axes_accessattempt",
    "axes_accessfailurelog",
)

# --- the statements: loan round lo..hi (ids), its installments due by today ------------------------------------

_ZERO = "0::numeric(14,2)"
_LOANS = "servicing_loanaccount l"
_ROUND = "l.id BETWEEN %(lo)s AND %(hi)s AND l.loan_number LIKE %(like)s"
_PAST = "JOIN servicing_installment i ON i.loan_id = l.id AND i.due_date <= %(today)s"


def _at(day: str, clock: str) -> str:
    """Local time ``clock`` on the SQL date ``day``, as a timestamptz."""
    return f"(({day}) + time '{clock}') AT TIME ZONE %(tz)s"


def _new(kind: str, ref: str, day: str) -> str:
    """Not a key the table held before the load (a nightly close's row: ``bench_hist_had``)."""
    return f"NOT EXISTS (SELECT 1 FROM bench_hist_had h WHERE h.kind = '{kind}' AND h.ref = {ref} AND h.day = {day})"


def _escrow_payment(number: str) -> str:
    """An item's payment ``number`` of the year: the annual amount split evenly, the last payment carrying the
    remainder (``servicing.services.escrow.item_payment``)."""
    share = "trunc(it.annual_amount / it.payments_per_year, 2)"
    last = f"it.annual_amount - (it.payments_per_year - 1) * {share}"
    return f"CASE WHEN {number} = it.payments_per_year THEN {last} ELSE {share} END"


# An item's k-th payment from its next one (k < 0: before it): its due date and number in the year.
_OCCURRENCE = """
SELECT (it.next_due_date + make_interval(months => k * (12 / it.payments_per_year)))::date AS due,
       ((it.next_payment_number - 1 + k) %% it.payments_per_year + it.payments_per_year) %% it.payments_per_year + 1
           AS n
"""

BILLING_SQL = f"""
INSERT INTO {BILLING} (loan_id, installment_id, due_date, billed_on, principal, interest, escrow, fees, past_due, total)
SELECT i.loan_id, i.id, i.due_date, i.due_date, i.principal, i.interest, i.escrow, {_ZERO}, {_ZERO}, i.payment
  FROM {_LOANS} {_PAST}
 WHERE {_ROUND} AND {_new("billing", "i.loan_id", "i.due_date")}
"""

ACCRUALS_SQL = f"""
INSERT INTO {ACCRUALS} (loan_id, accrual_date, installment_id, method, days, basis, amount, period_to_date)
SELECT i.loan_id, i.due_date, i.id, l.interest_method, 30, i.interest, i.interest, i.interest
  FROM {_LOANS} {_PAST}
 WHERE {_ROUND} AND {_new("accrual", "i.loan_id", "i.due_date")}
"""

DOCUMENTS_SQL = f"""
INSERT INTO {DOCUMENTS} (loan_id, kind, key, version, title, document_date, file, sha256, pages, created_at, delivery,
                         delivered_at, print_batch_id)
SELECT i.loan_id, 'statement', to_char(i.due_date, 'YYYY-MM-DD'), 1,
       'Mortgage statement, payment due ' || to_char(i.due_date, 'Mon FMDD, YYYY'), s.day, %(file)s, %(sha256)s,
       %(pages)s, {_at("s.day", "21:00")}, 'paper', {_at("s.day", "23:00")}, b.id
  FROM {_LOANS} {_PAST}
 CROSS JOIN LATERAL (SELECT i.due_date - l.statement_days_before_due AS day) s
  LEFT JOIN servicing_printbatch b ON b.business_date = s.day
 WHERE {_ROUND} AND {_new("statement", "i.loan_id", "i.due_date")}
"""

# Drafted the business day before the due date (draft_days_before 1), settled on it by the seeded ACH payment.
PAYMENTS_SQL = f"""
INSERT INTO {PAYMENTS} (id, account_holder, account_type, routing_number, account_number, account_last4, loan_id,
                        amount, scheduled_date, directive, status, idempotency_key, created_by_id, created_at,
                        transaction_id, settled_on, status_changed_at, return_reason, enrollment_id, installment_id,
                        processor, is_sandbox, trace_number, return_code)
SELECT d.id, d.account_holder, d.account_type, d.routing_number, d.account_number, d.account_last4, d.loan_id,
       d.payment, d.scheduled, 'standard', 'settled', 'autopay:' || d.enrollment || ':' || d.installment,
       d.enrolled_by_id, {_at("d.scheduled", "20:00")}, t.id, d.due_date, {_at("d.due_date", "20:30")}, '',
       d.enrollment, d.installment, %(processor)s, %(sandbox)s, %(odfi)s || lpad((d.id %% 10000000)::text, 7, '0'), ''
  FROM (SELECT nextval(%(payment_seq)s::regclass) AS id, e.id AS enrollment, e.account_holder, e.account_type,
               e.routing_number, e.account_number, e.account_last4, e.enrolled_by_id, i.loan_id, i.id AS installment,
               i.due_date, i.payment,
               i.due_date - 1 - CASE extract(isodow FROM i.due_date - 1) WHEN 6 THEN 1 WHEN 7 THEN 2 ELSE 0 END
                   AS scheduled
          FROM {_LOANS}
          JOIN servicing_autopayenrollment e ON e.loan_id = l.id AND e.active
          {_PAST} AND i.due_date > e.enrolled_at::date
         WHERE {_ROUND} AND NOT (l.id %% %(skip_every)s = 0 AND i.number = %(skip_number)s)) d
 CROSS JOIN LATERAL (SELECT t.id FROM servicing_loantransaction t
                      WHERE t.loan_id = d.loan_id AND t.effective_date = d.due_date AND t.kind = 'payment'
                        AND t.status = 'posted'
                      ORDER BY t.id LIMIT 1) t
"""

# A fee, its entry (Dr fees receivable, Cr fee income) and the waiver's reversal, their lines and the ledger's daily
# totals of them (the replica role skips the lines' trigger that adds those): one statement, the ids drawn once.
_FEE_LINES = f"""(VALUES (fee.entry, fee.assessed, %(fees_receivable)s, fee.amount, {_ZERO}),
                         (fee.entry, fee.assessed, %(fee_income)s, {_ZERO}, fee.amount),
                         (fee.waiver, fee.waived, %(fee_income)s, fee.amount, {_ZERO}),
                         (fee.waiver, fee.waived, %(fees_receivable)s, {_ZERO}, fee.amount)
                ) AS v(entry, day, account, debit, credit)"""
FEES_SQL = f"""
WITH fee AS MATERIALIZED (
    SELECT nextval(%(fee_seq)s::regclass) AS id, nextval(%(entry_seq)s::regclass) AS entry,
           nextval(%(entry_seq)s::regclass) AS waiver, i.loan_id, i.id AS installment, i.number, i.due_date,
           l.grace_days, i.due_date + l.grace_days + 1 AS assessed, i.due_date + l.grace_days + 3 AS waived, a.amount
      FROM {_LOANS} {_PAST}
     CROSS JOIN LATERAL (SELECT least(round((i.principal + i.interest) * l.late_fee_percent / 100, 2) + l.late_fee_flat,
                                      coalesce(l.late_fee_max, l.principal)) AS amount) a
     WHERE {_ROUND} AND (i.loan_id + 7 * i.number) %% %(late_fee_every)s = 0  -- a twentieth, on every loan
       AND i.due_date + l.grace_days + 3 <= %(today)s AND a.amount > 0
), entries AS (
    INSERT INTO servicing_journalentry (id, loan_id, effective_date, posted_at, kind, memo, reverses_id)
    SELECT entry, loan_id, assessed, {_at("assessed", "21:00")}, 'fee',
           'Late fee: installment ' || number || ' due ' || to_char(due_date, 'YYYY-MM-DD') || ' unpaid after '
               || grace_days || ' days'' grace', NULL
      FROM fee
    UNION ALL
    SELECT waiver, loan_id, waived, {_at("waived", "10:00")}, 'reversal',
           'Reversal of JE ' || entry || ': fee waived: ' || %(reason)s, entry
      FROM fee
), lines AS (
    INSERT INTO servicing_journalline (entry_id, account_id, loan_id, debit, credit)
    SELECT v.entry, v.account, fee.loan_id, v.debit, v.credit FROM fee CROSS JOIN LATERAL {_FEE_LINES}
), daily AS (
    INSERT INTO servicing_ledgerdailybalance (account_id, date, debit, credit, line_count)
    SELECT v.account, v.day, sum(v.debit), sum(v.credit), count(*) FROM fee CROSS JOIN LATERAL {_FEE_LINES}
     GROUP BY v.account, v.day
)
INSERT INTO {FEES} (id, loan_id, installment_id, kind, amount, assessed_on, journal_entry_id, waived_amount, waived_on,
                    waiver_reason, waiver_entry_id)
SELECT id, loan_id, installment, 'late_fee', amount, assessed, entry, amount, waived, %(reason)s, waiver FROM fee
"""

# Each item's payments from the loan's first due date through today, counted back from its next one.
DISBURSEMENTS_SQL = f"""
INSERT INTO {DISBURSEMENTS} (item_id, loan_id, due_date, paid_on, payment_number, payee, amount, advanced, created_at)
SELECT it.id, it.loan_id, o.due, o.due, o.n, it.payee, {_escrow_payment("o.n")}, {_ZERO}, {_at("o.due", "21:00")}
  FROM {_LOANS}
  JOIN servicing_escrowitem it ON it.loan_id = l.id
 CROSS JOIN LATERAL (
     {_OCCURRENCE}
       FROM generate_series(-it.payments_per_year * (1 + extract(year FROM age(it.next_due_date,
                                                                              l.first_payment_date))::int), -1) AS k
 ) o
 WHERE {_ROUND} AND o.due >= l.first_payment_date AND o.due <= %(today)s AND {_new("disbursement", "it.id", "o.due")}
"""

# The loan's yearly analyses before its next one (``escrow_analysis_date``), from its first year on: balanced, the
# computation year from the first installment due ``notice_days`` after it, and its items' payments in that year.
ANALYSES_SQL = f"""
INSERT INTO {ANALYSES} (loan_id, analysis_date, run_on, year_start, effective_installment_id,
                        balance_on_analysis_date, current_balance, projected_disbursements, disbursement_detail,
                        cushion, target_balance, previous_monthly_payment, base_monthly_payment, new_monthly_payment,
                        surplus, shortage, deficiency, kind, action, spread_months, installments_updated, created_at)
SELECT l.id, a.day, a.day, e.due_date, e.id, l.escrow_initial_deposit, l.escrow_initial_deposit, y.total, y.detail,
       round(y.total / 6, 2), round(y.total / 6, 2), l.escrow_monthly_payment, l.escrow_monthly_payment,
       l.escrow_monthly_payment, {_ZERO}, {_ZERO}, {_ZERO}, 'balanced', 'none', 0, 0, {_at("a.day", "21:00")}
  FROM {_LOANS}
 CROSS JOIN LATERAL generate_series(1, extract(year FROM age(l.escrow_analysis_date, l.first_payment_date))::int) AS j
 CROSS JOIN LATERAL (SELECT (l.escrow_analysis_date - make_interval(years => j))::date AS day) a
 CROSS JOIN LATERAL (SELECT i.id, i.due_date FROM servicing_installment i
                      WHERE i.loan_id = l.id AND i.due_date >= a.day + %(notice_days)s
                      ORDER BY i.due_date LIMIT 1) e
 CROSS JOIN LATERAL (
     SELECT sum(o.amount) AS total,
            jsonb_agg(jsonb_build_array(to_char(o.due, 'YYYY-MM-DD'), o.amount::text,
                                        it.description || ', payment ' || o.n || ' of ' || it.payments_per_year)
                      ORDER BY it.id, o.due) AS detail
       FROM servicing_escrowitem it
      CROSS JOIN LATERAL (SELECT s.due, s.n, {_escrow_payment("s.n")} AS amount
                            FROM (SELECT floor((extract(year FROM e.due_date) * 12 + extract(month FROM e.due_date)
                                                - extract(year FROM it.next_due_date) * 12
                                                - extract(month FROM it.next_due_date))
                                               * it.payments_per_year / 12)::int AS k0) b
                           CROSS JOIN LATERAL ({_OCCURRENCE}
                                                 FROM generate_series(b.k0 - 1, b.k0 + it.payments_per_year) AS k) s
                           WHERE s.due >= e.due_date AND s.due < e.due_date + interval '1 year') o
      WHERE it.loan_id = l.id
 ) y
 WHERE {_ROUND} AND l.escrow_analysis_date IS NOT NULL AND y.total IS NOT NULL
   AND {_new("analysis", "l.id", "a.day")}
"""

# (job, its tables, its phases: (table, statement)), the biggest first: two connections take them in this order.
JOBS = (
    ("statements", (DOCUMENTS,), ((DOCUMENTS, DOCUMENTS_SQL),)),
    ("billing", (BILLING,), ((BILLING, BILLING_SQL),)),
    ("accruals", (ACCRUALS,), ((ACCRUALS, ACCRUALS_SQL),)),
    ("autopay and fees", (PAYMENTS, FEES), ((PAYMENTS, PAYMENTS_SQL), (FEES, FEES_SQL))),
    ("disbursements", (DISBURSEMENTS,), ((DISBURSEMENTS, DISBURSEMENTS_SQL),)),
    ("analyses", (ANALYSES,), ((ANALYSES, ANALYSES_SQL),)),
)
LOADED = tuple(table for _, tables, _ in JOBS for table in tables)

# The keys a nightly close may have written already, which the load must not write again (kind, ref, day).
EXISTING = r"""
SELECT 'billing', loan_id, due_date FROM servicing_billingrecord
UNION ALL SELECT 'accrual', loan_id, accrual_date FROM servicing_interestaccrual
UNION ALL SELECT 'statement', loan_id, key::date FROM servicing_borrowerdocument
           WHERE kind = 'statement' AND key ~ '^\d{4}-\d{2}-\d{2}$'
UNION ALL SELECT 'disbursement', item_id, due_date FROM servicing_escrowdisbursement
UNION ALL SELECT 'analysis', loan_id, analysis_date FROM servicing_escrowanalysis
"""


@dataclass
class _Report:
    """Per table: rows written and seconds spent (a load's table: its inserts; its job: index builds and VACUUM)."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, table: str, rows: int, seconds: float) -> None:
        self.rows[table] = self.rows.get(table, 0) + rows
        self.seconds[table] = self.seconds.get(table, 0.0) + seconds

    def timed(self, table: str, step: Callable[[], int]) -> None:
        begin = time.perf_counter()
        rows = step()
        self.add(table, rows, time.perf_counter() - begin)


@dataclass(frozen=True)
class _Plan:
    """The load's parameters, its rounds of loans, the keys already there and each table's largest id before it."""

    params: dict[str, Any]
    rounds: list[dict[str, Any]]
    existing: list[tuple[str, int, date]]
    before: dict[str, int]

    def prepare(self, cursor) -> None:
        """Each load's transaction: the keys already there, in a temporary table (dropped at commit)."""
        cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")  # the connection's later tasks too
        # A round's installments (60 of each loan's 360) through the (loan, due date) index: the planner prices the
        # 10,000 probes above a scan of all 36M installments, which took 3.7 s a round instead of 0.3 s.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("CREATE TEMPORARY TABLE bench_hist_had (kind text, ref bigint, day date) ON COMMIT DROP")
        if self.existing:
            with cursor.copy("COPY bench_hist_had (kind, ref, day) FROM STDIN") as copy:
                for row in self.existing:
                    copy.write_row(row)
        cursor.execute("ANALYZE bench_hist_had")

    def discard(self, cursor) -> None:
        """Delete what a failed load committed: the rows above each table's largest id before it (the fees' journal
        rows through the fees), and the daily totals of the fee accounts it added."""
        cursor.execute(
            """
            CREATE TEMPORARY TABLE bench_hist_entries AS
            SELECT unnest(ARRAY[journal_entry_id, waiver_entry_id]) AS id FROM servicing_loanfee WHERE id > %s
            """,
            [self.before[FEES]],
        )
        cursor.execute("DELETE FROM servicing_journalline WHERE entry_id IN (SELECT id FROM bench_hist_entries)")
        cursor.execute(
            "DELETE FROM servicing_ledgerdailybalance WHERE id > %s AND account_id IN (%s, %s)",
            [self.before["servicing_ledgerdailybalance"], self.params["fees_receivable"], self.params["fee_income"]],
        )
        for table in (*LOADED, "servicing_autopayenrollment", "servicing_printbatch"):
            cursor.execute(f"DELETE FROM {table} WHERE id > %s", [self.before[table]])
        cursor.execute("DELETE FROM servicing_journalentry WHERE id IN (SELECT id FROM bench_hist_entries)")
        cursor.execute("DROP TABLE bench_hist_entries")


def ensure_history() -> None:
    """Seed the servicing history of the bench portfolio unless it is already there (module docstring); print
    each table's rows and seconds."""
    if connection.vendor != "postgresql":
        print("servicing history: skipped, the seeder needs PostgreSQL")
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM servicing_importbatch WHERE file_name = %s LIMIT 1", [MARKER])
        if cursor.fetchone():
            print("servicing history: already seeded in this database: reused", flush=True)
            return
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if connection.in_atomic_block or not cursor.fetchone()[0]:
            raise RuntimeError("the history seeder needs a superuser and no open transaction (module docstring)")
    started = time.perf_counter()
    today = timezone.localdate()
    through = today - timedelta(days=HISTORY_LAG_DAYS)
    print(f"servicing history of the {PREFIX}- loans through {through} (bench/_seed_history.py):", flush=True)
    report = _Report()
    pdf = _stored_files()
    with transaction.atomic(), connection.cursor() as cursor:
        if _loaded(cursor):
            plan = None
        else:
            plan = _plan(cursor, through, pdf)
            report.timed("servicing_printbatch", lambda: _print_batches(cursor, plan))
            report.timed("servicing_autopayenrollment", lambda: _enrollments(cursor))
    if plan is not None:
        _load(plan, report)
    with transaction.atomic(), connection.cursor() as cursor:
        _small_tables(cursor, today, report)
    begin = time.perf_counter()
    vacuum_analyze(OTHER_TABLES)
    analyzed = time.perf_counter() - begin
    for table in sorted(report.rows, key=lambda t: -report.rows[t]):
        print(f"  {table:<36} {report.rows[table]:>12,} rows {report.seconds[table]:8.1f}s", flush=True)
    print(f"  VACUUM ANALYZE of the other tables written: {analyzed:.1f}s", flush=True)
    print(f"  servicing history seeded in {time.perf_counter() - started:.1f}s", flush=True)


def _loaded(cursor) -> bool:
    """The big tables are loaded (the small tables' step, after them, did not finish)."""
    cursor.execute(f"SELECT 1 FROM {DOCUMENTS} WHERE file = %s LIMIT 1", [STATEMENT_FILE])
    return cursor.fetchone() is not None


def _stored_files() -> bytes:
    """Store the statement PDF (a blank page) and the print manifest every seeded row points at, once; the PDF."""
    from pypdf import PdfWriter  # only when seeding

    if not default_storage.exists(STATEMENT_FILE):
        writer, out = PdfWriter(), io.BytesIO()
        writer.add_blank_page(width=612, height=792)
        writer.write(out)
        default_storage.save(STATEMENT_FILE, ContentFile(out.getvalue()))
    if not default_storage.exists(MANIFEST_FILE):
        default_storage.save(MANIFEST_FILE, ContentFile(b"document,loan,borrower,address,pages\n"))
    with default_storage.open(STATEMENT_FILE, "rb") as stored:
        return stored.read()


def _plan(cursor, through: date, pdf: bytes) -> _Plan:
    from servicing.ach_processor.base import get_processor, odfi_identification
    from servicing.services.escrow import ANALYSIS_NOTICE_DAYS

    cursor.execute("SELECT min(id), max(id) FROM servicing_loanaccount WHERE loan_number LIKE %s", [f"{PREFIX}-%"])
    low, high = cursor.fetchone()
    if low is None:
        raise RuntimeError(f"no {PREFIX}- loans: seed the portfolio first (bench._servicing_seed.ensure_portfolio)")
    cursor.execute("SELECT code, id FROM servicing_ledgeraccount WHERE code IN ('fees_receivable', 'fee_income')")
    accounts = dict(cursor.fetchall())
    before = {}
    for table in (*LOADED, *OTHER_TABLES[:5]):
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
        before[table] = cursor.fetchone()[0]
    cursor.execute(EXISTING)
    existing = cursor.fetchall()
    processor = get_processor()
    params = {
        "like": f"{PREFIX}-%",
        "today": through,  # the SQL's cut-off: the last due date the history covers
        "tz": settings.TIME_ZONE,
        "file": STATEMENT_FILE,
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "pages": 1,
        "processor": processor.name[:80],
        "sandbox": processor.is_sandbox,
        "odfi": odfi_identification(),
        "skip_every": SKIP_EVERY,
        "skip_number": SKIP_NUMBER,
        "late_fee_every": LATE_FEE_EVERY,
        "reason": WAIVER_REASON,
        "notice_days": ANALYSIS_NOTICE_DAYS,
        "manifest": MANIFEST_FILE,
        **accounts,
    }
    for key, table in (("payment_seq", PAYMENTS), ("fee_seq", FEES), ("entry_seq", "servicing_journalentry")):
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])  # the ids a statement draws itself
        params[key] = cursor.fetchone()[0]
    rounds = [{**params, "lo": lo, "hi": min(lo + BATCH, high + 1) - 1} for lo in range(low, high + 1, BATCH)]
    return _Plan(params=params, rounds=rounds, existing=existing, before=before)


def _print_batches(cursor, plan: _Plan) -> int:
    """A print batch per statement date of the history (every loan's statement mailed that day): the seeded
    loans' due dates less their lead days, from one loan per first payment date and lead."""
    cursor.execute(
        f"""
        INSERT INTO servicing_printbatch (business_date, combined_pdf, manifest, document_count, page_count,
                                          created_at)
        SELECT s.day, %(file)s, %(manifest)s, sum(g.loans), sum(g.loans) * %(pages)s, {_at("s.day", "23:00")}
          FROM (SELECT first_payment_date, statement_days_before_due, min(id) AS loan, count(*) AS loans
                  FROM servicing_loanaccount WHERE loan_number LIKE %(like)s GROUP BY 1, 2) g
          JOIN servicing_installment i ON i.loan_id = g.loan AND i.due_date <= %(today)s
         CROSS JOIN LATERAL (SELECT i.due_date - g.statement_days_before_due AS day) s
         WHERE NOT EXISTS (SELECT 1 FROM servicing_printbatch p WHERE p.business_date = s.day)
         GROUP BY s.day
        """,
        plan.params,
    )
    return int(cursor.rowcount)


def _enrollments(cursor) -> int:
    """Autopay for every ``AUTOPAY_EVERY``-th loan, enrolled by its borrower before the first due date: the
    model's own encryption of each account (``copy_objects``)."""
    from servicing.models import AutopayEnrollment

    cursor.execute(
        """
        SELECT l.id, l.borrower_id, l.borrower_name, l.first_payment_date FROM servicing_loanaccount l
         WHERE l.loan_number LIKE %s AND l.id %% %s = 0 AND l.borrower_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM servicing_autopayenrollment e WHERE e.loan_id = l.id AND e.active)
         ORDER BY l.id
        """,
        [f"{PREFIX}-%", AUTOPAY_EVERY],
    )
    enrollments = [
        AutopayEnrollment(
            loan_id=loan,
            account_holder=name,
            routing_number="021000021",
            account_number=f"{400_000_000 + loan}",
            account_last4=f"{400_000_000 + loan}"[-4:],
            draft_days_before=1,
            enrolled_by_id=borrower,
            enrolled_at=_local(first - timedelta(days=20), 19),
        )
        for loan, borrower, name, first in cursor.fetchall()
    ]
    return copy_objects(cursor, AutopayEnrollment, enrollments, with_ids=False)


def _local(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def _load(plan: _Plan, report: _Report) -> None:
    """The big tables on two connections (bench/_seed_load.py), then each one's rows and seconds."""
    jobs = [Job(name=name, tables=tables, statements=tuple(statements)) for name, tables, statements in JOBS]
    phases = Phases()
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")  # the indexes are dropped on this connection
        aside = set_aside(cursor, LOADED)
    try:
        run_jobs(
            jobs,
            aside=aside,
            prepare=plan.prepare,
            rounds=plan.rounds,
            phases=phases,
            discard=plan.discard,
            verbose=bool(os.environ.get("LENDING_BENCH_VERBOSE")),  # each task's connection, times and CPU
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    for name, tables, _ in JOBS:
        after = sum(sec for phase, sec in phases.seconds.items() if phase.startswith(f"{name}: "))
        for table in tables:  # a job's index builds and VACUUM count to its first table
            report.add(table, phases.rows.get(table, 0), phases.seconds.get(table, 0.0) + after)
            after = 0.0


# --- the small tables: the services where there is one, a few rows each ----------------------------------------


def _small_tables(cursor, today: date, report: _Report) -> None:
    report.timed("servicing_payoffquote", lambda: _payoff_quotes(cursor, today))
    report.timed("servicing_loanpayoff", lambda: _payoffs(today))
    report.timed("servicing_autopayskippeddraft", lambda: _skipped_drafts(cursor))
    report.timed("servicing_achfile", lambda: _ach_files(cursor))
    report.timed("crm_marketrate", lambda: _market_rates(today))
    report.timed("origination_averageprimeofferrate", lambda: _apor(today))
    report.timed("crm_pastclient", _past_clients)
    report.timed("axes_accessattempt (+ failure log)", _access_attempts)
    report.timed("servicing_importbatch", lambda: _import_batches(cursor, today))  # the MARKER: last


def _payoff_quotes(cursor, today: date) -> int:
    """A quote for every ``QUOTE_EVERY``-th loan this week, by the portal (a third) or staff, good for 20 or 30
    days: the figures of ``payoff_figures`` for the first loan of each balance and good-through date (the loans
    share a handful of templates), the others copied from it."""
    from servicing.models import LoanAccount, PayoffQuote
    from servicing.selectors.payoff import payoff_figures

    cursor.execute(
        """
        SELECT id, borrower_id, version, interest_paid_through, principal_balance, annual_rate, day_count,
               escrow_balance, fees_due, suspense_balance, interest_prepaid
          FROM servicing_loanaccount
         WHERE loan_number LIKE %s AND id %% %s = 0 AND status = 'active'
           AND NOT EXISTS (SELECT 1 FROM servicing_payoffquote q WHERE q.loan_id = servicing_loanaccount.id)
         ORDER BY id
        """,
        [f"{PREFIX}-%", QUOTE_EVERY],
    )
    figures: dict[tuple[Any, ...], dict[str, Any]] = {}
    quotes = []
    now = timezone.now()
    for loan_id, borrower, version, paid_through, *balances in cursor.fetchall():
        q = loan_id // QUOTE_EVERY
        as_of = min(today, max(paid_through, today - timedelta(days=q % 5)))
        portal = q % 3 == 0
        good_through = as_of + timedelta(days=20 if q % 3 == 1 else 30)
        key = (paid_through, *balances, good_through)
        if key not in figures:
            loan = LoanAccount.objects.get(pk=loan_id)
            figures[key] = payoff_figures(loan, as_of=good_through, good_through=good_through).as_fields()
        quotes.append(
            PayoffQuote(
                loan_id=loan_id,
                requested_by_id=borrower if portal else None,
                requested_at=min(now, _local(as_of, 9) + timedelta(minutes=q % 480)),
                channel=PayoffQuote.Channel.PORTAL if portal else PayoffQuote.Channel.STAFF,
                loan_version=version,
                **{**figures[key], "as_of": as_of},
            )
        )
    return copy_objects(cursor, PayoffQuote, quotes, with_ids=False)


def _payoffs(today: date) -> int:
    """Two loans boarded by servicing transfer three years into their term and paid off today by wire."""
    from servicing.models import LoanAccount
    from servicing.selectors.payoff import payoff_figures
    from servicing.services.payoff import payoff_post
    from servicing.services.transfer_boarding import TransferLoan, loan_board_transfer

    first = add_months(today.replace(day=1), -35)
    paid = 0
    for n in (1, 2):
        number = f"{PAYOFF_PREFIX}-{n:07d}"
        if LoanAccount.objects.filter(loan_number=number, payoff__isnull=False).exists():
            continue
        loan = loan_board_transfer(
            loan=TransferLoan(
                loan_number=number,
                borrower_name=f"Pat Payoff {n}",
                principal=Decimal("250000.00"),
                annual_rate=Decimal("6.5"),
                term_periods=360,
                payment_frequency="monthly",
                amortization="level",
                day_count="30/360",
                disbursement_date=add_months(first, -1),
                first_payment_date=first,
                current_principal_balance=Decimal("240150.00") - 1000 * n,
                next_due_date=add_months(today.replace(day=1), 1),
                escrow_balance=Decimal("1800.00"),
                escrow_monthly_payment=Decimal("450.00"),
                late_fee_percent=Decimal("5"),
                allocation_strategy="mortgage_standard",
            ),
            actor=None,
        )
        total = payoff_figures(loan, as_of=today, good_through=today).total
        payoff_post(
            loan=loan,
            amount=total,
            effective_date=today,
            method="wire",
            reference=f"Wire {number}",
            idempotency_key=f"bench-history-payoff:{number}",
            actor=None,
        )
        paid += 1
    return paid


def _skipped_drafts(cursor) -> int:
    """The drafts autopay did not make (the installments ``PAYMENTS_SQL`` leaves out): above a ceiling since lifted."""
    cursor.execute(
        """
        INSERT INTO servicing_autopayskippeddraft (enrollment_id, installment_id, draft_date, amount_owed, reason,
                                                   created_at)
        SELECT e.id, i.id, i.due_date - 1, i.payment,
               'the installment owes $' || to_char(i.payment, 'FM999,999,990.00') || ', above the autopay ceiling of $'
                   || to_char(floor(i.payment / 100) * 100, 'FM999,999,990.00') || ': pay it directly',
               ((i.due_date - 1) + time '20:00') AT TIME ZONE %s
          FROM servicing_autopayenrollment e
          JOIN servicing_loanaccount l ON l.id = e.loan_id
          JOIN servicing_installment i ON i.loan_id = l.id AND i.number = %s
         WHERE l.loan_number LIKE %s AND l.id %% %s = 0 AND e.active
           AND NOT EXISTS (SELECT 1 FROM servicing_autopayskippeddraft s
                            WHERE s.enrollment_id = e.id AND s.installment_id = i.id)
        """,
        [settings.TIME_ZONE, SKIP_NUMBER, f"{PREFIX}-%", SKIP_EVERY],
    )
    return int(cursor.rowcount)


def _ach_files(cursor) -> int:
    """The NACHA files of a few drafts of each of the last three settlement days, made today (modifiers A, B, C)
    as ``ach_file_create`` makes them: its rendering, the payments pointed at the file."""
    from servicing.ach_processor.base import get_processor
    from servicing.models import AchFile, AutopayEnrollment, PendingPayment
    from servicing.selectors.ach_file import ach_file_render

    loans = list(
        AutopayEnrollment.objects.filter(loan__loan_number__startswith=f"{PREFIX}-")
        .order_by("loan_id")
        .values_list("loan_id", flat=True)[:25]
    )
    cursor.execute(
        "SELECT DISTINCT settled_on FROM servicing_pendingpayment WHERE loan_id = ANY(%s) ORDER BY 1 DESC LIMIT 3",
        [loans],
    )
    created = timezone.localtime()
    made = 0
    for modifier, (settled,) in zip("ABC", cursor.fetchall(), strict=False):
        if AchFile.objects.filter(created_on=created.date(), file_id_modifier=modifier).exists():
            continue
        payments = list(
            PendingPayment.objects.filter(settled_on=settled, ach_file__isnull=True, loan_id__in=loans)
            .select_related("loan")
            .order_by("pk")
        )
        if not payments:
            continue
        content = ach_file_render(
            settlement_date=settled, created=created, file_id_modifier=modifier, payments=payments
        )
        ach_file = AchFile.objects.create(
            settlement_date=settled,
            created_on=created.date(),
            file_id_modifier=modifier,
            entry_count=len(payments),
            total=sum(p.amount for p in payments),
            is_sandbox=get_processor().is_sandbox,
            content=content,
        )
        PendingPayment.objects.filter(pk__in=[p.pk for p in payments]).update(ach_file=ach_file)
        made += 1
    return made


def _market_rates(today: date) -> int:
    """Eight weeks of the market rates the refinance alerts compare with: 30- and 15-year mortgages."""
    from crm.models import MarketRate

    rows = [
        MarketRate(
            product_kind="mortgage",
            term_periods=term,
            annual_rate=base + Decimal("0.125") * (week % 3),
            effective_date=today - timedelta(weeks=week),
        )
        for week in range(8)
        for term, base in ((360, Decimal("6.375")), (180, Decimal("5.625")))
    ]
    return len(MarketRate.objects.bulk_create(rows, ignore_conflicts=True))


def _apor(today: date) -> int:
    """Eight weeks of the FFIEC's average prime offer rates: fixed 15 and 30 years, variable 5 and 7."""
    from origination.models.compliance import AveragePrimeOfferRate

    monday = today - timedelta(days=today.weekday())
    rows = [
        AveragePrimeOfferRate(
            effective_date=monday - timedelta(weeks=week),
            is_fixed=fixed,
            term_years=years,
            rate=base + Decimal("0.05") * (week % 4),
        )
        for week in range(8)
        for fixed, years, base in (
            (True, 30, Decimal("6.52")),
            (True, 15, Decimal("5.81")),
            (False, 5, Decimal("6.02")),
            (False, 7, Decimal("6.11")),
        )
    ]
    return len(AveragePrimeOfferRate.objects.bulk_create(rows, ignore_conflicts=True))


def _past_clients() -> int:
    """Five funded applications' borrowers as past clients (the CRM's contacts, one each)."""
    from crm.models import Contact, PastClient
    from origination.models import Application

    funded = Application.objects.filter(status="funded").select_related("product").order_by("pk")[:5]
    contacts = Contact.objects.order_by("pk")[:5]
    rows = [
        PastClient(
            contact=contact,
            application=application,
            officer_id=application.loan_officer_id,
            product_kind=application.product.kind,
            funded_on=timezone.localdate(application.created_at),
        )
        for application, contact in zip(funded, contacts, strict=False)
        if not PastClient.objects.filter(application=application).exists()
    ]
    return len(PastClient.objects.bulk_create(rows))


def _access_attempts() -> int:
    """Failed logins of unknown users from documentation addresses (RFC 5737), below the lockout limit: the
    attempts and the failure log django-axes keeps."""
    from axes.models import AccessAttempt, AccessFailureLog

    common = {"http_accept": "text/html", "path_info": "/accounts/login/"}
    written = 0
    for n in range(1, 4):
        username, address, agent = f"unknown{n}@example.com", f"203.0.113.{10 + n}", f"Mozilla/5.0 (bench {n})"
        _, created = AccessAttempt.objects.get_or_create(
            username=username,
            ip_address=address,
            user_agent=agent,
            defaults={
                **common,
                "get_data": "",
                "post_data": f"username={username}&password=********",
                "failures_since_start": min(n, settings.AXES_FAILURE_LIMIT - 1),
            },
        )
        if created:  # and its failures, once
            logs = [
                AccessFailureLog(username=username, ip_address=address, user_agent=agent, **common) for _ in range(n)
            ]
            written += 1 + len(AccessFailureLog.objects.bulk_create(logs))
    return written


def _import_batches(cursor, today: date) -> int:
    """Two lockbox files staged (not posted): one with a line in error, then the ``MARKER``, written last."""
    from servicing.models import ImportBatch
    from servicing.services.imports import payment_import_stage

    cursor.execute(
        "SELECT loan_number, regular_payment FROM servicing_loanaccount WHERE loan_number LIKE %s ORDER BY id LIMIT 40",
        [f"{PREFIX}-%"],
    )
    loans = cursor.fetchall()
    header = "loan_number,amount,effective_date,reference\n"
    staged = 0
    for name, chunk, extra in (
        ("bench-history-lockbox-errors.csv", loans[:20], "BL-9999999,100.00,{day},LB-ERR-1\n"),
        (MARKER, loans[20:], ""),
    ):
        if ImportBatch.objects.filter(file_name=name).exists():
            continue
        staged += 1
        lines = "".join(f"{number},{amount},{today},LB-{name[:-4]}-{n}\n" for n, (number, amount) in enumerate(chunk))
        payment_import_stage(file_name=name, content=header + lines + extra.format(day=today), actor=None)
    return staged
