"""The application parts of the pipeline report (/staff/reports/pipeline/): applications by state and by loan
officer, pull-through and fallout, time in each state and turn times from application to funding. Each figure is
one aggregate query over the applications taken in the period (``application_date``, the Reg B / HMDA date an
application is taken), whatever the size of the book.

Pull-through: funded over taken. Fallout: denied or withdrawn, by the state the application was in when it fell
out (its transition log). Time in a state: each stay that ended (a transition out of it), from when the application
entered the state (the transition records it) to the transition out; median and mean in days. Turn time:
from the application date to the funding date, for the funded ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import QuerySet

from lending.core.sql import money_sum
from lending.finance.money import ZERO
from lending.finance.ratios import percent_of
from origination.models import Application, ApplicationStay, Funding, TransitionLog
from origination.models.applications import Status

FELL_OUT = (Status.DENIED, Status.WITHDRAWN)
IN_PROGRESS = tuple(s for s in Status.values if s not in (*FELL_OUT, Status.FUNDED))
STATE_LABELS = dict(Status.choices)
DAY = Decimal(86400)
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class PipelineFilters:
    date_from: date
    date_to: date
    product: int | None = None  # LoanProduct pk
    officer: int | None = None  # loan officer's user pk


def taken(filters: PipelineFilters) -> QuerySet[Application]:
    """The applications taken in the period, with the filters."""
    rows = Application.objects.filter(application_date__gte=filters.date_from, application_date__lte=filters.date_to)
    if filters.product:
        rows = rows.filter(product_id=filters.product)
    if filters.officer:
        rows = rows.filter(loan_officer_id=filters.officer)
    return rows


def _cohort_sql(cohort: QuerySet[Application], *fields: str) -> tuple[str, list[Any]]:
    """The cohort's SQL, selecting its pk and ``fields`` only (with the application_date alone, the index answers)."""
    sql, params = cohort.order_by().values("pk", *fields).query.sql_with_params()
    return sql, list(params)


@dataclass(frozen=True)
class StateRow:
    state: str
    applications: int
    amount: Decimal

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]


# Added up per (state, officer) first, then each officer's name read by primary key for those few rows (joined,
# the planner guessed thousands of counted rows and hashed every user, borrowers included: a scan that grew with the
# portfolio); the turn times (application date to funding) measured over the same join, so the cohort and its
# fundings are read once for both (``{medians}`` below: one row, the turn times', or none when nothing was funded).
COHORT_SQL = """
WITH cohort AS ({cohort}),
joined AS (
    SELECT c.status, c.loan_officer_id, c.amount_requested, f.loan_amount, f.application_id AS funded,
        {span} AS span
    FROM cohort c LEFT JOIN {funding} f ON f.application_id = c.pk
),
counts AS (
    SELECT status, loan_officer_id, COUNT(*) AS n, SUM(amount_requested) AS amount, SUM(loan_amount) AS funded_amount
    FROM joined GROUP BY status, loan_officer_id
),
spans AS (SELECT 'funded' AS key, span FROM joined WHERE funded IS NOT NULL),
medians AS ({medians})
SELECT k.status, k.loan_officer_id,
    (SELECT u.first_name FROM {user} u WHERE u.id = k.loan_officer_id),
    (SELECT u.last_name FROM {user} u WHERE u.id = k.loan_officer_id),
    (SELECT u.email FROM {user} u WHERE u.id = k.loan_officer_id),
    k.n, k.amount, k.funded_amount, m.n, m.median, m.mean
FROM counts k LEFT JOIN medians m ON 1 = 1
"""
COUNT_KEYS = (
    "status",
    "loan_officer_id",
    "loan_officer__first_name",
    "loan_officer__last_name",
    "loan_officer__email",
    "n",
    "amount",
    "funded_amount",
)


