"""The pipeline report's application figures on a constructed January 2027: by state, by officer, pull-through
and fallout, time in each state and turn time, with the filters; a constant number of queries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from lending.core import roles
from origination.models import Application, Funding, TransitionLog
from origination.selectors.pipeline_report import PipelineFilters, pipeline_report, taken
from tests.core.factories import user_with_role
from tests.origination.factories import ApplicationFactory, LoanProductFactory

pytestmark = pytest.mark.django_db
D = Decimal
JANUARY = PipelineFilters(date_from=date(2027, 1, 1), date_to=date(2027, 1, 31))


def _at(day: int, hour: int = 0, month: int = 1) -> datetime:
    return datetime(2027, month, day, hour, tzinfo=UTC)


def _application(officer, status, amount, created, applied, stays, funded_on=None, product=None):
    """An application created at ``created``, taken on ``applied``, that went through ``stays``: (state it moved
    to, when), starting from draft."""
    application = ApplicationFactory(
        loan_officer=officer,
        amount_requested=D(amount),
        created_at=created,
        application_date=applied,
        **({"product": product} if product else {}),
    )
    Application.objects.filter(pk=application.pk).update(status=status)
    state = "draft"
    for to_state, when in stays:
        TransitionLog.objects.create(
            application=application, transition=to_state, from_status=state, to_status=to_state, created_at=when
        )
        state = to_state
    if funded_on:
        Funding.objects.create(
            application=application,
            loan_amount=D(amount),
            disbursed_amount=D(amount),
            funded_on=funded_on,
            funded_by=user_with_role(roles.CLOSER),
        )
    return application


@pytest.fixture
def team():
    return (
        user_with_role(roles.LOAN_OFFICER, first_name="Ann", last_name="Lee"),
        user_with_role(roles.LOAN_OFFICER, first_name="Bob", last_name="Ray"),
    )


@pytest.fixture
def january(team):
    """A1 Ann funded: draft 1 day, submitted 1, processing 3, underwriting 2, approved 10; taken Jan 5, funded
    Jan 21 (16 days). A2 Ann funded: draft 0.5, submitted 2, processing 1, underwriting 4, approved 13; taken Jan 10,
    funded Feb 1 (22 days). A3 Bob denied from underwriting: draft 1, submitted 1, processing 6, underwriting 5.
    A4 Bob withdrawn from processing: draft 1, submitted 1, processing 2. A5 unassigned, in processing (another
    product): draft 2, submitted 1. Not counted: A6 taken in December, A7 a draft never taken."""
    ann, bob = team
    product = LoanProductFactory(code="p-main")
    a1_stays = [("submitted", _at(5)), ("processing", _at(6)), ("underwriting", _at(9)), ("approved", _at(11))]
    _application(
        ann, "funded", "300000", _at(4), date(2027, 1, 5), [*a1_stays, ("funded", _at(21))], date(2027, 1, 21), product
    )
    a2_stays = [("submitted", _at(10, 12)), ("processing", _at(12, 12)), ("underwriting", _at(13, 12))]
    _application(
        ann,
        "funded",
        "200000",
        _at(10),
        date(2027, 1, 10),
        [*a2_stays, ("approved", _at(17, 12)), ("funded", _at(30, 12))],
        date(2027, 2, 1),
        product,
    )
    a3_stays = [("submitted", _at(13)), ("processing", _at(14)), ("underwriting", _at(20)), ("denied", _at(25))]
    _application(bob, "denied", "250000", _at(12), date(2027, 1, 13), a3_stays, product=product)
    a4_stays = [("submitted", _at(16)), ("processing", _at(17)), ("withdrawn", _at(19))]
    _application(bob, "withdrawn", "100000", _at(15), date(2027, 1, 16), a4_stays, product=product)
    other = LoanProductFactory(code="p-other")
    _application(
        None,
        "processing",
        "150000",
        _at(20),
        date(2027, 1, 22),
        [("submitted", _at(22)), ("processing", _at(23))],
        product=other,
    )
    december = datetime(2026, 12, 20, tzinfo=UTC)
    _application(
        ann, "funded", "90000", december, date(2026, 12, 20), [("submitted", december)], date(2027, 1, 3), product
    )
    _application(ann, "draft", "80000", _at(3), None, [], product=product)
    return product, other


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


def test_five_queries_for_one_application_or_many(django_assert_num_queries, january):
    with django_assert_num_queries(5):
        pipeline_report(taken(JANUARY))
    Application.objects.filter(application_date__isnull=False).exclude(loan_officer=None).update(
        application_date=date(2026, 6, 1)
    )
    with django_assert_num_queries(5):
        assert pipeline_report(taken(JANUARY)).applications == 1
