"""Escrow account statements (Reg X 12 CFR 1024.17), rendered to PDF and stored as borrower documents.

Initial escrow account statement (1024.17(g)), when an escrowed loan is boarded from origination: the first
computation year's monthly escrow payments, the anticipated disbursements (date, item, amount), the cushion, the
initial deposit and the projected running balance. Its figures are the initial escrow disclosure's
(origination.services.closing.escrow_statement), the very projection boarding set the escrow payment, deposit
and cushion from, so the statement and the loan agree. A loan boarded from a servicing transfer gets none: the
transferor gave it, and the new servicer owes one only when it changes the escrow payment or the accounting
method (1024.17(e)(1)); boarding keeps the transferor's escrow payment, and the items arrive after boarding.

Annual escrow account statement (1024.17(i)), with each annual analysis: the computation year that ends as the new
one starts (the 12 monthly periods before ``EscrowAnalysis.year_start``), month by month, projected and actual
(escrow paid in from the payments' allocation lines, paid out from ``EscrowDisbursement``, the balance from the
escrow liability ledger account); the new year's projection (from the target balance with the base payment, so its
lowest point is the cushion); the new escrow and total payment; and how the surplus, shortage or deficiency is
handled. Every figure of the analysis is the stored ``EscrowAnalysis`` row's. The past year's activity is what is
recorded on the analysis date; the periods after it are shown as projected only.

Both are made by Celery tasks enqueued on commit (``servicing.tasks``) and stored through ``document_store``:
idempotent per loan and key ("boarding"; the analysis id).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from lending.core.models import User
from lending.finance import escrow as finance_escrow
from lending.finance.daycount import add_months
from lending.finance.money import ZERO, cents, split_evenly
from origination.services.closing import ClosingError, EscrowMonthLine, EscrowStatement, escrow_statement
from origination.services.disclosures import pdf_render
from servicing.models import (
    AllocationLine,
    BorrowerDocument,
    EscrowAnalysis,
    EscrowDisbursement,
    EscrowItem,
    EscrowRefund,
    Installment,
    JournalLine,
    LoanAccount,
    LoanTransaction,
)
from servicing.models.ledger import ESCROW_LIABILITY
from servicing.services.documents import document_existing, document_store
from servicing.services.letter_context import letter_context

INITIAL_KEY = "boarding"
INITIAL_TEMPLATE = "pdf/borrower/escrow_initial.html"
ANNUAL_TEMPLATE = "pdf/borrower/escrow_annual.html"


# --- initial statement (1024.17(g)) ---------------------------------------------------------------------------


def initial_statement(loan: LoanAccount) -> EscrowStatement | None:
    """The initial escrow account statement's figures of ``loan`` (see the module docstring); None when the loan
    does not escrow or was not boarded from origination."""
    application = loan.application
    escrowed = bool(loan.escrow_initial_deposit or loan.escrow_monthly_payment)
    if application is None or not escrowed:
        return None
    try:
        return escrow_statement(application, loan.first_payment_date)
    except ClosingError:
        return None


def escrow_initial_statement_make(*, loan: LoanAccount, actor: User | None) -> BorrowerDocument | None:
    """Render and store ``loan``'s initial escrow account statement (kind ``escrow_initial``, key "boarding").
    Idempotent: the stored one is returned. None when the loan has no initial escrow statement."""
    existing = document_existing(loan=loan, kind=BorrowerDocument.Kind.ESCROW_INITIAL, key=INITIAL_KEY)
    if existing is not None:
        return existing
    statement = initial_statement(loan)
    if statement is None:
        return None
    first = Installment.objects.filter(loan=loan).order_by("number").only("principal", "interest").first()
    principal_interest = (first.principal + first.interest) if first is not None else ZERO
    pdf = pdf_render(
        INITIAL_TEMPLATE,
        letter_context(
            loan,
            statement=statement,
            projection=statement.projection,
            first_principal_interest=principal_interest,
            first_total_payment=principal_interest + statement.projection.monthly_payment,
        ),
    )
    return document_store(
        loan=loan,
        kind=BorrowerDocument.Kind.ESCROW_INITIAL,
        key=INITIAL_KEY,
        title="Initial escrow account statement",
        document_date=loan.disbursement_date,
        pdf=pdf,
        actor=actor,
    )


# --- annual statement (1024.17(i)) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityMonth:
    """One period of the past computation year: what was projected and what happened."""

    month: int
    start: date
    projected_payment: Decimal
    actual_payment: Decimal | None  # None: the period had not started on the analysis date
    projected_disbursements: Decimal | None  # None: no projection on file for that year
    actual_disbursements: Decimal | None
    descriptions: tuple[str, ...]  # the items actually paid
    balance: Decimal | None  # the escrow balance at the period's end, as recorded on the analysis date


@dataclass(frozen=True)
class AnnualStatement:
    analysis: EscrowAnalysis
    history_start: date
    history_end: date  # the last day of the past computation year
    history: tuple[ActivityMonth, ...]
    history_opening_balance: Decimal
    totals: dict[str, Decimal | None]
    projection: tuple[EscrowMonthLine, ...]  # the coming year, from the target balance with the base payment
    disbursements: tuple[finance_escrow.EscrowDisbursement, ...]
    paid_out_by_kind: tuple[tuple[str, Decimal], ...]  # the past year's disbursements by kind of item (1024.17(i)(1))
    principal_interest: Decimal  # of the effective installment
    previous_total_payment: Decimal
    new_total_payment: Decimal
    refund: EscrowRefund | None
    shortage_installment: Decimal
    deficiency_installment: Decimal
    surplus_credit_installment: Decimal


def _period(starts: list[date], day: date) -> int:
    return bisect_right(starts, day) - 1


def _by_period(rows: Iterable[tuple[date, Decimal]], starts: list[date]) -> list[Decimal]:
    out = [ZERO] * finance_escrow.MONTHS
    for day, amount in rows:
        k = _period(starts, day)
        if 0 <= k < finance_escrow.MONTHS:
            out[k] += cents(amount)  # SQLite sums come back with extra digits
    return out


def _escrow_paid_in(loan_id: int, start: date, end: date) -> list[tuple[date, Decimal]]:
    """Escrow received from the borrower's payments (standing allocation lines of posted payments), by day."""
    return list(
        AllocationLine.objects.current()
        .filter(
            transaction__loan_id=loan_id,
            transaction__kind=LoanTransaction.Kind.PAYMENT,
            transaction__status=LoanTransaction.Status.POSTED,
            transaction__effective_date__gte=start,
            transaction__effective_date__lt=end,
            bucket=AllocationLine.Bucket.ESCROW,
        )
        .order_by()
        .values("transaction__effective_date")
        .annotate(total=Sum("amount"))
        .values_list("transaction__effective_date", "total")
    )


