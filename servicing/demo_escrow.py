"""Escrow demo data for `manage.py seed_demo`: the first escrowed demo loan gets a flood insurance premium due
today, added as a servicer adds one (``escrow_item_save``), and its first escrow analysis brought forward to today;
then the nightly escrow step runs for that loan and today: the premium is paid (advanced where the balance is
short) and the analysis is stored with its new escrow payment. Idempotent: a loan with a disbursement is left
alone, and the step itself never pays or analyses twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from lending.core.models import User
from servicing.models import EscrowAnalysis, EscrowDisbursement, EscrowItem, LoanAccount
from servicing.services.escrow import escrow_item_save
from servicing.services.nightly.steps.escrow import escrow_close

FLOOD_PREMIUM = Decimal("640.00")


def escrow_demo_seed(*, today: date, actor: User | None, stdout) -> None:
    loan = (
        LoanAccount.objects.filter(
            status=LoanAccount.Status.ACTIVE, escrow_items__isnull=False, disbursement_date__lt=today
        )
        .order_by("pk")
        .first()
    )
    if loan is None:
        stdout.write("Escrow demo: no escrowed loan disbursed before today.")
        return
    if EscrowDisbursement.objects.filter(loan=loan).exists():
        stdout.write("Escrow demo: nothing added (the demo disbursement is already there).")
        return
    with transaction.atomic():
        escrow_item_save(
            actor=actor,
            item=EscrowItem(
                loan=loan,
                kind=EscrowItem.Kind.FLOOD_INSURANCE,
                description="Flood insurance premium",
                payee="National Flood Insurance Program",
                annual_amount=FLOOD_PREMIUM,
                payments_per_year=1,
                next_due_date=today,
            ),
        )
        # Demo only: the first analysis (due a year on) is brought forward so the demo shows one.
        LoanAccount.objects.filter(pk=loan.pk).update(escrow_analysis_date=today)
        escrow_close(business_date=today, loan_ids=[loan.pk], actor=actor)
    analysis = EscrowAnalysis.objects.filter(loan=loan).first()
    stdout.write(
        f"Escrow demo: {loan.loan_number} paid its flood premium"
        + (f" and had its escrow analysis ({analysis.get_kind_display().lower()})." if analysis else ".")
    )
