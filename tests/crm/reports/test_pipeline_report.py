"""The pipeline report page on the constructed January 2027 pipeline (tests/origination/factories_pipeline.py): the
applications as rows, the summaries (pull-through, officers, fallout, time in state, turn time, lead funnel), the
charts, the filters and the default 90 days, the exports, who may open it, and a constant number of queries."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from crm.reports.pipeline import PipelineReport
from lending.core import roles
from origination.models import Application
from tests.core.factories import user_with_role
from tests.crm.factories import LeadFactory
from tests.origination.factories_pipeline import january_pipeline, pipeline_team
from tests.report_helpers import access_cases, assert_access, chart, csv_rows, page_rows, xlsx_rows

pytestmark = pytest.mark.django_db
D = Decimal
URL = reverse("reports:pipeline")
JANUARY = {"as_of": "2027-02-15", "date_from": "2027-01-01", "date_to": "2027-01-31"}
MORTGAGE = "30-year fixed mortgage"
# The page's queries, filtered or not, pinned (a new query must be justified); PostgreSQL's one more sets the
# transaction's sort memory (origination.selectors.pipeline_report._sort_in_memory).
QUERIES = {"postgresql": 16, "sqlite": 15}


@pytest.fixture
def team():
    return pipeline_team()


@pytest.fixture
def january(team):
    products = january_pipeline(team)
    funded = Application.objects.get(application_date="2027-01-05")
    LeadFactory(created_at=datetime(2027, 1, 3, 12, tzinfo=UTC), officer=team[0], application=funded)
    LeadFactory(created_at=datetime(2027, 1, 20, 12, tzinfo=UTC))
    return products


@pytest.fixture
def manager_client(client):
    client.force_login(user_with_role(roles.MANAGER))
    return client


@pytest.mark.parametrize(("role", "allowed"), access_cases(PipelineReport.allowed_roles))
def test_managers_and_accounting_may_open_it(client, role, allowed):
    assert set(PipelineReport.allowed_roles) == {roles.MANAGER, roles.ACCOUNTING}
    assert_access(client, URL, role, allowed)


def test_the_rows_are_the_applications_taken_newest_first(manager_client, january):
    rows = [row[1:] for row in page_rows(manager_client.get(URL, JANUARY))]
    assert rows == [
        [MORTGAGE, "Unassigned", "Processing", "Jan 22, 2027", "$150,000.00", "", ""],
        [MORTGAGE, "Bob Ray", "Withdrawn", "Jan 16, 2027", "$100,000.00", "", ""],
        [MORTGAGE, "Bob Ray", "Denied", "Jan 13, 2027", "$250,000.00", "", ""],
        [MORTGAGE, "Ann Lee", "Funded", "Jan 10, 2027", "$200,000.00", "Feb 1, 2027", "22"],
        [MORTGAGE, "Ann Lee", "Funded", "Jan 5, 2027", "$300,000.00", "Jan 21, 2027", "16"],
    ]


def test_the_summaries_and_the_lead_funnel(manager_client, january):
    response = manager_client.get(URL, JANUARY)
    html = response.content.decode()
    assert '<div class="fs-4" data-testid="pull-through">40.0%</div>' in html  # 2 funded of 5 taken
    assert '<div class="fs-4" data-testid="fallout-rate">40.0%</div>' in html
    assert '<div class="fs-4" data-testid="turn-time">19.0 days</div>' in html  # 16 and 22
    pipeline = response.context["pipeline"]
    assert [(row.name, row.funded, row.pull_through) for row in pipeline.officers] == [
        ("Ann Lee", 2, D("100.0")),
        ("Bob Ray", 0, D("0.0")),
        ("Unassigned", 0, D("0.0")),
    ]
    assert [(row.label, row.applications) for row in pipeline.fallout] == [
        ("Denied from underwriting", 1),
        ("Withdrawn from processing", 1),
    ]
    funnel = response.context["funnel"]
    assert [(r.name, r.leads, r.applications, r.funded, r.funded_amount) for r in funnel.sources] == [
        ("Website contact form", 2, 1, 1, D("300000.00"))
    ]
    assert "Applications taken Jan 1, 2027 to Jan 31, 2027" in html


def test_the_charts_count_states_and_days_in_each_state(manager_client, january):
    response = manager_client.get(URL, JANUARY)
    states = chart(response, "states")
    counts = dict(zip(states["labels"], states["datasets"][0]["data"], strict=True))
    assert {label: n for label, n in counts.items() if n} == {
        "Processing": 1.0,
        "Denied": 1.0,
        "Funded": 2.0,
        "Withdrawn": 1.0,
    }
    times = chart(response, "time-in-state")
    assert times["labels"] == ["Draft", "Submitted", "Processing", "Underwriting", "Approved"]
    assert times["datasets"][0]["data"] == [1.0, 1.0, 2.5, 4.0, 11.5]  # medians (selectors test: the arithmetic)


def test_filters_narrow_rows_summaries_and_leads(manager_client, january, team):
    ann, _bob = team
    response = manager_client.get(URL, {**JANUARY, "officer": ann.pk})
    assert [row[2:4] for row in page_rows(response)] == [["Ann Lee", "Funded"], ["Ann Lee", "Funded"]]
    assert response.context["funnel"].total.leads == 1  # the lead's officer
    response = manager_client.get(URL, {**JANUARY, "state": "denied"})
    assert [row[3] for row in page_rows(response)] == ["Denied"]
    _main, other = january
    assert len(page_rows(manager_client.get(URL, {**JANUARY, "product": other.pk}))) == 1
    # No dates: the 90 days to the "as of" date (Nov 18, 2026 to Feb 15, 2027) take December's application too.
    response = manager_client.get(URL, {"as_of": "2027-02-15"})
    assert len(page_rows(response)) == 6
    assert response.context["period"][0].isoformat() == "2026-11-18"
    assert manager_client.get(URL, {"officer": "999999"}).status_code == 400
    assert manager_client.get(URL, {"date_from": "2027-13-01"}).status_code == 400


def test_exports_hold_exactly_the_filtered_rows(manager_client, january, team):
    _ann, bob = team
    rows = csv_rows(manager_client, URL, **JANUARY, officer=bob.pk)
    assert rows[0] == [
        "Application",
        "Product",
        "Loan officer",
        "State",
        "Taken",
        "Amount requested",
        "Funded",
        "Days to fund",
    ]
    assert [row[1:] for row in rows[1:]] == [
        [MORTGAGE, "Bob Ray", "Withdrawn", "2027-01-16", "100000.00", "", ""],
        [MORTGAGE, "Bob Ray", "Denied", "2027-01-13", "250000.00", "", ""],
    ]
    sheet = xlsx_rows(manager_client, URL, **JANUARY, state="funded")
    assert [row[2:8:5] for row in sheet[1:]] == [["Ann Lee", 22.0], ["Ann Lee", 16.0]]


def test_a_constant_number_of_queries_for_one_application_or_many(
    manager_client, january, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20) as many:
        manager_client.get(URL, JANUARY)
    Application.objects.exclude(application_date="2027-01-05").update(application_date="2026-01-01")
    with django_assert_max_num_queries(20) as one:
        assert len(page_rows(manager_client.get(URL, JANUARY))) == 1
    assert len(one.captured_queries) == len(many.captured_queries)


def test_the_same_number_of_queries_with_or_without_a_filter(manager_client, january, team, django_assert_num_queries):
    """A chosen officer or product is checked against the options the page lists, not looked up once more."""
    ann, _bob = team
    main, other = january
    variants = [
        {"as_of": "2027-02-15"},  # no filter: the 90 days to the date
        JANUARY,
        {**JANUARY, "officer": ann.pk},
        {**JANUARY, "product": other.pk},
        {**JANUARY, "officer": ann.pk, "product": main.pk, "state": "funded"},  # Ann's two funded loans
    ]
    for params in variants:
        with django_assert_num_queries(QUERIES[connection.vendor]):
            assert manager_client.get(URL, params).status_code == 200


def test_an_officer_or_product_not_listed_is_refused(manager_client, january, team):
    ann, _bob = team
    ann.is_active = False  # no longer listed among the loan officers
    ann.save(update_fields=["is_active"])
    for params in ({"officer": ann.pk}, {"officer": "ann"}, {"officer": "1.5"}, {"product": "999999"}):
        response = manager_client.get(URL, {**JANUARY, **params})
        assert response.status_code == 400, params
        assert "Select a valid choice. That choice is not one of the available choices." in response.content.decode()
