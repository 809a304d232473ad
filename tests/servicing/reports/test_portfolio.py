"""The portfolio report: strata, weighted averages, monthly collections, prepayment speed, losses; exports; roles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lending.core import roles
from servicing.models import LoanAccount, PortfolioMonth
from servicing.reports.portfolio import PortfolioReport
from servicing.selectors.portfolio import portfolio_months
from tests.core.factories import user_with_role
from tests.report_helpers import access_cases, assert_access, chart, csv_rows, page_rows
from tests.servicing.reports.book import loan

pytestmark = pytest.mark.django_db
URL = reverse("reports:portfolio")
AS_OF = {"as_of": "2026-06-30"}


def shape(account: LoanAccount, **fields) -> LoanAccount:
    LoanAccount.objects.filter(pk=account.pk).update(**fields)
    account.refresh_from_db()
    return account


@pytest.fixture
def three_loans(client):
    """L1: 6.5 %, $100,000.00 owed, matures Feb 2056 (first payment 2026); L2: same product, 3.25 %, $50,000.00 owed,
    matures Mar 2036 (first payment 2021); L3: another product, 7.125 %, paid off (nothing owed)."""
    client.force_login(user_with_role(roles.MANAGER))
    l1 = loan()
    l2 = shape(
        loan(),
        product_code=l1.product_code,
        annual_rate=Decimal("3.2500"),
        principal_balance=Decimal("50000.00"),
        disbursement_date=date(2021, 2, 1),
        first_payment_date=date(2021, 3, 1),
        maturity_date=date(2036, 3, 1),
    )
    l3 = shape(loan(), annual_rate=Decimal("7.1250"), principal_balance=Decimal("0.00"), status="paid_off")
    return l1, l2, l3


def table(response, name):
    """A strata table's rows as the page renders them (label, loans, balance, share, rate, term)."""
    strata = {"product": "by_product", "status": "by_status", "rate-band": "by_rate_band", "vintage": "by_vintage"}
    rows = getattr(response.context["strata"], strata[name])
    return [[s.label, s.loans, f"{s.balance}", str(s.share), str(s.weighted_rate), str(s.weighted_term)] for s in rows]


def test_the_book_by_product_status_rate_band_and_vintage(client, three_loans):
    l1, _l2, l3 = three_loans
    response = client.get(URL, AS_OF)
    # Remaining months from Jun 2026: L1 to Feb 2056 = 2056x12+2 - (2026x12+6) = 356; L2 to Mar 2036 = 117.
    # WAC = (100,000 x 6.5 + 50,000 x 3.25) / 150,000 = 812,500 / 150,000 = 5.41666.. -> 5.417 %.
    # WART = (100,000 x 356 + 50,000 x 117) / 150,000 = 41,450,000 / 150,000 = 276.33.. -> 276.3 months.
    body = response.content.decode()
    assert 'data-testid="total-loans">3<' in body
    assert 'data-testid="total-balance">$150,000.00<' in body
    assert 'data-testid="total-wac">5.417%<' in body
    assert 'data-testid="total-wart">276.3 months<' in body
    assert table(response, "product") == sorted(
        [
            [l1.product_code, 2, "150000.00", "100.0", "5.417", "276.3"],
            [l3.product_code, 1, "0.00", "0.0", "None", "None"],  # paid off: no balance to weigh
        ]
    )
    assert table(response, "status") == [
        ["Active", 2, "150000.00", "100.0", "5.417", "276.3"],
        ["Paid off", 1, "0.00", "0.0", "None", "None"],
    ]
    assert table(response, "rate-band") == [
        ["3% to 3.999%", 1, "50000.00", "33.3", "3.250", "117.0"],  # 50,000 / 150,000 = 33.3 %
        ["6% to 6.999%", 1, "100000.00", "66.7", "6.500", "356.0"],
        ["7% to 7.999%", 1, "0.00", "0.0", "None", "None"],
    ]
    assert table(response, "vintage") == [
        ["2021", 1, "50000.00", "33.3", "3.250", "117.0"],
        ["2026", 2, "100000.00", "66.7", "6.500", "356.0"],
    ]
    assert '<td>3% to 3.999%</td><td class="text-end">1</td><td class="text-end">$50,000.00</td>' in body


def test_filters_narrow_the_strata_and_the_loans(client, three_loans):
    l1, l2, _ = three_loans
    response = client.get(URL, {**AS_OF, "rate_band": "3"})
    assert [row[0] for row in page_rows(response)] == [l2.loan_number]
    assert response.context["strata"].total.balance == Decimal("50000.00")
    response = client.get(URL, {**AS_OF, "status": "active", "vintage": "2026"})
    assert [row[0] for row in page_rows(response)] == [l1.loan_number]
    # As of Jan 2021 only L2 had been disbursed... and it was not yet: Feb 1, 2021.
    assert page_rows(client.get(URL, {"as_of": "2021-01-31"})) == []


