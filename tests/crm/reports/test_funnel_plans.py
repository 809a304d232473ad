"""The lead funnel's plan (issue 15, Reports): a period's leads with an application read from their partial covering
index alone, not the heap (the others are counted from the kept day counts)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.selectors_funnel import lead_funnel
from tests.crm.factories import LeadFactory
from tests.origination.factories import ApplicationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]  # the plan of PostgreSQL's planner


def test_a_periods_leads_with_an_application_are_read_from_their_covering_index():
    """Once vacuumed, the partial index holds all the funnel reads of the leads that have an application. A test
    table of one lead: its scans are priced out so that the indexes are compared."""
    LeadFactory(created_at=datetime(2027, 1, 15, 12, tzinfo=UTC), application=ApplicationFactory())
    with CaptureQueriesContext(connection) as queries:
        lead_funnel(date(2027, 1, 1), date(2027, 1, 31))
    (query,) = [q for q in queries.captured_queries if '"application_id" IS NOT NULL' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "Index Only Scan using crm_lead_applied_idx on crm_lead" in plan, plan
