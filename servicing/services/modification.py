"""Loan modification: a new rate and term with the arrears capitalized, after a trial of three payments.

- ``modification_propose`` (a collector or a manager): the new rate and the number of installments (or the
  maturity date); the figures are projected from today's balances for the manager to review.
- ``modification_approve`` (a manager): the trial begins. Its three payments are due on the loan's next three due
  dates, each of ``trial_payment`` = the new principal and interest + the escrow payment; the agreement PDF is made
  and stored (``document_store``).
- The trial and the permanent modification: ``modification_trial``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction

from lending.core import roles
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance import amortization
from lending.finance.money import ZERO
from origination.services.disclosures import pdf_render
from servicing.models import BorrowerDocument, Installment, LoanAccount, LoanModification
from servicing.services import plans
from servicing.services.documents import borrower_display_name, document_store
from servicing.services.letter_context import letter_context
from servicing.services.plans import PlanError, loan_lock, open_plan_refuse, plan_roles_require

Status = LoanModification.Status
MAX_RATE = Decimal("30")


@dataclass(frozen=True)
class ModificationFigures:
    """What a modification comes to from the loan's balances at ``effective`` (see the module docstring)."""

    capitalized_interest: Decimal
    capitalized_escrow: Decimal
    new_principal: Decimal
    schedule: amortization.Schedule
    escrow_payment: Decimal

    @property
    def new_payment(self) -> Decimal:
        return self.schedule.regular_payment

    @property
    def trial_payment(self) -> Decimal:
        return self.new_payment + self.escrow_payment

    @property
    def maturity_date(self) -> date:
        return self.schedule.rows[-1].due_date


def modification_figures(
    loan: LoanAccount,
    *,
    new_rate: Decimal,
    term_periods: int,
    effective: date,
    first_due: date,
    interest: Decimal | None = None,
) -> ModificationFigures:
    """The capitalization and the new schedule of ``loan`` from its balances now (``interest``: the interest to
    capitalize, when not all of ``interest_due``)."""
    capitalized_interest = max(loan.interest_due if interest is None else interest, ZERO)
    capitalized_escrow = max(-loan.escrow_balance, ZERO)
    new_principal = loan.principal_balance + capitalized_interest + capitalized_escrow
    terms = amortization.LoanTerms(
        principal=new_principal,
        annual_rate=new_rate,
        term_periods=term_periods,
        disbursement_date=effective,
        first_payment_date=first_due,
        frequency=loan.payment_frequency,
        amortization="level",
        day_count=loan.day_count,
        odd_first_period="none",
    )
    return ModificationFigures(
        capitalized_interest=capitalized_interest,
        capitalized_escrow=capitalized_escrow,
        new_principal=new_principal,
        schedule=amortization.build_schedule(terms),
        escrow_payment=loan.escrow_monthly_payment,
    )


def _rate_input(value: Decimal | str | None) -> Decimal:
    try:
        rate = Decimal(value) if value is not None else None
    except (InvalidOperation, TypeError, ValueError):
        rate = None
    if rate is None or not rate.is_finite() or not ZERO <= rate <= MAX_RATE or rate != rate.quantize(Decimal("0.0001")):
        raise PlanError(f"Enter a rate from 0 to {MAX_RATE}%, with at most four decimals.", field="new_rate")
    return rate


