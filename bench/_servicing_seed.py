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

Speed: the statements (bench/_seed_sql.py) generate every row in the server, in id order, without a sort. Ids
are reserved from each table's identity sequence and computed, so rows refer to each other without lookups. The
big load (``drop_indexes``, by default from 50,000 loans) as a superuser is bench/_seed_load.py: every index no
foreign key depends on (secondary indexes and unique constraints), and the installments' primary key with the
foreign keys that refer to it, is dropped and rebuilt once from the loaded rows; the tables load on two connections
at once, table by table, and the two share the index builds and ``VACUUM ANALYZE``s that follow, with
``session_replication_role = replica`` so that no trigger or foreign-key check fires (true by construction).
Figures: bench/_seed_load.py.

The ledger's daily totals of the lines loaded with ``session_replication_role = replica`` (which skips the journal
lines' trigger that adds them) are computed from the templates, times the loans of each (``DAILY_TOTALS``): a few
hundred rows, not a second pass over the millions of lines.

Otherwise it is one transaction: the journal's balance-check triggers (servicing/migrations/0042) are disabled for
the load (``ALTER TABLE ... DISABLE TRIGGER``: they would queue every entry and re-sum all its lines at commit) and
re-enabled in the same transaction; as a superuser, ``session_replication_role = replica`` also skips the
foreign-key checks; secondary indexes are dropped and rebuilt at the end if ``drop_indexes``. ``checked=True`` keeps
every trigger and index: the test uses it to let the database itself check the seeded journal.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from bench._report import report
from bench._seed_load import Job, Phases, Timer, reserve_ids, run_jobs, server_writes, set_aside
from bench._seed_sql import (
    ALLOCATION_LINES,
    DAILY_TOTALS,
    LOAN_TOTALS,
    MONTH_END_COUNTS,
    MONTH_END_TAPE,
    OPENING_LINES,
    PAYMENT_LINES,
    STATEMENTS,
    STRATA,
)
from bench._seed_templates import TERM, Template, load_templates, templates_for
from lending.finance.daycount import add_months

DEFAULT_LOANS = 100_000
SEED_TARGET_SECONDS = 180  # issue 15: 100,000 loans with five years of history in at most 3 minutes
HISTORY_MONTHS = 60
PREFIX = "BL"  # loan numbers BL-0000001...; the 1-payment loans of the query-count comparison are BY-...
BATCH = 10_000  # loans per INSERT ... SELECT round: bounded statement size and visible progress

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
    steps: dict[str, float]  # seconds per phase; the parallel load's phases overlap, so they add up to more
    rows: dict[str, int] = field(default_factory=dict)
    vacuumed: bool = False  # the load ran VACUUM ANALYZE on every table it wrote
    cpu: dict[str, float] = field(default_factory=dict)  # the server's CPU seconds per phase, where measured
    client_cpu: float = 0.0  # this process's CPU seconds (every thread)
    written: tuple[int, int] | None = None  # the fast load's bytes written by the cluster: (pages, WAL)

    def __str__(self) -> str:
        steps = ", ".join(f"{name} {sec:.1f}s" for name, sec in self.steps.items())
        return f"seeded {self.loans:,} loans x {self.months} payments in {self.seconds:.1f}s ({steps})"

    @property
    def server_cpu(self) -> float:
        return sum(self.cpu.values())

    def phase_lines(self) -> list[str]:
        """One line per phase: rows written (where it writes), seconds and the server's CPU seconds (the wall
        seconds of a loaded machine count the other work too; the CPU seconds do not)."""
        lines = []
        for name, sec in self.steps.items():
            rows = f"{self.rows[name]:>12,} rows" if name in self.rows else f"{'':>17}"
            cpu = f"{self.cpu[name]:8.1f}s CPU" if name in self.cpu else ""
            lines.append(f"{name:<34} {rows} {sec:8.1f}s{cpu}")
        return lines


@dataclass(frozen=True)
class _Plan:
    """What one call writes: the statements' parameters (ids reserved, accounts looked up) and its rounds."""

    params: dict
    count: int
    months: int
    templates: list[Template]

    def rounds(self) -> list[dict]:
        return [
            {**self.params, "lo": low, "hi": min(low + BATCH, self.count) - 1} for low in range(0, self.count, BATCH)
        ]

    def prepare(self, cursor) -> None:
        """The templates' temporary tables on this connection (dropped at its commit)."""
        load_templates(cursor, self.templates, self.months)


