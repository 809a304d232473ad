"""Plan test helpers: a delinquent loan, the nightly steps a plan depends on, and payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from servicing.services.nightly.steps.interest import interest_accrue
from servicing.services.nightly.steps.plans import PlansStep
from servicing.services.payments import payment_post

APPROVED = date(2027, 2, 16)  # the loan is 45 days past due: Jan 1 and Feb 1 2027 unpaid


def accrue(loan, day: date) -> None:
    """The nightly accrual through ``day`` (scheduled interest: whole periods on due dates)."""
    interest_accrue(business_date=day, loan_ids=[loan.pk], actor=None)


def pay(loan, amount: str, day: date, key: str):
    return payment_post(
        loan=loan,
        amount=Decimal(amount),
        effective_date=day,
        method="check",
        reference=key,
        idempotency_key=key,
        actor=None,
    )


def run_plans(day: date):
    step = PlansStep()
    ids = list(step.pending_loan_ids(day))
    step.run_chunk(day, ids, None)
    return ids
