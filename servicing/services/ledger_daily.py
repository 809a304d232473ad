"""Keeping the per-account daily totals small: merge the rows the journal-line trigger adds (migration 0033).

The trigger adds a row per (account, effective date) for each INSERT of lines, without touching existing rows (so
concurrent postings never wait on each other). A day's rows are merged into one here: the sums are unchanged, the
table stays near accounts x days, and an as-of trial balance reads that many rows.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count, Sum

from lending.finance.money import cents
from servicing.models import LedgerDailyBalance

# One statement: DELETE ... RETURNING hands over exactly the rows it removed (a row committed meanwhile by a
# posting is not seen, so not removed: it stays as a row of its own), and their sums go back as one row per day.
POSTGRES_COMPACT = """
WITH merged AS (
    DELETE FROM servicing_ledgerdailybalance
     WHERE (account_id, date) IN (SELECT account_id, date FROM servicing_ledgerdailybalance
                                   GROUP BY 1, 2 HAVING count(*) > 1)
    RETURNING account_id, date, debit, credit, line_count
)
INSERT INTO servicing_ledgerdailybalance (account_id, date, debit, credit, line_count)
SELECT account_id, date, sum(debit), sum(credit), sum(line_count) FROM merged GROUP BY 1, 2
"""


@transaction.atomic
def ledger_daily_compact() -> int:
    """Merge each (account, date) that has several rows into one; returns how many such days were merged.
    Idempotent, safe beside concurrent postings, and never changes a balance (the tests prove the trial balance
    is the same before and after)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(POSTGRES_COMPACT)
            return int(cursor.rowcount)  # the INSERT's rows: one per day merged
    return _compact_portably()


def _compact_portably() -> int:
    """The same merge for SQLite, where writers are serialized (a transaction holds the write lock), so reading
    the groups, deleting and re-inserting cannot race a posting."""
    groups = list(
        LedgerDailyBalance.objects.values("account_id", "date")
        .annotate(rows=Count("id"), debit_sum=Sum("debit"), credit_sum=Sum("credit"), lines=Sum("line_count"))
        .filter(rows__gt=1)
        .order_by()
    )
    for group in groups:
        LedgerDailyBalance.objects.filter(account_id=group["account_id"], date=group["date"]).delete()
    LedgerDailyBalance.objects.bulk_create(
        [
            LedgerDailyBalance(
                account_id=group["account_id"],
                date=group["date"],
                debit=cents(group["debit_sum"]),
                credit=cents(group["credit_sum"]),
                line_count=group["lines"],
            )
            for group in groups
        ]
    )
    return len(groups)


REBUILD = """
INSERT INTO servicing_ledgerdailybalance (account_id, date, debit, credit, line_count)
SELECT l.account_id, e.effective_date, sum(l.debit), sum(l.credit), count(*)
  FROM servicing_journalline l JOIN servicing_journalentry e ON e.id = l.entry_id
 GROUP BY l.account_id, e.effective_date
"""


@transaction.atomic
def ledger_daily_rebuild() -> int:
    """Recompute every daily total from the journal lines (``manage.py ledger_daily_rebuild``, when
    ``ledger_verify`` reports a difference); returns the rows written. On PostgreSQL the lines table is locked
    against inserts for the while (SHARE mode: readers go on), so no posting slips between the delete and the
    sums."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("LOCK TABLE servicing_journalline IN SHARE MODE")
        cursor.execute("DELETE FROM servicing_ledgerdailybalance")
        cursor.execute(REBUILD)
        return int(cursor.rowcount)
