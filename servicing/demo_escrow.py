"""Escrow demo data for `manage.py seed_demo`: a current mortgage from the servicing transfer (``DEMO-CUR-001``)
with two escrowed bills, a property tax instalment due on the last demo night and the homeowner's insurance
premium due later, added as a servicer adds them (``escrow_item_save``), and its first escrow analysis brought
forward to that night. The demo nights (``demo_nightly``) then pay the tax bill and store the analysis with its new
escrow payment. Idempotent: a loan number already boarded is left alone."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from lending.core.models import User
from lending.finance.amortization import LoanTerms, build_schedule
from lending.finance.daycount import add_months
from servicing.models import EscrowItem, LoanAccount
from servicing.services.escrow import escrow_item_save
from servicing.services.transfer_boarding import TransferLoan, loan_board_transfer

LOAN_NUMBER = "DEMO-CUR-001"
NOTE = Decimal("320000.00")
RATE = Decimal("6.2500")
PAYMENTS_MADE = 11
PROPERTY_TAX = Decimal("4860.00")  # a year, in two instalments
INSURANCE = Decimal("1740.00")


def escrow_demo_seed(*, last_night: date, actor: User | None) -> LoanAccount | None:
    """Board the current escrowed loan with its bills due; None when it is already there."""
    if LoanAccount.objects.filter(loan_number=LOAN_NUMBER).exists():
        return None
    next_due = last_night + timedelta(days=10)
    next_due = next_due if next_due.day <= 28 else next_due.replace(day=28)
    first_payment = add_months(next_due, -PAYMENTS_MADE)
    disbursed = add_months(first_payment, -1)
    schedule = build_schedule(
        LoanTerms(
            principal=NOTE,
            annual_rate=RATE,
            term_periods=360,
            disbursement_date=disbursed,
            first_payment_date=first_payment,
            frequency="monthly",
            amortization="level",
            day_count="30/360",
        )
    )
    with transaction.atomic():
        loan = loan_board_transfer(
            actor=actor,
            loan=TransferLoan(
                loan_number=LOAN_NUMBER,
                borrower_name="Dana Homeowner",
                principal=NOTE,
                annual_rate=RATE,
                term_periods=360,
                payment_frequency="monthly",
                amortization="level",
                day_count="30/360",
                disbursement_date=disbursed,
                first_payment_date=first_payment,
                current_principal_balance=schedule.balance_after(PAYMENTS_MADE),
                next_due_date=next_due,
                escrow_balance=Decimal("2150.00"),
                escrow_monthly_payment=Decimal("550.00"),
                late_fee_percent=Decimal("5.0000"),
                allocation_strategy="mortgage_standard",
            ),
        )
        for kind, description, payee, amount, per_year, due in (
            (EscrowItem.Kind.PROPERTY_TAX, "County property tax", "County Treasurer", PROPERTY_TAX, 2, last_night),
            (
                EscrowItem.Kind.HAZARD_INSURANCE,
                "Homeowner's insurance premium",
                "Acme Mutual Insurance",
                INSURANCE,
                1,
                add_months(last_night, 5),
            ),
        ):
            escrow_item_save(
                actor=actor,
                item=EscrowItem(
                    loan=loan,
                    kind=kind,
                    description=description,
                    payee=payee,
                    annual_amount=amount,
                    payments_per_year=per_year,
                    next_due_date=due,
                ),
            )
        # Demo only: the first analysis (due a year after boarding) is brought forward so the demo shows one.
        LoanAccount.objects.filter(pk=loan.pk).update(escrow_analysis_date=last_night)
    return loan
