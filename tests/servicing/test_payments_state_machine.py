"""A Hypothesis state machine over payment posting: random payments, partial payments, prepayments, directed
payments, backdated payments and reversals on random loans. After every step the journal balances, the running
balances equal the journal, and no money is created or lost: each standing payment's allocation adds up to it,
each installment's paid amounts equal the lines paying it, and each loan's principal, escrow and suspense equal
what boarding and the standing allocations say."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from servicing import selectors
from servicing.models import AllocationLine, Installment, LoanAccount, LoanTransaction
from servicing.services import payments
from servicing.services.payments import PaymentError, payment_post, payment_reverse
from tests.hypothesis_budget import examples
from tests.servicing.factories import CLOSING_DATE, boarded_loan

D = Decimal
ZERO = D("0.00")
TODAY = date(2027, 4, 20)  # four installments (Jan..Apr) due
DAYS = (TODAY - CLOSING_DATE).days
amounts = st.decimals(min_value=D("0.01"), max_value=D("4000.00"), places=2)
days = st.integers(min_value=1, max_value=DAYS)


class _Rollback(Exception):
    pass


def _sum(queryset) -> Decimal:
    # Summed in Python: SQLite's SUM over decimals is a float sum.
    return sum(queryset.values_list("amount", flat=True), ZERO)


class PaymentMachine(RuleBasedStateMachine):
    loans: list[LoanAccount] = []  # boarded once per test; every example runs in a savepoint rolled back after it
    posted = Bundle("posted")

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._keys = 0
        self._latest = {loan.pk: CLOSING_DATE for loan in self.loans}

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _post(self, loan_index, amount, day, directive="standard"):
        loan = LoanAccount.objects.get(pk=self.loans[loan_index % len(self.loans)].pk)
        self._keys += 1
        when = CLOSING_DATE + timedelta(days=day)
        try:
            txn = payment_post(
                loan=loan,
                amount=amount,
                effective_date=when,
                method="ach",
                reference=f"r{self._keys}",
                idempotency_key=f"sm-{self._keys}",
                actor=None,
                directive=directive,
            )
        except PaymentError as exc:
            # The only refusal expected here: a principal-only payment on a loan whose principal it would exceed.
            if directive != "principal_only":
                raise AssertionError(f"{directive} payment refused: {exc}") from exc
            return None
        self._latest[loan.pk] = max(self._latest[loan.pk], when)
        return txn

    @rule(target=posted, loan=st.integers(0, 1), amount=amounts, day=days)
    def pay(self, loan, amount, day):
        return self._post(loan, amount, day)

    @rule(target=posted, loan=st.integers(0, 1), day=days, fraction=st.integers(1, 99))
    def partial_payment(self, loan, day, fraction):
        regular = self.loans[loan % len(self.loans)].regular_payment
        return self._post(loan, (regular * fraction / 100).quantize(D("0.01")) or D("0.01"), day)

    @rule(target=posted, loan=st.integers(0, 1), day=days, extra=st.integers(1, 20_000))
    def prepayment(self, loan, day, extra):
        regular = self.loans[loan % len(self.loans)].regular_payment
        return self._post(loan, regular * 2 + D(extra), day)

    @rule(
        target=posted,
        loan=st.integers(0, 1),
        amount=amounts,
        day=days,
        directive=st.sampled_from(["principal_only", "escrow_only"]),
    )
    def directed_payment(self, loan, amount, day, directive):
        return self._post(loan, amount, day, directive)

    @rule(target=posted, loan=st.integers(0, 1), amount=amounts, back=st.integers(1, 60))
    def backdated_payment(self, loan, amount, back):
        pk = self.loans[loan % len(self.loans)].pk
        day = max(1, (self._latest[pk] - CLOSING_DATE).days - back)
        return self._post(loan, amount, day)

    @rule(txn=posted)
    def reverse(self, txn):
        if txn is None:
            return
        try:
            payment_reverse(transaction=txn, reason="returned", actor=None)
        except PaymentError as exc:
            if "already reversed" not in str(exc):
                raise

    @invariant()
    def the_journal_balances_and_equals_the_running_balances(self):
        assert selectors.unbalanced_entries() == []
        assert selectors.loan_balance_mismatches() == []

    @invariant()
    def no_money_is_created_or_lost(self):
        for boarded in self.loans:
            loan = LoanAccount.objects.get(pk=boarded.pk)
            standing = LoanTransaction.objects.filter(loan=loan, kind="payment", status="posted")
            lines = AllocationLine.objects.current().filter(transaction__in=standing)
            assert _sum(lines) == _sum(standing)
            for txn in standing:
                assert _sum(txn.allocation_lines.current()) == txn.amount
            principal_paid = _sum(lines.filter(bucket__in=["principal", "prepayment"]))
            assert loan.principal_balance == loan.principal - principal_paid
            assert loan.suspense_balance == _sum(lines.filter(bucket="suspense"))
            assert loan.escrow_balance == loan.escrow_initial_deposit + _sum(lines.filter(bucket="escrow"))
            # The schedule still to come repays exactly the principal owed (prepayments re-price it).
            unpaid = sum(
                (
                    p - paid
                    for p, paid in Installment.objects.filter(loan=loan).values_list("principal", "paid_principal")
                ),
                ZERO,
            )
            assert unpaid == loan.principal_balance
            for installment in Installment.objects.filter(loan=loan, number__lte=6):
                assert installment.paid == _sum(lines.filter(installment=installment))
                # A prepayment can leave the last installments asking for nothing (payment 0): not paid, not due.
                if installment.payment and installment.paid == installment.payment:
                    assert installment.paid_on is not None
                assert installment.paid_principal <= installment.principal


@pytest.mark.django_db
def test_payment_state_machine(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)
    PaymentMachine.loans = [boarded_loan(), boarded_loan(consumer=True)]
    run_state_machine_as_test(
        PaymentMachine,
        settings=settings(
            max_examples=examples(40),
            # No shrinking: a failing sequence is printed as found (shrinking these took >5 min).
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
