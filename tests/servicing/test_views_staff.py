"""Servicing staff pages and admin screens: who may see them, what they show, constant query counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from servicing.models import JournalEntry, LedgerAccount, LoanAccount
from servicing.services.ledger import journal_post
from servicing.views import staff
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan
from tests.servicing.html import shows_money

pytestmark = pytest.mark.django_db

D = Decimal
STAFF_ONLY = [
    (roles.SERVICER, 200),
    (roles.COLLECTOR, 200),
    (roles.MANAGER, 200),
    (roles.LOAN_OFFICER, 403),
    (roles.PROCESSOR, 403),
    (roles.UNDERWRITER, 403),
    (roles.CLOSER, 403),
    (roles.BORROWER, 403),
]


@pytest.fixture
def loan():
    return boarded_loan(consumer=True)


@pytest.mark.parametrize(("role", "status"), STAFF_ONLY)
def test_loan_list_and_detail_are_for_servicing_roles(client, loan, role, status):
    client.force_login(user_with_role(role))
    assert client.get(reverse("servicing:home")).status_code == status
    assert client.get(reverse("servicing:loan-detail", args=[loan.pk])).status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [(roles.SERVICER, 200), (roles.MANAGER, 200), (roles.COLLECTOR, 403), (roles.CLOSER, 403), (roles.BORROWER, 403)],
)
def test_trial_balance_is_for_servicers_and_managers(client, role, status):
    client.force_login(user_with_role(role))
    assert client.get(reverse("servicing:trial-balance")).status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client, loan):
    for url in (
        reverse("servicing:home"),
        reverse("servicing:loan-detail", args=[loan.pk]),
        reverse("servicing:trial-balance"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_borrower_does_not_reach_the_staff_pages_even_for_their_own_loan(client, loan):
    client.force_login(loan.borrower)
    assert client.get(reverse("servicing:loan-detail", args=[loan.pk])).status_code == 403


def test_a_missing_loan_is_404(client):
    client.force_login(user_with_role(roles.SERVICER))
    assert client.get(reverse("servicing:loan-detail", args=[987_654])).status_code == 404


def test_loan_list_shows_filters_and_searches(client, loan):
    other = boarded_loan()
    LoanAccount.objects.filter(pk=other.pk).update(status="paid_off")
    client.force_login(user_with_role(roles.SERVICER))
    body = client.get(reverse("servicing:home")).content.decode()
    assert loan.loan_number in body
    assert other.loan_number in body
    assert reverse("servicing:loan-detail", args=[loan.pk]) in body
    assert 'data-testid="trial-balance-link"' in body
    body = client.get(reverse("servicing:home"), {"status": "paid_off"}).content.decode()
    assert other.loan_number in body
    assert loan.loan_number not in body
    body = client.get(
        reverse("servicing:home"), {"q": loan.borrower_name.split()[-1], "status": "bogus"}
    ).content.decode()
    assert loan.loan_number in body
    body = client.get(reverse("servicing:home"), {"q": "no-such-loan"}).content.decode()
    assert "No loan accounts match" in body


def test_collectors_see_no_ledger_link(client, loan):
    client.force_login(user_with_role(roles.COLLECTOR))
    assert 'data-testid="trial-balance-link"' not in client.get(reverse("servicing:home")).content.decode()


def test_loan_list_paginates_with_a_constant_query_count(client, django_assert_max_num_queries, monkeypatch):
    client.force_login(user_with_role(roles.SERVICER))
    for _ in range(2):
        boarded_loan(consumer=True)
    with django_assert_max_num_queries(7) as few:  # session, user, roles, count, page
        client.get(reverse("servicing:home"))
    for _ in range(12):
        boarded_loan(consumer=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("servicing:home"))
    assert len(response.context["loans"]) == 14
    monkeypatch.setattr(staff, "LOANS_PAGE_SIZE", 5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("servicing:home"), {"page": 2})
    assert len(response.context["loans"]) == 5
    assert "Page 2 of 3" in response.content.decode()


def test_loan_detail_shows_terms_balances_schedule_escrow_and_subledger(client):
    loan = boarded_loan()
    client.force_login(user_with_role(roles.COLLECTOR))
    response = client.get(reverse("servicing:loan-detail", args=[loan.pk]))
    body = response.content.decode()
    overview = response.context["overview"]
    assert shows_money(body, "$1,896.20")  # the regular P&I payment
    assert "Property tax" in body
    assert "Homeowner&#x27;s insurance premium" in body
    # A window of the schedule from the next due installment; the rest is on the paginated schedule page.
    assert [i.number for i in overview.schedule] == list(range(1, 13))
    assert overview.next_due.number == 1
    assert f"(installment 1 of {loan.term_periods})" in body
    assert reverse("servicing:loan-schedule", args=[loan.pk]) + "?page=1" in body
    assert reverse("servicing:loan-transactions", args=[loan.pk]) in body
    assert reverse("servicing:loan-ledger", args=[loan.pk]) in body
    # The latest journal entries, newest first: the escrow deposit, then the disbursement.
    assert [[line.account.code for line in entry.current_lines] for entry in overview.entries] == [
        ["cash", "escrow_liability"],
        ["loans_receivable", "cash", "fee_income"],
    ]
    assert overview.transactions == []
    assert all(running == journal for _, running, journal in response.context["balances"])
    assert "table-danger" not in body


def test_loan_detail_flags_a_running_balance_that_differs_from_the_journal(client, loan):
    LoanAccount.objects.filter(pk=loan.pk).update(principal_balance=D("1.00"))
    client.force_login(user_with_role(roles.SERVICER))
    assert "table-danger" in client.get(reverse("servicing:loan-detail", args=[loan.pk])).content.decode()


def test_loan_detail_query_count_does_not_grow_with_history(client, django_assert_max_num_queries):
    client.force_login(user_with_role(roles.SERVICER))
    small = boarded_loan(consumer=True)
    # session, user, roles, loan, balances, 6 windows, autopay, savepoints
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("servicing:loan-detail", args=[small.pk]))
    big = boarded_loan()  # 360 installments, escrow items
    for day in range(1, 11):
        journal_post(
            actor=None,
            loan=big,
            effective_date=date(2027, 1, day),
            kind="payment",
            memo="",
            lines=[("cash", D("10.00"), D("0.00")), ("suspense", D("0.00"), D("10.00"))],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("servicing:loan-detail", args=[big.pk]))
    assert len(response.context["overview"].entries) == 5  # the latest; the sub-ledger page has them all
    assert len(response.context["overview"].schedule) == 12


def test_trial_balance_page_nets_to_zero_and_takes_a_date(client, loan):
    client.force_login(user_with_role(roles.MANAGER))
    response = client.get(reverse("servicing:trial-balance"))
    body = response.content.decode()
    assert "the ledger nets to zero" in body
    assert response.context["trial"].total_debit == loan.principal + loan.escrow_initial_deposit
    response = client.get(reverse("servicing:trial-balance"), {"as_of": "2026-11-01"})
    assert response.status_code == 200
    assert response.context["trial"].total_debit == 0
    response = client.get(reverse("servicing:trial-balance"), {"as_of": "not-a-date"})
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()


def test_trial_balance_page_query_count_does_not_grow_with_entries(client, django_assert_max_num_queries):
    client.force_login(user_with_role(roles.SERVICER))
    boarded_loan(consumer=True)
    with django_assert_max_num_queries(6) as few:  # session, user, roles, one grouped query
        client.get(reverse("servicing:trial-balance"))
    boarded_loan()
    boarded_loan(consumer=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("servicing:trial-balance"))


# --- admin -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.SERVICER, roles.MANAGER])
def test_servicers_view_loans_and_the_journal_in_the_admin_read_only(client, loan, role):
    client.force_login(user_with_role(role))
    entry = JournalEntry.objects.filter(loan=loan).first()
    for name in ("loanaccount", "journalentry", "ledgeraccount"):
        assert client.get(reverse(f"admin:servicing_{name}_changelist")).status_code == 200
    response = client.get(reverse("admin:servicing_loanaccount_change", args=[loan.pk]))
    assert response.status_code == 200
    assert loan.loan_number in response.content.decode()
    response = client.get(reverse("admin:servicing_journalentry_change", args=[entry.pk]))
    assert response.status_code == 200
    assert "Loans receivable" in response.content.decode()
    assert client.get(reverse("admin:servicing_journalentry_add")).status_code == 403
    assert client.get(reverse("admin:servicing_loanaccount_add")).status_code == 403
    assert client.post(reverse("admin:servicing_journalentry_delete", args=[entry.pk])).status_code == 403
    assert client.post(reverse("admin:servicing_loanaccount_change", args=[loan.pk]), {}).status_code == 403
    assert JournalEntry.objects.filter(pk=entry.pk).exists()  # not deleted
    stored = LoanAccount.objects.get(pk=loan.pk)
    assert (stored.status, stored.version) == (loan.status, loan.version)


def test_only_managers_edit_the_chart_and_codes_stay_fixed(client):
    account_url = reverse("admin:servicing_ledgeraccount_add")
    client.force_login(user_with_role(roles.SERVICER))
    assert client.get(account_url).status_code == 403
    client.force_login(user_with_role(roles.MANAGER))
    assert client.get(account_url).status_code == 200
    cash = LedgerAccount.objects.get(code="cash")
    response = client.post(
        reverse("admin:servicing_ledgeraccount_change", args=[cash.pk]),
        {"code": "till", "number": "1000", "name": "Cash at bank", "is_active": "on"},
    )
    assert response.status_code == 302
    cash.refresh_from_db()
    assert (cash.code, cash.name) == ("cash", "Cash at bank")


@pytest.mark.parametrize("role", [roles.BORROWER, roles.COLLECTOR])
def test_the_admin_refuses_borrowers_and_collectors(client, loan, role):
    client.force_login(user_with_role(role))
    response = client.get(reverse("admin:servicing_loanaccount_change", args=[loan.pk]), follow=True)
    assert response.status_code == 403