def _plan(cursor, *, start: int, count: int, months: int, prefix: str, first_payment: date) -> _Plan:
    cursor.execute("SELECT id, code FROM servicing_ledgeraccount")
    account = {code: pk for pk, code in cursor.fetchall()}
    cursor.execute("SELECT id FROM auth_group WHERE name = 'borrower'")
    group = cursor.fetchone()
    if group is None:
        raise RuntimeError("the borrower group is missing: run migrate first")
    templates = templates_for(first_payment)
    ids = {
        "user": reserve_ids(cursor, "core_user", count),
        "loan": reserve_ids(cursor, "servicing_loanaccount", count),
        "inst": reserve_ids(cursor, "servicing_installment", count * TERM),
        "je": reserve_ids(cursor, "servicing_journalentry", count * (months + 2)),
        "txn": reserve_ids(cursor, "servicing_loantransaction", count * months),
        "jl": reserve_ids(cursor, "servicing_journalline", count * (OPENING_LINES + PAYMENT_LINES * months)),
        "al": reserve_ids(cursor, "servicing_allocationline", count * months * ALLOCATION_LINES),
    }
    params = {
        "prefix": prefix,
        "months": months,
        "term": TERM,
        "ntpl": len(templates),
        "now": timezone.now(),
        "group": group[0],
        "n0": start,
        **{f"acct_{code}": pk for code, pk in account.items()},
        **{f"{k}_base": v for k, v in ids.items()},
    }
    return _Plan(params=params, count=count, months=months, templates=templates)


def _is_superuser(cursor) -> bool:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    return cursor.fetchone()[0]


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
    continuing after the ones already there (a rerun tops up, never duplicates). One transaction, but for the
    fast load (``drop_indexes`` as a superuser: bench/_seed_load.py), which takes two connections and commits
    table by table."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the servicing bench seeder is PostgreSQL only (INSERT ... SELECT, COPY, sequences)")
    if not 1 <= months < TERM:
        raise ValueError(f"months must be between 1 and {TERM - 1}")
    today = today or timezone.localdate()
    first_payment = add_months(date(today.year, today.month, 1), 1 - months)
    drop_indexes = (not checked and loans >= 5 * BATCH) if drop_indexes is None else drop_indexes
    started, client = time.perf_counter(), _client_cpu()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM servicing_loanaccount WHERE loan_number LIKE %s", [f"{prefix}-%"])
        have = cursor.fetchone()[0]
        if have >= loans:
            return SeedReport(loans=0, months=months, seconds=0.0, steps={})
        fast = drop_indexes and not checked and not connection.in_atomic_block and _is_superuser(cursor)
        with transaction.atomic():
            plan = _plan(
                cursor, start=have + 1, count=loans - have, months=months, prefix=prefix, first_payment=first_payment
            )
    phases = Phases()
    written: tuple[int, int] | None = None
    if fast:
        with connection.cursor() as cursor:
            before = server_writes(cursor)
        _load_in_parallel(plan, phases, verbose=verbose)
        _daily_totals_of_templates(plan, phases)
        with connection.cursor() as cursor:
            pages, wal = server_writes(cursor)
        written = (pages - before[0], wal - before[1])
    else:
        _load_in_one_transaction(plan, phases, checked=checked, drop_indexes=drop_indexes, verbose=verbose)
    return SeedReport(
        loans=plan.count,
        months=months,
        seconds=time.perf_counter() - started,
        steps=phases.seconds,
        rows=phases.rows,
        vacuumed=fast,
        cpu=phases.cpu,
        client_cpu=_client_cpu() - client,
        written=written,
    )


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def _daily_totals_of_templates(plan: _Plan, phases: Phases, cursor=None) -> None:
    """The ledger's per-account daily totals (what the trial balance reads) of the lines written with
    ``session_replication_role = replica``, which skips the journal lines' trigger that adds them: their sums
    per account and day, computed from the templates and the number of loans of each (a few hundred rows), not
    summed from the lines (a full scan of 24M lines at 100,000 loans: a minute of one core, and the whole journal
    again for the 20 one-payment loans). What was there before stays: it counts the lines that were there."""
    if cursor is None:
        with transaction.atomic(), connection.cursor() as cursor:
            plan.prepare(cursor)
            _daily_totals_of_templates(plan, phases, cursor)
        return
    timer = Timer(cursor, phases)
    cursor.execute(DAILY_TOTALS, {**plan.params, "lo": 0, "hi": plan.count - 1})
    timer.lap("daily ledger totals", cursor.rowcount)
    cursor.execute(LOAN_TOTALS, {**plan.params, "lo": 0, "hi": plan.count - 1})  # the loans' triggers were skipped too
    timer.lap("loan balance totals", cursor.rowcount)
    cursor.execute(STRATA, {**plan.params, "lo": 0, "hi": plan.count - 1})
    timer.lap("portfolio strata", cursor.rowcount)


