"""Payoff under concurrency (PostgreSQL row locks): one payoff per loan whatever the race, one posting per key."""

from datetime import date
from decimal import Decimal

import pytest

from servicing import selectors
from servicing.models import JournalEntry, LoanAccount, LoanPayoff, LoanTransaction
from servicing.services import payments
from servicing.services.payments import PaymentError
from servicing.services.payoff import payoff_post
from tests.servicing.concurrency import run_in_threads
from tests.servicing.factories import boarded_loan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TODAY = date(2026, 12, 1)
PAYOFF_TODAY = Decimal("300975.00")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


def _payoff(loan_pk, key):
    return payoff_post(
        loan=LoanAccount.objects.get(pk=loan_pk),
        amount=PAYOFF_TODAY,
        effective_date=TODAY,
        method="wire",
        reference=key,
        idempotency_key=key,
        actor=None,
    )


def test_four_payoffs_of_one_loan_at_once_close_it_once():
    loan = boarded_loan()
    errors = run_in_threads(4, lambda index: _payoff(loan.pk, f"race-{index}"))
    assert len(errors) == 3
    assert all(isinstance(exc, PaymentError) and "paid off" in str(exc) for exc in errors)
    assert LoanPayoff.objects.filter(loan=loan).count() == 1
    assert JournalEntry.objects.filter(loan=loan, kind="payoff").count() == 1
    assert selectors.loan_balance_mismatches() == []
    assert selectors.unbalanced_entries() == []


def test_the_same_key_from_four_threads_posts_once():
    loan = boarded_loan()
    results = []
    assert run_in_threads(4, lambda index: results.append(_payoff(loan.pk, "one-key").pk)) == []
    assert len(results) == 4
    assert len(set(results)) == 1
    assert LoanTransaction.objects.filter(loan=loan).count() == 1
    assert LoanPayoff.objects.count() == 1
