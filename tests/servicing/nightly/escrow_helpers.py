"""Escrowed loans for the escrow step's tests.

``boarded_loan()`` is a 30-year escrowed mortgage, first payment 2027-01-01, property tax $4,800.00 a year in two
payments (2027-06-01 payment 1 of 2, then 2027-12-01) and insurance $1,500.00 (2027-12-01): $6,300.00 a year, so
$525.00 a month, a cushion of 2 months ($1,050.00) and an initial deposit of $1,050.00 (the projection's lowest
point is the cushion in December). Its first escrow analysis is on 2027-12-02 (2028-01-01 less 30 days' notice).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.db.models import F

from servicing.models import Installment, JournalEntry, LoanAccount
from servicing.models.ledger import CASH, ESCROW_LIABILITY
from servicing.services.ledger import journal_post
from servicing.services.nightly.steps.escrow import EscrowStep
from tests.servicing.factories import boarded_loan

D = Decimal
ZERO = D("0.00")


def escrowed_loan() -> LoanAccount:
    loan = boarded_loan()
    assert (loan.escrow_balance, loan.escrow_monthly_payment, loan.escrow_cushion) == (D("1050"), D("525"), D("1050"))
    assert loan.escrow_analysis_date == date(2027, 12, 2)
    return loan


def escrow_received(loan: LoanAccount, amount: Decimal, when: date = date(2027, 5, 1)) -> None:
    """Escrow collected from the borrower (as the escrow part of payments would be): Dr cash / Cr escrow."""
    journal_post(
        actor=None,
        loan=loan,
        effective_date=when,
        kind=JournalEntry.Kind.ADJUSTMENT,
        memo="Escrow collected (test)",
        lines=[(CASH, amount, ZERO), (ESCROW_LIABILITY, ZERO, amount)],
    )


def installments_paid(loan: LoanAccount, through: int) -> None:
    """Installments 1..``through`` paid in full on their due dates (the schedule only: the books are not touched)."""
    Installment.objects.filter(loan=loan, number__lte=through).update(
        paid_principal=F("principal"), paid_interest=F("interest"), paid_escrow=F("escrow"), paid_on=F("due_date")
    )


def run(business_date: date) -> list[int]:
    """Run the escrow step for ``business_date`` as the runner would (pending loans, one chunk); its loan ids."""
    step = EscrowStep()
    ids = list(step.pending_loan_ids(business_date))
    result = step.run_chunk(business_date, ids, None)
    assert result.errors == []
    assert result.done == len(ids)
    return ids


def ledger_clean() -> None:
    out = StringIO()
    call_command("ledger_verify", stdout=out)  # raises CommandError when anything is off
    assert "Ledger verified" in out.getvalue()
