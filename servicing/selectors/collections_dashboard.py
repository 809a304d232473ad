"""The collections dashboard's figures, each one set-based query whatever the portfolio's size: loans and balances
by bucket, promises kept and broken this month and last, roll rates month over month, and each collector's
activity over the last 30 days.

Roll rate (stated on the page): of the loans in bucket X at the end of month M-1, the share in the next bucket at
the end of month M. A loan's bucket at a day's end is the one its latest delinquency-history row by that day moved
it to (``current`` before any row); a loan paid off or charged off by that day is in no bucket, so one that leaves
during M counts in X's loans at M-1 and did not roll. The current month counts to date.

The closed months are read from the month-end tape (``servicing.models.month_end``), not recomputed from every
loan's history on each view: the same figures (the tests compare the two) whatever the history's length. A month
the tape does not hold (before it was kept, or a close not yet run) is counted live from the history, as all of
them were before. One difference is by design: the tape is what the books said at each close, so an event entered
later but dated on or before a past close (a backdated charge-off) shows in the live count, not in the tape's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db import connection
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from lending.core import roles
from lending.core.models import User
from lending.core.selectors import users_with_role
from lending.finance.delinquency import DPD_BUCKETS
from lending.finance.money import ZERO
from servicing.models import ContactAttempt, LoanAccount, PromiseToPay
from servicing.services.month_end import month_close

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


def promises_summary(today: date) -> tuple[list[PromiseMonth], int]:
    """Promises resolved this month (to ``today``) and last month, kept and broken, with the open ones. One query."""
    this_start = _month_start(today)
    last_start = _month_start(_previous_month_end(today))
    this_month = Q(resolved_on__gte=this_start, resolved_on__lte=today)
    last_month = Q(resolved_on__gte=last_start, resolved_on__lt=this_start)
    kept, broken = Q(status=PromiseToPay.Status.KEPT), Q(status=PromiseToPay.Status.BROKEN)
    figures = PromiseToPay.objects.filter(
        Q(resolved_on__gte=last_start, resolved_on__lte=today) | Q(status=PromiseToPay.Status.PENDING)
    ).aggregate(
        open=Count("pk", filter=Q(status=PromiseToPay.Status.PENDING)),
        **{
            f"{name}_{when}{suffix}": aggregate
            for when, period in (("this", this_month), ("last", last_month))
            for name, status in (("kept", kept), ("broken", broken))
            for suffix, aggregate in (
                ("", Count("pk", filter=period & status)),
                ("_amount", Sum("amount", filter=period & status)),
            )
        },
    )
    months = [
        PromiseMonth(
            label=label,
            kept=figures[f"kept_{when}"],
            kept_amount=figures[f"kept_{when}_amount"] or ZERO,
            broken=figures[f"broken_{when}"],
            broken_amount=figures[f"broken_{when}_amount"] or ZERO,
        )
        for when, label in (("this", f"{this_start:%B %Y} (to date)"), ("last", f"{last_start:%B %Y}"))
    ]
    return months, figures["open"]


def month_ends(today: date, months: int = ROLL_MONTHS) -> list[date]:
    """The ends of the ``months`` months before this one and ``today``, oldest first: ``months`` rolls."""
    ends = [today]
    for _ in range(months):
        ends.append(_previous_month_end(ends[-1]))
    return ends[::-1]


# The roll rates, one query. A month the month-end tape holds (and the month before it) is read from the tape's
# counts (``LoanMonthEndCount``: each row pairs a loan's bucket at the close with its bucket at the close before),
# the current month from the tape's last close carried to ``today`` (a loan that did not move stays in its bucket).
# The tape is taken at a month's close (its last business day), the page counts at the month's end, and the current
# month runs to ``today``: a loan that moved in between (a delinquency-history row, a payoff or a charge-off dated
# after a close and by that month's end, or since the last close) is taken off the tape's figures of the rolls that
# read that close and counted live instead (``relive``). A roll whose months the tape lacks is counted live for
# every loan. Live: each history row holds from its night until the loan's next row (LEAD); a loan's bucket at a
# month end is the row holding then, or "gone" once it was paid off or charged off; each month end is paired with
# the next by another LEAD, not a self-join.
ROLLS_SQL = """
WITH ends(i, e, c, m) AS (VALUES {ends}),
taped_months AS (SELECT DISTINCT month FROM servicing_loanmonthendcount WHERE month >= {first} AND month <= {last}),
rolls AS (
    SELECT b.i, a.m AS m_from, b.m AS m_to, a.c AS lo1, CASE WHEN b.m IS NULL THEN b.e ELSE a.e END AS hi1,
        b.c AS lo2, b.e AS hi2,
        CASE WHEN {use_tape} AND a.m IN (SELECT month FROM taped_months)
            AND (b.m IS NULL OR b.m IN (SELECT month FROM taped_months)) THEN 1 ELSE 0 END AS taped
    FROM ends a JOIN ends b ON b.i = a.i + 1
),
moved AS (
    SELECT loan_id, as_of AS moved_on FROM servicing_delinquencyhistory WHERE as_of > {first_close} AND as_of <= {today}
    UNION ALL SELECT id, paid_off_on FROM servicing_loanaccount
    WHERE status = 'paid_off' AND paid_off_on > {first_close} AND paid_off_on <= {today}
    UNION ALL SELECT loan_id, charged_off_on FROM servicing_chargeoff
    WHERE charged_off_on > {first_close} AND charged_off_on <= {today}
),
relive AS (
    SELECT DISTINCT moved.loan_id, rolls.i FROM moved JOIN rolls ON rolls.taped = 1
        AND ((moved.moved_on > rolls.lo1 AND moved.moved_on <= rolls.hi1)
            OR (moved.moved_on > rolls.lo2 AND moved.moved_on <= rolls.hi2))
),
live_ends AS (
    SELECT i FROM rolls WHERE taped = 0 UNION SELECT i - 1 FROM rolls WHERE taped = 0
),
relive_ends AS (
    SELECT loan_id, i FROM relive UNION SELECT loan_id, i - 1 FROM relive
),
held AS (
    SELECT loan_id, bucket_to, as_of, LEAD(as_of) OVER (PARTITION BY loan_id ORDER BY as_of, id) AS until
    FROM servicing_delinquencyhistory
    WHERE as_of <= {today} AND (EXISTS (SELECT 1 FROM live_ends) OR loan_id IN (SELECT loan_id FROM relive))
),
left_book AS (
    SELECT loan_id, MIN(left_on) AS left_on FROM (
        SELECT id AS loan_id, paid_off_on AS left_on FROM servicing_loanaccount
        WHERE status = 'paid_off' AND paid_off_on IS NOT NULL
        UNION ALL SELECT loan_id, charged_off_on FROM servicing_chargeoff
    ) AS gone GROUP BY loan_id
),
held_at AS (
    SELECT held.loan_id, held.bucket_to, ends.i, ends.e FROM held
    JOIN ends ON held.as_of <= ends.e AND (held.until IS NULL OR held.until > ends.e)
    WHERE ends.i IN (SELECT i FROM live_ends)
    UNION
    SELECT held.loan_id, held.bucket_to, ends.i, ends.e FROM held
    JOIN relive_ends ON relive_ends.loan_id = held.loan_id
    JOIN ends ON ends.i = relive_ends.i AND held.as_of <= ends.e AND (held.until IS NULL OR held.until > ends.e)
),
at_end AS (
    SELECT held_at.loan_id, held_at.i,
        CASE WHEN left_book.left_on <= held_at.e THEN 'gone' ELSE held_at.bucket_to END AS bucket
    FROM held_at LEFT JOIN left_book ON left_book.loan_id = held_at.loan_id
),
paired AS (
    SELECT loan_id, i, bucket, LEAD(i) OVER (PARTITION BY loan_id ORDER BY i) AS next_i,
        LEAD(bucket) OVER (PARTITION BY loan_id ORDER BY i) AS next_bucket
    FROM at_end
)
SELECT 1, rolls.i, paired.bucket, paired.next_bucket, COUNT(*) FROM paired JOIN rolls ON rolls.i = paired.i + 1
WHERE paired.next_i = paired.i + 1 AND paired.bucket IN ({buckets})
    AND (rolls.taped = 0 OR (paired.loan_id, rolls.i) IN (SELECT loan_id, i FROM relive))
