"""The servicing demo: each demo loan has its first payment, Alice a pending bank payment; the books agree and
a second run adds nothing."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from servicing import selectors
from servicing.models import EscrowAnalysis, EscrowDisbursement, LoanAccount, LoanTransaction, PendingPayment

pytestmark = pytest.mark.django_db(transaction=True)  # real commits: funding boards each loan as `make run` does


def test_demo_loans_have_a_payment_and_a_second_run_adds_nothing():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    loans = LoanAccount.objects.filter(status="active")
    assert loans.count() == 3
    assert "Servicing demo: first payments on 3 loans; a pending bank payment for Alice.\n" in out.getvalue()
    for loan in loans:
        txn = LoanTransaction.objects.get(loan=loan)
        assert txn.allocation_lines.current().filter(installment__number=1, bucket="interest").exists()
    assert PendingPayment.objects.filter(loan__borrower__email="alice@example.com", status="pending").count() == 1
    assert selectors.loan_balance_mismatches() == []
    # Escrow: one loan's flood premium paid today and its analysis stored (the demo brings it forward).
    assert EscrowDisbursement.objects.filter(item__kind="flood_insurance", amount=Decimal("640.00")).count() == 1
    assert EscrowAnalysis.objects.count() == 1
    assert "Escrow demo: L-" in out.getvalue()
    counts = (LoanTransaction.objects.count(), PendingPayment.objects.count(), EscrowDisbursement.objects.count())

    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "Servicing demo: nothing added (the demo payments are already there).\n" in again.getvalue()

    assert "Escrow demo: nothing added" in again.getvalue()
    assert (
        LoanTransaction.objects.count(),
        PendingPayment.objects.count(),
        EscrowDisbursement.objects.count(),
    ) == counts
