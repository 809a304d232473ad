"""Boarding a funded loan from origination into servicing.

``loan_onboard`` snapshots the contract into a ``LoanAccount``, stores the installment schedule, opens escrow and
posts the disbursement, all in one transaction. The schedule is built from the very terms the note and the
disclosures priced, as signed at closing (``ClosingSignature.terms``, origination.services.contract: the Closing
Disclosure's amount and rate, the product's other terms at signing, the closing date as the advance date and the
scheduled first payment date, odd days' interest on the first installment), never from the product as it stands
at funding, and the escrow figures are the initial escrow disclosure's (origination.services.closing
.escrow_statement), so what servicing bills is what the borrower was told.

Journal (dated the funding date, when the money moved):
- disbursement: Dr loans receivable (loan amount); Cr cash (disbursed amount); Cr fee income (prepaid finance
  charges withheld: loan amount - disbursed amount);
- escrow initial deposit collected at closing: Dr cash; Cr escrow liability.

One loan account per application, enforced by the database (one-to-one); the application row is locked first,
so concurrent calls queue and the second returns the first's account without posting anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import cycle
from typing import Any

from django.db import IntegrityError, transaction

from lending.core.bulk import bulk_insert_rows
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance import amortization
from lending.finance.daycount import add_months
from lending.finance.escrow import EscrowProjection
from lending.finance.money import ZERO
from origination.models import Application, ClosingSignature, Funding
from origination.services.closing import INSURANCE_PAYMENT, PROPERTY_TAX_PAYMENTS, ClosingError, escrow_statement
from origination.services.contract import contract_terms_load, contract_terms_snapshot
from servicing.models import EscrowItem, Installment, JournalEntry, LoanAccount
from servicing.models.ledger import CASH, ESCROW_LIABILITY, FEE_INCOME, LOANS_RECEIVABLE
from servicing.models.loans import STATEMENT_DAYS_DEFAULT, not_boarded
from servicing.services.escrow import analysis_date_for_year
from servicing.services.ledger import journal_post

# What boarding writes of each installment; the late and other fees (and what is paid of them) start at their
# columns' database default, 0.
INSTALLMENT_COLUMNS = (
    "loan",
    "number",
    "due_date",
    "principal",
    "interest",
    "escrow",
    "payment",
    "paid_principal",
    "paid_interest",
    "paid_escrow",
)


class OnboardingError(Exception):
    """The funded application cannot be boarded as it stands; nothing was written. The message says why."""


def signed_terms(application: Application) -> dict[str, Any]:
    """The contract terms signed at closing (``ClosingSignature.terms``, origination.services.contract). An
    application signed before the snapshot existed has none stored: its terms are read now, the same way."""
    try:
        stored = application.closing_signature.terms
    except ClosingSignature.DoesNotExist:
        stored = None
    return contract_terms_load(stored or contract_terms_snapshot(application))


def contract_terms(application: Application, signed: dict[str, Any], loan_amount: Decimal) -> amortization.LoanTerms:
    """The terms the note was priced on (``signed``), on the scheduled closing and first payment dates (odd first
    period priced per diem). The funded amount must be the signed one."""
    if signed["closing_date"] is None or signed["first_payment_date"] is None:
        raise OnboardingError(f"{application.number} has no scheduled closing and first payment dates.")
    if signed["loan_amount"] != loan_amount:
        raise OnboardingError(
            f"{application.number}: funded {loan_amount}, but the amount signed at closing is {signed['loan_amount']}."
        )
    kind = signed["amortization"]
    try:
        return amortization.LoanTerms(
            principal=loan_amount,
            annual_rate=signed["annual_rate"],
            term_periods=signed["term_periods"],
            disbursement_date=signed["closing_date"],
            first_payment_date=signed["first_payment_date"],
            frequency=signed["payment_frequency"],
            amortization=kind,
            day_count=signed["day_count"],
            interest_only_periods=signed["interest_only_periods"] if kind == "interest_only" else 0,
            balloon_after_periods=signed["balloon_after_periods"] if kind == "balloon" else None,
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


def _property_address(application: Application) -> dict[str, str]:
    """The loan's copy of the subject property's address (blank when the application has no property)."""
    prop = getattr(application, "subject_property", None)
    if prop is None:
        return {}
    return {
        "property_address_line1": prop.address_line1,
        "property_city": prop.city,
        "property_state": prop.state,
        "property_postal_code": prop.postal_code,
    }


def _loan_number(application: Application) -> str:
    return f"L-{application.number.removeprefix('A-')}"


def loan_onboard(*, application: Application, actor: User | None) -> LoanAccount:
    """Board the funded ``application``: its loan account (terms snapshot), schedule, escrow and the
    disbursement entries. Idempotent: an application already boarded returns its account and posts nothing."""
    with transaction.atomic():
        app = (
            Application.objects.select_for_update(of=("self",))
            .select_related("product", "funding", "subject_property", "closing_signature")
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
        signed = signed_terms(app)
        terms = contract_terms(app, signed, funding.loan_amount)
        schedule = amortization.build_schedule(terms)
        projection, escrow_items = _escrow(app, terms)
        escrow_payments = projection.payments if projection is not None else (ZERO,)
        primary = app.borrowers.filter(is_primary=True).first()
        loan = LoanAccount(
            loan_number=_loan_number(app),
            application=app,
            borrower=app.applicant,
            borrower_name=str(primary) if primary is not None else "",
            product_code=signed["product_code"],
            product_name=signed["product_name"],
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
            late_fee_percent=signed["late_fee_percent"],
            late_fee_flat=signed["late_fee_flat"],
            late_fee_max=signed["late_fee_max"],
            grace_days=signed["grace_days"],
            # Terms signed before the returned-payment fee existed carry none.
            returned_payment_fee=signed.get("returned_payment_fee") or ZERO,
            allocation_strategy=signed["allocation_strategy"],
            # Terms signed before the statement lead time existed: the default.
            statement_days_before_due=signed.get("statement_days_before_due", STATEMENT_DAYS_DEFAULT),
            escrow_monthly_payment=projection.monthly_payment if projection is not None else ZERO,
            escrow_initial_deposit=projection.initial_deposit if projection is not None else ZERO,
            escrow_cushion=projection.cushion if projection is not None else ZERO,
            escrow_analysis_date=analysis_date_for_year(terms.first_payment_date) if projection is not None else None,
            interest_paid_through=terms.disbursement_date,  # the first installment's interest runs from here
            interest_accrued_through=terms.disbursement_date,  # and the nightly accrual earns it from here
            interest_method=signed.get("interest_method", "scheduled"),  # snapshots from before the field: scheduled
            next_due_date=schedule.rows[0].due_date,
            boarded_by=actor if actor is not None and actor.pk else None,
            **_property_address(app),
        )
        try:
            with transaction.atomic():
                loan.save()
        except IntegrityError:
            existing = LoanAccount.objects.filter(application=app).first()
            if existing is not None:  # boarded by a caller that did not lock the application
                return existing
            raise
        # Paid nothing, no fees yet (their columns' database defaults), not paid (paid_on NULL): one set-based insert.
        bulk_insert_rows(
            Installment,
            INSTALLMENT_COLUMNS,
            [
                (
                    loan.pk,
                    row.number,
                    row.due_date,
                    row.principal,
                    row.interest,
                    escrow,
                    row.payment + escrow,
                    ZERO,
                    ZERO,
                    ZERO,
                )
                for row, escrow in zip(schedule.rows, cycle(escrow_payments))
            ],
        )
        for item in escrow_items:
            item.loan = loan
        EscrowItem.objects.bulk_create(escrow_items)
        _post_disbursement(loan=loan, funding=funding, actor=actor)
        if projection is not None:
            initial_statement_enqueue(loan)
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


def initial_statement_enqueue(loan: LoanAccount) -> None:
    """The initial escrow account statement (1024.17(g)) is rendered by a task once the boarding has committed."""
    from servicing import tasks  # tasks import the nightly runner, which imports the services: import when used

    # robust: a failure to render (eager in development) is logged and never reaches the boarding that committed.
    transaction.on_commit(lambda: tasks.escrow_initial_statement.delay(loan.pk), robust=True)


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


@dataclass(frozen=True)
class BoardingOutcome:
    """What boarding one funded application did: ``loan`` when it has a loan account (``boarded`` when this run
    made it), ``error`` when it still cannot be boarded."""

    number: str
    loan: LoanAccount | None = None
    boarded: bool = False
    error: str = ""


def loans_board_funded(*, actor: User | None, application_ids: list[int] | None = None) -> list[BoardingOutcome]:
    """Board funded applications that have no loan account yet (boarding failed when they were funded): all of
    them, or those of ``application_ids``. Each is boarded on its own (one failure stops nothing) and idempotently
    (``loan_onboard``: an application boarded meanwhile, or twice, posts nothing). Already boarded ones asked for
    by id are reported, not boarded again."""
    applications = Application.objects.filter(status="funded")
    if application_ids is not None:
        applications = applications.filter(pk__in=application_ids)
    else:
        applications = applications.filter(not_boarded())
    outcomes = []
    for app in applications.select_related("loan_account").order_by("pk"):
        existing = getattr(app, "loan_account", None)
        if existing is not None:
            outcomes.append(BoardingOutcome(app.number, loan=existing))
            continue
        try:
            loan = loan_onboard(application=app, actor=actor)
        except OnboardingError as exc:
            outcomes.append(BoardingOutcome(app.number, error=str(exc)))
        else:
            outcomes.append(BoardingOutcome(app.number, loan=loan, boarded=True))
    return outcomes