def cohort_figures(cohort: QuerySet[Application]) -> tuple[list[dict[str, Any]], Duration | None]:
    """The cohort counted per (state, loan officer): applications, amount requested, amount funded (the one scan
    both tables below are added up from, at most states x officers rows); and the turn time. One query."""
    cohort_sql, params = _cohort_sql(cohort, "status", "loan_officer_id", "amount_requested", "application_date")
    sql = COHORT_SQL.format(
        cohort=cohort_sql,
        span=_span_between_dates("f.funded_on", "c.application_date"),
        funding=Funding._meta.db_table,
        medians=MEDIANS[connection.vendor],
        user=get_user_model()._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    rows = [dict(zip(COUNT_KEYS, row[: len(COUNT_KEYS)], strict=True)) for row in found]
    for row in rows:
        row["amount"], row["funded_amount"] = money_sum(row["amount"]), money_sum(row["funded_amount"])
    n, median, mean = found[0][len(COUNT_KEYS) :] if found else (None, None, None)
    per_second = PER_SECOND[connection.vendor]
    return rows, (Duration("funded", n, _days(median, per_second), _days(mean, per_second)) if n else None)


def by_state(counts: list[dict[str, Any]]) -> list[StateRow]:
    """Every state in workflow order (zero when empty): applications and amount requested."""
    totals: dict[str, tuple[int, Decimal]] = {}
    for row in counts:
        n, amount = totals.get(row["status"], (0, ZERO))
        totals[row["status"]] = (n + row["n"], amount + (row["amount"] or ZERO))
    return [StateRow(state, *totals.get(state, (0, ZERO))) for state in Status.values]


@dataclass(frozen=True)
class OfficerRow:
    officer_id: int | None
    name: str
    applications: int
    in_progress: int
    funded: int
    fell_out: int
    funded_amount: Decimal

    @property
    def pull_through(self) -> Decimal | None:
        return percent_of(self.funded, self.applications)


def _officer_name(row: Mapping[str, Any]) -> str:
    if row["loan_officer_id"] is None:
        return "Unassigned"
    full = f"{row['loan_officer__first_name']} {row['loan_officer__last_name']}".strip()
    return full or row["loan_officer__email"]


def by_officer(counts: list[dict[str, Any]]) -> list[OfficerRow]:
    """Per loan officer, by name (unassigned last): taken, in progress, funded, fallen out, amount funded."""
    officers: dict[int | None, OfficerRow] = {}
    for row in counts:
        key = row["loan_officer_id"]
        seen = officers.get(key) or OfficerRow(key, _officer_name(row), 0, 0, 0, 0, ZERO)
        state = row["status"]
        officers[key] = OfficerRow(
            officer_id=key,
            name=seen.name,
            applications=seen.applications + row["n"],
            in_progress=seen.in_progress + (row["n"] if state in IN_PROGRESS else 0),
            funded=seen.funded + (row["n"] if state == Status.FUNDED else 0),
            fell_out=seen.fell_out + (row["n"] if state in FELL_OUT else 0),
            funded_amount=seen.funded_amount + (row["funded_amount"] or ZERO),
        )
    return sorted(officers.values(), key=lambda row: (row.officer_id is None, row.name, row.officer_id or 0))


@dataclass(frozen=True)
class FalloutRow:
    outcome: str  # denied | withdrawn
    from_state: str
    applications: int

    @property
    def label(self) -> str:
        return f"{STATE_LABELS[self.outcome]} from {STATE_LABELS[self.from_state].lower()}"


@dataclass(frozen=True)
class Duration:
    """Stays (or turn times) counted, and their median and mean, in days to a tenth."""

    key: str
    count: int
    median_days: Decimal
    mean_days: Decimal

    @property
    def label(self) -> str:
        return STATE_LABELS.get(self.key, self.key)


# A turn time's unit: PostgreSQL's in whole microseconds (bigint: sorted and averaged much faster than a numeric,
# and as exact); SQLite's in seconds (julianday's float). A stay's length is in microseconds on either.
PER_SECOND = {"postgresql": Decimal(1_000_000), "sqlite": Decimal(1)}


def _days(span: float | Decimal | None, per_second: Decimal) -> Decimal:
    """A span (as the database's median or average hands it back, ``per_second`` to a second) in days, to a tenth."""
    return (Decimal(str(span or 0)) / (DAY * per_second)).quantize(TENTH)


def _span_between_dates(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"(({later} - {earlier})::bigint * 86400000000)"  # date - date: whole days
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


# The median: PostgreSQL's percentile_cont; SQLite has none, so there the middle row (or the mean of the two middle
# rows) of each group ranked by length, found with window functions: either way the database does the work. The
# body of a CTE over a ``spans`` CTE (key, span): per key, the count, median and mean.
MEDIANS = {
    "postgresql": """
SELECT key, COUNT(*) AS n, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY span) AS median, AVG(span) AS mean
FROM spans GROUP BY key
""",
    "sqlite": """
SELECT key, MAX(n) AS n, AVG(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2) THEN span END) AS median, AVG(span) AS mean
FROM (
    SELECT key, span, ROW_NUMBER() OVER (PARTITION BY key ORDER BY span) AS rn, COUNT(*) OVER (PARTITION BY key) AS n
    FROM spans
) ranked
GROUP BY key
""",
}

# Each stay in a state ends with a transition out of it, which writes the stay's state and length (ApplicationStay,
# a third of the log's width). The stays are sorted by state to group them: in byte order (PostgreSQL's "C") the
# query costs a quarter less than in a language's collation (measured against ICU en-US; the postgres image
# creates its database in en_US.utf8), and groups the same (the rows are put in workflow order here after).
# The fallout is counted in the same statement: the steps out to denied or withdrawn (a partial index of their own),
# by the state left. The cohort is written into each part (NOT MATERIALIZED): scanned once into a CTE, the planner
# guessed its rows and hashed all 256,250 stays instead of the quarter's 13,000 applications (3x the CPU).
STEPS_SQL = """
WITH cohort AS NOT MATERIALIZED ({cohort}),
spans AS (
    SELECT s.state{collate} AS key, s.length_us AS span
    FROM {stay} s JOIN cohort c ON c.pk = s.application_id
),
medians AS ({medians}),
fallout AS (
    SELECT t.to_status, t.from_status, COUNT(DISTINCT t.application_id) AS n
    FROM {step} t JOIN cohort c ON c.pk = t.application_id
    WHERE t.to_status IN ({fell_out})
    GROUP BY t.to_status, t.from_status
)
SELECT 'stay', key, NULL, n, median, mean FROM medians
UNION ALL
SELECT 'fallout', to_status, from_status, n, NULL, NULL FROM fallout
"""
MICROSECONDS = Decimal(1_000_000)  # a stay's length, on either database
STAY, FALLOUT = "stay", "fallout"


def step_figures(cohort: QuerySet[Application]) -> tuple[list[Duration], list[FalloutRow]]:
    """Time in each state (per state left at least once, the stays that ended) and the fallout (the applications
    denied or withdrawn, by the state they left), both in workflow order. One query."""
    cohort_sql, params = _cohort_sql(cohort)
    sql = STEPS_SQL.format(
        cohort=cohort_sql,
        collate=' COLLATE "C"' if connection.vendor == "postgresql" else "",
        stay=ApplicationStay._meta.db_table,
        medians=MEDIANS[connection.vendor],
        step=TransitionLog._meta.db_table,
        fell_out=", ".join(f"'{state}'" for state in FELL_OUT),  # constants: the partial index's own predicate
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    order = {state: i for i, state in enumerate(Status.values)}
    stays = [
        Duration(key, n, _days(median, MICROSECONDS), _days(mean, MICROSECONDS))
        for part, key, _, n, median, mean in found
        if part == STAY
    ]
    fallen = [FalloutRow(to, left, n) for part, to, left, n, _, _ in found if part == FALLOUT]
    return (
        sorted(stays, key=lambda row: order[row.key]),
        sorted(fallen, key=lambda row: (order[row.outcome], order[row.from_state])),
    )


@dataclass(frozen=True)
class Pipeline:
    states: list[StateRow]
    officers: list[OfficerRow]
    fallout: list[FalloutRow]
    time_in_state: list[Duration]
    turn_time: Duration | None

    @property
    def applications(self) -> int:
        return sum(row.applications for row in self.states)

    @property
    def funded(self) -> int:
        return sum(row.applications for row in self.states if row.state == Status.FUNDED)

    @property
    def fell_out(self) -> int:
        return sum(row.applications for row in self.states if row.state in FELL_OUT)

    @property
    def pull_through(self) -> Decimal | None:
        return percent_of(self.funded, self.applications)

    @property
    def fallout_rate(self) -> Decimal | None:
        return percent_of(self.fell_out, self.applications)


def _sort_in_memory() -> None:
    """PostgreSQL, for the rest of this transaction: sort a year's transitions in memory (the default 4 MB spills
    them to disk), no JIT compilation (it costs more than these queries run) and no parallel workers (the stays and
    the fallout ran in two, the funnel in one: starting them cost more CPU than they shared, 10-25 ms a page on two
    cores; measured with the workers' CPU, read from the postmaster's reaped children). One query; none elsewhere."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(
                "SET LOCAL work_mem = '32MB'; SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0"
            )


def pipeline_report(cohort: QuerySet[Application]) -> Pipeline:
    """Everything the application part of the page shows for ``cohort`` (the applications taken, filtered: see
    ``taken``): two queries (three on PostgreSQL)."""
    _sort_in_memory()
    cohort = cohort.order_by()
    counts, turn_time = cohort_figures(cohort)
    time_in_state, fallout = step_figures(cohort)
    return Pipeline(
        states=by_state(counts),
        officers=by_officer(counts),
        fallout=fallout,
        time_in_state=time_in_state,
        turn_time=turn_time,
    )
