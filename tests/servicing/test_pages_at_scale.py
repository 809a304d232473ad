"""Pages that stay fast on a big book (issue 15): the admin loan page shows the latest transactions, the product
filter reads the product table, and deep pages of the staff lists and admin changelists are capped."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lending.core import pagination, roles
from origination.views import staff as origination_staff
from servicing.admin.loans import LATEST_TRANSACTIONS, LoanAccountAdmin
from servicing.models import LoanAccount
from servicing.services import payments
from servicing.services.payments import payment_post
from servicing.views import staff
from tests.core.factories import user_with_role
from tests.origination.factories import ApplicationFactory, BorrowerFactory
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


def pay(loan, n: int):
    return payment_post(
        loan=loan,
        amount=Decimal("10.00"),
        effective_date=TODAY,
        method="check",
        reference=f"CHK-{n}",
        idempotency_key=f"scale:{loan.pk}:{n}",
        actor=None,
    )


def test_the_admin_loan_page_shows_the_latest_transactions_and_links_the_rest(client, django_assert_max_num_queries):
    loan = boarded_loan(consumer=True)
    pay(loan, 0)
    client.force_login(user_with_role(roles.SERVICER))
    url = reverse("admin:servicing_loanaccount_change", args=[loan.pk])
    with django_assert_max_num_queries(30) as one:
        client.get(url)
    for n in range(1, 7):  # 7 payments in all: more than the 5 shown
        pay(loan, n)
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(url).content.decode()
    assert LATEST_TRANSACTIONS == 5
    # The latest 5 (CHK-2 ... CHK-6), the oldest of them first.
    assert list(dict.fromkeys(re.findall(r"CHK-\d", html))) == ["CHK-2", "CHK-3", "CHK-4", "CHK-5", "CHK-6"]
    assert "latest 5 transactions and their allocations" in html.lower()
    link = re.search(r'<a href="([^"]+)" data-testid="history-link">([^<]+)</a>', html)
    assert link.groups() == (f"/staff/servicing/loans/{loan.pk}/transactions/", "All transactions, a page at a time")


def test_the_product_filter_lists_the_product_table_not_every_loan(client):
    mortgage, consumer = boarded_loan(), boarded_loan(consumer=True)
    transferred = boarded_loan(consumer=True)
    LoanAccount.objects.filter(pk=transferred.pk).update(product_code="")
    client.force_login(user_with_role(roles.SERVICER))
    url = reverse("admin:servicing_loanaccount_changelist")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]
    product_filter = next(f for f in response.context["cl"].filter_specs if f.title == "product")
    assert product_filter.lookup_choices == [
        (mortgage.product_code, "30-year fixed mortgage"),
        (consumer.product_code, "Personal installment loan"),
        (transferred.product_code, "Personal installment loan"),
        ("transfer", "Servicing transfer"),
    ]

    def shown(**params):
        return {loan.pk for loan in client.get(url, params).context["cl"].result_list}

    assert shown(product_code=consumer.product_code) == {consumer.pk}
    assert shown(product_code="transfer") == {transferred.pk}


def test_deep_admin_pages_are_capped(client, monkeypatch):
    monkeypatch.setattr(pagination, "MAX_ROWS", 2)
    loans = [boarded_loan(consumer=True) for _ in range(3)]
    client.force_login(user_with_role(roles.SERVICER))
    url = reverse("admin:servicing_loanaccount_changelist")
    monkeypatch.setattr(LoanAccountAdmin, "list_per_page", 1)
    response = client.get(url, {"p": 1000})
    assert response.status_code == 200  # not the admin's "?e=1" error for a page past the end
    assert [loan.pk for loan in response.context["cl"].result_list] == [loans[1].pk]  # page 2 of 2, newest first
    html = response.content.decode()
    assert "2+ loan accounts" in " ".join(html.split())
    assert 'data-testid="list-capped"' in html


def test_deep_pages_of_the_loan_list_are_capped_with_a_constant_query_count(client, monkeypatch):
    monkeypatch.setattr(pagination, "MAX_ROWS", 2)
    monkeypatch.setattr(staff, "LOANS_PAGE_SIZE", 1)
    loans = [boarded_loan(consumer=True) for _ in range(3)]
    client.force_login(user_with_role(roles.SERVICER))
    with CaptureQueriesContext(connection) as first:
        response = client.get(reverse("servicing:home"))
    assert [loan.pk for loan in response.context["loans"]] == [loans[2].pk]
    with CaptureQueriesContext(connection) as deep:
        response = client.get(reverse("servicing:home"), {"page": 1000})
    assert len(deep) == len(first)
    assert [loan.pk for loan in response.context["loans"]] == [loans[1].pk]  # the last page shown: 2
    html = response.content.decode()
    assert re.search(r'data-testid="page-of">Page 2 of 2\+<', html)
    assert "The list goes on past these 2 loans: search or filter to find the others." in html
    assert '?page=1">Previous</a>' in html
    assert ">Next</a>" not in html


def test_deep_pages_of_the_pipeline_are_capped(client, monkeypatch):
    monkeypatch.setattr(pagination, "MAX_ROWS", 2)
    monkeypatch.setattr(origination_staff, "PIPELINE_PAGE_SIZE", 1)
    apps = [ApplicationFactory(number=f"A-2026-00000{n}") for n in range(3)]
    for app in apps:
        BorrowerFactory(application=app, last_name="Zebrowski")
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    response = client.get(reverse("origination:home"), {"page": 1000})
    html = response.content.decode()
    assert re.search(r'data-testid="page-of">Page 2 of 2\+<', html)
    assert [row.pk for row in response.context["rows"]] == [apps[1].pk]  # newest first: 2, 1 | 0 beyond the cap
    response = client.get(reverse("origination:home"), {"q": "zebrow", "page": 2})
    html = response.content.decode()
    assert '<p class="text-muted small" data-testid="match-count">2+ matching applications</p>' in html
    assert "The list goes on past these 2 applications" in html


@pytest.mark.parametrize("object_id", ["987654", "abc"])
def test_a_missing_or_malformed_loan_in_the_admin_is_the_admin_s_not_found_redirect(client, object_id):
    client.force_login(user_with_role(roles.SERVICER))
    response = client.get(reverse("admin:servicing_loanaccount_change", args=[object_id]))
    assert (response.status_code, response["Location"]) == (302, reverse("admin:index"))
