"""The payment state machine with nightly accruals between the payments: random payments, prepayments, directed,
backdated and reversed payments, and close-of-business nights in any order. After every step, besides the payment
machine's invariants: interest income is exactly the interest the accrual rows earned, and interest receivable less
interest paid in advance is what was earned less what the standing payments paid as interest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule, run_state_machine_as_test

from servicing.models import AllocationLine, InterestAccrual, JournalLine, LoanAccount, LoanTransaction
from servicing.services import payments
from servicing.services.nightly.steps.interest import InterestStep
from tests.servicing.factories import boarded_loan
from tests.servicing.test_payments_state_machine import TODAY, ZERO, PaymentMachine, _sum


class AccrualMachine(PaymentMachine):
    @rule(days=st.integers(min_value=1, max_value=45))
    def night(self, days):
        step = InterestStep()
        through = min(LoanAccount.objects.filter(status="active").values_list("interest_accrued_through", flat=True))
        day = min(through + timedelta(days=days), TODAY)
        result = step.run_chunk(day, list(step.pending_loan_ids(day)), None)
        assert result.errors == []

    @invariant()
    def income_is_what_was_earned_and_the_interest_accounts_hold_earned_less_paid(self):
        for boarded in self.loans:
            loan = LoanAccount.objects.get(pk=boarded.pk)
            earned = _sum(InterestAccrual.objects.filter(loan=loan))
            income = JournalLine.objects.filter(loan=loan, account__code="interest_income")
            assert sum((line.credit - line.debit for line in income), ZERO) == earned
            standing = LoanTransaction.objects.filter(loan=loan, kind="payment", status="posted")
            paid = _sum(AllocationLine.objects.current().filter(transaction__in=standing, bucket="interest"))
            assert loan.interest_due - loan.interest_prepaid == earned - paid
            assert loan.interest_due >= 0
            assert loan.interest_prepaid >= 0


@pytest.mark.django_db
def test_accrual_state_machine(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)
    AccrualMachine.loans = [boarded_loan(), boarded_loan(consumer=True)]
    run_state_machine_as_test(
        AccrualMachine,
        settings=settings(
            max_examples=30,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking, as the payment machine
            stateful_step_count=14,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
