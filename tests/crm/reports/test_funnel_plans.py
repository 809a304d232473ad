"""The lead funnel's plan (issue 15, Reports): a period's leads read from the covering index alone, not the heap."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.selectors_funnel import lead_funnel
from tests.crm.factories import LeadFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]  # the plan of PostgreSQL's planner


def test_a_periods_leads_are_read_from_the_covering_index():
    """Every lead of the period is counted: once vacuumed, the index holds all the funnel reads (half the heap's
    pages at 280,000 leads). A test table of one lead: its scans are priced out so that the indexes are compared."""
    LeadFactory(created_at=datetime(2027, 1, 15, 12, tzinfo=UTC))
    with CaptureQueriesContext(connection) as queries:
        lead_funnel(date(2027, 1, 1), date(2027, 1, 31))
    (query,) = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "Index Only Scan using crm_lead_funnel_cover_idx on crm_lead" in plan, plan
