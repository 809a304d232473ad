"""The stays the pipeline report's time in each state reads (ApplicationStay): the workflow writes one with each
step, to the microsecond; the migration's set-based backfill writes the same rows; and the report reads the same
medians and means from them as it read from the log's steps before."""

from __future__ import annotations

import importlib
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from lending.core import roles
from origination.models import ApplicationStay, Status
from origination.selectors.pipeline_report import (
    MEDIANS,
    MICROSECONDS,
    PipelineFilters,
    _days,
    pipeline_report,
    taken,
)
from origination.selectors.pipeline_report import STEPS_SQL as STAYS_AND_FALLOUT_SQL
from origination.services.workflow import TransitionBlocked, application_transition
from tests.core.factories import user_with_role
from tests.origination.factories import complete_application
from tests.origination.factories_pipeline import _application, stays, stays_from_steps

pytestmark = pytest.mark.django_db
MIGRATION = "origination.migrations.0020_application_stay"


def test_each_workflow_step_writes_the_stay_it_ended_and_a_refused_one_none():
    application = complete_application()
    officer, processor = user_with_role(roles.LOAN_OFFICER), user_with_role(roles.PROCESSOR)
    application_transition(application=application, name="submit", actor=officer)
    application_transition(application=application, name="start_processing", actor=processor)
    with pytest.raises(TransitionBlocked):
        application_transition(application=application, name="deny", actor=processor)  # no reason given
    application_transition(application=application, name="withdraw", actor=officer, note="Bought elsewhere.")
    assert [state for _, _, state, _ in stays()] == ["draft", "submitted", "processing"]
    assert stays() == stays_from_steps()
    assert all(length > 0 for _, _, _, length in stays())


@pytest.mark.postgres  # the backfill's SQL
def test_the_migrations_set_based_backfill_writes_the_workflows_rows():
    entered = datetime(2027, 3, 1, 9, 0, 0, 250001, tzinfo=UTC)
    lengths = [timedelta(seconds=4320, microseconds=-1), timedelta(days=3, microseconds=999999)]
    for length in lengths:
        _application(None, "submitted", "100000", entered, date(2027, 3, 1), [("submitted", entered + length)])
    written = stays()
    ApplicationStay.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(importlib.import_module(MIGRATION).BACKFILL_POSTGRES)
    assert stays() == written == stays_from_steps()
    assert [length for *_, length in written] == [4_319_999_999, 259_200_999_999]


# The time in each state as the report read it from the log's steps before the stays had a table of their own.
STEPS_SQL = """
WITH cohort AS ({cohort}), spans AS (
    SELECT t.from_status COLLATE "C" AS key, ROUND(DATE_PART('epoch', t.created_at - t.entered_at) * 1000000)::bigint
        AS span
    FROM origination_transitionlog t JOIN cohort c ON c.pk = t.application_id
    WHERE t.entered_at IS NOT NULL
)
SELECT key, COUNT(*), PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY span), AVG(span) FROM spans GROUP BY key
"""


def _from_steps(filters: PipelineFilters) -> dict[str, tuple[int, float, object]]:
    cohort_sql, params = taken(filters).order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(STEPS_SQL.format(cohort=cohort_sql), params)
        return {key: (n, median, mean) for key, n, median, mean in cursor.fetchall()}


@pytest.mark.postgres  # the report's SQL before, on PostgreSQL
def test_the_stays_give_the_same_medians_and_means_as_the_steps_did():
    """Forty applications with one to six stays of random microsecond lengths (odd and even counts per state):
    every state's count, median and mean from the stays are those the steps gave, and so are the report's days."""
    rng = random.Random(15)
    states = ["submitted", "processing", "underwriting", "approved", "clear_to_close", "closing"]
    for n in range(40):
        created = datetime(2027, 3, 1 + n % 20, rng.randrange(24), microsecond=rng.randrange(1_000_000), tzinfo=UTC)
        when, path = created, []
        for state in states[: rng.randint(1, 6)]:
            when += timedelta(microseconds=rng.randrange(1, 9 * 86_400_000_000))
            path.append((state, when))
        _application(None, states[len(path) - 1], "100000", created, date(2027, 3, 1 + n % 20), path)
    march = PipelineFilters(date_from=date(2027, 3, 1), date_to=date(2027, 3, 31))
    before = _from_steps(march)
    rows = pipeline_report(taken(march)).time_in_state
    assert [(row.key, row.count) for row in rows][:1] == [("draft", 40)]
    assert len(rows) == 6
    assert [(row.key, row.count, row.median_days, row.mean_days) for row in rows] == [
        (key, n, _days(median, MICROSECONDS), _days(mean, MICROSECONDS))
        for key, (n, median, mean) in sorted(before.items(), key=lambda item: Status.values.index(item[0]))
    ]
    with connection.cursor() as cursor:  # and unrounded: the report's query over the stays gives the steps' figures
        cohort_sql, params = taken(march).order_by().values("pk").query.sql_with_params()
        sql = STAYS_AND_FALLOUT_SQL.format(
            cohort=cohort_sql,
            collate=' COLLATE "C"',
            stay="origination_applicationstay",
            medians=MEDIANS["postgresql"],
            step="origination_transitionlog",
            fell_out="'denied', 'withdrawn'",
        )
        cursor.execute(sql, params)
        assert {
            key: (n, median, mean) for part, key, _, n, median, mean in cursor.fetchall() if part == "stay"
        } == before
