"""A loan modification's trial, checked by the nightly ``plans`` step, and the modification made permanent.

``modifications_check`` checks each trial payment on its due date: the payments from the approval day through the
k-th trial due date must add up to k trial payments. Short: FAILED, the old schedule stands and the loan ages
again. The third kept: PERMANENT (``modification_make_permanent``), effective on the third trial due date E (a due
date, so the interest accrued through E is whole periods):

- capitalized: the interest earned through E and unpaid (``interest_due``, less any accrued after E on a late
  night) and escrow the servicer advanced (a negative escrow balance). Fees are not capitalized: they stay owed
  as they were (a manager may waive them). Journal entry (kind ``modification``): Dr loans receivable, Cr
  interest receivable, Cr escrow liability;
- the new schedule is ``lending.finance.amortization.build_schedule`` of the new principal (the principal
  balance after capitalization) at the new rate over ``term_periods``, first due the due date after E, level
  payment, no odd period;
- the old installments still open and due by E are closed at what was paid on them (settled on E); those after
  E take the new figures (same numbers and due dates; more rows are added, or untouched ones beyond the new
  maturity removed), so numbers still follow due dates for the accrual and billing;
- the loan's rate, payment, term and maturity become the modified ones (``loan_terms()`` is the note as
  booked, no longer the schedule).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q, Sum

from lending.core.bulk import bulk_update_rows
from lending.core.models import AuditEvent, User
from lending.core.services import audit_event, audit_record, audit_record_many
from lending.finance.money import ZERO
from servicing.models import Installment, InterestAccrual, JournalEntry, LoanAccount, LoanModification
from servicing.models.ledger import ESCROW_LIABILITY, INTEREST_RECEIVABLE, LOANS_RECEIVABLE
from servicing.services import plans
from servicing.services.ledger import journal_post
from servicing.services.modification import (
    ModificationFigures,
    figures_audit,
    figures_store,
    installment_due_date,
    modification_figures,
)
from servicing.services.plans import PlanError, loan_lock
from servicing.services.posting import loan_dates_refresh

Status = LoanModification.Status
INSTALLMENT_FIELDS = ("principal", "interest", "escrow", "payment", "paid_on")


def modifications_due(business_date: date) -> Q:
    """Trials with a trial payment due by ``business_date`` not yet checked."""
    return Q(status=Status.TRIAL) & (
        Q(trial_payments_made=0, trial_due_1__lte=business_date)
        | Q(trial_payments_made=1, trial_due_2__lte=business_date)
        | Q(trial_payments_made=2, trial_due_3__lte=business_date)
    )


def modifications_check(*, business_date: date, loan_ids: list[int], actor: User | None) -> int:
    """Check the trial payments due by ``business_date`` of the loans' trials (module docstring); returns how many
    trials changed. The caller's transaction holds the locks."""
    trials = list(
        LoanModification.objects.filter(modifications_due(business_date), loan_id__in=loan_ids)
        .select_for_update(of=("self",))  # the plan rows; a trial made permanent locks its loan alone
        .select_related("loan")
        .order_by("pk")
    )
    if not trials:
        return 0
    paid = plans.payments_by_day([m.loan_id for m in trials], min(_set(m.approved_on) for m in trials), business_date)
    events, changed = [], []
    for modification in trials:
        asked = [(day, modification.trial_payment) for day in modification.trial_dates]
        made, short = plans.months_kept(
            asked,
            paid.get(modification.loan_id, []),
            _set(modification.approved_on),
            business_date,
            modification.trial_payments_made,
        )
        before = {"modification": modification.pk, "trial_payments_made": modification.trial_payments_made}
        modification.trial_payments_made = made
        if short:
            modification.status, modification.resolved_on = Status.FAILED, business_date
            changed.append(modification)
            events.append(_event(actor, "loan.modification_trial_failed", modification, before, business_date))
        elif made == LoanModification.TRIAL_PAYMENTS:
            modification_make_permanent(modification=modification, business_date=business_date, actor=actor)
        else:
            changed.append(modification)
            events.append(_event(actor, "loan.modification_trial_payment_made", modification, before, business_date))
    bulk_update_rows(LoanModification, changed, ["status", "resolved_on", "trial_payments_made"])  # one statement
    audit_record_many(events)
    return len(trials)


def _set(day: date | None) -> date:
    """A date an approved modification in trial always has (approval sets it)."""
    if day is None:
        raise PlanError("The modification has no approval or trial dates: it was never approved.")
    return day


def _event(
    actor: User | None, verb: str, modification: LoanModification, before: dict[str, Any], business_date: date
) -> AuditEvent:
    return audit_event(
        actor=actor,
        verb=verb,
        target=modification.loan,
        before=before,
        after={
            "status": modification.status,
            "trial_payments_made": modification.trial_payments_made,
            "as_of": business_date,
        },
    )


