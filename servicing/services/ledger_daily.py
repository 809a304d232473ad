"""Keeping the per-account daily totals small: merge the rows the journal-line trigger adds (migration 0033).

The trigger adds a row per (account, effective date) for each INSERT of lines, without touching existing rows (so
concurrent postings never wait on each other). A day's rows are merged into one here: the sums are unchanged, the
table stays near accounts x days, and an as-of trial balance reads that many rows.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Sum

from lending.core.kept import kept_compact, kept_rebuild
from lending.finance.money import cents
from servicing.models import LedgerDailyBalance, LoanBalanceTotal
from servicing.models.ledger import LOAN_BALANCE_ACCOUNTS

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


def ledger_daily_compact() -> int:
    """Merge each (account, date) that has several rows into one; returns how many such days were merged.
    Idempotent, safe beside concurrent postings, and never changes a balance (the tests prove the trial balance
    is the same before and after)."""
    with transaction.atomic():
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


def ledger_daily_rebuild() -> int:
    """Recompute every daily total from the journal lines (``manage.py ledger_daily_rebuild``, when
    ``ledger_verify`` reports a difference); returns the rows written. On PostgreSQL the lines table is locked
    against inserts for the while (SHARE mode: readers go on), so no posting slips between the delete and the
    sums."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("LOCK TABLE servicing_journalline IN SHARE MODE")
        cursor.execute("DELETE FROM servicing_ledgerdailybalance")
        cursor.execute(REBUILD)
        return int(cursor.rowcount)


# --- the loans' balance totals (LoanBalanceTotal, migration 0049) ------------------------------------------------

LOAN_TOTAL_COLUMNS = tuple(LOAN_BALANCE_ACCOUNTS.values())  # the loan fields the tie-out compares
_COLUMNS = ", ".join(LOAN_TOTAL_COLUMNS)
_SUMS = ", ".join(f"coalesce(sum({c}), 0)" for c in LOAN_TOTAL_COLUMNS)

# As for the daily totals: the rows the DELETE returns (none committed meanwhile by a posting) go back as one.
POSTGRES_LOAN_TOTALS_COMPACT = f"""
WITH merged AS (
    DELETE FROM servicing_loanbalancetotal
     WHERE (SELECT count(*) FROM servicing_loanbalancetotal) > 1
    RETURNING {_COLUMNS}
), total AS (
    INSERT INTO servicing_loanbalancetotal ({_COLUMNS})
    SELECT {_SUMS} FROM merged HAVING count(*) > 0
    RETURNING id
)
SELECT count(*) FROM merged
"""  # noqa: S608 -- column names only

LOAN_TOTALS_REBUILD = f"""
INSERT INTO servicing_loanbalancetotal ({_COLUMNS}) SELECT {_SUMS} FROM servicing_loanaccount
"""  # noqa: S608 -- column names only


def loan_totals_compact() -> int:
    """Merge the loans' balance-total rows into one (nightly, beside the daily totals); returns the rows merged
    (0 when there was one or none). Idempotent, and never changes a total."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return kept_compact(POSTGRES_LOAN_TOTALS_COMPACT)
        rows = list(LoanBalanceTotal.objects.values_list(*LOAN_TOTAL_COLUMNS))
        if len(rows) <= 1:
            return 0
        LoanBalanceTotal.objects.all().delete()
        LoanBalanceTotal.objects.create(
            **{name: cents(sum((row[i] for row in rows), Decimal(0))) for i, name in enumerate(LOAN_TOTAL_COLUMNS)}
        )
        return len(rows)


def loan_totals_rebuild() -> int:
    """Recompute the loans' balance totals from the loans (``manage.py ledger_daily_rebuild``, when
    ``ledger_verify`` reports a difference); on PostgreSQL the loans are locked against writes meanwhile (SQLite
    serializes writers already)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return kept_rebuild(
                source="servicing_loanaccount", kept="servicing_loanbalancetotal", insert_sql=LOAN_TOTALS_REBUILD
            )
        LoanBalanceTotal.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(LOAN_TOTALS_REBUILD)
            return int(cursor.rowcount)
