"""The payment history report: each payment with its allocation, filters, exports, roles, query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lending.core import roles
from lending.core.reports import export
from servicing.models import LoanTransaction
from servicing.reports.payment_history import PaymentHistoryReport
from servicing.services.portfolio_months import portfolio_months_refresh
from tests.core.factories import user_with_role
from tests.report_helpers import access_cases, assert_access, chart, csv_rows, page_rows, xlsx_rows
from tests.servicing.reports.book import FIRST_DUE, INSTALLMENT_1, book, loan, pay

pytestmark = pytest.mark.django_db
URL = reverse("reports:payments")
AS_OF = {"as_of": "2026-03-31"}
ZEROS5 = ("0.00",) * 5
A1_REST = ("0.00", "0.00", "0.00", "ref-a1")

# Effective, loan, product, method, kind, status, amount, principal, prepaid, interest, escrow, late fees, fees,
# suspense, reference. A2 is a curtailment: all of it prepaid principal; A1 and B1 pay installment 1 exactly.
A2 = ["Mar 15, 2026", "{a}", "{pa}", "Check", "Payment", "Posted", "$5,000.00", "$0.00", "$5,000.00"]
A2 += ["$0.00", "$0.00", "$0.00", "$0.00", "$0.00", "ref-a2"]
B1 = ["Mar 1, 2026", "{b}", "{pb}", "Wire", "Payment", "Posted", "$1,175.13", "$90.40", "$0.00"]
B1 += ["$559.73", "$525.00", "$0.00", "$0.00", "$0.00", "ref-b1"]
A1 = ["Mar 1, 2026", "{a}", "{pa}", "ACH", "Payment", "Posted", "$1,175.13", "$90.40", "$0.00"]
A1 += ["$559.73", "$525.00", "$0.00", "$0.00", "$0.00", "ref-a1"]


@pytest.fixture
def the_book(client):
    client.force_login(user_with_role(roles.ACCOUNTING))
    return book()


def filled(row, the_book):
    names = {"a": the_book.a.loan_number, "b": the_book.b.loan_number}
    names |= {"pa": the_book.a.product_code, "pb": the_book.b.product_code}
    return [cell.format(**names) for cell in row]


def test_each_payment_shows_its_allocation_newest_first(client, the_book):
    rows = page_rows(client.get(URL, AS_OF))
    # Mar 15 first; on Mar 1, B1 was posted after A1 (the newer id first).
    assert rows == [filled(A2, the_book), filled(B1, the_book), filled(A1, the_book)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"method": "check"}, [A2]),
        ({"method": "ach"}, [A1]),
        ({"date_from": "2026-03-02"}, [A2]),
        ({"date_to": "2026-03-01"}, [B1, A1]),
        ({"as_of": "2026-03-14"}, [B1, A1]),  # the as-of date leaves out later payments
        ({"loan": "{a}"}, [A2, A1]),  # one loan's history
        ({"product": "{pb}"}, [B1]),
        ({"status": "reversed"}, []),
    ],
)
def test_filters_narrow_the_rows(client, the_book, filters, expected):
    filters = {
        key: value.format(a=the_book.a.loan_number, pb=the_book.b.product_code) for key, value in filters.items()
    }
    rows = page_rows(client.get(URL, {**AS_OF, **filters}))
    assert rows == [filled(row, the_book) for row in expected]


def test_the_csv_export_is_exactly_the_filtered_rows(client, the_book):
    a, pa = the_book.a.loan_number, the_book.a.product_code
    header = ["Effective", "Loan", "Product", "Method", "Kind", "Status", "Amount", "Principal", "Prepaid principal"]
    header += ["Interest", "Escrow", "Late fees", "Fees", "Suspense", "Reference"]
    assert csv_rows(client, URL, loan=a, **AS_OF) == [
        header,
        [*("2026-03-15", a, pa, "Check", "Payment", "Posted", "5000.00", "0.00", "5000.00"), *ZEROS5, "ref-a2"],
        [*("2026-03-01", a, pa, "ACH", "Payment", "Posted", "1175.13", "90.40", "0.00", "559.73", "525.00"), *A1_REST],
    ]


def test_the_exports_hold_every_row_not_one_page(client, the_book, monkeypatch):
    monkeypatch.setattr(PaymentHistoryReport, "page_size", 1)
    assert len(page_rows(client.get(URL, AS_OF))) == 1
    assert len(csv_rows(client, URL, **AS_OF)) == 1 + 3
    excel = xlsx_rows(client, URL, method="wire", **AS_OF)
    assert excel[1][:2] == [46082.0, the_book.b.loan_number]  # 2026-03-01 as an Excel serial
    assert excel[1][6:10] == [1175.13, 90.4, 0.0, 559.73]


def test_the_chart_draws_the_monthly_collections(client, the_book):
    portfolio_months_refresh(actor=None)
    data = chart(client.get(URL, AS_OF), "allocation-by-month")
    # Jan 2026 (the disbursements: nothing collected) and Mar 2026: principal 90.40 x 2 + 5,000.00 prepaid =
    # 5,180.80; interest 559.73 x 2 = 1,119.46; escrow 525.00 x 2 = 1,050.00.
    assert data["labels"] == ["Jan 2026", "Mar 2026"]
    assert [d["data"] for d in data["datasets"]] == [[0.0, 5180.8], [0.0, 1119.46], [0.0, 1050.0], [0.0, 0.0]]


@pytest.mark.parametrize(("role", "allowed"), access_cases(PaymentHistoryReport.allowed_roles))
def test_managers_and_accounting_only(client, role, allowed):
    assert_access(client, URL, role, allowed)


def test_the_page_costs_the_same_queries_for_one_loan_or_several(client, django_assert_max_num_queries):
    client.force_login(user_with_role(roles.MANAGER))
    first = loan()
    pay(first, INSTALLMENT_1, FIRST_DUE, "ach", "q1")
    client.get(URL, AS_OF)
    with CaptureQueriesContext(connection) as one:
        client.get(URL, AS_OF)
    book()
    with django_assert_max_num_queries(len(one)):
        assert len(page_rows(client.get(URL, AS_OF))) == 4


def test_without_dates_the_page_and_its_exports_cover_the_month_of_the_as_of_date(client, the_book):
    """Issue 15: the default was every payment ever made (a 6,000,000-row export at 100,000 loans timed out); the
    page and its files now cover the month to the "as of" date, and the form says so."""
    april = {"as_of": "2026-04-10"}
    response = client.get(URL, april)
    assert page_rows(response) == []  # March's payments are last month's
    form = response.context["filterset"].form
    assert (form["date_from"].value(), form["date_to"].value()) == ("2026-04-01", "2026-04-10")
    assert len(csv_rows(client, URL, **april)) == 1  # the header only
    assert len(xlsx_rows(client, URL, **april)) == 1
    march = page_rows(client.get(URL, {**april, "date_from": "2026-03-01"}))
    assert march == [filled(A2, the_book), filled(B1, the_book), filled(A1, the_book)]
    assert [row[0] for row in csv_rows(client, URL, **april, date_from="2026-03-01")[1:]] == [
        "2026-03-15",
        "2026-03-01",
        "2026-03-01",
    ]


@pytest.mark.postgres
def test_the_databases_csv_is_byte_for_byte_the_columns_csv(the_book):
    LoanTransaction.objects.filter(pk=the_book.a2.pk).update(reference='=cmd|"x"')
    report = PaymentHistoryReport()
    rows = report.present_rows(LoanTransaction.objects.all())
    cells = report.csv_cells(rows)
    assert cells is not None
    written = "".join(export.csv_text_lines(report.columns, cells))
    assert written == "".join(export.csv_lines(report.columns, rows))
    assert written.split("\r\n")[1].endswith(',"\'=cmd|""x"""')  # formula-safe, quoted


def test_the_pages_count_reads_the_payments_not_their_allocations_or_loans(client, the_book, monkeypatch):
    """The count behind "page 1 of 3" counts the filtered payments (one index range), not the rows with their seven
    allocation sums and loan columns (at 100,000 loans that count read every loan: 24 ms of a 43 ms page)."""
    monkeypatch.setattr(PaymentHistoryReport, "page_size", 1)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, AS_OF)
    assert response.context["page_obj"].paginator.count == 3
    assert len(page_rows(response)) == 1
    (count,) = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
    assert "servicing_allocationline" not in count
    assert "servicing_loanaccount" not in count