def test_the_loans_table_and_its_export(client, three_loans):
    l1, l2, _l3 = three_loans
    rows = page_rows(client.get(URL, {**AS_OF, "product": l1.product_code}))
    assert [row[0] for row in rows] == sorted([l1.loan_number, l2.loan_number])
    exported = csv_rows(client, URL, product=l1.product_code, **AS_OF)
    assert exported[0] == [
        "Loan",
        "Product",
        "Status",
        "Rate",
        "Rate band",
        "Vintage",
        "Original principal",
        "Principal balance",
        "Remaining months",
        "Next due",
        "Days past due",
    ]
    by_loan = {line[0]: line for line in exported[1:]}
    assert set(by_loan) == {l1.loan_number, l2.loan_number}  # exactly the filtered loans
    assert by_loan[l2.loan_number][:9] == [
        l2.loan_number,
        l1.product_code,
        "Active",
        "3.250",
        "3% to 3.999%",
        "2021",
        "100000.00",
        "50000.00",
        "117",
    ]
    assert [row[0] for row in exported[1:]] == [row[0] for row in rows]  # the page's rows, in its order


def month(day, **figures):
    return PortfolioMonth.objects.create(month=day, product_code="p", **figures)


def test_prepayment_speed_and_losses_by_month():
    month(date(2026, 1, 1), principal_change=Decimal("300000.00"))  # disbursed
    month(
        date(2026, 2, 1),
        payments=3,
        principal_collected=Decimal("500.00"),
        prepayment=Decimal("2950.00"),
        interest_collected=Decimal("1625.00"),
        principal_change=Decimal("-3450.00"),
    )
    month(
        date(2026, 3, 1),
        charge_offs=1,
        charged_off_principal=Decimal("20000.00"),
        charge_off_loss=Decimal("21000.00"),
        recoveries=1,
        recovered=Decimal("1500.00"),
        principal_change=Decimal("-20000.00"),
    )
    jan, feb, mar = portfolio_months(as_of=date(2026, 3, 31))
    assert (jan.balance_start, feb.balance_start, mar.balance_start) == (
        Decimal("0.00"),
        Decimal("300000.00"),
        Decimal("296550.00"),  # 300,000.00 - 3,450.00
    )
    assert jan.smm is None  # nothing outstanding at the start of January
    # SMM Feb = 2,950 / (300,000 - 500) = 0.00984974958..; as a percent 0.985.
    # CPR = 1 - (1 - 0.00984974958..)^12 = 0.11199948..; 11.200 %.
    assert (feb.smm_percent, feb.cpr_percent) == (Decimal("0.985"), Decimal("11.200"))
    assert (mar.smm_percent, mar.cpr_percent) == (Decimal("0.000"), Decimal("0.000"))
    assert (mar.charge_offs, mar.charge_off_loss, mar.recoveries, mar.recovered) == (
        1,
        Decimal("21000.00"),
        1,
        Decimal("1500.00"),
    )
    assert [m.month for m in portfolio_months(as_of=date(2026, 2, 28))] == [date(2026, 1, 1), date(2026, 2, 1)]
    assert portfolio_months(as_of=date(2026, 3, 31), product="other") == []


def test_the_page_shows_the_months_and_charts(client):
    client.force_login(user_with_role(roles.ACCOUNTING))
    month(date(2026, 1, 1), principal_change=Decimal("300000.00"))
    month(
        date(2026, 2, 1),
        payments=3,
        principal_collected=Decimal("500.00"),
        prepayment=Decimal("2950.00"),
        interest_collected=Decimal("1625.00"),
        principal_change=Decimal("-3450.00"),
    )
    response = client.get(URL, {"as_of": "2026-02-28"})
    body = response.content.decode()
    assert (
        '<td>Feb 2026</td><td class="text-end">3</td><td class="text-end">$300,000.00</td>'
        '<td class="text-end">$500.00</td><td class="text-end">$2,950.00</td><td class="text-end">$1,625.00</td>'
    ) in body
    assert '<td class="text-end">0.985%</td><td class="text-end">11.200%</td>' in body
    cpr = chart(response, "prepayment-speed")
    assert (cpr["type"], cpr["labels"], cpr["datasets"][0]["data"]) == ("line", ["Jan 2026", "Feb 2026"], [None, 11.2])
    collections = chart(response, "collections")
    assert [d["data"] for d in collections["datasets"]] == [[0.0, 500.0], [0.0, 2950.0], [0.0, 1625.0]]
    for chart_id in ("balance-by-product", "balance-by-rate-band", "losses"):
        assert chart(response, chart_id)


@pytest.mark.parametrize(("role", "allowed"), access_cases(PortfolioReport.allowed_roles))
def test_managers_and_accounting_only(client, role, allowed):
    assert_access(client, URL, role, allowed)


def test_the_page_costs_the_same_queries_for_one_loan_or_several(client, django_assert_max_num_queries):
    client.force_login(user_with_role(roles.MANAGER))
    loan()
    client.get(URL, AS_OF)
    with CaptureQueriesContext(connection) as one:
        client.get(URL, AS_OF)
    for _ in range(3):
        loan()
    month(date(2026, 1, 1), principal_change=Decimal("400000.00"))
    with django_assert_max_num_queries(len(one)):
        assert len(page_rows(client.get(URL, AS_OF))) == 4
