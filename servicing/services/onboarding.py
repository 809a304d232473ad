"""Boarding a funded loan from origination into servicing.

``loan_onboard`` snapshots the contract into a ``LoanAccount``, stores the installment schedule, opens escrow and
posts the disbursement, all in one transaction. The schedule is built from the very terms the note and the
disclosures priced (origination.services.disclosures.loan_figures: the product's terms, the loan amount, the
closing date as the advance date and the scheduled first payment date, odd days' interest on the first
installment), and the escrow figures are the initial escrow disclosure's (origination.services.closing
.escrow_statement), so what servicing bills is what the borrower was told.

Journal (dated the funding date, when the money moved):
- disbursement: Dr loans receivable (loan amount); Cr cash (disbursed amount); Cr fee income (prepaid finance
  charges withheld: loan amount - disbursed amount);
- escrow initial deposit collected at closing: Dr cash; Cr escrow liability.

One loan account per application, enforced by the database (one-to-one); the application row is locked first,
so concurrent calls queue and the second returns the first's account without posting anything.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction

from lending.core.models import User
from lending.core.services import audit_record
from lending.finance import amortization
from lending.finance.daycount import add_months
from lending.finance.escrow import EscrowProjection
from lending.finance.money import ZERO
from origination.models import Application, Funding
from origination.services.closing import INSURANCE_PAYMENT, PROPERTY_TAX_PAYMENTS, ClosingError, escrow_statement
from servicing.models import EscrowItem, Installment, JournalEntry, LoanAccount
from servicing.models.ledger import CASH, ESCROW_LIABILITY, FEE_INCOME, LOANS_RECEIVABLE
from servicing.services.ledger import journal_post


class OnboardingError(Exception):
    """The funded application cannot be boarded as it stands; nothing was written. The message says why."""


def contract_terms(application: Application, loan_amount: Decimal) -> amortization.LoanTerms:
    """The terms the note was priced on: ``loan_figures``'s LoanTerms on the scheduled closing and first payment
    dates (product terms; odd first period priced per diem)."""
    product = application.product
    if application.closing_date is None or application.first_payment_date is None:
        raise OnboardingError(f"{application.number} has no scheduled closing and first payment dates.")
    try:
        return amortization.LoanTerms(
            principal=loan_amount,
            annual_rate=product.annual_rate,
            term_periods=product.term_periods,
            disbursement_date=application.closing_date,
            first_payment_date=application.first_payment_date,
            frequency=product.payment_frequency,
            amortization=product.amortization,
            day_count=product.day_count,
            interest_only_periods=product.interest_only_periods if product.amortization == "interest_only" else 0,
            balloon_after_periods=product.balloon_after_periods if product.amortization == "balloon" else None,
        )
    except ValueError as exc:
        raise OnboardingError(f"{application.number}: the contract terms are invalid: {exc}") from exc


def _escrow(
    application: Application, terms: amortization.LoanTerms
) -> tuple[EscrowProjection | None, list[EscrowItem]]:
    """The initial escrow projection and the escrow items, or (None, []) when the product does not escrow."""
    try:
        statement = escrow_statement(application, terms.first_payment_date)
    except ClosingError as exc:
        raise OnboardingError(f"{application.number}: {exc}") from exc
    if statement is None:
        return None, []
    if terms.frequency != "monthly":
        raise OnboardingError(f"{application.number}: escrow is computed for monthly payments only.")
    prop = application.subject_property
    first = terms.first_payment_date
    items: list[EscrowItem] = []
    if prop.annual_property_tax > 0:
        items.append(
            EscrowItem(
                kind=EscrowItem.Kind.PROPERTY_TAX,
                description="Property tax",
                annual_amount=prop.annual_property_tax,
                payments_per_year=len(PROPERTY_TAX_PAYMENTS),
                next_due_date=add_months(first, PROPERTY_TAX_PAYMENTS[0] - 1),
            )
        )
    if prop.annual_insurance > 0:
        items.append(
            EscrowItem(
                kind=EscrowItem.Kind.HAZARD_INSURANCE,
                description="Homeowner's insurance premium",
                annual_amount=prop.annual_insurance,
                payments_per_year=1,
                next_due_date=add_months(first, INSURANCE_PAYMENT - 1),
            )
        )
    projection = statement.projection
    if sum((item.annual_amount for item in items), ZERO) != projection.annual_disbursements:
        raise OnboardingError(f"{application.number}: the escrow items do not add up to the disclosed escrow year.")
    return projection, items


def _loan_number(application: Application) -> str:
    return f"L-{application.number.removeprefix('A-')}"


@transaction.atomic
def loan_onboard(*, application: Application, actor: User | None) -> LoanAccount:
    """Board the funded ``application``: its loan account (terms snapshot), schedule, escrow and the
    disbursement entries. Idempotent: an application already boarded returns its account and posts nothing."""
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("product", "funding", "subject_property")
        .get(pk=application.pk)
    )
    existing = LoanAccount.objects.filter(application=app).first()
    if existing is not None:
        return existing
    try:
        funding = app.funding
    except Funding.DoesNotExist:
        raise OnboardingError(f"{app.number} has not been funded.") from None
    if app.status != "funded":
        raise OnboardingError(f"{app.number} is {app.get_status_display()}, not funded.")
    terms = contract_terms(app, funding.loan_amount)
    schedule = amortization.build_schedule(terms)
    projection, escrow_items = _escrow(app, terms)
    escrow_payments = projection.payments if projection is not None else (ZERO,)
    product = app.product
    primary = app.borrowers.filter(is_primary=True).first()
    loan = LoanAccount(
        loan_number=_loan_number(app),
        application=app,
        borrower=app.applicant,
        borrower_name=str(primary) if primary is not None else "",
        product_code=product.code,
        product_name=product.name,
        principal=terms.principal,
        annual_rate=terms.annual_rate,
        term_periods=terms.term_periods,
        payment_frequency=terms.frequency,
        amortization=terms.amortization,
        interest_only_periods=terms.interest_only_periods,
        balloon_after_periods=terms.balloon_after_periods,
        day_count=terms.day_count,
        odd_first_period=terms.odd_first_period,
        disbursement_date=terms.disbursement_date,
        first_payment_date=terms.first_payment_date,
        maturity_date=schedule.rows[-1].due_date,
        regular_payment=schedule.regular_payment,
        late_fee_percent=product.late_fee_percent,
        late_fee_flat=product.late_fee_flat,
        late_fee_max=product.late_fee_max,
        grace_days=product.grace_days,
        allocation_strategy=product.allocation_strategy,
        escrow_monthly_payment=projection.monthly_payment if projection is not None else ZERO,
        escrow_initial_deposit=projection.initial_deposit if projection is not None else ZERO,
        escrow_cushion=projection.cushion if projection is not None else ZERO,
        interest_paid_through=terms.disbursement_date,  # the first installment's interest runs from here
        next_due_date=schedule.rows[0].due_date,
        boarded_by=actor if actor is not None and actor.pk else None,
    )
    try:
        with transaction.atomic():
            loan.save()
    except IntegrityError:
        existing = LoanAccount.objects.filter(application=app).first()
        if existing is not None:  # boarded by a caller that did not lock the application
            return existing
        raise
    Installment.objects.bulk_create(
        [
            Installment(
                loan=loan,
                number=row.number,
                due_date=row.due_date,
                principal=row.principal,
                interest=row.interest,
                escrow=escrow_payments[index % len(escrow_payments)],
                payment=row.payment + escrow_payments[index % len(escrow_payments)],
            )
            for index, row in enumerate(schedule.rows)
        ],
        batch_size=500,
    )
    for item in escrow_items:
        item.loan = loan
    EscrowItem.objects.bulk_create(escrow_items)
    _post_disbursement(loan=loan, funding=funding, actor=actor)
    audit_record(
        actor=actor,
        verb="loan.onboarded",
        target=loan,
        after={
            "application": app.number,
            "principal": loan.principal,
            "annual_rate": loan.annual_rate,
            "term_periods": loan.term_periods,
            "first_payment_date": loan.first_payment_date,
            "maturity_date": loan.maturity_date,
            "regular_payment": loan.regular_payment,
            "first_payment": schedule.rows[0].payment,
            "escrow_monthly_payment": loan.escrow_monthly_payment,
            "escrow_initial_deposit": loan.escrow_initial_deposit,
        },
    )
    return loan


def _post_disbursement(*, loan: LoanAccount, funding: Funding, actor: User | None) -> None:
    withheld = funding.loan_amount - funding.disbursed_amount
    lines = [(LOANS_RECEIVABLE, funding.loan_amount, ZERO), (CASH, ZERO, funding.disbursed_amount)]
    if withheld:
        lines.append((FEE_INCOME, ZERO, withheld))
    journal_post(
        actor=actor,
        loan=loan,
        effective_date=funding.funded_on,
        kind=JournalEntry.Kind.DISBURSEMENT,
        memo=f"Disbursement of {loan.loan_number}" + (f" ({funding.wire_reference})" if funding.wire_reference else ""),
        lines=lines,
        idempotency_key=f"loan-onboard:{loan.application_id}:disbursement",
    )
    if loan.escrow_initial_deposit:
        journal_post(
            actor=actor,
            loan=loan,
            effective_date=funding.funded_on,
            kind=JournalEntry.Kind.ESCROW_DEPOSIT,
            memo=f"Initial escrow deposit of {loan.loan_number}, collected at closing",
            lines=[(CASH, loan.escrow_initial_deposit, ZERO), (ESCROW_LIABILITY, ZERO, loan.escrow_initial_deposit)],
            idempotency_key=f"loan-onboard:{loan.application_id}:escrow-deposit",
        )
