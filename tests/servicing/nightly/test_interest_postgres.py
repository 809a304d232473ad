"""The interest step on PostgreSQL: the bulk poster's UPDATE ... FROM (VALUES ...), the deferred balance triggers
on an entry of many loans, two workers on the same chunk, and payments posted on the chunk's loans meanwhile."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from servicing.models import InterestAccrual, JournalEntry, LoanAccount, LoanTransaction
from servicing.services import payments
from servicing.services.nightly.steps.interest import InterestStep
from servicing.services.payments import payment_post
from tests.servicing.concurrency import run_in_threads
from tests.servicing.factories import boarded_loan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

D = Decimal
DAY = date(2027, 1, 5)


def _verify() -> None:
    out = StringIO()
    call_command("ledger_verify", stdout=out)
    assert "Ledger verified" in out.getvalue()


def test_two_workers_on_the_same_chunk_accrue_once():
    loans = [boarded_loan(), boarded_loan(consumer=True)]
    step = InterestStep()
    ids = list(step.pending_loan_ids(DAY))
    assert ids == sorted(loan.pk for loan in loans)
    errors = run_in_threads(4, lambda _: step.run_chunk(DAY, ids, None))
    assert errors == []
    assert JournalEntry.objects.filter(kind="accrual").count() == 2  # one per loan, once
    # Mortgage: 2,600.06 + cents(1623.53 * 4 / 30) = 216.47; consumer (actual/365, installment 2 asks 117.12 over
    # 31 days): 190.82 + cents(117.12 * 4 / 31) = 15.11.
    assert sorted(LoanAccount.objects.filter(pk__in=ids).values_list("interest_due", flat=True)) == [
        D("205.93"),
        D("2816.53"),
    ]
    assert InterestAccrual.objects.count() == 4  # one row per loan and period touched
    assert list(step.pending_loan_ids(DAY)) == []
    _verify()


def test_payments_posted_while_the_chunk_accrues_queue_on_the_loan_lock_and_the_books_agree(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: DAY)
    loans = [boarded_loan() for _ in range(3)]
    step = InterestStep()
    ids = list(step.pending_loan_ids(DAY))
    target = loans[1]
    first = target.installments.get(number=1)

    def work(index: int) -> None:
        if index == 0:
            step.run_chunk(DAY, ids, None)
        else:
            payment_post(
                loan=LoanAccount.objects.get(pk=target.pk),
                amount=first.payment if index == 1 else D("100.00"),
                effective_date=DAY,
                method="ach",
                reference=f"race-{index}",
                idempotency_key=f"race-{index}",
                actor=None,
            )

    assert run_in_threads(4, work) == []
    assert LoanTransaction.objects.filter(loan=target).count() == 3
    target.refresh_from_db()
    # Whichever went first, the loan's interest adds up: 2,816.53 earned through Jan 5, less the 2,600.06 the
    # installment payment paid; what is receivable and what is paid in advance depend only on the order.
    assert target.interest_due - target.interest_prepaid == D("216.47")
    assert target.interest_accrued_through == DAY
    _verify()
