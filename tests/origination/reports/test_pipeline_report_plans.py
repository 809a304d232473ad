"""The pipeline report's plans (issue 15, Reports): the officers' names read by key for the counted rows, not a
join over every user, and the stays sorted once, by state and length."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.core import roles
from origination.selectors.pipeline_report import PipelineFilters, pipeline_report, taken
from tests.core.factories import user_with_role
from tests.origination.factories_pipeline import _application

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]  # the plan of PostgreSQL's planner
MARCH = PipelineFilters(date_from=date(2027, 3, 1), date_to=date(2027, 3, 31))


def _plans() -> tuple[str, str]:
    """EXPLAIN of the report's two aggregate queries: the cohort's figures, and the stays' and fallout's."""
    officer = user_with_role(roles.LOAN_OFFICER)
    created = datetime(2027, 3, 1, tzinfo=UTC)
    _application(officer, "funded", "100000", created, date(2027, 3, 2), [("submitted", created)], date(2027, 3, 20))
    with CaptureQueriesContext(connection) as queries:
        pipeline_report(taken(MARCH))
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if query["sql"].lstrip().startswith("WITH"):
                cursor.execute(f"EXPLAIN {query['sql']}")
                plans.append("\n".join(line for (line,) in cursor.fetchall()))
    cohort, steps = plans
    assert "origination_applicationstay" in steps
    return cohort, steps


def test_the_officers_names_are_read_by_key_for_the_counted_rows_only():
    """Joined, the planner guessed thousands of counted rows and hashed every user (the borrowers too, so the scan
    grew with the portfolio); read per counted row, the users are read in those three lookups only."""
    plan = _plans()[0]
    assert plan.count("SubPlan") == 3, plan
    assert "core_user" not in plan.split("SubPlan")[0], plan  # nothing but the three lookups reads the users


def test_the_stays_are_sorted_once_by_state_and_length():
    """Sorted by state alone, each state's stays were sorted again by the median: sorted by both, once."""
    steps = _plans()[1]
    assert re.search(r"Sort Key: .*state.*COLLATE \"C\", s\.length_us", steps), steps
