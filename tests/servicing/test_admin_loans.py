"""The admin's loan and transaction screens: who sees them, what they show, and a bounded query count for a
360-installment loan with years of payments."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from servicing.models import LoanTransaction
from servicing.services import payments
from servicing.services.payments import payment_post
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan
from tests.servicing.html import shows_money

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


def pay(loan, amount, key, directive="standard"):
    return payment_post(
        loan=loan,
        amount=Decimal(amount),
        effective_date=TODAY,
        method="check",
        reference=f"chk-{key}",
        idempotency_key=key,
        actor=None,
        directive=directive,
    )


@pytest.fixture
def mortgage():
    return boarded_loan()


def staff_collector():
    """A collector let into the admin (not the default: collectors are not admin users): sees, never posts."""
    user = user_with_role(roles.COLLECTOR)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_the_loan_page_shows_transactions_allocations_escrow_and_links(client, mortgage):
    first = mortgage.installments.get(number=1)
    txn = pay(mortgage, first.payment, "k1")
    client.force_login(user_with_role(roles.SERVICER))
    response = client.get(reverse("admin:servicing_loanaccount_change", args=[mortgage.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Latest 5 transactions and their allocations" in html
    assert shows_money(html, f"#1 interest ${first.interest:,}")
    assert shows_money(html, f"#1 principal ${first.principal:,}")
    assert "chk-k1" in html
    assert reverse("admin:servicing_loanaccount_post_payment", args=[mortgage.pk]) in html
    assert reverse("servicing:loan-detail", args=[mortgage.pk]) in html
    assert reverse("admin:servicing_loantransaction_change", args=[txn.pk]) in html
    assert "Homeowner" in html  # an escrow item
    assert reverse("servicing:loan-schedule", args=[mortgage.pk]) in html  # the schedule, a page at a time


def test_the_loan_page_query_count_does_not_grow_with_installments_and_payments(
    client, mortgage, django_assert_max_num_queries
):
    client.force_login(user_with_role(roles.SERVICER))
    url = reverse("admin:servicing_loanaccount_change", args=[mortgage.pk])
    pay(mortgage, "100.00", "first", directive="principal_only")
    client.get(url)  # warm the caches (content types, sessions)
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    for n in range(30):
        pay(mortgage, mortgage.installments.get(number=n + 1).payment, f"p{n}")
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("<p>chk-p") == 5  # the latest 5 (reference column); the rest: a link
    assert len(many.captured_queries) == len(few.captured_queries)


def test_collectors_in_the_admin_see_loans_and_transactions_but_no_posting_links(client, mortgage):
    txn = pay(mortgage, "50.00", "c1")
    client.force_login(staff_collector())
    html = client.get(reverse("admin:servicing_loanaccount_change", args=[mortgage.pk])).content.decode()
    assert "Post a payment" not in html
    assert client.get(reverse("admin:servicing_loantransaction_changelist")).status_code == 200
    page = client.get(reverse("admin:servicing_loantransaction_change", args=[txn.pk]))
    assert page.status_code == 200
    assert reverse("admin:servicing_loantransaction_reverse", args=[txn.pk]) not in page.content.decode()


@pytest.mark.parametrize("role", [roles.BORROWER, roles.COLLECTOR, roles.CLOSER])
def test_non_admin_roles_are_refused(client, mortgage, role):
    client.force_login(user_with_role(role))
    for url in (
        reverse("admin:servicing_loantransaction_changelist"),
        reverse("admin:servicing_loanaccount_post_payment", args=[mortgage.pk]),
    ):
        assert client.get(url, follow=True).status_code == 403


def test_the_transaction_list_and_page(client, mortgage, django_assert_max_num_queries):
    txn = pay(mortgage, mortgage.installments.get(number=1).payment, "t1")
    for n in range(5):
        pay(mortgage, "10.00", f"extra{n}", directive="principal_only")
    client.force_login(user_with_role(roles.MANAGER))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:servicing_loantransaction_changelist"))
    assert response.status_code == 200
    assert "chk-extra4" in response.content.decode()
    page = client.get(reverse("admin:servicing_loantransaction_change", args=[txn.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert reverse("admin:servicing_loantransaction_reverse", args=[txn.pk]) in html
    assert "Allocation (standing lines)" in html
    # The transaction screens are read-only.
    assert client.get(reverse("admin:servicing_loantransaction_add")).status_code == 403
    assert client.post(reverse("admin:servicing_loantransaction_change", args=[txn.pk]), {}).status_code == 403
    before = (txn.amount, txn.status, txn.effective_date)
    txn.refresh_from_db()
    assert (txn.amount, txn.status, txn.effective_date) == before
    assert LoanTransaction.objects.filter(loan=mortgage).count() == 6  # the first payment and five extras
