"""Keeping the leads' kept day counts (``LeadDayCount``, migration 0010) small and exact.

The leads' triggers add a row per key a statement changed, never touching the rows there. ``lead_counts_compact``
merges each key's rows into one (nightly, beat ``crm.lead_counts_compact``); ``lead_counts_rebuild`` recomputes them
from the leads when ``manage.py lead_counts`` reports a difference. PostgreSQL only: on SQLite the pages count the
leads and nothing is kept.
"""

from __future__ import annotations

from lending.core.kept import kept_compact, kept_rebuild

KEYS = "day, officer, source, partner, stage, applied, reached"

# As for the ledger's daily totals: the rows the DELETE returns (none committed meanwhile by a lead's change) go back
# as one row per key, or none when they cancel out. A key's officer and partner may be NULL: matched with IS NOT
# DISTINCT FROM (a row-value IN would never match them, and their rows would never merge).
COMPACT = f"""
WITH repeated AS (
    SELECT {KEYS} FROM crm_leaddaycount GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING count(*) > 1
), merged AS (
    DELETE FROM crm_leaddaycount c USING repeated r
     WHERE c.day = r.day AND c.officer IS NOT DISTINCT FROM r.officer AND c.source = r.source
       AND c.partner IS NOT DISTINCT FROM r.partner AND c.stage = r.stage AND c.applied = r.applied
       AND c.reached = r.reached
    RETURNING c.day, c.officer, c.source, c.partner, c.stage, c.applied, c.reached, c.leads
), kept AS (
    INSERT INTO crm_leaddaycount ({KEYS}, leads)
    SELECT {KEYS}, sum(leads) FROM merged GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(leads) <> 0
    RETURNING id
)
SELECT count(*) FROM merged
"""  # noqa: S608 -- constants only

# Every lead counted as the triggers count one (migration 0010).
REBUILD = """
INSERT INTO crm_leaddaycount (day, officer, source, partner, stage, applied, reached, leads)
SELECT (created_at AT TIME ZONE 'UTC')::date, officer_id, source_id, referral_partner_id, stage,
       application_id IS NOT NULL, first_contacted_at IS NOT NULL, count(*)
  FROM crm_lead GROUP BY 1, 2, 3, 4, 5, 6, 7
"""


def lead_counts_compact() -> int:
    """Merge each key's rows into one; returns the rows merged. Idempotent, and never changes a count."""
    return kept_compact(COMPACT)


def lead_counts_rebuild() -> int:
    """Recompute the counts from the leads (locked against writes meanwhile); returns the rows written."""
    return kept_rebuild(source="crm_lead", kept="crm_leaddaycount", insert_sql=REBUILD)