def modification_make_permanent(
    *, modification: LoanModification, business_date: date, actor: User | None
) -> LoanModification:
    """Capitalize the arrears, replace the schedule and move the loan to the new terms, effective on the third
    trial due date (module docstring). ``modification`` is locked by the caller and in trial."""
    effective = _set(modification.trial_due_3)
    loan = loan_lock(modification.loan)
    accrued_after = InterestAccrual.objects.filter(loan=loan, accrual_date__gt=effective).aggregate(s=Sum("amount"))
    interest = min(max(loan.interest_due - (accrued_after["s"] or ZERO), ZERO), loan.interest_due)
    figures = modification_figures(
        loan,
        new_rate=modification.new_rate,
        term_periods=modification.term_periods,
        effective=effective,
        first_due=_set(modification.first_due_date),
        interest=interest,
    )
    entry = _capitalize(modification, loan, figures, actor)
    before = {
        "annual_rate": loan.annual_rate,
        "regular_payment": loan.regular_payment,
        "term_periods": loan.term_periods,
        "maturity_date": loan.maturity_date,
        "principal_balance": loan.principal_balance - figures.capitalized_interest - figures.capitalized_escrow,
    }
    closed, last_number = _schedule_replace(loan, figures, effective)
    loan.annual_rate = modification.new_rate
    loan.regular_payment = figures.new_payment
    loan.maturity_date = figures.maturity_date
    loan.term_periods = last_number - _first_number(loan) + 1
    loan.amortization, loan.interest_only_periods, loan.balloon_after_periods = "level", 0, None
    loan.save(
        update_fields=[
            "annual_rate",
            "regular_payment",
            "maturity_date",
            "term_periods",
            "amortization",
            "interest_only_periods",
            "balloon_after_periods",
            "updated_at",
        ]
    )
    loan_dates_refresh(loan)
    figures_store(modification, figures, trial=False)  # the trial payment stays what the trial asked for
    modification.status, modification.resolved_on, modification.journal_entry = Status.PERMANENT, business_date, entry
    modification.save()
    audit_record(
        actor=actor,
        verb="loan.modification_permanent",
        target=loan,
        before=before,
        after={
            "modification": modification.pk,
            "effective": effective,
            "closed_installments": closed,
            "journal_entry": entry.pk if entry else None,
            **figures_audit(modification),
        },
    )
    return modification


def _capitalize(
    modification: LoanModification, loan: LoanAccount, figures: ModificationFigures, actor: User | None
) -> JournalEntry | None:
    total = figures.capitalized_interest + figures.capitalized_escrow
    if not total:
        return None
    lines = [(LOANS_RECEIVABLE, total, ZERO)]
    if figures.capitalized_interest:
        lines.append((INTEREST_RECEIVABLE, ZERO, figures.capitalized_interest))
    if figures.capitalized_escrow:
        lines.append((ESCROW_LIABILITY, ZERO, figures.capitalized_escrow))
    return journal_post(
        actor=actor,
        loan=loan,
        effective_date=_set(modification.trial_due_3),
        kind=JournalEntry.Kind.MODIFICATION,
        memo=f"Modification {modification.pk} of {loan.loan_number}: arrears capitalized",
        lines=lines,
        idempotency_key=f"modification-{modification.pk}-capitalize",
        loan_locked=True,
    )


def _first_number(loan: LoanAccount) -> int:
    return Installment.objects.filter(loan=loan).order_by("number").values_list("number", flat=True).first() or 1


def _schedule_replace(loan: LoanAccount, figures: ModificationFigures, effective: date) -> tuple[int, int]:
    """Close the open installments due by ``effective`` at what was paid on them, give the new schedule's figures
    to those after it (adding or removing rows at the end); returns how many were closed and the last number."""
    rows = list(
        Installment.objects.filter(Q(paid_on__isnull=True) | Q(due_date__gt=effective), loan=loan).order_by("number")
    )
    closing = [i for i in rows if i.due_date <= effective]
    for installment in closing:
        installment.principal, installment.interest = installment.paid_principal, installment.paid_interest
        installment.escrow = installment.paid_escrow
        installment.payment = installment.paid
        installment.paid_on = effective
    last_before = Installment.objects.filter(loan=loan, due_date__lte=effective).order_by("-number").first()
    start = last_before.number + 1 if last_before is not None else _first_number(loan)
    later = {i.number: i for i in rows if i.due_date > effective}
    changed: list[Installment] = list(closing)
    added: list[Installment] = []
    for offset, row in enumerate(figures.schedule.rows):
        number = start + offset
        existing = later.pop(number, None)
        if existing is None:
            installment = Installment(
                loan=loan, number=number, due_date=installment_due_date(loan, number), escrow=figures.escrow_payment
            )
            added.append(installment)
        else:
            installment = existing
            changed.append(installment)
        # A trial payment that ran ahead may have paid on a later row: its figures never go below what was paid.
        installment.principal = max(row.principal, installment.paid_principal)
        installment.interest = max(row.interest, installment.paid_interest)
        installment.payment = installment.principal + installment.interest + installment.escrow
    bulk_update_rows(Installment, changed, list(INSTALLMENT_FIELDS))
    Installment.objects.bulk_create(added)
    beyond = [i.pk for i in later.values() if not i.paid]
    if len(beyond) != len(later):
        raise PlanError("Installments beyond the new maturity were paid on: the schedule cannot be replaced.")
    Installment.objects.filter(pk__in=beyond).delete()
    return len(closing), start + len(figures.schedule.rows) - 1