# The fast load's jobs, biggest first (two connections take them in this order): (job, its phases of STATEMENTS).
JOBS = (
    ("installments", ("installments",)),
    ("journal lines", ("journal lines",)),
    ("allocation lines", ("allocation lines",)),
    ("payments", ("payments",)),
    ("journal entries", ("journal entries",)),
    ("users, loans, escrow items", ("users", "loans", "escrow items")),
)
# The tables whose primary key the fast load sets aside with the foreign keys that refer to it (bench/_seed_load.py):
# keeping the installments' key cost its 36M inserts 30-45 % of their CPU; building it afterwards and checking the
# allocation lines' foreign key (a merge join of two indexes) costs a fraction of that. The journal entries' and
# payments' keys stay: their referrers (24.5M journal lines, 18M allocation lines) would cost as much to check.
KEYS_WITH_REFERRERS = ("servicing_installment",)


def _load_in_parallel(plan: _Plan, phases: Phases, *, verbose: bool) -> None:
    jobs = [
        Job(
            name=name,
            tables=tuple(dict.fromkeys(table for phase, table, _ in STATEMENTS if phase in members)),
            statements=tuple((phase, sql) for phase, _, sql in STATEMENTS if phase in members),
        )
        for name, members in JOBS
    ]
    with connection.cursor() as cursor:
        aside = set_aside(cursor, TABLES, keys_with_referrers=KEYS_WITH_REFERRERS)
    run_jobs(
        jobs,
        aside=aside,
        prepare=plan.prepare,
        rounds=plan.rounds(),
        phases=phases,
        discard=lambda cursor: _discard(cursor, plan),
        verbose=verbose,
    )


def _discard(cursor, plan: _Plan) -> None:
    """Delete the rows of ``plan``'s reserved id ranges (a failed fast load committed some tables)."""
    p, count = plan.params, plan.count
    ranges = {
        "user": (p["user_base"], count),
        "loan": (p["loan_base"], count),
        "txn": (p["txn_base"], count * plan.months),
    }
    for table, column, kind in (
        ("servicing_allocationline", "transaction_id", "txn"),
        ("servicing_journalline", "loan_id", "loan"),
        ("servicing_loantransaction", "loan_id", "loan"),
        ("servicing_journalentry", "loan_id", "loan"),
        ("servicing_installment", "loan_id", "loan"),
        ("servicing_escrowitem", "loan_id", "loan"),
        ("servicing_loanaccount", "id", "loan"),
        ("core_user_groups", "user_id", "user"),
        ("core_user", "id", "user"),
    ):
        first, size = ranges[kind]
        cursor.execute(f"DELETE FROM {table} WHERE {column} BETWEEN %s AND %s", [first, first + size - 1])


def _load_in_one_transaction(plan: _Plan, phases: Phases, *, checked: bool, drop_indexes: bool, verbose: bool) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'; SET LOCAL work_mem = '256MB'")
        replica = not checked and _is_superuser(cursor)
        if not checked:
            for table, trigger in JOURNAL_TRIGGERS:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
            if replica:  # skip the foreign-key checks too (ids are correct by construction)
                cursor.execute("SET LOCAL session_replication_role = replica")
        dropped = _secondary_indexes(cursor) if drop_indexes else []
        for name, _ in dropped:
            cursor.execute(f'DROP INDEX "{name}"')
        plan.prepare(cursor)
        timer = Timer(cursor, phases)
        for params in plan.rounds():
            for name, _table, sql in STATEMENTS:
                cursor.execute(sql, params)
                timer.lap(name, cursor.rowcount)
            if verbose:
                print(f"  ... {params['n0'] + params['hi']:,} loans", flush=True)
        for _name, definition in dropped:
            cursor.execute(definition)
        if dropped:
            timer.lap("indexes")
        if replica:  # otherwise the journal lines' trigger (migration 0033) added them, statement by statement
            _daily_totals_of_templates(plan, phases, cursor)
        if not checked:
            for table, trigger in JOURNAL_TRIGGERS:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
    with connection.cursor() as cursor:
        timer = Timer(cursor, phases)
        for table in TABLES:
            cursor.execute(f"ANALYZE {table}")  # VACUUM needs no transaction; ANALYZE is what the planner needs
        timer.lap("analyze")


