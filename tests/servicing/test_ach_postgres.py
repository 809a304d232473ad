"""ACH under concurrency (PostgreSQL): the same form submitted at once records one pending payment; the same
payment settled at once posts once; concurrent schedules never exceed the loan's ceiling together."""

from decimal import Decimal

import pytest

from servicing.models import LoanAccount, LoanTransaction, PendingPayment
from servicing.selectors import portal as portal_selectors
from servicing.services import ach
from tests.servicing.concurrency import run_in_threads
from tests.servicing.factories_portal import BANK, TODAY, borrower_loan, set_today

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    set_today(monkeypatch, TODAY)


def _schedule(loan, amount, key):
    return ach.ach_payment_schedule(
        loan=LoanAccount.objects.get(pk=loan.pk),
        amount=D(amount),
        scheduled_date=TODAY,
        principal_only=False,
        bank=BANK,
        actor=loan.borrower,
        idempotency_key=key,
    )


def test_the_same_form_submitted_concurrently_records_once_and_settles_once():
    loan = borrower_loan()
    assert run_in_threads(6, lambda i: _schedule(loan, "400.00", "same-form")) == []
    pending = PendingPayment.objects.get()
    errors = run_in_threads(
        6, lambda i: ach.ach_payment_settle(pending=PendingPayment.objects.get(pk=pending.pk), actor=None)
    )
    assert errors == []
    assert LoanTransaction.objects.filter(loan=loan).count() == 1
    assert PendingPayment.objects.get().status == "settled"


def test_concurrent_schedules_stay_within_the_ceiling_together():
    loan = borrower_loan()
    ceiling = portal_selectors.payment_ceiling(loan=loan, on=TODAY, principal_only=False)
    share = (ceiling / 3).quantize(D("0.01")) + D("0.01")  # any three together exceed the ceiling
    errors = run_in_threads(4, lambda i: _schedule(loan, str(share), f"k{i}"))
    assert PendingPayment.objects.count() == 2
    assert len(errors) == 2
    assert all(isinstance(e, ach.AchError) and e.field == "amount" for e in errors)