GROUP BY rolls.i, paired.bucket, paired.next_bucket
UNION ALL
SELECT 1, rolls.i, counts.bucket_before, counts.bucket, SUM(counts.loans) FROM rolls
JOIN servicing_loanmonthendcount counts ON counts.month = rolls.m_to
WHERE rolls.taped = 1 AND counts.bucket_before IN ({buckets})
GROUP BY rolls.i, counts.bucket_before, counts.bucket
UNION ALL
SELECT 1, rolls.i, counts.bucket, counts.bucket, SUM(counts.loans) FROM rolls
JOIN servicing_loanmonthendcount counts ON counts.month = rolls.m_from
WHERE rolls.taped = 1 AND rolls.m_to IS NULL AND counts.bucket IN ({buckets})
GROUP BY rolls.i, counts.bucket
UNION ALL
SELECT -1, i, from_bucket, to_bucket, COUNT(*) FROM (
    SELECT relive.i, CASE WHEN rolls.m_to IS NULL THEN tape.bucket ELSE tape.bucket_before END AS from_bucket,
        tape.bucket AS to_bucket
    FROM relive JOIN rolls ON rolls.i = relive.i
    JOIN servicing_loanmonthend tape
        ON tape.loan_id = relive.loan_id AND tape.month = COALESCE(rolls.m_to, rolls.m_from)
) AS untaped
WHERE from_bucket IN ({buckets})
GROUP BY i, from_bucket, to_bucket
"""


def _rolls_sql(today: date, ends: list[date], *, tape: bool) -> tuple[str, dict[str, str]]:
    """ROLLS_SQL for month ends ``ends`` (the last one ``today``) and its parameters."""
    day = "CAST(%({})s AS date)" if connection.vendor == "postgresql" else "%({})s"  # SQLite: ISO dates as text
    months = [_month_start(end) for end in ends[:-1]]
    closes = [month_close(month) for month in months]
    params: dict[str, date | str] = {"today": today, "first": months[0], "last": months[-1], "first_close": closes[0]}
    rows = []
    for i, (end, close, month) in enumerate(zip(ends[:-1], closes, months, strict=True)):
        params |= {f"e{i}": end, f"c{i}": close, f"m{i}": month}
        rows.append(f"({i}, {day.format(f'e{i}')}, {day.format(f'c{i}')}, {day.format(f'm{i}')})")
    rows.append(f"({len(ends) - 1}, {day.format('today')}, NULL, NULL)")
    params |= {f"b{k}": bucket for k, (bucket, _) in enumerate(ROLLS)}
    sql = ROLLS_SQL.format(
        ends=", ".join(rows),
        use_tape="1 = 1" if tape else "1 = 0",
        buckets=", ".join(f"%(b{k})s" for k in range(len(ROLLS))),
        **{name: day.format(name) for name in ("today", "first", "last", "first_close")},
    )
    return sql, {name: value.isoformat() if isinstance(value, date) else value for name, value in params.items()}


def roll_rates(today: date, months: int = ROLL_MONTHS, *, tape: bool = True) -> tuple[list[str], list[RollRate]]:
    """Roll rates for the last ``months`` months (see the module docstring): the closed months from the month-end
    tape, the current one from the tape's last close and what moved since, counted per (month, from, to) in the
    database. One query. ``tape=False`` counts every month live from the delinquency history (what the tape's
    figures must equal: the tests compare the two)."""
    ends = month_ends(today, months)
    sql, params = _rolls_sql(today, ends, tape=tape)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counted = cursor.fetchall()
    nexts = dict(ROLLS)
    loans: dict[tuple[int, str], int] = {}
    rolled: dict[tuple[int, str], int] = {}
    for sign, i, before, after, n in counted:
        loans[i, before] = loans.get((i, before), 0) + sign * n
        if after == nexts[before]:
            rolled[i, before] = rolled.get((i, before), 0) + sign * n
    labels = [f"{end:%Y-%m}" for end in ends[1:]]
    rolls = [
        RollRate(
            from_bucket=a, to_bucket=b, month=labels[i - 1], loans=loans.get((i, a), 0), rolled=rolled.get((i, a), 0)
        )
        for i in range(1, len(ends))
        for a, b in ROLLS
    ]
    return labels, rolls


def collector_activity(since: datetime) -> list[CollectorActivity]:
    """Per active collector (and anyone else who logged a contact or took a promise since ``since``): contacts,
    right-party contacts, promises taken and their amount. Three queries: the collector group's id; the contacts
    and promises counted per person in one pass over each, with the collectors (one union); the people's names.

    Counted per person in one pass, not per person in four correlated subqueries: those read the month's contacts
    once per collector and measure (75 ms for 11 people over 16,000 contacts, issue 15)."""
    money = DecimalField(max_digits=14, decimal_places=2)
    contacts = (
        ContactAttempt.objects.filter(at__gte=since)
        .order_by()
        .values("collector")
        .annotate(
            n_contacts=Count("pk"),
            n_rpc=Count("pk", filter=Q(right_party_contact=True)),
            n_promises=Value(0),
            promised=Value(ZERO, output_field=money),
        )
        .values_list("collector", "n_contacts", "n_rpc", "n_promises", "promised")
    )
    promises = (
        PromiseToPay.objects.filter(created_at__gte=since)
        .order_by()
        .values("made_by")
        .annotate(
            n_contacts=Value(0),
            n_rpc=Value(0),
            n_promises=Count("pk"),
            promised=Coalesce(Sum("amount"), Value(ZERO), output_field=money),
        )
        .values_list("made_by", "n_contacts", "n_rpc", "n_promises", "promised")
    )
    collectors = (
        users_with_role(roles.COLLECTOR)
        .order_by()
        .values_list("pk", Value(0), Value(0), Value(0), Value(ZERO, output_field=money))
    )
    figures: dict[int, list[Any]] = {}
    for pk, n_contacts, n_rpc, n_promises, promised in contacts.union(promises, collectors, all=True):
        row = figures.setdefault(pk, [0, 0, 0, ZERO])
        row[0] += n_contacts
        row[1] += n_rpc
        row[2] += n_promises
        row[3] += promised
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