def _escrow_ledger(loan_id: int, start: date, end: date) -> tuple[Decimal, list[tuple[date, Decimal]]]:
    """The escrow liability balance before ``start`` and its net change by day up to ``end`` (credit normal)."""
    lines = JournalLine.objects.filter(loan_id=loan_id, account__code=ESCROW_LIABILITY).order_by()
    opening = lines.filter(entry__effective_date__lt=start).aggregate(c=Sum("credit"), d=Sum("debit"))
    by_day = (
        lines.filter(entry__effective_date__gte=start, entry__effective_date__lt=end)
        .values("entry__effective_date")
        .annotate(c=Sum("credit"), d=Sum("debit"))
        .values_list("entry__effective_date", "c", "d")
    )
    return cents((opening["c"] or ZERO) - (opening["d"] or ZERO)), [(day, c - d) for day, c, d in by_day]


def _projected_out(analysis: EscrowAnalysis, start: date) -> list[tuple[date, Decimal]] | None:
    """What was projected to be paid out in the past year: the previous analysis's disbursements, or for the first
    year of a loan boarded from origination the initial statement's; None when there is no projection on file."""
    previous = (
        EscrowAnalysis.objects.filter(loan_id=analysis.loan_id, year_start=start)
        .exclude(pk=analysis.pk)
        .order_by("-analysis_date")
        .values_list("disbursement_detail", flat=True)
        .first()
    )
    if previous is not None:
        return [(date.fromisoformat(day), Decimal(amount)) for day, amount, _ in previous]
    loan = analysis.loan
    if loan.first_payment_date == start:
        statement = initial_statement(loan)
        if statement is not None:
            return [(d.due_date, d.amount) for d in statement.disbursements]
    return None


def _history(analysis: EscrowAnalysis) -> tuple[date, Decimal, tuple[ActivityMonth, ...]]:
    """The past computation year, month by month: one query per figure, summed by day (never a walk of history)."""
    end = analysis.year_start
    start = add_months(end, -finance_escrow.MONTHS)
    starts = [add_months(start, k) for k in range(finance_escrow.MONTHS + 1)]
    loan_id = analysis.loan_id
    projected_in = _by_period(
        Installment.objects.filter(loan_id=loan_id, due_date__gte=start, due_date__lt=end).values_list(
            "due_date", "escrow"
        ),
        starts,
    )
    paid_in = _by_period(_escrow_paid_in(loan_id, start, end), starts)
    out_rows = list(
        EscrowDisbursement.objects.filter(loan_id=loan_id, paid_on__gte=start, paid_on__lt=end)
        .order_by("paid_on", "id")
        .values_list("paid_on", "amount", "item__description")
    )
    paid_out = _by_period([(day, amount) for day, amount, _ in out_rows], starts)
    projected = _projected_out(analysis, start)
    projected_by_period = _by_period(projected, starts) if projected is not None else None
    opening, changes = _escrow_ledger(loan_id, start, end)
    net = _by_period(changes, starts)
    months, balance = [], opening
    for k in range(finance_escrow.MONTHS):
        started = starts[k] <= analysis.run_on
        balance += net[k]
        months.append(
            ActivityMonth(
                month=k + 1,
                start=starts[k],
                projected_payment=projected_in[k],
                actual_payment=paid_in[k] if started else None,
                projected_disbursements=projected_by_period[k] if projected_by_period is not None else None,
                actual_disbursements=paid_out[k] if started else None,
                descriptions=tuple(text for day, _, text in out_rows if _period(starts, day) == k),
                balance=balance if started else None,
            )
        )
    return start, opening, tuple(months)


