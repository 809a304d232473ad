"""Keeps the collections dashboard's closed months (``servicing.models.roll_rates``), so a view counts only the
current month (``servicing.selectors.collections_dashboard.roll_rates``).

``roll_rates_keep`` runs after the close of business (task ``servicing.roll_rates_keep``), in the demo seed and from
``manage.py keep_roll_rates``: it counts the closed months from the whole delinquency history once per (last month
end, months shown, restatement version) and keeps them with the loans that can roll at that month end. A rerun on
the same day finds them kept and writes nothing. Until it has run after a month closed, or after a change dated
into a closed month restated them (the triggers of migration 0037), the dashboard counts everything from the
history on each view: slower, never wrong, and a page view never writes. PostgreSQL only (SQLite always counts).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection, transaction

from lending.core.models import User
from lending.core.services import audit_record
from servicing.models import RollRateRestatement, RollRateSnapshot
from servicing.selectors.collections_dashboard import ROLL_MONTHS, ROLLS, ROLLS_SQL, month_ends

# Count and keep the closed months (ROLLS_SQL up to the last month end) and the loans that can roll at that end
# (history as of then, not gone by then) with their latest move since (the trigger of migration 0042 moves them on
# from here); drop what any other end or version kept. One statement: a second run keeping the same snapshot at the
# same time waits on the unique key, then writes nothing.
KEEP_SQL = """
WITH counted(i, bucket, next_bucket, loans) AS ({rolls}),
kept AS (
    INSERT INTO servicing_rollratesnapshot (month_end, months, version, counts, computed_at)
    SELECT %(end)s, %(months)s, %(version)s,
        COALESCE((SELECT jsonb_agg(jsonb_build_array(i, bucket, next_bucket, loans)) FROM counted), '[]'), now()
    ON CONFLICT (month_end, months, version) DO NOTHING RETURNING id
),
dropped AS (
    DELETE FROM servicing_rollratesnapshot WHERE (month_end, months, version) <> (%(end)s, %(months)s, %(version)s)
),
dropped_loans AS (
    DELETE FROM servicing_rollratesnapshotloan WHERE (month_end, version) <> (%(end)s, %(version)s)
)
INSERT INTO servicing_rollratesnapshotloan (month_end, version, loan_id, bucket, latest_bucket, latest_on)
SELECT %(end)s, %(version)s, h.loan_id, h.bucket_to, COALESCE(m.bucket_to, h.bucket_to), m.as_of FROM (
    SELECT DISTINCT ON (loan_id) loan_id, bucket_to FROM servicing_delinquencyhistory
    WHERE as_of <= %(end)s ORDER BY loan_id, as_of DESC, id DESC
) AS h
LEFT JOIN (
    SELECT DISTINCT ON (loan_id) loan_id, bucket_to, as_of FROM servicing_delinquencyhistory
    WHERE as_of > %(end)s ORDER BY loan_id, as_of DESC
) AS m ON m.loan_id = h.loan_id
WHERE EXISTS (SELECT 1 FROM kept) AND h.bucket_to = ANY(%(buckets)s)
    AND NOT EXISTS (SELECT 1 FROM servicing_rollratesnapshotloan k
        WHERE k.month_end = %(end)s AND k.version = %(version)s)
    AND NOT EXISTS (SELECT 1 FROM servicing_loanaccount l
        WHERE l.id = h.loan_id AND l.status = 'paid_off' AND l.paid_off_on <= %(end)s)
    AND NOT EXISTS (SELECT 1 FROM servicing_chargeoff c WHERE c.loan_id = h.loan_id AND c.charged_off_on <= %(end)s)
"""


def _keep(cursor: Any, ends: list[date], version: int) -> None:
    """Count and keep the closed months of ``ends`` (all but the last) at ``version``: KEEP_SQL."""
    closed = ends[:-1]
    rolls = ROLLS_SQL.format(
        ends=", ".join(f"({i}, CAST(%(end{i})s AS date))" for i in range(len(closed))),
        today="CAST(%(end)s AS date)",
        buckets=", ".join(f"%(bucket{j})s" for j in range(len(ROLLS))),
    )
    params: dict[str, Any] = {f"end{i}": end for i, end in enumerate(closed)}
    params |= {f"bucket{j}": a for j, (a, _) in enumerate(ROLLS)}
    params |= {"end": closed[-1], "months": len(ends) - 1, "version": version, "buckets": [a for a, _ in ROLLS]}
    cursor.execute(KEEP_SQL.format(rolls=rolls.strip()), params)


@transaction.atomic
def roll_rates_keep(*, today: date, actor: User | None, months: int = ROLL_MONTHS) -> bool:
    """Keep the closed months the dashboard shows on ``today`` (the ``months`` months before this one) unless they
    are kept at the current restatement version; True when it counted and kept them."""
    if connection.vendor != "postgresql":
        return False
    version = RollRateRestatement.objects.filter(pk=1).values_list("version", flat=True).first()
    if version is None:  # a flushed database has no restatement row: nothing can be kept safely
        return False
    ends = month_ends(today, months)
    if RollRateSnapshot.objects.filter(month_end=ends[-2], months=months, version=version).exists():
        return False
    with connection.cursor() as cursor:
        # No history row is added while the latest moves are read and kept: one added meanwhile would find no kept
        # loan to move on, and the statement's snapshot would not see it (a nightly chunk waits a moment).
        cursor.execute("LOCK TABLE servicing_delinquencyhistory IN SHARE MODE")
        _keep(cursor, ends, version)
    audit_record(
        actor=actor,
        verb="roll_rates.kept",
        after={"month_end": ends[-2].isoformat(), "months": months, "version": version},
    )
    return True
