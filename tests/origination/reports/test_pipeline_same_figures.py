"""The pipeline report's figures read in two statements (the counts with the turn times; the stays with the fallout)
are those its four queries gave before (session 22): on a random book of sixty applications (three officers and
none, funded, denied, withdrawn and open ones, one to six stays of random microsecond lengths), with and without
the officer filter, every count, cent, median and mean compared unrounded."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count

from lending.core import roles
from origination.models import TransitionLog
from origination.selectors.pipeline_report import (
    COHORT_SQL,
    FELL_OUT,
    MEDIANS,
    MICROSECONDS,
    STEPS_SQL,
    Duration,
    PipelineFilters,
    _days,
    pipeline_report,
    taken,
)
from tests.core.factories import user_with_role
from tests.origination.factories_pipeline import _application

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]  # the queries before were PostgreSQL's
MARCH = {"date_from": date(2027, 3, 1), "date_to": date(2027, 3, 31)}
MICRO = MICROSECONDS  # a turn time is in microseconds on PostgreSQL too
PATH = ["submitted", "processing", "underwriting", "approved", "clear_to_close", "closing", "closed", "funded"]

# The queries before, as they were: counts per (state, officer), turn times, time in each state, fallout.
COUNTS_BEFORE = """
WITH cohort AS ({cohort}),
counts AS (
    SELECT c.status, c.loan_officer_id, COUNT(*) AS n, SUM(c.amount_requested) AS amount,
        SUM(f.loan_amount) AS funded_amount
    FROM cohort c LEFT JOIN origination_funding f ON f.application_id = c.pk
    GROUP BY c.status, c.loan_officer_id
)
SELECT k.status, k.loan_officer_id, u.first_name, u.last_name, u.email, k.n, k.amount, k.funded_amount
FROM counts k LEFT JOIN core_user u ON u.id = k.loan_officer_id
"""
MEDIAN_BEFORE = """
WITH cohort AS ({cohort}), spans AS ({spans})
SELECT key, COUNT(*), PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY span), AVG(span) FROM spans GROUP BY key
"""
TURN_TIMES_BEFORE = """
SELECT 'funded' AS key, ((f.funded_on - c.application_date)::bigint * 86400000000) AS span
FROM origination_funding f JOIN cohort c ON c.pk = f.application_id
"""
STAYS_BEFORE = """
SELECT s.state COLLATE "C" AS key, s.length_us AS span
FROM origination_applicationstay s JOIN cohort c ON c.pk = s.application_id
"""


def _run(cohort, sql: str, *fields: str, **parts: str) -> set[tuple]:
    cohort_sql, params = cohort.order_by().values("pk", *fields).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql.format(cohort=cohort_sql, **parts), params)
        return set(cursor.fetchall())


def _fallout_before(cohort) -> set[tuple]:
    rows = (
        TransitionLog.objects.filter(application__in=cohort.values("pk"), to_status__in=FELL_OUT)
        .values("to_status", "from_status")
        .annotate(n=Count("application", distinct=True))
    )
    return {(row["to_status"], row["from_status"], row["n"]) for row in rows}


def _now(cohort) -> tuple[set[tuple], set[tuple], set[tuple], set[tuple]]:
    """The two statements' rows, unrounded: counts, turn times, stays, fallout."""
    cohort_rows = _run(
        cohort,
        COHORT_SQL,
        "status",
        "loan_officer_id",
        "amount_requested",
        "application_date",
        span="((f.funded_on - c.application_date)::bigint * 86400000000)",
        funding="origination_funding",
        medians=MEDIANS["postgresql"],
        user="core_user",
    )
    steps = _run(
        cohort,
        STEPS_SQL,
        collate=' COLLATE "C"',
        stay="origination_applicationstay",
        medians=MEDIANS["postgresql"],
        step="origination_transitionlog",
        fell_out="'denied', 'withdrawn'",
    )
    return (
        {row[:8] for row in cohort_rows},
        {("funded", *row[8:]) for row in cohort_rows if row[8]},
        {(key, n, median, mean) for part, key, _, n, median, mean in steps if part == "stay"},
        {(to, left, n) for part, to, left, n, _, _ in steps if part == "fallout"},
    )


@pytest.fixture
def book():
    rng = random.Random(22)
    officers = [user_with_role(roles.LOAN_OFFICER, first_name=name, last_name="Lee") for name in ("Ann", "Bo", "")]
    for n in range(60):
        created = datetime(2027, 2, 20 + n % 9, rng.randrange(24), microsecond=rng.randrange(1_000_000), tzinfo=UTC)
        applied = date(2027, 2, 27) + timedelta(days=n % 12)  # a few taken before March
        steps = rng.randint(1, 8)
        path = PATH[:steps]
        if steps < 8 and rng.random() < 0.4:
            path = [*PATH[: steps - 1], rng.choice(FELL_OUT)]
        when, stays = created, []
        for state in path:
            when += timedelta(microseconds=rng.randrange(1, 9 * 86_400_000_000))
            stays.append((state, when))
        funded_on = applied + timedelta(days=rng.randrange(5, 40)) if path[-1] == "funded" else None
        amount = f"{rng.randrange(50_000, 500_000)}.{rng.randrange(100):02d}"
        _application(rng.choice([*officers, None]), path[-1], amount, created, applied, stays, funded_on)
    return officers


@pytest.mark.parametrize("officer", [None, 0, 2])
def test_the_figures_are_those_the_four_queries_gave(book, officer):
    cohort = taken(PipelineFilters(**MARCH, officer=None if officer is None else book[officer].pk)).order_by()
    counts, turn_times, stays, fallout = _now(cohort)
    assert counts == _run(cohort, COUNTS_BEFORE, "status", "loan_officer_id", "amount_requested")
    assert turn_times == _run(cohort, MEDIAN_BEFORE, "application_date", spans=TURN_TIMES_BEFORE)
    assert stays == _run(cohort, MEDIAN_BEFORE, spans=STAYS_BEFORE)
    assert fallout == _fallout_before(cohort)
    if officer is None:  # the book has some of each
        assert min(len(counts) - 3, len(turn_times), len(stays) - 5, len(fallout)) > 0
    # and the report shows them: the same rows, rounded
    report = pipeline_report(cohort)
    assert [report.turn_time] == [
        Duration(key, n, _days(median, MICRO), _days(mean, MICRO)) for key, n, median, mean in turn_times
    ] or (report.turn_time, turn_times) == (None, set())
    assert {(row.outcome, row.from_state, row.applications) for row in report.fallout} == fallout
    assert {(row.key, row.count) for row in report.time_in_state} == {(key, n) for key, n, *_ in stays}
    assert sum(row.applications for row in report.states) == sum(row[5] for row in counts)
