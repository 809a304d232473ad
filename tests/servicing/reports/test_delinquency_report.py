"""The delinquency report page on the constructed tape (tests/servicing/reports/conftest.py): the rows, the matrix,
the month figures and the charts, the filters, the exports (exactly the filtered rows), who may open it, and a
constant number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from servicing.models import LoanMonthEndCount
from servicing.reports.delinquency import DelinquencyReport
from tests.core.factories import user_with_role
from tests.report_helpers import access_cases, assert_access, chart, csv_rows, page_rows, xlsx_rows

pytestmark = pytest.mark.django_db
URL = reverse("reports:delinquency")
# March 2027 closes on Wednesday the 31st: as of April 5, the last month closed is March; 3 months: Jan to Mar.
WINDOW = {"as_of": "2027-04-05", "months": "3"}
HEADER = [
    "Month",
    "Bucket at the month before",
    "Bucket at the month end",
    "Loans",
    "Principal at the month before",
    "Principal at the month end",
]


@pytest.fixture
def manager_client(client):
    client.force_login(user_with_role(roles.MANAGER))
    return client


@pytest.mark.parametrize(("role", "allowed"), access_cases(DelinquencyReport.allowed_roles))
def test_managers_accounting_and_collectors_may_open_it(client, role, allowed):
    assert set(DelinquencyReport.allowed_roles) == {roles.MANAGER, roles.ACCOUNTING, roles.COLLECTOR}
    assert_access(client, URL, role, allowed)


def test_the_page_shows_the_counted_tape_the_matrix_and_the_month_figures(manager_client, tape):
    response = manager_client.get(URL, WINDOW)
    assert page_rows(response) == [
        ["2027-02", "New loan", "1-29", "1", "$0.00", "$100,000.00"],
        ["2027-02", "New loan", "Current", "3", "$0.00", "$550,000.00"],
        ["2027-03", "1-29", "Current", "1", "$100,000.00", "$99,000.00"],
        ["2027-03", "Current", "30-59", "1", "$200,000.00", "$200,000.00"],
        ["2027-03", "Current", "Current", "1", "$300,000.00", "$299,000.00"],
        ["2027-03", "Current", "Paid off", "1", "$50,000.00", "$0.00"],
    ]
    matrix = response.context["matrix"]
    current, cells = matrix[0]
    # March: 3 loans current at the end of February ($550,000): 1 stayed, 1 rolled to 30-59, 1 paid off.
    assert (current.from_bucket, current.loans, current.roll_forward) == ("current", 3, Decimal("33.3"))
    assert [(cell.to_bucket, str(cell.percent)) for cell, _heat in cells if cell.loans] == [
        ("current", "33.3"),
        ("30-59", "33.3"),
        ("paid_off", "33.3"),
    ]
    assert {cell.to_bucket: heat for cell, heat in cells}["30-59"] == "bg-danger bg-opacity-50"
    assert {cell.to_bucket: heat for cell, heat in matrix[1][1]}["current"] == "bg-success bg-opacity-75"
    jan, feb, mar = response.context["figures"]
    assert (jan.total_loans, feb.total_loans, mar.total_loans) == (0, 4, 3)
    assert (mar.entering, mar.curing, mar.paid_off) == (1, 1, 1)
    html = response.content.decode()
    assert "Roll rates, March 2027" in html
    assert "Month ends Jan 2027 to Mar 2027" in html


def test_the_charts_stack_principal_by_bucket_and_count_entering_and_curing(manager_client, tape):
    response = manager_client.get(URL, WINDOW)
    balances = chart(response, "balances")
    assert (balances["labels"], balances["stacked"], balances["money"]) == (
        ["Jan 2027", "Feb 2027", "Mar 2027"],
        True,
        True,
    )
    assert [d["label"] for d in balances["datasets"]] == ["Current", "1-29", "30-59", "60-89", "90-119", "120+"]
    assert balances["datasets"][0]["data"] == [0.0, 550000.0, 398000.0]  # Mar: 299,000 + 99,000
    assert balances["datasets"][2]["data"] == [0.0, 0.0, 200000.0]
    flows = chart(response, "flows")
    assert [(d["label"], d["data"]) for d in flows["datasets"]] == [
        ("Entering", [0.0, 1.0, 1.0]),
        ("Curing", [0.0, 0.0, 1.0]),
    ]


def test_the_product_and_bucket_filters_narrow_the_rows(manager_client, tape):
    assert page_rows(manager_client.get(URL, {**WINDOW, "product": "p-b"})) == [
        ["2027-02", "New loan", "Current", "1", "$0.00", "$50,000.00"],
        ["2027-03", "Current", "Paid off", "1", "$50,000.00", "$0.00"],
    ]
    assert page_rows(manager_client.get(URL, {**WINDOW, "bucket": "1-29"})) == [
        ["2027-03", "1-29", "Current", "1", "$100,000.00", "$99,000.00"],
    ]
    # As of March 30, March has not closed: February is the last month, and the matrix is February's.
    response = manager_client.get(URL, {"as_of": "2027-03-30", "months": "3"})
    assert [row[0] for row in page_rows(response)] == ["2027-02", "2027-02"]
    assert response.context["matrix"][0][0].loans == 0  # nobody was on the tape at the end of January


def test_bad_filters_are_refused_with_400(manager_client, tape):
    assert manager_client.get(URL, {"months": "7"}).status_code == 400
    assert manager_client.get(URL, {"product": "nope"}).status_code == 400
    response = manager_client.get(URL, {"bucket": "15-20", "export": "csv"})
    assert (response.status_code, response.content.decode()) == (
        400,
        "Bad filter: bucket: Select a valid choice. 15-20 is not one of the available choices.",
    )


def test_exports_hold_exactly_the_filtered_rows(manager_client, tape):
    assert csv_rows(manager_client, URL, **WINDOW, product="p-b") == [
        HEADER,
        ["2027-02", "New loan", "Current", "1", "0.00", "50000.00"],
        ["2027-03", "Current", "Paid off", "1", "50000.00", "0.00"],
    ]
    rows = xlsx_rows(manager_client, URL, **WINDOW)
    assert rows[0] == HEADER
    assert rows[1:3] == [
        ["2027-02", "New loan", "1-29", 1.0, 0.0, 100000.0],
        ["2027-02", "New loan", "Current", 3.0, 0.0, 550000.0],
    ]
    assert len(rows) == 7


def test_a_constant_number_of_queries_for_one_loan_or_many(manager_client, tape, django_assert_max_num_queries):
    with django_assert_max_num_queries(8) as many:
        manager_client.get(URL, WINDOW)
    LoanMonthEndCount.objects.exclude(pk=LoanMonthEndCount.objects.order_by("pk").values("pk").first()["pk"]).delete()
    with django_assert_max_num_queries(8) as one:
        manager_client.get(URL, WINDOW)
    assert len(one.captured_queries) == len(many.captured_queries)