YOUNG_PREFIX = "BY"  # loans with a single payment: the other side of the query-count comparison
YOUNG_LOANS = 20


def ensure_portfolio(loans: int | None = None) -> int:
    """Seed the bench portfolio unless it is already there (a second bench in the same ``make bench`` run reuses
    it), plus ``YOUNG_LOANS`` loans with one payment; print what was done and how long it took. The scale."""
    loans = bench_scale() if loans is None else loans
    print(f"servicing portfolio: {loans:,} loans x {HISTORY_MONTHS} monthly payments (LENDING_BENCH_LOANS)", flush=True)
    report = seed_portfolio(loans, verbose=True)
    if report.loans:
        seconds = report.seconds
        if not report.vacuumed:
            begin = time.perf_counter()
            vacuum_analyze()
            report.steps["VACUUM ANALYZE"] = time.perf_counter() - begin
            seconds += report.steps["VACUUM ANALYZE"]
        for line in report.phase_lines():
            print(f"  {line}", flush=True)
        print(
            f"  CPU: server {report.server_cpu:.1f}s, this process {report.client_cpu:.1f}s"
            f" ({os.cpu_count()} cores; wall {seconds:.1f}s)",
            flush=True,
        )
        if report.written:
            pages, wal = (size / 2**20 for size in report.written)
            print(f"  written: {pages:,.0f} MB of pages through the shared buffers, {wal:,.0f} MB of WAL", flush=True)
        _report_seconds(report.loans, seconds)
    else:
        print("  already seeded in this database: reused", flush=True)
    seed_portfolio(YOUNG_LOANS, months=1, prefix=YOUNG_PREFIX)
    return loans


def _report_seconds(loans: int, seconds: float) -> None:
    """The seeding time beside the issue's target: 3 minutes for 100,000 loans (scaled to other sizes)."""
    target = SEED_TARGET_SECONDS * loans / DEFAULT_LOANS
    note = "" if loans == DEFAULT_LOANS else f"target scaled from {SEED_TARGET_SECONDS}s at {DEFAULT_LOANS:,} loans"
    report(
        f"bench seeder: {loans:,} loans x {HISTORY_MONTHS} payments",
        seconds,
        "s",
        round(target, 1),
        higher_is_better=False,
        note=note,
    )


def vacuum_analyze(tables: Iterable[str] = TABLES) -> None:
    """VACUUM ANALYZE the seeded tables (this seeder's unless told): the visibility map lets index-only scans skip
    the heap, as on a live database autovacuum has long since set it. PostgreSQL only."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")


def seed_month_end_tape(months: int, today: date | None = None) -> int:
    """Write the month-end tape of the ``months`` months before ``today``'s (and its counts) as the nightly close
    of each would have, from the delinquency history in the database now (bench/_seed_sql.py MONTH_END_TAPE); the
    rows written. Nothing when the tape already holds one of those months (a real close ran)."""
    from servicing.services.month_end import month_close  # a model import: Django is set up by now

    today = today or timezone.localdate()
    firsts = [add_months(today.replace(day=1), -k) for k in range(months, 0, -1)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM servicing_loanmonthendcount WHERE month = ANY(%s::date[]) LIMIT 1", [firsts])
        if cursor.fetchone():
            return 0
        params = {
            "firsts": firsts,
            "closes": [month_close(first) for first in firsts],
            "befores": [month_close(add_months(first, -1)) for first in firsts],
        }
        cursor.execute(MONTH_END_TAPE, params)
        written = cursor.rowcount
        cursor.execute(MONTH_END_COUNTS, params)
        for table in ("servicing_loanmonthend", "servicing_loanmonthendcount"):
            cursor.execute(f"ANALYZE {table}")
    return written
