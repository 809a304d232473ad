"""Running tallies kept by triggers (the ledger's daily totals, the loans' balance totals, the portfolio strata,
the leads' day counts): the two maintenance statements they share, on PostgreSQL.

Each tally's triggers only INSERT rows of changes; a compaction merges them (one ``DELETE ... RETURNING`` feeding an
``INSERT``, its last SELECT the rows merged) and a rebuild recomputes the tally from its source table, which it
locks against writes (SHARE mode: readers go on) so no change slips between the delete and the sums.
"""

from __future__ import annotations

from django.db import connection, transaction


@transaction.atomic
def kept_compact(sql: str) -> int:
    """Run a compaction statement whose result is the number of rows it merged; 0 off PostgreSQL."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


@transaction.atomic
def kept_rebuild(*, source: str, kept: str, insert_sql: str) -> int:
    """Empty the ``kept`` table and refill it by ``insert_sql`` from ``source`` (locked meanwhile); the rows
    written, 0 off PostgreSQL."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {connection.ops.quote_name(source)} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(kept)}")  # noqa: S608 -- a quoted table name
        cursor.execute(insert_sql)
        return int(cursor.rowcount)
