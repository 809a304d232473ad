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
from django.db.models import Count, QuerySet

from lending.core.sql import money_sum
from lending.finance.money import ZERO
from lending.finance.ratios import percent_of
from origination.models import Application, Funding, TransitionLog
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


# Added up per (state, officer) first, then the officers' names joined to those few rows, not to every application.
COUNTS_SQL = """
WITH cohort AS ({cohort}),
counts AS (
    SELECT c.status, c.loan_officer_id, COUNT(*) AS n, SUM(c.amount_requested) AS amount,
        SUM(f.loan_amount) AS funded_amount
    FROM cohort c LEFT JOIN {funding} f ON f.application_id = c.pk
    GROUP BY c.status, c.loan_officer_id
)
SELECT k.status, k.loan_officer_id, u.first_name, u.last_name, u.email, k.n, k.amount, k.funded_amount
FROM counts k LEFT JOIN {user} u ON u.id = k.loan_officer_id
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


def state_and_officer_counts(cohort: QuerySet[Application]) -> list[dict[str, Any]]:
    """The cohort counted per (state, loan officer): applications, amount requested, amount funded. One query, the
    one scan both tables below are added up from (at most states x officers rows)."""
    cohort_sql, params = _cohort_sql(cohort, "status", "loan_officer_id", "amount_requested")
    sql = COUNTS_SQL.format(cohort=cohort_sql, funding=Funding._meta.db_table, user=get_user_model()._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [dict(zip(COUNT_KEYS, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["amount"], row["funded_amount"] = money_sum(row["amount"]), money_sum(row["funded_amount"])
    return rows


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


def fallout(cohort: QuerySet[Application]) -> list[FalloutRow]:
    """Applications denied or withdrawn, by the state they left. One query over their transitions out."""
    rows = (
        TransitionLog.objects.filter(application__in=cohort.values("pk"), to_status__in=FELL_OUT)
        .values("to_status", "from_status")
        .annotate(n=Count("application", distinct=True))
        .order_by("to_status", "from_status")
    )
    order = {state: i for i, state in enumerate(Status.values)}
    found = [FalloutRow(row["to_status"], row["from_status"], row["n"]) for row in rows]
    return sorted(found, key=lambda row: (order[row.outcome], order[row.from_state]))


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
# rows) of each group ranked by length, found with window functions: either way the database does the work.
MEDIAN_SQL = {
    "postgresql": """
WITH cohort AS ({cohort}), spans AS ({spans})
SELECT key, COUNT(*), PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY span), AVG(span) FROM spans GROUP BY key
""",
    "sqlite": """
WITH cohort AS ({cohort}),
spans AS ({spans}),
ranked AS (
    SELECT key, span, ROW_NUMBER() OVER (PARTITION BY key ORDER BY span) AS rn, COUNT(*) OVER (PARTITION BY key) AS n
    FROM spans
)
SELECT key, MAX(n), AVG(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2) THEN span END), AVG(span)
FROM ranked GROUP BY key
""",
}


def _durations(spans: str, per_second: Decimal, cohort: QuerySet[Application], *fields: str) -> list[Duration]:
    cohort_sql, params = _cohort_sql(cohort, *fields)
    with connection.cursor() as cursor:
        cursor.execute(MEDIAN_SQL[connection.vendor].format(cohort=cohort_sql, spans=spans), params)
        rows = cursor.fetchall()
    return [Duration(key, n, _days(median, per_second), _days(mean, per_second)) for key, n, median, mean in rows]


# Each stay in a state ends with a transition out of it, which writes the stay's state and length (ApplicationStay,
# a third of the log's width). The stays are sorted by state to group them: in byte order (PostgreSQL's "C") the
# query costs a quarter less than in a language's collation (measured against ICU en-US; the postgres image
# creates its database in en_US.utf8), and groups the same (the rows are put in workflow order here after).
STAYS_SQL = """
SELECT s.state{collate} AS key, s.length_us AS span
FROM origination_applicationstay s JOIN cohort c ON c.pk = s.application_id
"""
MICROSECONDS = Decimal(1_000_000)  # a stay's length, on either database
# The cohort brings the application date: the applications are read once (from the index), not joined again.
TURN_TIMES_SQL = """
SELECT 'funded' AS key, {span} AS span
FROM origination_funding f JOIN cohort c ON c.pk = f.application_id
"""


def time_in_state(cohort: QuerySet[Application]) -> list[Duration]:
    """Per state left at least once, in workflow order: the stays that ended. One query."""
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    order = {state: i for i, state in enumerate(Status.values)}
    return sorted(_durations(STAYS_SQL.format(collate=collate), MICROSECONDS, cohort), key=lambda row: order[row.key])


def turn_time(cohort: QuerySet[Application]) -> Duration | None:
    """From the application date to the funding date, over the funded applications taken. One query."""
    spans = TURN_TIMES_SQL.format(span=_span_between_dates("f.funded_on", "c.application_date"))
    rows = _durations(spans, PER_SECOND[connection.vendor], cohort, "application_date")
    return rows[0] if rows else None


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
    them to disk) and no JIT compilation (it costs more than these queries run). One query; none elsewhere."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '32MB'; SET LOCAL jit = off")


def pipeline_report(cohort: QuerySet[Application]) -> Pipeline:
    """Everything the application part of the page shows for ``cohort`` (the applications taken, filtered: see
    ``taken``): four queries (five on PostgreSQL)."""
    _sort_in_memory()
    cohort = cohort.order_by()
    counts = state_and_officer_counts(cohort)
    return Pipeline(
        states=by_state(counts),
        officers=by_officer(counts),
        fallout=fallout(cohort),
        time_in_state=time_in_state(cohort),
        turn_time=turn_time(cohort),
    )
