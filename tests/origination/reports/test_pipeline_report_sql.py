"""The pipeline report's hand-written SQL on its edges: the per-state and per-officer sums exact to the cent on
either database, the officer's name joined after counting (email when unnamed, none when unassigned), turn times
over the cohort's fundings only, stays measured to the microsecond, and the fallout read from its partial index."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.core import roles
from origination.models import TransitionLog
from origination.selectors.pipeline_report import PipelineFilters, pipeline_report, taken
from tests.core.factories import user_with_role
from tests.origination.factories_pipeline import _application

pytestmark = pytest.mark.django_db
D = Decimal
MARCH = PipelineFilters(date_from=date(2027, 3, 1), date_to=date(2027, 3, 31))


def _at(day: int, hour: int = 0, microsecond: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, microsecond=microsecond, tzinfo=UTC)


def test_sums_per_state_and_officer_are_exact_to_the_cent():
    """Cents that a float would not add up exactly (0.10 + 0.20), requested and funded."""
    officer = user_with_role(roles.LOAN_OFFICER, first_name="", last_name="", email="lo@lending.test")
    _application(officer, "funded", "100000.10", _at(1), date(2027, 3, 2), [("funded", _at(3))], date(2027, 3, 20))
    _application(officer, "funded", "200000.20", _at(1), date(2027, 3, 2), [("funded", _at(3))], date(2027, 3, 21))
    _application(None, "processing", "50000.05", _at(1), date(2027, 3, 2), [])
    report = pipeline_report(taken(MARCH))
    assert [(row.state, row.applications, row.amount) for row in report.states if row.applications] == [
        ("processing", 1, D("50000.05")),
        ("funded", 2, D("300000.30")),
    ]
    assert [(row.name, row.applications, row.funded, row.funded_amount) for row in report.officers] == [
        ("lo@lending.test", 2, 2, D("300000.30")),
        ("Unassigned", 1, 0, D("0.00")),
    ]


def test_turn_time_counts_only_the_fundings_of_applications_taken_in_the_period():
    _application(None, "funded", "100000", _at(1), date(2027, 3, 2), [("funded", _at(3))], date(2027, 3, 12))
    _application(None, "funded", "100000", _at(1), date(2027, 2, 27), [("funded", _at(3))], date(2027, 3, 30))
    turn = pipeline_report(taken(MARCH)).turn_time
    assert (turn.count, turn.median_days, turn.mean_days) == (1, D("10.0"), D("10.0"))


@pytest.mark.postgres  # microsecond timestamps
def test_stays_are_measured_to_the_microsecond():
    """Stays a microsecond either side of 0.05 days (4,320 s): their median and mean are 0.05 days exactly, a half
    tenth, which rounds to the even 0.0; a stay measured a microsecond long would tip it to 0.1."""
    half_tenth = timedelta(seconds=4320)
    one = timedelta(microseconds=1)
    for stay in (half_tenth - one, half_tenth + one):
        entered = _at(1, 9, 250000)
        _application(None, "submitted", "100000", entered, date(2027, 3, 1), [("submitted", entered + stay)])
    (draft,) = pipeline_report(taken(MARCH)).time_in_state
    assert (draft.key, draft.count, draft.median_days, draft.mean_days) == ("draft", 2, D("0.0"), D("0.0"))


@pytest.mark.postgres  # the plan of PostgreSQL's planner
def test_fallout_is_read_from_its_partial_index():
    """The steps out to denied or withdrawn have an index of their own: the fallout reads it, not every step."""
    _application(None, "denied", "100000", _at(1), date(2027, 3, 2), [("submitted", _at(2)), ("denied", _at(4))])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    with CaptureQueriesContext(connection) as queries:
        rows = pipeline_report(taken(MARCH)).fallout
    assert [(row.label, row.applications) for row in rows] == [("Denied from submitted", 1)]
    (steps,) = [query["sql"] for query in queries.captured_queries if "fallout AS" in query["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {steps}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "transition_fell_out_idx" in plan
    assert TransitionLog.objects.count() == 2
