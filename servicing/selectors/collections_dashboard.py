"""The collections dashboard's figures, each one set-based query whatever the portfolio's size: loans and balances
by bucket, promises kept and broken this month and last, roll rates month over month, and each collector's
activity over the last 30 days.

Roll rate (stated on the page): of the loans in bucket X at the end of month M-1, the share in the next bucket at
the end of month M. A loan's bucket at a day's end is the one its latest delinquency-history row by that day moved
it to (``current`` before any row); a loan paid off or charged off by that day is in no bucket, so one that leaves
during M counts in X's loans at M-1 and did not roll. The current month counts to date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Sum

from lending.core import roles
from lending.core.models import User
from lending.core.selectors import users_with_role
from lending.core.sql import money_sum
from lending.finance.delinquency import DPD_BUCKETS
from lending.finance.money import ZERO
from servicing.models import LoanAccount, PromiseToPay

DELINQUENT_BUCKETS = DPD_BUCKETS[1:]  # 1-29 ... 120+
ROLLS = tuple(pairwise(DPD_BUCKETS[1:]))  # (1-29, 30-59) ... (90-119, 120+)
ROLL_MONTHS = 6
ACTIVITY_DAYS = 30
GONE = "gone"  # paid off or charged off by then


@dataclass(frozen=True)
class BucketRow:
    bucket: str
    loans: int
    principal: Decimal
    interest_and_fees: Decimal

    @property
    def balance(self) -> Decimal:
        return self.principal + self.interest_and_fees


@dataclass(frozen=True)
class PromiseMonth:
    label: str
    kept: int
    kept_amount: Decimal
    broken: int
    broken_amount: Decimal

    @property
    def kept_share(self) -> Decimal | None:
        resolved = self.kept + self.broken
        return (Decimal(self.kept) * 100 / resolved).quantize(Decimal("0.1")) if resolved else None


@dataclass(frozen=True)
class RollRate:
    from_bucket: str
    to_bucket: str
    month: str  # "2027-03"
    loans: int  # in from_bucket at the end of the month before
    rolled: int  # of them, in to_bucket at the end of this month

    @property
    def percent(self) -> Decimal | None:
        return (Decimal(self.rolled) * 100 / self.loans).quantize(Decimal("0.1")) if self.loans else None


@dataclass(frozen=True)
class CollectorActivity:
    name: str
    contacts: int
    right_party_contacts: int
    promises: int
    promised_amount: Decimal


@dataclass
class Dashboard:
    today: date
    buckets: list[BucketRow]
    promises: list[PromiseMonth]  # this month, last month
    months: list[str]  # the roll-rate months, oldest first
    rolls: list[RollRate]
    collectors: list[CollectorActivity]
    open_promises: int = 0
    totals: BucketRow = field(init=False)

    def __post_init__(self) -> None:
        self.totals = BucketRow(
            bucket="All delinquent",
            loans=sum(row.loans for row in self.buckets),
            principal=sum((row.principal for row in self.buckets), ZERO),
            interest_and_fees=sum((row.interest_and_fees for row in self.buckets), ZERO),
        )

    def roll_table(self) -> list[tuple[str, str, list[RollRate]]]:
        """(from, to, one RollRate per month) for the table."""
        return [(a, b, [r for r in self.rolls if (r.from_bucket, r.to_bucket) == (a, b)]) for a, b in ROLLS]


def buckets_summary() -> list[BucketRow]:
    """Active loans past due, per bucket (every bucket listed, zero when empty). One query."""
    rows: dict[str, Any] = {
        row["delinquency_bucket"]: row
        for row in LoanAccount.objects.filter(
            status=LoanAccount.Status.ACTIVE, days_past_due__gt=0, delinquency_bucket__in=DELINQUENT_BUCKETS
        )
        .values("delinquency_bucket")
        .annotate(loans=Count("pk"), principal=Sum("principal_balance"), other=Sum("interest_due") + Sum("fees_due"))
        .order_by()
    }
    return [
        BucketRow(
            bucket=bucket,
            loans=rows.get(bucket, {}).get("loans", 0),
            principal=rows.get(bucket, {}).get("principal") or ZERO,
            interest_and_fees=rows.get(bucket, {}).get("other") or ZERO,
        )
        for bucket in DELINQUENT_BUCKETS
    ]


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month_end(day: date) -> date:
    return _month_start(day) - timedelta(days=1)


# Promises resolved this month and last, kept and broken, and the open ones: one pass, written out rather than built
# by the ORM (nine filtered aggregates cost more to compile than to run, issue 15).
PROMISES_SQL = """
SELECT COUNT(*) FILTER (WHERE status = %s),
    COUNT(*) FILTER (WHERE status = %s AND resolved_on >= %s AND resolved_on <= %s),
    SUM(amount) FILTER (WHERE status = %s AND resolved_on >= %s AND resolved_on <= %s),
    COUNT(*) FILTER (WHERE status = %s AND resolved_on >= %s AND resolved_on <= %s),
    SUM(amount) FILTER (WHERE status = %s AND resolved_on >= %s AND resolved_on <= %s),
    COUNT(*) FILTER (WHERE status = %s AND resolved_on >= %s AND resolved_on < %s),
    SUM(amount) FILTER (WHERE status = %s AND resolved_on >= %s AND resolved_on < %s),
    COUNT(*) FILTER (WHERE status = %s AND resolved_on >= %s AND resolved_on < %s),
    SUM(amount) FILTER (WHERE status = %s AND resolved_on >= %s AND resolved_on < %s)
