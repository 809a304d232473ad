"""Borrower portal loan pages: who reaches them (own borrower 200, other borrower 404, staff 403, anonymous to
sign-in), what they show (balances, next payment breakdown, waterfalls, reversed payments, escrow, schedule), and
query counts that do not grow with the loan's history."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import AutopayEnrollment, Installment, PendingPayment
from servicing.selectors import portal as portal_selectors
from servicing.services import ach
from servicing.services.payments import payment_reverse
from tests.core.factories import user_with_role
from tests.servicing.factories_portal import BANK, TODAY, borrower_loan, make_borrower, pay_installments, set_today
from tests.servicing.html import shows_money

pytestmark = pytest.mark.django_db
D = Decimal
GET_PAGES = ("loan-detail", "loan-schedule", "loan-history", "loan-pay", "loan-autopay")
POST_PAGES = ("loan-autopay-cancel",)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    set_today(monkeypatch, TODAY)


@pytest.fixture
def loan():
    return borrower_loan()


def _url(name, loan, *args):
    return reverse(f"servicing_portal:{name}", args=[loan.pk, *args])


@pytest.mark.parametrize("name", GET_PAGES)
def test_the_borrower_sees_their_own_loan_pages(client, loan, name):
    client.force_login(loan.borrower)
    response = client.get(_url(name, loan))
    assert response.status_code == 200
    assert loan.loan_number in response.content.decode()


@pytest.mark.parametrize("name", GET_PAGES)
def test_another_borrower_gets_404(client, loan, name):
    client.force_login(make_borrower(user_with_role(roles.BORROWER)))
    assert client.get(_url(name, loan)).status_code == 404


@pytest.mark.parametrize("name", ["loan-pay", "loan-autopay", *POST_PAGES])
def test_another_borrower_posting_gets_404(client, loan, name):
    client.force_login(make_borrower(user_with_role(roles.BORROWER)))
    assert client.post(_url(name, loan), {}).status_code == 404
    assert PendingPayment.objects.count() == 0
    assert AutopayEnrollment.objects.count() == 0
    assert not AuditEvent.objects.filter(verb__startswith="autopay.").exists()


def test_another_borrower_cannot_cancel_a_scheduled_payment(client, loan):
    pending = ach.ach_payment_schedule(
        loan=loan,
        amount=D("100.00"),
        scheduled_date=TODAY,
        principal_only=False,
        bank=BANK,
        actor=loan.borrower,
        idempotency_key="k",
    )
    client.force_login(make_borrower(user_with_role(roles.BORROWER)))
    assert client.post(_url("loan-pay-cancel", loan, pending.pk)).status_code == 404
    pending.refresh_from_db()
    assert pending.status == "pending"


@pytest.mark.parametrize("role", [roles.SERVICER, roles.MANAGER, roles.LOAN_OFFICER])
@pytest.mark.parametrize("name", GET_PAGES)
def test_staff_users_are_refused_the_borrower_pages(client, loan, role, name):
    client.force_login(user_with_role(role))
    assert client.get(_url(name, loan)).status_code == 403


def test_a_user_without_the_borrower_role_gets_403_even_for_a_loan_in_their_name(client, loan):
    loan.borrower.groups.clear()
    client.force_login(loan.borrower)
    assert client.get(_url("loan-detail", loan)).status_code == 403


@pytest.mark.parametrize("name", GET_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, loan, name):
    response = client.get(_url(name, loan))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_missing_loan_is_404(client, loan):
    client.force_login(loan.borrower)
    assert client.get(reverse("servicing_portal:loan-detail", args=[987_654])).status_code == 404


@pytest.mark.parametrize("name", GET_PAGES)
def test_a_loan_key_beyond_the_database_integer_is_404_not_an_error(client, loan, name):
    client.force_login(loan.borrower)
    url = _url(name, loan).replace(f"/{loan.pk}/", f"/{2**63}/")
    assert client.get(url).status_code == 404


def test_the_next_payment_upcoming_installments_and_escrow_items_are_this_loans_only(loan):
    other = borrower_loan()
    first = Installment.objects.get(loan=other, number=1)
    upcoming = portal_selectors.upcoming_installments(other)
    assert [(i.loan_id, i.number) for i in upcoming] == [(other.pk, n) for n in range(1, 7)]
    breakdown = portal_selectors.next_payment_breakdown(other, as_of=first.due_date)
    assert breakdown is not None
    assert (breakdown.due_date, breakdown.principal, breakdown.interest) == (
        first.due_date,
        first.principal,
        first.interest,
    )
    items = portal_selectors.escrow_items(other)
    assert [item.pk for item in items] == list(
        other.escrow_items.order_by("next_due_date", "id").values_list("pk", flat=True)
    )
    assert {item.loan_id for item in items} <= {other.pk}


def test_the_loans_index_sends_the_borrower_home(client, loan):
    client.force_login(loan.borrower)
    response = client.get(reverse("servicing_portal:loans"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal-home")


# --- portal home ---------------------------------------------------------------------------------------------


def test_portal_home_lists_the_borrowers_loans_and_applications(client, loan):
    other = borrower_loan(consumer=True)
    client.force_login(loan.borrower)
    response = client.get(reverse("portal-home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("servicing_portal:loan-detail", args=[loan.pk]) in body
    assert other.loan_number not in body
    first = Installment.objects.get(loan=loan, number=1)
    assert shows_money(body, f"${first.payment:,}")  # the next payment's amount
    assert "Jan 1, 2027" in body
    assert loan.application.number in body  # origination's part still renders
    rows = {row.pk: row for row in portal_selectors.loans_for_borrower(user=loan.borrower)}
    assert str(rows[loan.pk].next_payment_amount) == str(first.payment)  # in cents, on SQLite too


def test_portal_home_without_loans_still_shows_applications(client):
    borrower = make_borrower(user_with_role(roles.BORROWER))
    client.force_login(borrower)
    body = client.get(reverse("portal-home")).content.decode()
    assert "You have no loans or applications with us yet." in body
    assert "Your loans" not in body


# --- the loan page -------------------------------------------------------------------------------------------


def test_the_loan_page_shows_balances_and_the_next_payment_breakdown(client, loan):
    first = Installment.objects.get(loan=loan, number=1)
    client.force_login(loan.borrower)
    response = client.get(_url("loan-detail", loan))
    context, body = response.context, response.content.decode()
    breakdown = context["next_payment"]
    assert (breakdown.due_date, breakdown.principal, breakdown.interest, breakdown.escrow) == (
        first.due_date,
        first.principal,
        first.interest,
        first.escrow,
    )
    assert breakdown.past_due == D("0.00")
    assert breakdown.total == first.payment
    assert shows_money(body, f"${loan.principal_balance:,}")
    assert shows_money(body, f"${loan.escrow_balance:,}")
    assert 'data-testid="unapplied"' in body
    for item in loan.escrow_items.all():
        assert escape(item.description) in body
    assert "No payments yet." in body
    assert reverse("servicing_portal:loan-payoff", args=[loan.pk]) in body
    assert _url("loan-pay", loan) in body
    assert _url("loan-autopay", loan) in body


def test_a_past_due_installment_is_shown_apart_from_the_current_one(client, loan, monkeypatch):
    first, second = Installment.objects.filter(loan=loan).order_by("number")[:2]
    set_today(monkeypatch, first.due_date + timedelta(days=20))
    client.force_login(loan.borrower)
    breakdown = client.get(_url("loan-detail", loan)).context["next_payment"]
    assert (breakdown.past_due, breakdown.past_due_count) == (first.payment, 1)
    assert breakdown.due_date == second.due_date
    assert breakdown.total == first.payment + second.payment


def test_recent_payments_show_each_waterfall_and_reversed_payments_as_reversed(client, loan, monkeypatch):
    first, second = pay_installments(monkeypatch, loan, 2)
    set_today(monkeypatch, second.effective_date)
    payment_reverse(transaction=second, reason="NSF", actor=None)
    client.force_login(loan.borrower)
    response = client.get(_url("loan-detail", loan))
    rows = {row.transaction.pk: row for row in response.context["payments"]}
    installment = Installment.objects.get(loan=loan, number=1)
    assert rows[first.pk].amounts["interest"] == installment.interest
    assert rows[first.pk].amounts["principal"] == installment.principal
    assert rows[first.pk].amounts["escrow"] == installment.escrow
    assert rows[first.pk].installment_numbers == (1,)
    assert not rows[first.pk].reversed
    assert rows[second.pk].reversed
    assert rows[second.pk].reversal.note == "NSF"
    body = response.content.decode()
    assert 'data-testid="reversed"' in body
    assert ": NSF" in body


def test_scheduled_payments_are_listed_with_cancel_not_in_history(client, loan):
    pending = ach.ach_payment_schedule(
        loan=loan,
        amount=D("250.00"),
        scheduled_date=TODAY + timedelta(days=2),
        principal_only=False,
        bank=BANK,
        actor=loan.borrower,
        idempotency_key="k",
    )
    client.force_login(loan.borrower)
    response = client.get(_url("loan-detail", loan))
    body = response.content.decode()
    assert [p.pk for p in response.context["pending"]] == [pending.pk]
    assert _url("loan-pay-cancel", loan, pending.pk) in body
    assert "account ending 6789" in body
    assert BANK.account_number not in body
    assert response.context["payments"] == []


def test_the_schedule_pages_through_the_installments(client, loan):
    client.force_login(loan.borrower)
    response = client.get(_url("loan-schedule", loan))
    assert [i.number for i in response.context["installments"]][:2] == [1, 2]
    assert len(response.context["installments"]) == portal_selectors.SCHEDULE_PAGE_SIZE
    last = client.get(_url("loan-schedule", loan), {"page": 6})
    assert last.context["installments"][-1].number == loan.term_periods
    assert "Page 6 of 6" in last.content.decode()


def test_the_schedule_opens_on_the_page_of_the_next_installment(client, loan):
    later = Installment.objects.get(loan=loan, number=75)
    type(loan).objects.filter(pk=loan.pk).update(next_due_date=later.due_date)
    client.force_login(loan.borrower)
    response = client.get(_url("loan-schedule", loan))
    assert response.context["page"].number == 2


def test_the_history_pages_through_every_payment(client, loan, monkeypatch):
    posted = pay_installments(monkeypatch, loan, portal_selectors.HISTORY_PAGE_SIZE + 2)
    client.force_login(loan.borrower)
    response = client.get(_url("loan-history", loan))
    rows = response.context["payments"]
    assert len(rows) == portal_selectors.HISTORY_PAGE_SIZE
    assert rows[0].transaction.pk == posted[-1].pk  # newest first
    second = client.get(_url("loan-history", loan), {"page": 2})
    assert [row.transaction.pk for row in second.context["payments"]] == [posted[1].pk, posted[0].pk]
    assert all(row.amounts["interest"] > 0 for row in second.context["payments"])
    detail = client.get(_url("loan-detail", loan))
    assert len(detail.context["payments"]) == portal_selectors.RECENT_PAYMENTS
    assert "See every payment" in detail.content.decode()


# --- query counts ------------------------------------------------------------------------------------------------


def _queries(client, url, django_assert_max_num_queries, budget):
    with django_assert_max_num_queries(budget) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("name", "budget"), [("loan-detail", 14), ("loan-history", 10), ("loan-schedule", 9), ("loan-pay", 9)]
)
def test_page_queries_do_not_grow_with_history(client, monkeypatch, django_assert_max_num_queries, name, budget):
    one = borrower_loan()
    many = borrower_loan()
    pay_installments(monkeypatch, one, 1)
    pay_installments(monkeypatch, many, 30)
    set_today(monkeypatch, TODAY)
    for loan in (one, many):
        ach.ach_payment_schedule(
            loan=loan,
            amount=D("10.00"),
            scheduled_date=TODAY,
            principal_only=False,
            bank=BANK,
            actor=loan.borrower,
            idempotency_key=f"q-{loan.pk}",
        )
        ach.autopay_enroll(loan=loan, bank=BANK, draft_days_before=0, actor=loan.borrower)
    client.force_login(one.borrower)
    few_queries = _queries(client, _url(name, one), django_assert_max_num_queries, budget)
    client.force_login(many.borrower)
    many_queries = _queries(client, _url(name, many), django_assert_max_num_queries, budget)
    assert few_queries == many_queries


def test_portal_home_queries_do_not_grow_with_loans(client, django_assert_max_num_queries):
    loan = borrower_loan()
    client.force_login(loan.borrower)
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("portal-home"))
    for _ in range(3):
        another = borrower_loan(consumer=True)
        type(another).objects.filter(pk=another.pk).update(borrower=loan.borrower)
    with django_assert_max_num_queries(12) as several:
        body = client.get(reverse("portal-home")).content.decode()
    assert body.count("servicing_portal") == 0
    assert body.count("/portal/loans/") >= 4
    assert len(several.captured_queries) == len(one.captured_queries)
