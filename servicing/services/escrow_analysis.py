"""The annual escrow analysis of one loan (Reg X 1024.17), planned from rows the nightly escrow step has read.

On the loan's analysis date D (the notice date) the new computation year starts with the first installment due at
least ``ANALYSIS_NOTICE_DAYS`` after D (the effective installment). ``lending.finance.escrow.escrow_analysis`` runs
over that year's disbursements, projected from the escrow items, and over the balance the year is projected to
start with: the escrow balance on D, plus the escrow still unpaid on installments due from 30 days before D up to
the effective installment (a borrower who is current will pay them), less the item payments due between D and the
year's start.

What it decides (1024.17(f)):
- a surplus of $50 or more is refunded now (within the 30 days): a refund record and Dr escrow liability /
  Cr cash, kind ``escrow_refund``; a smaller surplus is credited against the year's 12 payments; a borrower not
  current (an installment unpaid more than 30 days after its due date) has the surplus retained;
- a shortage or a deficiency is spread over 12 monthly payments (fewer when fewer installments remain), added to
  the new escrow payment; the choice is recorded on the analysis.

The new escrow payments go on the computation year's installments (the effective one and the 11 after it) that
have received nothing: the base payment (the 12th with the base's rounding remainder) plus the spreads (the 12th
with their remainders) less the credit. Installments before the effective one keep their amounts, and so do those
after the year: they keep their estimate until the next analysis, a notice period before their year starts,
rewrites them. (Mortgages fall due on the 1st, so about a twelfth of the portfolio is analysed the same night:
rewriting the rest of a 30-year schedule would be ~300 rows per loan, 12 is enough.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from lending.finance import escrow as finance_escrow
from lending.finance.daycount import add_months
from lending.finance.money import ZERO
from servicing.models import EscrowAnalysis, EscrowItem, Installment, LoanAccount
from servicing.services.escrow import ANALYSIS_NOTICE_DAYS, analysis_date_for_year, item_occurrences

CURRENT_DAYS = 30  # Reg X 1024.17(f)(2)(ii), (f)(4)(iii): current = paid within 30 days of the due date
SPREAD_MONTHS = 12


@dataclass
class AnalysisPlan:
    """What one loan's analysis writes: the analysis row (unsaved), the installments it changed, the refund."""

    loan: LoanAccount
    analysis: EscrowAnalysis | None  # None: no installment left to take the new payment (the loan matures first)
    next_analysis_date: date | None
    installments: list[Any] = field(default_factory=list)  # changed, as given (instances or plain rows)
    refund: Decimal = ZERO
    refund_due_by: date | None = None


def installments_until(business_date: date) -> date:
    """A bound past the end of any computation year an analysis on ``business_date`` can start."""
    return add_months(business_date + timedelta(days=ANALYSIS_NOTICE_DAYS), finance_escrow.MONTHS + 2)


def _spread_part(spread: finance_escrow.EscrowSpread, index: int) -> Decimal:
    """What ``spread`` adds to the ``index``-th (0-based) payment of the year."""
    if index >= spread.months:
        return ZERO
    return spread.final_installment if index == spread.months - 1 else spread.installment


def year_payments(result: finance_escrow.EscrowAnalysis) -> list[Decimal]:
    """The computation year's 12 escrow payments: base plus shortage and deficiency spreads less the credit."""
    base = finance_escrow.monthly_payments(result.annual_disbursements)
    return [
        base[k]
        + _spread_part(result.shortage_collection, k)
        + _spread_part(result.deficiency_collection, k)
        - _spread_part(result.surplus_credit, k)
        for k in range(finance_escrow.MONTHS)
    ]


def _action(result: finance_escrow.EscrowAnalysis) -> str:
    if result.refund:
        return EscrowAnalysis.Action.REFUND
    if result.surplus_credit.months:
        return EscrowAnalysis.Action.CREDIT
    if result.retained_surplus:
        return EscrowAnalysis.Action.RETAINED
    if result.shortage_collection.months or result.deficiency_collection.months:
        return EscrowAnalysis.Action.SPREAD_12
    return EscrowAnalysis.Action.NONE


def _reference(row: Any) -> Installment:
    """The effective installment as the analysis row's foreign key takes it, from an instance or a plain row: its
    key, and its number for the night's audit row."""
    return Installment(pk=row.pk, number=row.number)