def _term_input(value: int | None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= amortization.MAX_TERM_PERIODS:
        raise PlanError(f"Enter from 1 to {amortization.MAX_TERM_PERIODS} installments.", field="term_periods")
    return value


def _trial_dates(loan: LoanAccount, after: date) -> tuple[list[date], date]:
    """The loan's next three due dates after ``after`` (the trial) and the one after them (the new schedule's
    first)."""
    rows = list(
        Installment.objects.filter(loan=loan, due_date__gt=after)
        .order_by("due_date", "number")
        .values_list("number", "due_date")[:4]
    )
    if len(rows) < LoanModification.TRIAL_PAYMENTS:
        raise PlanError("The loan has fewer than three installments left: there is no room for a trial.")
    if len(rows) == 4:
        return [day for _, day in rows[:3]], rows[3][1]
    return [day for _, day in rows[:3]], installment_due_date(loan, rows[2][0] + 1)


def _term_to(loan: LoanAccount, first_due: date, maturity: date) -> int:
    """How many installments from ``first_due`` through ``maturity`` on the loan's series of due dates."""
    if maturity < first_due:
        raise PlanError(
            f"The maturity must be on or after the first new due date, {first_due:%b %d, %Y}.", field="maturity_date"
        )
    start = next(
        (
            k
            for k in range(amortization.MAX_TERM_PERIODS * 2)
            if amortization.due_date(loan.first_payment_date, loan.payment_frequency, k) >= first_due
        ),
        None,
    )
    for count in range(1, amortization.MAX_TERM_PERIODS + 1):
        day = amortization.due_date(loan.first_payment_date, loan.payment_frequency, (start or 0) + count - 1)
        if day == maturity:
            return count
        if day > maturity:
            break
    raise PlanError(
        "The maturity must be one of the loan's due dates, within 1,600 installments.", field="maturity_date"
    )


def installment_due_date(loan: LoanAccount, number: int) -> date:
    """The due date of installment ``number`` on the loan's series of due dates: installment n falls on the n-th
    date from ``first_payment_date``. A transferred loan's installments are numbered from the note's first (the
    first left is ``paid + 1``) and its ``first_payment_date`` is the note's, so its lowest number is not 1."""
    return amortization.due_date(loan.first_payment_date, loan.payment_frequency, number - 1)


def figures_store(modification: LoanModification, figures: ModificationFigures, *, trial: bool = True) -> None:
    """Store the projected (``trial``: with the trial payment) or final figures on ``modification``."""
    modification.capitalized_interest = figures.capitalized_interest
    modification.capitalized_escrow = figures.capitalized_escrow
    modification.new_principal = figures.new_principal
    modification.new_payment = figures.new_payment
    modification.escrow_payment = figures.escrow_payment
    if trial:
        modification.trial_payment = figures.trial_payment
    modification.maturity_date = figures.maturity_date


FIGURE_FIELDS = [
    "capitalized_interest",
    "capitalized_escrow",
    "new_principal",
    "new_payment",
    "escrow_payment",
    "trial_payment",
    "maturity_date",
]


def figures_audit(modification: LoanModification) -> dict[str, object]:
    return {field: getattr(modification, field) for field in ("new_rate", "term_periods", *FIGURE_FIELDS)}


# --- propose, approve, cancel ----------------------------------------------------------------------------------


def modification_propose(
    *,
    actor: User,
    loan: LoanAccount,
    new_rate: Decimal,
    term_periods: int | None = None,
    maturity_date: date | None = None,
    note: str = "",
) -> LoanModification:
    """Propose new terms for ``loan`` (a collector or a manager): the rate and either the number of installments
    or the maturity date (one of the loan's due dates); a manager approves them."""
    with transaction.atomic():
        plan_roles_require(actor)
        rate = _rate_input(new_rate)
        if (term_periods is None) == (maturity_date is None):
            raise PlanError("Give either the number of installments or the maturity date.", field="term_periods")
        locked = loan_lock(loan)
        if locked.status != LoanAccount.Status.ACTIVE:
            raise PlanError(f"{locked.loan_number} is {locked.get_status_display().lower()}.", conflict=True)
        open_plan_refuse(locked)
        trial, first_due = _trial_dates(locked, plans._today())
        term = _term_input(term_periods) if maturity_date is None else _term_to(locked, first_due, maturity_date)
        figures = modification_figures(
            locked, new_rate=rate, term_periods=term, effective=trial[-1], first_due=first_due
        )
        modification = LoanModification(
            loan=locked, new_rate=rate, term_periods=term, proposed_by=actor, note=note, first_due_date=first_due
        )
        figures_store(modification, figures)
        modification.save()
        audit_record(
            actor=actor,
            verb="loan.modification_proposed",
            target=locked,
            after={"modification": modification.pk, **figures_audit(modification)},
            note=note,
        )
        return modification


def _locked_modification(modification: LoanModification) -> LoanModification:
    return LoanModification.objects.select_for_update().select_related("loan").get(pk=modification.pk)


def modification_approve(*, actor: User, modification: LoanModification) -> LoanModification:
    """A manager approves a proposed modification: the trial begins (module docstring) and the agreement is made.
    Approving it again returns it unchanged."""
    with transaction.atomic():
        plan_roles_require(actor, roles.MANAGER)
        loan = loan_lock(modification.loan)
        locked = _locked_modification(modification)
        if locked.status == Status.TRIAL:
            return locked
        if locked.status != Status.PROPOSED:
            raise PlanError(
                f"The modification is {locked.get_status_display().lower()}: only a proposed one can be approved.",
                conflict=True,
            )
        today = plans._today()
        trial, first_due = _trial_dates(loan, today)
        figures = modification_figures(
            loan, new_rate=locked.new_rate, term_periods=locked.term_periods, effective=trial[-1], first_due=first_due
        )
        figures_store(locked, figures)
        locked.trial_due_1, locked.trial_due_2, locked.trial_due_3 = trial
        locked.first_due_date = first_due
        locked.status, locked.approved_by, locked.approved_on = Status.TRIAL, actor, today
        locked.save()
        locked.agreement = _agreement_store(locked, loan, figures, actor)
        locked.save(update_fields=["agreement"])
        audit_record(
            actor=actor,
            verb="loan.modification_approved",
            target=loan,
            before={"modification": locked.pk, "status": Status.PROPOSED},
            after={"status": Status.TRIAL, "trial_due": trial, **figures_audit(locked)},
        )
        return locked


def modification_cancel(*, actor: User, modification: LoanModification, note: str = "") -> LoanModification:
    """A manager denies (or the proposer withdraws) a proposed modification."""
    with transaction.atomic():
        locked = _locked_modification(modification)
        proposer = locked.proposed_by_id == actor.pk and roles.has_role(actor, *plans.PLAN_ROLES)
        if not (proposer or roles.has_role(actor, roles.MANAGER)):
            raise PlanError("Only a manager, or the collector who proposed it, may cancel a proposal.", forbidden=True)
        if locked.status == Status.CANCELLED:
            return locked
        if locked.status != Status.PROPOSED:
            raise PlanError(
                f"The modification is {locked.get_status_display().lower()}: only a proposal can be cancelled.",
                conflict=True,
            )
        locked.status, locked.resolved_on = Status.CANCELLED, plans._today()
        locked.save(update_fields=["status", "resolved_on"])
        audit_record(
            actor=actor,
            verb="loan.modification_cancelled",
            target=locked.loan,
            before={"modification": locked.pk, "status": Status.PROPOSED},
            after={"status": Status.CANCELLED},
            note=note,
        )
        return locked


def _agreement_store(
    modification: LoanModification, loan: LoanAccount, figures: ModificationFigures, actor: User
) -> BorrowerDocument:
    context = letter_context(
        loan, borrower_name=borrower_display_name(loan), payment_address=settings.LENDING_PAYMENT_ADDRESS
    )
    pdf = pdf_render(
        "pdf/borrower/modification_agreement.html",
        {
            **context,
            "modification": modification,
            "figures": figures,
            "first_rows": figures.schedule.rows[:3],
            "last_row": figures.schedule.rows[-1],
        },
    )
    return document_store(
        loan=loan,
        kind=BorrowerDocument.Kind.MODIFICATION_AGREEMENT,
        key=str(modification.pk),
        title=f"Loan modification agreement (trial period) {loan.loan_number}",
        document_date=modification.approved_on or plans._today(),
        pdf=pdf,
        actor=actor,
    )