def _paid_out_by_kind(analysis: EscrowAnalysis, start: date) -> tuple[tuple[str, Decimal], ...]:
    """What the past year paid out for taxes, insurance and the rest, by kind of item, in one query."""
    rows = (
        EscrowDisbursement.objects.filter(loan_id=analysis.loan_id, paid_on__gte=start, paid_on__lt=analysis.year_start)
        .order_by("item__kind")
        .values("item__kind")
        .annotate(total=Sum("amount"))
        .values_list("item__kind", "total")
    )
    return tuple((EscrowItem.Kind(kind).label, cents(total)) for kind, total in rows)


def _total(values: Iterable[Decimal | None]) -> Decimal | None:
    """The sum of the figures known (None when none is)."""
    known = [value for value in values if value is not None]
    return sum(known, ZERO) if known else None


Disbursements = tuple[finance_escrow.EscrowDisbursement, ...]


def _coming_year(analysis: EscrowAnalysis) -> tuple[Disbursements, EscrowStatement | None]:
    """The coming year's disbursements as analysed and their projection from the target balance."""
    disbursements = tuple(
        finance_escrow.EscrowDisbursement(date.fromisoformat(day), Decimal(amount), text)
        for day, amount, text in analysis.disbursement_detail
    )
    if not disbursements:
        return disbursements, None  # nothing left to escrow: no projection
    projection = finance_escrow.escrow_projection(disbursements, analysis.year_start)
    return disbursements, EscrowStatement(disbursements=disbursements, projection=projection)


def _spread_installment(amount: Decimal, months: int) -> Decimal:
    """The monthly installment of ``amount`` spread over ``months`` (the first ones; the last carries the cents)."""
    return split_evenly(amount, months)[0] if amount and months else ZERO


def annual_statement(analysis: EscrowAnalysis) -> AnnualStatement:
    """The annual escrow account statement's figures for ``analysis`` (see the module docstring)."""
    history_start, opening, history = _history(analysis)
    disbursements, coming = _coming_year(analysis)
    effective = analysis.effective_installment
    principal_interest = (effective.principal + effective.interest) if effective is not None else ZERO
    refund = EscrowRefund.objects.filter(analysis=analysis).first()
    credit_months = finance_escrow.MONTHS if analysis.action == EscrowAnalysis.Action.CREDIT else 0
    return AnnualStatement(
        analysis=analysis,
        history_start=history_start,
        history_end=analysis.year_start - timedelta(days=1),
        history=history,
        history_opening_balance=opening,
        totals={
            "projected_payment": _total(m.projected_payment for m in history),
            "actual_payment": _total(m.actual_payment for m in history),
            "projected_disbursements": _total(m.projected_disbursements for m in history),
            "actual_disbursements": _total(m.actual_disbursements for m in history),
        },
        projection=tuple(coming.lines) if coming is not None else (),
        disbursements=disbursements,
        paid_out_by_kind=_paid_out_by_kind(analysis, history_start),
        principal_interest=principal_interest,
        previous_total_payment=principal_interest + analysis.previous_monthly_payment,
        new_total_payment=principal_interest + analysis.new_monthly_payment,
        refund=refund,
        shortage_installment=_spread_installment(analysis.shortage, analysis.spread_months),
        deficiency_installment=_spread_installment(analysis.deficiency, analysis.spread_months),
        surplus_credit_installment=_spread_installment(analysis.surplus, credit_months),
    )


def _long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def escrow_annual_statement_make(*, analysis: EscrowAnalysis, actor: User | None) -> BorrowerDocument:
    """Render and store the annual escrow account statement of ``analysis`` (kind ``escrow_annual``, key the
    analysis id). Idempotent: the stored one is returned."""
    loan = analysis.loan
    key = str(analysis.pk)
    existing = document_existing(loan=loan, kind=BorrowerDocument.Kind.ESCROW_ANNUAL, key=key)
    if existing is not None:
        return existing
    statement = annual_statement(analysis)
    pdf = pdf_render(ANNUAL_TEMPLATE, letter_context(loan, statement=statement, analysis=analysis))
    return document_store(
        loan=loan,
        kind=BorrowerDocument.Kind.ESCROW_ANNUAL,
        key=key,
        title=f"Annual escrow account statement, {_long_date(analysis.analysis_date)}",
        document_date=analysis.analysis_date,
        pdf=pdf,
        actor=actor,
    )


def escrow_annual_statements_make(*, analysis_ids: list[int], actor: User | None) -> int:
    """The annual statements of ``analysis_ids`` (a nightly chunk's analyses); how many were stored or found."""
    analyses = (
        EscrowAnalysis.objects.filter(pk__in=analysis_ids)
        .select_related("loan__application__subject_property", "effective_installment")
        .order_by("pk")
    )
    count = 0
    for analysis in analyses:
        escrow_annual_statement_make(analysis=analysis, actor=actor)
        count += 1
    return count
