"""The pipeline report's plan (issue 15, Reports): the officers' names read for the counted rows, not a join over
every user (borrowers included, so a scan that grew with the portfolio)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.core import roles
from origination.selectors.pipeline_report import PipelineFilters, cohort_figures, taken
from tests.core.factories import user_with_role
from tests.origination.factories_pipeline import _application

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]  # the plan of PostgreSQL's planner
MARCH = PipelineFilters(date_from=date(2027, 3, 1), date_to=date(2027, 3, 31))


def _cohort_plan() -> str:
    """EXPLAIN of the cohort's figures (counts per state and officer, turn times) for one funded application."""
    officer = user_with_role(roles.LOAN_OFFICER)
    created = datetime(2027, 3, 1, tzinfo=UTC)
    _application(officer, "funded", "100000", created, date(2027, 3, 2), [("submitted", created)], date(2027, 3, 20))
    with CaptureQueriesContext(connection) as queries:
        cohort_figures(taken(MARCH).order_by())
    (query,) = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {query['sql']}")
        return "\n".join(line for (line,) in cursor.fetchall())


def test_the_officers_names_are_read_for_the_counted_rows_only():
    """Joined, the planner guessed thousands of counted rows and hashed every user (the borrowers too: 10,000 at
    10,000 loans); read per counted row, the users are read in those three lookups only."""
    plan = _cohort_plan()
    assert plan.count("SubPlan") == 3, plan
    assert "core_user" not in plan.split("SubPlan")[0], plan  # the plan's joins and scans, before its lookups
