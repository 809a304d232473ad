"""The escrow step on PostgreSQL: on the bench seeder's portfolio (its items due on the next due date, a twelfth
of its loans analysed that night), and run by two workers at once on the same chunk (the loan row locks make the
second find everything done: nothing is paid or analysed twice)."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from bench._servicing_seed import seed_portfolio
from servicing.models import EscrowAnalysis, EscrowDisbursement, EscrowRefund, JournalEntry, LoanAccount
from servicing.services.nightly.steps.escrow import EscrowStep
from tests.servicing.concurrency import run_in_threads
from tests.servicing.nightly.escrow_helpers import escrow_received, escrowed_loan, installments_paid

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TODAY = date(2026, 12, 4)
NEXT_DUE = date(2027, 1, 1)  # the seeded loans' next installment, and their items' due date


def _ledger_clean():
    out = StringIO()
    call_command("ledger_verify", stdout=out)
    assert "Ledger verified" in out.getvalue()


def _counts():
    return (
        EscrowDisbursement.objects.count(),
        EscrowAnalysis.objects.count(),
        EscrowRefund.objects.count(),
        JournalEntry.objects.count(),
    )


def test_the_step_on_the_seeded_portfolio_pays_every_item_once_and_analyses_a_twelfth():
    seed_portfolio(24, months=13, today=TODAY)
    due_for_analysis = LoanAccount.objects.filter(escrow_analysis_date__lte=NEXT_DUE).count()
    assert due_for_analysis == 2  # loans k = 0 and 12 of 0..23 (k % 12 == 0): 2027-01-01 - 30 days
    step = EscrowStep()
    ids = list(step.pending_loan_ids(NEXT_DUE))
    assert len(ids) == 24
    result = step.run_chunk(NEXT_DUE, ids, None)
    assert (result.done, result.errors) == (24, [])
    assert EscrowDisbursement.objects.count() == 48  # tax payment 1 of 2 and the insurance premium, per loan
    assert EscrowAnalysis.objects.count() == 2
    assert not LoanAccount.objects.filter(escrow_analysis_date__lte=NEXT_DUE).exists()
    _ledger_clean()
    counts = _counts()
    assert list(step.pending_loan_ids(NEXT_DUE)) == []
    assert step.run_chunk(NEXT_DUE, ids, None).done == 24
    assert _counts() == counts


def test_two_workers_on_the_same_chunk_pay_and_analyse_once():
    loans = [escrowed_loan() for _ in range(3)]
    for loan in loans:
        installments_paid(loan, 12)
        escrow_received(loan, Decimal("6400.00"))  # 1,050 + 6,400 - 6,300 = 1,150.00: a 100.00 refund
    night = date(2027, 12, 2)
    ids = list(EscrowStep().pending_loan_ids(night))
    assert len(ids) == 3
    results = []
    errors = run_in_threads(2, lambda _: results.append(EscrowStep().run_chunk(night, ids, None)))
    assert errors == []
    assert all(result.errors == [] for result in results)
    assert EscrowDisbursement.objects.count() == 9
    assert EscrowAnalysis.objects.count() == 3
    assert EscrowRefund.objects.count() == 3
    # Per loan: one entry for the night's three payments, one for the refund.
    assert JournalEntry.objects.filter(kind__in=["escrow_disbursement", "escrow_refund"]).count() == 6
    _ledger_clean()
