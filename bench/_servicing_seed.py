# ruff: noqa: S608 -- the SQL is assembled from this module's constant fragments; every value is a bound parameter
"""Bulk seeder for the servicing benchmarks: a portfolio of 30-year mortgages with years of payment history.

Set-based on PostgreSQL (``INSERT ... SELECT`` over ``generate_series``; never the ORM row by row), so 100,000
loans with 60 payments each (36M installments, 6M payments, 18M allocation lines, 6M journal entries, 24M
journal lines) load in minutes on a small machine. What it writes is what the services would have written:

- one borrower user per loan (in the ``borrower`` group), boarded by servicing transfer (no application);
- the loan account with its booked terms and running balances after the payments;
- 360 installments per loan: the schedule from ``lending.finance.amortization.build_schedule`` computed once per
  template (loan amount x rate: the loans share a handful of them) and replicated in SQL; escrow per installment
  from ``lending.finance.escrow.monthly_payments``; the first ``months`` installments paid in full on their due
  dates, the rest unpaid;
- two escrow items per loan (property tax in two installments, homeowner's insurance);
- the journal: the disbursement (Dr loans receivable; Cr cash; Cr fee income for a 1 % origination fee), the
  initial escrow deposit (Dr cash; Cr escrow liability), and per payment the entry ``payment_post`` makes when no
  interest has been accrued (Dr cash; Cr interest income, loans receivable, escrow liability);
- per payment a ``LoanTransaction`` and its three allocation lines (interest, principal, escrow of its installment).

Interest is accrued through the last due date paid (``interest_accrued_through``): the payments recognised
each period's interest as income, as the nightly accrual would have; the first close of business accrues the
current period from there.

So the running balances equal the journal (``ledger_verify`` passes) and every entry balances. Escrow is never
disbursed in the history, so escrow balances only grow. The annual escrow analysis dates are spread over the year
as a real book's are (first payments in every month): loan ``k`` is analysed 30 days before the computation year
starting ``k % 12`` months after its next due date, so a twelfth of the loans is analysed on the next close.

Dates: the history ends today. The portfolio's first payment was ``months`` months before the first of next month,
so installment ``months`` is the last one due and paid, and the next (due on the first of next month) is the one a
payment made today pays.

Speed: on PostgreSQL the journal triggers of servicing/migrations/0003 are disabled for the load (``ALTER TABLE
... DISABLE TRIGGER``; a deferred balance check per line would run 24M queries at commit) and re-enabled in the same
transaction; as a superuser, ``session_replication_role = replica`` also skips the foreign-key checks, which the
arithmetic below makes true by construction. Secondary indexes of the big tables are dropped and rebuilt once at the
end (``drop_indexes``). ``checked=True`` keeps every trigger and index: the test uses it to let the database itself
check the seeded journal. Ids are reserved from each table's identity sequence and computed, so rows refer to each
other without lookups.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from lending.finance.amortization import LoanTerms, build_schedule
from lending.finance.daycount import add_months
from lending.finance.escrow import cushion_amount, monthly_payments
from lending.finance.money import cents

DEFAULT_LOANS = 100_000
HISTORY_MONTHS = 60
TERM = 360
PREFIX = "BL"  # loan numbers BL-0000001...; the 1-payment loans of the query-count comparison are BY-...
BATCH = 10_000  # loans per INSERT ... SELECT round: bounded statement size and visible progress

RATES = (Decimal("2.875"), Decimal("3.250"), Decimal("3.750"), Decimal("4.500"), Decimal("6.125"))
AMOUNTS = tuple(Decimal(n) for n in (125_000, 180_000, 240_000, 310_000, 385_000, 460_000, 560_000, 720_000))
FEE_PERCENT = Decimal("1")
TAX_PERCENT = Decimal("1.1")  # property tax, percent of the loan amount a year (two installments)
INSURANCE_PERCENT = Decimal("0.35")  # homeowner's insurance premium, percent a year (one payment)

# The tables the load writes, biggest first: their secondary indexes are dropped and rebuilt around the load.
TABLES = (
    "servicing_journalline",
    "servicing_installment",
    "servicing_allocationline",
    "servicing_journalentry",
    "servicing_loantransaction",
    "servicing_escrowitem",
    "servicing_loanaccount",
    "core_user_groups",
    "core_user",
)
JOURNAL_TRIGGERS = (
    ("servicing_journalentry", "servicing_journalentry_balanced"),
    ("servicing_journalline", "servicing_journalline_balanced"),
)


def bench_scale() -> int:
    """Loans to seed: ``LENDING_BENCH_LOANS`` (the issue's figure, 100,000, by default)."""
    return int(os.environ.get("LENDING_BENCH_LOANS", DEFAULT_LOANS))


@dataclass(frozen=True)
class Template:
    """One (amount, rate) loan shape: the schedule every loan of this shape shares, and its history totals."""

    id: int
    principal: Decimal
    rate: Decimal
    regular_payment: Decimal
    escrow: tuple[Decimal, ...]  # 12 monthly escrow payments
    tax: Decimal
    insurance: Decimal
    deposit: Decimal
    rows: list  # amortization.ScheduleRow


def _templates(first_payment: date) -> list[Template]:
    disbursed = add_months(first_payment, -1)  # a regular first period: no odd days
    templates: list[Template] = []
    for amount in AMOUNTS:
        for rate in RATES:
            schedule = build_schedule(
                LoanTerms(
                    principal=amount,
                    annual_rate=rate,
                    term_periods=TERM,
                    disbursement_date=disbursed,
                    first_payment_date=first_payment,
                    frequency="monthly",
                    amortization="level",
                    day_count="30/360",
                )
            )
            tax, insurance = cents(amount * TAX_PERCENT / 100), cents(amount * INSURANCE_PERCENT / 100)
            templates.append(
                Template(
                    id=len(templates),
                    principal=amount,
                    rate=rate,
                    regular_payment=schedule.regular_payment,
                    escrow=monthly_payments(tax + insurance),
                    tax=tax,
                    insurance=insurance,
                    deposit=cushion_amount(tax + insurance),
                    rows=list(schedule.rows),
                )
            )
    return templates


def _load_templates(cursor, templates: list[Template], months: int) -> None:
    """Two temporary tables: the templates (with their totals after ``months`` payments) and their rows."""
    cursor.execute(
        """
        CREATE TEMPORARY TABLE bench_tpl (
            id int PRIMARY KEY, principal numeric(14,2), rate numeric(7,4), regular_payment numeric(14,2),
            fee numeric(14,2), escrow_monthly numeric(14,2), deposit numeric(14,2), tax numeric(14,2),
            insurance numeric(14,2), maturity date, principal_paid numeric(14,2), escrow_paid numeric(14,2),
            paid_through date, next_due date
        ) ON COMMIT DROP;
        CREATE TEMPORARY TABLE bench_tpl_row (
            tpl int, number int, due_date date, principal numeric(14,2), interest numeric(14,2),
            escrow numeric(14,2), payment numeric(14,2), PRIMARY KEY (tpl, number)
        ) ON COMMIT DROP;
        """
    )
    tpl_rows, row_rows = [], []
    for t in templates:
        escrow = [t.escrow[index % 12] for index in range(len(t.rows))]
        paid = t.rows[:months]
        tpl_rows.append(
            (
                t.id,
                t.principal,
                t.rate,
                t.regular_payment,
                cents(t.principal * FEE_PERCENT / 100),
                t.escrow[0],
                t.deposit,
                t.tax,
                t.insurance,
                t.rows[-1].due_date,
                sum((r.principal for r in paid), Decimal(0)),
                sum(escrow[:months], Decimal(0)),
                paid[-1].due_date if paid else add_months(t.rows[0].due_date, -1),
                t.rows[months].due_date,
            )
        )
        row_rows += [
            (t.id, r.number, r.due_date, r.principal, r.interest, escrow[i], r.payment + escrow[i])
            for i, r in enumerate(t.rows)
        ]
    cursor.executemany("INSERT INTO bench_tpl VALUES (" + ", ".join(["%s"] * 14) + ")", tpl_rows)
    with cursor.copy("COPY bench_tpl_row FROM STDIN") as copy:  # psycopg 3, the project's driver
        for row in row_rows:
            copy.write_row(row)
    cursor.execute("ANALYZE bench_tpl; ANALYZE bench_tpl_row")


def _reserve(cursor, table: str, count: int) -> int:
    """Reserve ``count`` ids of ``table``'s identity sequence; the first of them."""
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
    first = cursor.fetchone()[0]
    if count > 1:
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, first + count - 1])
    return first


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the indexes of TABLES that no constraint owns."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
         WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [list(TABLES)],
    )
    return cursor.fetchall()