FROM servicing_promisetopay
WHERE (resolved_on >= %s AND resolved_on <= %s) OR status = %s
"""


def promises_summary(today: date) -> tuple[list[PromiseMonth], int]:
    """Promises resolved this month (to ``today``) and last month, kept and broken, with the open ones. One query."""
    this_start = _month_start(today)
    last_start = _month_start(_previous_month_end(today))
    pending, kept, broken = (PromiseToPay.Status.PENDING, PromiseToPay.Status.KEPT, PromiseToPay.Status.BROKEN)
    this_month, last_month = [this_start, today], [last_start, this_start]
    params: list[Any] = [pending]
    for period in (this_month, last_month):
        for status in (kept, broken):
            params += [status, *period] * 2  # the count, then the amount
    params += [last_start, today, pending]
    with connection.cursor() as cursor:
        cursor.execute(PROMISES_SQL, _params(params))
        open_promises, *figures = cursor.fetchone()
    months = []
    for index, label in ((0, f"{this_start:%B %Y} (to date)"), (4, f"{last_start:%B %Y}")):
        kept_n, kept_amount, broken_n, broken_amount = figures[index : index + 4]
        months.append(
            PromiseMonth(
                label=label,
                kept=kept_n,
                kept_amount=money_sum(kept_amount) or ZERO,
                broken=broken_n,
                broken_amount=money_sum(broken_amount) or ZERO,
            )
        )
    return months, open_promises


def month_ends(today: date, months: int = ROLL_MONTHS) -> list[date]:
    """The ends of the ``months`` months before this one and ``today``, oldest first: ``months`` rolls."""
    ends = [today]
    for _ in range(months):
        ends.append(_previous_month_end(ends[-1]))
    return ends[::-1]


# One pass over the delinquency history: each row holds from its night until the loan's next row (LEAD); a loan's
# bucket at a month end is the row holding then, or "gone" once the loan was paid off or charged off (the few loans
# that left the book, hashed); each month end is paired with the next by another LEAD, not a self-join.
ROLLS_SQL = """
WITH ends(i, e) AS (VALUES {ends}),
held AS (
    SELECT loan_id, bucket_to, as_of, LEAD(as_of) OVER (PARTITION BY loan_id ORDER BY as_of, id) AS until
    FROM servicing_delinquencyhistory WHERE as_of <= {today}
),
left_book AS (
    SELECT loan_id, MIN(left_on) AS left_on FROM (
        SELECT id AS loan_id, paid_off_on AS left_on FROM servicing_loanaccount
        WHERE status = 'paid_off' AND paid_off_on IS NOT NULL
        UNION ALL SELECT loan_id, charged_off_on FROM servicing_chargeoff
    ) AS gone GROUP BY loan_id
),
at_end AS (
    SELECT held.loan_id, ends.i,
        CASE WHEN left_book.left_on <= ends.e THEN 'gone' ELSE held.bucket_to END AS bucket
    FROM held JOIN ends ON held.as_of <= ends.e AND (held.until IS NULL OR held.until > ends.e)
    LEFT JOIN left_book ON left_book.loan_id = held.loan_id
),
paired AS (
    SELECT i, bucket, LEAD(i) OVER (PARTITION BY loan_id ORDER BY i) AS next_i,
        LEAD(bucket) OVER (PARTITION BY loan_id ORDER BY i) AS next_bucket
    FROM at_end
)
SELECT i + 1, bucket, next_bucket, COUNT(*) FROM paired
WHERE next_i = i + 1 AND bucket IN ({buckets})
GROUP BY i, bucket, next_bucket
"""


def _day_sql() -> str:
    return "CAST(%s AS date)" if connection.vendor == "postgresql" else "%s"  # SQLite compares ISO dates as text


def _params(params: list[Any]) -> list[str]:
    return [p.isoformat() if isinstance(p, date) else str(p) for p in params]


def counted_rolls(ends: list[date]) -> list[tuple[int, str, str, int]]:
    """(month index, bucket at the end before, bucket at the month's end, loans) over the month ends ``ends``,
    from the whole delinquency history: ROLLS_SQL, one query."""
    day = _day_sql()
    sql = ROLLS_SQL.format(
        ends=", ".join(f"({i}, {day})" for i in range(len(ends))),
        today=day,
        buckets=", ".join(["%s"] * len(ROLLS)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, _params([*ends, ends[-1], *(a for a, _ in ROLLS)]))
        return [tuple(row) for row in cursor.fetchall()]


# The kept closed months (servicing.models.roll_rates) when counted at the current version, and the current month
# from the kept loans: each one's bucket today is its latest move since the month end (kept, moved on by a trigger
# as history rows are added), or "gone" once paid off or charged off since (this month's few payoffs and charge-offs,
# each list hashed once: a join's plan hinged on the tables' statistics, a nested loop over a fresh, unanalysed
# snapshot cost 100 times the hash). One query: the first row (version, counts) then the current month's (bucket
# before, bucket after, loans, whether a move is dated after ``today``: then that day is counted from the history).
KEPT_SQL = """
WITH restatement AS (SELECT version FROM servicing_rollraterestatement WHERE id = 1),
current_month AS (
    SELECT bucket,
        CASE WHEN loan_id IN (
                SELECT id FROM servicing_loanaccount
                WHERE status = 'paid_off' AND paid_off_on > %(end)s AND paid_off_on <= %(today)s
            ) OR loan_id IN (
                SELECT loan_id FROM servicing_chargeoff WHERE charged_off_on > %(end)s AND charged_off_on <= %(today)s
            ) THEN 'gone' ELSE latest_bucket END AS next_bucket,
        COUNT(*) AS loans, BOOL_OR(latest_on > %(today)s) AS later
    FROM servicing_rollratesnapshotloan
    WHERE month_end = %(end)s AND version = (SELECT version FROM restatement)
    GROUP BY 1, 2
)
(SELECT 0 AS part, r.version, s.counts, NULL AS bucket, NULL AS next_bucket, NULL AS loans, false AS later
    FROM restatement r
    LEFT JOIN servicing_rollratesnapshot s ON s.month_end = %(end)s AND s.months = %(months)s
        AND s.version = r.version)
UNION ALL SELECT 1, NULL, NULL, bucket, next_bucket, loans, later FROM current_month
ORDER BY part
"""


def _kept_rolls(ends: list[date]) -> list[tuple[int, str, str, int]]:
    """``counted_rolls(ends)`` from the kept closed months and the kept loans' latest moves (PostgreSQL): one
    query. When the closed months are not kept at the current version (the nightly ``roll_rates_keep`` has not run
    since a month closed or a restatement), or a kept move is dated after ``ends[-1]`` (a view of a past day),
    everything is counted from the whole history: a second query, no write."""
    params: dict[str, Any] = {"end": ends[-2], "months": len(ends) - 1, "today": ends[-1]}
    with connection.cursor() as cursor:
        cursor.execute(KEPT_SQL, params)
        rows = cursor.fetchall()
    if not rows or rows[0][0] != 0 or rows[0][2] is None or any(row[6] for row in rows[1:]):
        return counted_rolls(ends)  # no restatement row (a flushed database), not kept, or moved past that day
    counts = rows[0][2]
    counts = json.loads(counts) if isinstance(counts, str) else counts  # Django loads jsonb as text
    current = len(ends) - 1
    return [*(tuple(row) for row in counts), *((current, *row[3:6]) for row in rows[1:])]


def roll_rates(today: date, months: int = ROLL_MONTHS) -> tuple[list[str], list[RollRate]]:
    """Roll rates for the last ``months`` months (see the module docstring). On PostgreSQL the closed months are
    read as kept (servicing.models.roll_rates, by ``servicing.services.roll_rates.roll_rates_keep``) and only the
    current month is counted from this month's history; otherwise (SQLite, or not kept) one query over the whole
    delinquency history (a window per loan and a join with the month ends). It never writes."""
    ends = month_ends(today, months)
    counted = _kept_rolls(ends) if connection.vendor == "postgresql" else counted_rolls(ends)
    return _rates(ends, counted)


def roll_rates_live(today: date, months: int = ROLL_MONTHS) -> tuple[list[str], list[RollRate]]:
    """``roll_rates`` counted from the whole history, nothing kept: what the kept figures must equal."""
    ends = month_ends(today, months)
    return _rates(ends, counted_rolls(ends))


def _rates(ends: list[date], counted: list[tuple[int, str, str, int]]) -> tuple[list[str], list[RollRate]]:
    """The RollRates of each (month, roll), from the counts per (month index, bucket before, bucket after)."""
    nexts = dict(ROLLS)
    loans: dict[tuple[int, str], int] = {}
    rolled: dict[tuple[int, str], int] = {}
    for i, before, after, n in counted:
        loans[i, before] = loans.get((i, before), 0) + n
        if after == nexts[before]:
            rolled[i, before] = rolled.get((i, before), 0) + n
    labels = [f"{end:%Y-%m}" for end in ends[1:]]
    rolls = [
        RollRate(
            from_bucket=a, to_bucket=b, month=labels[i - 1], loans=loans.get((i, a), 0), rolled=rolled.get((i, a), 0)
        )
        for i in range(1, len(ends))
        for a, b in ROLLS
    ]
    return labels, rolls


# Contacts and promises counted per person in one pass over each, with the collectors (their SQL from the ORM):
# written out, as the ORM's three-part union cost more to build than to run (issue 15).
ACTIVITY_SQL = """
SELECT collector_id, COUNT(*), COUNT(*) FILTER (WHERE right_party_contact), 0, NULL
FROM servicing_contactattempt WHERE at >= %s GROUP BY collector_id
UNION ALL
SELECT made_by_id, 0, 0, COUNT(*), SUM(amount) FROM servicing_promisetopay WHERE created_at >= %s GROUP BY made_by_id
"""
ACTIVITY_COLLECTORS_SQL = "UNION ALL SELECT id, 0, 0, 0, NULL FROM ({collectors}) AS collectors"


def _activity_sql(since: datetime) -> tuple[str, list[Any]]:
    """ACTIVITY_SQL and its parameters, with the collectors' part when the role has members to list."""
    at = connection.ops.adapt_datetimefield_value(since)
    try:
        collectors, params = users_with_role(roles.COLLECTOR).order_by().values("id").query.sql_with_params()
    except EmptyResultSet:  # no collector group
        return ACTIVITY_SQL, [at, at]
    return ACTIVITY_SQL + ACTIVITY_COLLECTORS_SQL.format(collectors=collectors), [at, at, *params]


def collector_activity(since: datetime) -> list[CollectorActivity]:
    """Per active collector (and anyone else who logged a contact or took a promise since ``since``): contacts,
    right-party contacts, promises taken and their amount. Three queries: the collector group's id; the contacts
    and promises counted per person in one pass over each, with the collectors (one union); the people's names.

    Counted per person in one pass, not per person in four correlated subqueries: those read the month's contacts
    once per collector and measure (75 ms for 11 people over 16,000 contacts, issue 15)."""
    figures: dict[int, list[Any]] = {}
    with connection.cursor() as cursor:
        cursor.execute(*_activity_sql(since))
        for pk, n_contacts, n_rpc, n_promises, promised in cursor.fetchall():
            row = figures.setdefault(pk, [0, 0, 0, ZERO])
            row[0] += n_contacts
            row[1] += n_rpc
            row[2] += n_promises
            row[3] += money_sum(promised) or ZERO
    users = (
        User.objects.filter(pk__in=list(figures))
        .order_by("first_name", "last_name", "pk")
        .only("pk", "first_name", "last_name", "email")
    )
    activity = []
    for user in users:
        n_contacts, n_rpc, n_promises, promised = figures.get(user.pk, (0, 0, 0, ZERO))
        activity.append(
            CollectorActivity(
                name=user.get_full_name() or user.email,
                contacts=n_contacts,
                right_party_contacts=n_rpc,
                promises=n_promises,
                promised_amount=promised,
            )
        )
    return activity


def collections_dashboard(today: date, now: datetime) -> Dashboard:
    """Everything the dashboard shows: five queries."""
    promises, open_promises = promises_summary(today)
    months, rolls = roll_rates(today)
    return Dashboard(
        today=today,
        buckets=buckets_summary(),
        promises=promises,
        open_promises=open_promises,
        months=months,
        rolls=rolls,
        collectors=collector_activity(now - timedelta(days=ACTIVITY_DAYS)),
    )
