"""The staff loan page and its history pages (schedule, transactions, sub-ledger): who may see them, what they show,
and a query count that is the same for a loan with 1 payment as for one with many."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lending.core import roles
from servicing.models import Installment
from servicing.selectors import loan_pages
from servicing.services import payments
from servicing.services.payments import payment_post
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan
from tests.servicing.html import shows_money

pytestmark = pytest.mark.django_db

PAGES = ("servicing:loan-detail", "servicing:loan-schedule", "servicing:loan-transactions", "servicing:loan-ledger")
MANY = 14  # payments on the long-history loan: more than a page of recent transactions and entries


@pytest.fixture(autouse=True)
def _late_today(monkeypatch):
    """Payments may be dated up to a few days after today: let 'today' be years after the loans' first payment."""
    monkeypatch.setattr(payments, "_today", lambda: date(2032, 1, 1))


def _pay_installments(loan, count: int) -> None:
    """Pay the first ``count`` installments, each in full on its due date."""
    for installment in Installment.objects.filter(loan=loan, number__lte=count).order_by("number"):
        payment_post(
            loan=loan,
            amount=installment.payment,
            effective_date=installment.due_date,
            method="ach",
            reference=f"ACH {installment.number}",
            idempotency_key=f"test-{loan.pk}-{installment.number}",
            actor=None,
        )


@pytest.fixture
def loans():
    """Two escrowed 30-year mortgages: one with a single payment, one with ``MANY``."""
    one, many = boarded_loan(), boarded_loan()
    _pay_installments(one, 1)
    _pay_installments(many, MANY)
    return one, many


@pytest.mark.parametrize(
    ("role", "status"),
    [(roles.SERVICER, 200), (roles.COLLECTOR, 200), (roles.MANAGER, 200), (roles.CLOSER, 403), (roles.BORROWER, 403)],
)
def test_history_pages_are_for_servicing_roles(client, role, status):
    loan = boarded_loan(consumer=True)
    client.force_login(user_with_role(role))
    for name in PAGES:
        assert client.get(reverse(name, args=[loan.pk])).status_code == status, name


def test_history_pages_send_visitors_to_sign_in_and_404_on_a_missing_loan(client):
    loan = boarded_loan(consumer=True)
    for name in PAGES:
        response = client.get(reverse(name, args=[loan.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    client.force_login(loan.borrower)  # a borrower, even for their own loan: the staff pages are not theirs
    assert all(client.get(reverse(name, args=[loan.pk])).status_code == 403 for name in PAGES)
    client.force_login(user_with_role(roles.SERVICER))
    assert all(client.get(reverse(name, args=[987_654])).status_code == 404 for name in PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_query_count_is_the_same_for_1_payment_and_many(client, loans, name, django_assert_num_queries):
    one, many = loans
    client.force_login(user_with_role(roles.SERVICER))
    client.get(reverse(name, args=[one.pk]))  # the session is read and the user loaded the same way each time
    with CaptureQueriesContext(connection) as counted:
        assert client.get(reverse(name, args=[one.pk])).status_code == 200
    assert len(counted) <= 15  # session, user, roles, loan, autopay, then a fixed handful of reads (see loan_pages)
    with django_assert_num_queries(len(counted)):
        assert client.get(reverse(name, args=[many.pk])).status_code == 200


def test_the_loan_page_shows_the_next_due_and_the_latest_transactions_with_their_allocation(client, loans):
    _, loan = loans
    client.force_login(user_with_role(roles.SERVICER))
    response = client.get(reverse("servicing:loan-detail", args=[loan.pk]))
    overview = response.context["overview"]
    next_due = Installment.objects.get(loan=loan, number=MANY + 1)
    assert overview.next_due == next_due
    assert [i.number for i in overview.schedule] == list(range(MANY - 2, MANY + 10))
    assert [t.reference for t in overview.transactions] == [f"ACH {n}" for n in range(MANY, MANY - 10, -1)]
    latest = overview.transactions[0]
    assert {(line.bucket, line.installment.number) for line in latest.current_lines} == {
        ("interest", MANY),
        ("principal", MANY),
        ("escrow", MANY),
    }
    assert sum(line.amount for line in latest.current_lines) == latest.amount
    assert len(overview.entries) == loan_pages.RECENT_ENTRIES
    body = response.content.decode()
    assert shows_money(body, f"${next_due.payment:,}")
    assert f"Escrow #{MANY}" in body
    assert reverse("servicing:loan-schedule", args=[loan.pk]) + "?page=1" in body


def test_the_loan_page_lists_this_loans_escrow_items_by_next_due_date(client, loans):
    one, many = loans
    client.force_login(user_with_role(roles.SERVICER))
    overview = client.get(reverse("servicing:loan-detail", args=[many.pk])).context["overview"]
    expected = list(many.escrow_items.order_by("next_due_date", "id").values_list("pk", flat=True))
    assert expected
    assert [item.pk for item in overview.escrow_items] == expected
    assert not one.escrow_items.filter(pk__in=expected).exists()


def test_the_schedule_page_paginates_all_installments(client, loans):
    _, loan = loans
    client.force_login(user_with_role(roles.SERVICER))
    url = reverse("servicing:loan-schedule", args=[loan.pk])
    response = client.get(url)
    assert [i.number for i in response.context["rows"]] == list(range(1, loan_pages.SCHEDULE_PAGE_SIZE + 1))
    assert "Page 1 of 6" in response.content.decode()
    response = client.get(url, {"page": 6})
    assert response.context["rows"][-1].number == 360
    assert client.get(url, {"page": "99"}).context["page"].number == 6  # out of range: the last page
    assert loan_pages.schedule_page_of(Installment.objects.get(loan=loan, number=61)) == 2


def test_the_transactions_and_ledger_pages_hold_the_whole_history(client, loans, monkeypatch):
    _, loan = loans
    client.force_login(user_with_role(roles.SERVICER))
    monkeypatch.setattr(loan_pages, "TRANSACTIONS_PAGE_SIZE", 10)
    monkeypatch.setattr(loan_pages, "ENTRIES_PAGE_SIZE", 10)
    url = reverse("servicing:loan-transactions", args=[loan.pk])
    first, second = client.get(url), client.get(url, {"page": 2})
    seen = [t.reference for t in first.context["rows"] + second.context["rows"]]
    assert seen == [f"ACH {n}" for n in range(MANY, 0, -1)]
    assert "Page 2 of 2" in second.content.decode()
    url = reverse("servicing:loan-ledger", args=[loan.pk])
    entries = client.get(url).context["rows"] + client.get(url, {"page": 2}).context["rows"]
    assert [e.kind for e in entries] == ["payment"] * MANY + ["escrow_deposit", "disbursement"]
    lines = [line for entry in entries for line in entry.current_lines]
    assert sum(line.debit for line in lines) == sum(line.credit for line in lines)
    body = client.get(url, {"page": 2}).content.decode()
    assert "Disbursement" in body
    assert "Loans receivable" in body


def test_a_paid_off_window_shows_the_last_installments(client):
    loan = boarded_loan(consumer=True)
    type(loan).objects.filter(pk=loan.pk).update(next_due_date=None)
    loan.refresh_from_db()
    window = loan_pages.loan_schedule_window(loan)
    assert [i.number for i in window] == list(range(loan.term_periods - 11, loan.term_periods + 1))
    client.force_login(user_with_role(roles.SERVICER))
    body = client.get(reverse("servicing:loan-detail", args=[loan.pk])).content.decode()
    assert "Nothing due" in body