@dataclass
class SeedReport:
    loans: int
    months: int
    seconds: float
    steps: dict[str, float]

    def __str__(self) -> str:
        steps = ", ".join(f"{name} {sec:.1f}s" for name, sec in self.steps.items())
        return f"seeded {self.loans:,} loans x {self.months} payments in {self.seconds:.1f}s ({steps})"


def seed_portfolio(
    loans: int,
    *,
    months: int = HISTORY_MONTHS,
    prefix: str = PREFIX,
    checked: bool = False,
    drop_indexes: bool | None = None,
    today: date | None = None,
    verbose: bool = False,
) -> SeedReport:
    """Add ``loans`` loan accounts numbered ``<prefix>-0000001``... each with ``months`` payments of history,
    continuing after the ones already there (a rerun tops up, never duplicates). One transaction."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the servicing bench seeder is PostgreSQL only (INSERT ... SELECT, COPY, sequences)")
    if not 1 <= months < TERM:
        raise ValueError(f"months must be between 1 and {TERM - 1}")
    today = today or timezone.localdate()
    first_payment = add_months(date(today.year, today.month, 1), 1 - months)
    drop_indexes = (not checked and loans >= 5 * BATCH) if drop_indexes is None else drop_indexes
    steps: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str, sql: str, params=None) -> None:
        begin = time.perf_counter()
        cursor.execute(sql, params)
        steps[name] = steps.get(name, 0.0) + time.perf_counter() - begin

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM servicing_loanaccount WHERE loan_number LIKE %s", [f"{prefix}-%"])
        have = cursor.fetchone()[0]
        if have >= loans:
            return SeedReport(loans=0, months=months, seconds=0.0, steps={})
        start, count = have + 1, loans - have
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'; SET LOCAL work_mem = '256MB'")
        if not checked:
            for table, trigger in JOURNAL_TRIGGERS:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:  # skip the foreign-key checks too (ids are correct by construction)
                cursor.execute("SET LOCAL session_replication_role = replica")
        dropped = _secondary_indexes(cursor) if drop_indexes else []
        for name, _ in dropped:
            cursor.execute(f'DROP INDEX "{name}"')

        templates = _templates(first_payment)
        _load_templates(cursor, templates, months)
        cursor.execute("SELECT id, code FROM servicing_ledgeraccount")
        account = {code: pk for pk, code in cursor.fetchall()}
        cursor.execute("SELECT id FROM auth_group WHERE name = 'borrower'")
        group = cursor.fetchone()
        if group is None:
            raise RuntimeError("the borrower group is missing: run migrate first")
        params = {
            "prefix": prefix,
            "months": months,
            "term": TERM,
            "ntpl": len(templates),
            "now": timezone.now(),
            "group": group[0],
            **{f"acct_{code}": pk for code, pk in account.items()},
        }
        ids = {
            "user": _reserve(cursor, "core_user", count),
            "loan": _reserve(cursor, "servicing_loanaccount", count),
            "inst": _reserve(cursor, "servicing_installment", count * TERM),
            "je": _reserve(cursor, "servicing_journalentry", count * (months + 2)),
            "txn": _reserve(cursor, "servicing_loantransaction", count * months),
        }
        for low in range(0, count, BATCH):
            high = min(low + BATCH, count)
            batch = {**params, **{f"{k}_base": v for k, v in ids.items()}, "lo": low, "hi": high - 1, "n0": start}
            for name, sql in STATEMENTS:
                step(name, sql, batch)
            if verbose:
                print(f"  ... {start + high - 1:,} loans", flush=True)

        for _name, definition in dropped:
            step("indexes", definition)
        if not checked:
            for table, trigger in JOURNAL_TRIGGERS:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
    begin = time.perf_counter()
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"ANALYZE {table}")  # VACUUM needs no transaction; ANALYZE is what the planner needs
    steps["analyze"] = time.perf_counter() - begin
    return SeedReport(loans=count, months=months, seconds=time.perf_counter() - started, steps=steps)


# Loan k of the round (k = lo..hi, 0-based within this call) is loan number n0 + k, template k % ntpl, and owns
# ids: user/loan base + k; installments inst_base + k*term + (number - 1); entries je_base + k*(months+2) + j
# (j = 0 disbursement, 1 escrow deposit, 1 + p the p-th payment); transactions txn_base + k*months + (p - 1).
_K = "generate_series(%(lo)s, %(hi)s) AS k"
_TPL = "JOIN bench_tpl t ON t.id = k %% %(ntpl)s"
_PAID = "JOIN bench_tpl_row r ON r.tpl = k %% %(ntpl)s AND r.number <= %(months)s"
_JE = "%(je_base)s + k * (%(months)s + 2)"

STATEMENTS = (
    (
        "users",
        f"""
        INSERT INTO core_user (id, password, is_superuser, email, first_name, last_name, phone, is_staff,
                               is_active, date_joined)
        SELECT %(user_base)s + k, '!', false, lower(%(prefix)s) || '-' || (%(n0)s + k) || '@borrowers.example.com',
               'Pat', 'Borrower ' || %(prefix)s || (%(n0)s + k), '', false, true, %(now)s
          FROM {_K}
        """,
    ),
    (
        "users",
        f"INSERT INTO core_user_groups (user_id, group_id) SELECT %(user_base)s + k, %(group)s FROM {_K}",
    ),
    (
        "loans",
        f"""
        INSERT INTO servicing_loanaccount (
            id, loan_number, borrower_id, borrower_name, product_code, product_name, status, principal,
            annual_rate, term_periods, payment_frequency, amortization, interest_only_periods, day_count,
            odd_first_period, disbursement_date, first_payment_date, maturity_date, regular_payment,
            late_fee_percent, late_fee_flat, grace_days, allocation_strategy, escrow_monthly_payment,
            escrow_initial_deposit, escrow_cushion, principal_balance, interest_due, fees_due, escrow_balance,
            suspense_balance, interest_paid_through, interest_accrued_through, next_due_date, version, boarded_at,
            updated_at, escrow_analysis_date)
        SELECT %(loan_base)s + k, %(prefix)s || '-' || lpad((%(n0)s + k)::text, 7, '0'), %(user_base)s + k,
               'Pat Borrower ' || %(prefix)s || (%(n0)s + k), 'bench-30y', 'Bench 30-year fixed', 'active',
               t.principal, t.rate, %(term)s, 'monthly', 'level', 0, '30/360', 'per_diem',
               (r1.due_date - interval '1 month')::date, r1.due_date, t.maturity, t.regular_payment,
               5, 0, 15, 'mortgage_standard', t.escrow_monthly, t.deposit, t.deposit,
               t.principal - t.principal_paid, 0, 0, t.deposit + t.escrow_paid, 0, t.paid_through, t.paid_through,
               t.next_due,
               3 + %(months)s, %(now)s, %(now)s,
               (t.next_due + (k %% 12) * interval '1 month')::date - 30
          FROM {_K} {_TPL} JOIN bench_tpl_row r1 ON r1.tpl = t.id AND r1.number = 1
        """,
    ),
    (
        "installments",
        f"""
        INSERT INTO servicing_installment (id, loan_id, number, due_date, principal, interest, escrow, payment,
                                           paid_principal, paid_interest, paid_escrow, paid_on)
        SELECT %(inst_base)s + k * %(term)s + r.number - 1, %(loan_base)s + k, r.number, r.due_date, r.principal,
               r.interest, r.escrow, r.payment,
               CASE WHEN paid THEN r.principal ELSE 0 END, CASE WHEN paid THEN r.interest ELSE 0 END,
               CASE WHEN paid THEN r.escrow ELSE 0 END, CASE WHEN paid THEN r.due_date END
          FROM {_K} JOIN bench_tpl_row r ON r.tpl = k %% %(ntpl)s,
               LATERAL (SELECT r.number <= %(months)s AS paid) p
         ORDER BY k, r.number
        """,
    ),
    (
        "escrow items",
        f"""
        INSERT INTO servicing_escrowitem (loan_id, kind, description, payee, annual_amount, payments_per_year,
                                          next_due_date)
        SELECT %(loan_base)s + k, kind, description, payee, amount, per_year, t.next_due
          FROM {_K} {_TPL},
               LATERAL (VALUES ('property_tax', 'Property tax', 'County treasurer', t.tax, 2),
                               ('hazard_insurance', 'Homeowner''s insurance premium', 'Bench Mutual', t.insurance, 1)
                       ) AS item(kind, description, payee, amount, per_year)
        """,
    ),
    (
        "journal entries",
        f"""
        INSERT INTO servicing_journalentry (id, loan_id, effective_date, posted_at, kind, memo)
        SELECT {_JE}, %(loan_base)s + k, (r1.due_date - interval '1 month')::date, %(now)s, 'disbursement',
               'Disbursement of ' || %(prefix)s || '-' || lpad((%(n0)s + k)::text, 7, '0')
          FROM {_K} JOIN bench_tpl_row r1 ON r1.tpl = k %% %(ntpl)s AND r1.number = 1
        UNION ALL
        SELECT {_JE} + 1, %(loan_base)s + k, (r1.due_date - interval '1 month')::date, %(now)s, 'escrow_deposit',
               'Initial escrow deposit, collected at closing'
          FROM {_K} JOIN bench_tpl_row r1 ON r1.tpl = k %% %(ntpl)s AND r1.number = 1
        """,
    ),
    (
        "journal entries",
        f"""
        INSERT INTO servicing_journalentry (id, loan_id, effective_date, posted_at, kind, memo)
        SELECT {_JE} + 1 + r.number, %(loan_base)s + k, r.due_date, r.due_date + time '12:00', 'payment',
               'Payment ACH ' || %(prefix)s || (%(n0)s + k) || '-' || r.number || ' (ach)'
          FROM {_K} {_PAID}
         ORDER BY k, r.number
        """,
    ),
    (
        "journal lines",
        f"""
        INSERT INTO servicing_journalline (entry_id, account_id, loan_id, debit, credit)
        SELECT {_JE} + line.j, line.account, %(loan_base)s + k, line.debit, line.credit
          FROM {_K} {_TPL},
               LATERAL (VALUES (0, %(acct_loans_receivable)s, t.principal, 0::numeric),
                               (0, %(acct_cash)s, 0, t.principal - t.fee),
                               (0, %(acct_fee_income)s, 0, t.fee),
                               (1, %(acct_cash)s, t.deposit, 0),
                               (1, %(acct_escrow_liability)s, 0, t.deposit)
                       ) AS line(j, account, debit, credit)
         WHERE line.debit > 0 OR line.credit > 0
        """,
    ),
    (
        "journal lines",
        f"""
        INSERT INTO servicing_journalline (entry_id, account_id, loan_id, debit, credit)
        SELECT {_JE} + 1 + r.number, line.account, %(loan_base)s + k, line.debit, line.credit
          FROM {_K} {_PAID},
               LATERAL (VALUES (%(acct_cash)s, r.payment, 0::numeric),
                               (%(acct_interest_income)s, 0, r.interest),
                               (%(acct_loans_receivable)s, 0, r.principal),
                               (%(acct_escrow_liability)s, 0, r.escrow)
                       ) AS line(account, debit, credit)
         WHERE line.debit > 0 OR line.credit > 0
         ORDER BY k, r.number
        """,
    ),
    (
        "payments",
        f"""
        INSERT INTO servicing_loantransaction (id, loan_id, kind, amount, effective_date, method, reference,
                                               idempotency_key, directive, status, journal_entry_id, note,
                                               posted_at)
        SELECT %(txn_base)s + k * %(months)s + r.number - 1, %(loan_base)s + k, 'payment', r.payment, r.due_date,
               'ach', 'ACH ' || %(prefix)s || (%(n0)s + k) || '-' || r.number,
               'bench:' || %(prefix)s || (%(n0)s + k) || ':' || r.number, 'standard', 'posted',
               {_JE} + 1 + r.number, '', r.due_date + time '12:00'
          FROM {_K} {_PAID}
         ORDER BY k, r.number
        """,
    ),
    (
        "allocation lines",
        f"""
        INSERT INTO servicing_allocationline (transaction_id, installment_id, bucket, amount)
        SELECT %(txn_base)s + k * %(months)s + r.number - 1, %(inst_base)s + k * %(term)s + r.number - 1,
               line.bucket, line.amount
          FROM {_K} {_PAID},
               LATERAL (VALUES ('interest', r.interest), ('principal', r.principal), ('escrow', r.escrow)
                       ) AS line(bucket, amount)
         WHERE line.amount > 0
         ORDER BY k, r.number
        """,
    ),
)


YOUNG_PREFIX = "BY"  # loans with a single payment: the other side of the query-count comparison
YOUNG_LOANS = 20


def ensure_portfolio(loans: int | None = None) -> int:
    """Seed the bench portfolio unless it is already there (a second bench in the same ``make bench`` run reuses
    it), plus ``YOUNG_LOANS`` loans with one payment; print what was done and how long it took. The scale."""
    loans = bench_scale() if loans is None else loans
    print(f"servicing portfolio: {loans:,} loans x {HISTORY_MONTHS} monthly payments (LENDING_BENCH_LOANS)", flush=True)
    report = seed_portfolio(loans, verbose=True)
    if report.loans:
        print(f"  {report}", flush=True)
        begin = time.perf_counter()
        vacuum_analyze()
        print(
            f"  VACUUM ANALYZE (as autovacuum would on a live database) {time.perf_counter() - begin:.1f}s", flush=True
        )
    else:
        print("  already seeded in this database: reused", flush=True)
    seed_portfolio(YOUNG_LOANS, months=1, prefix=YOUNG_PREFIX)
    return loans


def vacuum_analyze() -> None:
    """VACUUM ANALYZE the seeded tables: the visibility map lets index-only scans skip the heap."""
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
