"""The staff loan pages read the loan with its application, and the loan page its balances in the journal, by SQL
compiled once per process (issue 15, "Load"): the loan asked for and no other, its application read with it, its
own journal lines summed; a loan that does not exist (or whose key no loan can have) is a 404 on every page, and
the pages stay the servicing roles' only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import Http404
from django.urls import reverse

from lending.core import roles
from lending.finance.money import ZERO
from servicing import selectors
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
PAGES = ("servicing:loan-detail", "servicing:loan-schedule", "servicing:loan-transactions", "servicing:loan-payoff")


def test_the_loan_asked_for_comes_with_its_application(django_assert_num_queries):
    first, second = boarded_loan(), boarded_loan(consumer=True)
    for loan in (first, second):
        with django_assert_num_queries(1):
            found = selectors.loan_for_staff(pk=loan.pk)
            assert (found.pk, found.loan_number, found.principal_balance) == (
                loan.pk,
                loan.loan_number,
                loan.principal_balance,
            )
            assert found.application.pk == loan.application_id
            assert found.application.number == loan.application.number
    with pytest.raises(Http404, match=r"^No LoanAccount matches the given query\.$"):
        selectors.loan_for_staff(pk=second.pk + 1000)


def test_a_missing_loan_or_a_key_no_loan_can_have_is_404_on_every_staff_loan_page(client):
    loan = boarded_loan(consumer=True)
    client.force_login(user_with_role(roles.SERVICER))
    for name in PAGES:
        for pk in (loan.pk + 1000, 2**63, 10**20):
            assert client.get(reverse(name, args=[pk])).status_code == 404, (name, pk)
        assert client.get(reverse(name, args=[loan.pk])).status_code == 200, name


def test_the_staff_loan_pages_stay_the_servicing_roles_only(client):
    loan = boarded_loan(consumer=True)
    for user in (user_with_role(roles.LOAN_OFFICER), loan.borrower):
        client.force_login(user)
        for name in PAGES:
            assert client.get(reverse(name, args=[loan.pk])).status_code == 403, (name, user)


def test_the_journal_balances_are_each_loans_own_lines(django_assert_num_queries):
    mortgage, consumer = boarded_loan(), boarded_loan(consumer=True)
    assert consumer.principal_balance == Decimal("12000.00")

    def books(loan) -> dict[str, Decimal]:
        return {
            "principal_balance": loan.principal_balance,
            "interest_due": ZERO,
            "fees_due": ZERO,
            "escrow_balance": loan.escrow_balance,
            "suspense_balance": ZERO,
            "interest_prepaid": ZERO,
        }

    with django_assert_num_queries(1):
        assert selectors.loan_balances_from_journal([consumer.pk]) == {consumer.pk: books(consumer)}
    assert selectors.loan_balances_from_journal([mortgage.pk]) == {mortgage.pk: books(mortgage)}
    assert selectors.loan_balances_from_journal([consumer.pk, mortgage.pk]) == {
        consumer.pk: books(consumer),
        mortgage.pk: books(mortgage),
    }
    assert selectors.loan_balances_from_journal([]) == {}