def _untouched(installment: Any) -> bool:
    return not (installment.paid_principal or installment.paid_interest or installment.paid_escrow)


def analysis_plan(
    *,
    loan: LoanAccount,
    items: list[EscrowItem],
    installments: list[Any],
    business_date: date,
    borrower_current: bool,
) -> AnalysisPlan:
    """Plan the analysis of ``loan`` on ``business_date``. ``items`` are the loan's escrow items as they stand after
    the night's disbursements (every next due date after ``business_date``); ``installments`` are the loan's
    installments due from ``business_date - CURRENT_DAYS`` to ``installments_until(business_date)``, in number
    order: model instances or plain rows with their fields (the nightly step reads plain rows: a few thousand
    instances a chunk cost more Python than the analyses). No query."""
    scheduled = loan.escrow_analysis_date or business_date
    effective = next(
        (i for i in installments if i.due_date >= business_date + timedelta(days=ANALYSIS_NOTICE_DAYS)), None
    )
    if effective is None:
        return AnalysisPlan(loan=loan, analysis=None, next_analysis_date=None)
    year_start = effective.due_date
    year_end = add_months(year_start, finance_escrow.MONTHS)
    before_year = ZERO
    disbursements = []
    for item in items:
        for occurrence in item_occurrences(item, before=year_end):
            if occurrence.due_date < year_start:
                before_year += occurrence.amount
            else:
                label = f"{item.description}, payment {occurrence.payment_number} of {item.payments_per_year}"
                disbursements.append(finance_escrow.EscrowDisbursement(occurrence.due_date, occurrence.amount, label))
    expected_in = sum((i.escrow - i.paid_escrow for i in installments if i.due_date < year_start), ZERO)
    current = loan.escrow_balance + expected_in - before_year
    year = [i for i in installments if i.number >= effective.number and i.due_date < year_end]
    months = min(SPREAD_MONTHS, len(year))
    result, payments = _analyze(loan, current, disbursements, year_start, business_date, months, borrower_current)
    changed = []
    for installment, escrow in zip(year, payments, strict=False):
        if _untouched(installment) and installment.escrow != escrow:
            installment.escrow = escrow
            installment.payment = installment.principal + installment.interest + escrow
            changed.append(installment)
    action = _action(result)
    analysis = EscrowAnalysis(
        loan=loan,
        analysis_date=scheduled,
        run_on=business_date,
        year_start=year_start,
        effective_installment=_reference(effective),
        balance_on_analysis_date=loan.escrow_balance,
        current_balance=current,
        projected_disbursements=result.annual_disbursements,
        disbursement_detail=[[d.due_date.isoformat(), str(d.amount), d.description] for d in disbursements],
        cushion=result.cushion,
        target_balance=result.target_balance,
        previous_monthly_payment=loan.escrow_monthly_payment,
        base_monthly_payment=result.base_monthly_payment,
        new_monthly_payment=result.new_monthly_payment,
        surplus=result.surplus,
        shortage=result.shortage,
        deficiency=result.deficiency,
        kind=result.kind,
        action=action,
        spread_months=months if action == EscrowAnalysis.Action.SPREAD_12 else 0,
        installments_updated=len(changed),
    )
    return AnalysisPlan(
        loan=loan,
        analysis=analysis,
        next_analysis_date=analysis_date_for_year(year_start),
        installments=changed,
        refund=result.refund,
        refund_due_by=result.refund_due_by,
    )


def _analyze(
    loan: LoanAccount,
    current: Decimal,
    disbursements: list[finance_escrow.EscrowDisbursement],
    year_start: date,
    business_date: date,
    months: int,
    borrower_current: bool,
) -> tuple[finance_escrow.EscrowAnalysis, list[Decimal]]:
    """Run the finance core's analysis; a small surplus is credited unless that would take a payment below zero
    (almost nothing left to escrow), in which case it is refunded as 1024.17(f)(2)(i) also allows."""
    for refund_small in (False, True):
        result = finance_escrow.escrow_analysis(
            current,
            disbursements,
            first_payment_date=year_start,
            analysis_date=business_date,
            current_monthly_payment=loan.escrow_monthly_payment,
            shortage_months=months,
            deficiency_months=months,
            borrower_current=borrower_current,
            refund_small_surplus=refund_small,
        )
        payments = year_payments(result)
        if min(payments) >= 0:
            break
    return result, payments
