"""The pipeline report's application figures on a constructed January 2027: by state, by officer, pull-through
and fallout, time in each state and turn time, with the filters; a constant number of queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from origination.models import Application, TransitionLog
from origination.selectors.pipeline_report import PipelineFilters, pipeline_report, taken
from origination.services.workflow import application_transition
from tests.origination.factories import complete_application
from tests.origination.factories_pipeline import january_pipeline, pipeline_team

pytestmark = pytest.mark.django_db
D = Decimal
JANUARY = PipelineFilters(date_from=date(2027, 1, 1), date_to=date(2027, 1, 31))


@pytest.fixture
def team():
    return pipeline_team()


@pytest.fixture
def january(team):
    return january_pipeline(team)


def test_applications_by_state_pull_through_and_fallout(january):
    report = pipeline_report(taken(JANUARY))
    states = {row.state: (row.applications, row.amount) for row in report.states if row.applications}
    assert states == {
        "processing": (1, D("150000.00")),
        "denied": (1, D("250000.00")),
        "funded": (2, D("500000.00")),
        "withdrawn": (1, D("100000.00")),
    }
    assert [row.state for row in report.states][:3] == ["draft", "submitted", "processing"]  # every state, in order
    # 2 funded and 2 fallen out of 5 taken
    assert (report.applications, report.funded, report.pull_through, report.fallout_rate) == (
        5,
        2,
        D("40.0"),
        D("40.0"),
    )
    assert [(row.label, row.applications) for row in report.fallout] == [
        ("Denied from underwriting", 1),
        ("Withdrawn from processing", 1),
    ]


def test_by_officer_with_the_unassigned_last(january):
    rows = pipeline_report(taken(JANUARY)).officers
    assert [
        (r.name, r.applications, r.in_progress, r.funded, r.fell_out, r.funded_amount, r.pull_through) for r in rows
    ] == [
        ("Ann Lee", 2, 0, 2, 0, D("500000.00"), D("100.0")),
        ("Bob Ray", 2, 0, 0, 2, D("0.00"), D("0.0")),
        ("Unassigned", 1, 1, 0, 0, D("0.00"), D("0.0")),
    ]


def test_time_in_each_state_and_turn_time_median_and_mean(january):
    report = pipeline_report(taken(JANUARY))
    assert [(d.key, d.count, d.median_days, d.mean_days) for d in report.time_in_state] == [
        ("draft", 5, D("1.0"), D("1.1")),  # 0.5 1 1 1 2: mean 5.5 / 5
        ("submitted", 5, D("1.0"), D("1.2")),  # 1 1 1 1 2
        ("processing", 4, D("2.5"), D("3.0")),  # 1 2 3 6: median (2 + 3) / 2
        ("underwriting", 3, D("4.0"), D("3.7")),  # 2 4 5: mean 11 / 3 = 3.67
        ("approved", 2, D("11.5"), D("11.5")),  # 10 13
    ]
    turn = report.turn_time
    assert (turn.count, turn.median_days, turn.mean_days) == (2, D("19.0"), D("19.0"))  # 16 and 22 days


def test_filters_by_officer_and_product(january, team):
    _ann, bob = team
    _product, other = january
    by_bob = pipeline_report(
        taken(PipelineFilters(date_from=date(2027, 1, 1), date_to=date(2027, 1, 31), officer=bob.pk))
    )
    assert (by_bob.applications, by_bob.pull_through, by_bob.turn_time) == (2, D("0.0"), None)
    other_only = pipeline_report(
        taken(PipelineFilters(date_from=date(2027, 1, 1), date_to=date(2027, 1, 31), product=other.pk))
    )
    assert [(r.state, r.applications) for r in other_only.states if r.applications] == [("processing", 1)]
    assert [(d.key, d.count, d.median_days) for d in other_only.time_in_state] == [
        ("draft", 1, D("2.0")),
        ("submitted", 1, D("1.0")),
    ]
    nothing = pipeline_report(taken(PipelineFilters(date_from=date(2027, 3, 1), date_to=date(2027, 3, 31))))
    assert (nothing.applications, nothing.pull_through, nothing.time_in_state, nothing.officers) == (0, None, [], [])


def test_two_queries_for_one_application_or_many(django_assert_num_queries, january):
    """The counts with the turn times, the stays with the fallout (four queries before session 22)."""
    queries = 3 if connection.vendor == "postgresql" else 2  # PostgreSQL: the sort's memory set first
    with django_assert_num_queries(queries):
        pipeline_report(taken(JANUARY))
    Application.objects.filter(application_date__isnull=False).exclude(loan_officer=None).update(
        application_date=date(2026, 6, 1)
    )
    with django_assert_num_queries(queries):
        assert pipeline_report(taken(JANUARY)).applications == 1


def test_a_transition_records_when_the_stay_it_ends_began(team):
    """The workflow stamps each step with the application's last status change: the stay's start."""
    application = complete_application()
    began = Application.objects.get(pk=application.pk).status_changed_at
    application_transition(application=application, name="submit", actor=team[0])
    submitted_at = Application.objects.get(pk=application.pk).status_changed_at
    application_transition(application=application, name="withdraw", actor=team[0], note="Bought elsewhere.")
    submit, withdraw = TransitionLog.objects.filter(application=application).order_by("created_at", "id")
    assert (submit.from_status, submit.entered_at) == ("draft", began)
    assert (withdraw.from_status, withdraw.entered_at) == ("submitted", submitted_at)
    assert began < submitted_at
