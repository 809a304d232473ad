"""Step 1 of the close of business: interest accrual, so the books show the interest earned on any date.

Every active loan accrues from the day after ``interest_accrued_through`` through the business date D, so a
missed night catches up and nothing rescans history; the loans pending for D are those accrued through an earlier
date. How much a day earns is ``lending.finance.accrual``:
- scheduled loans (monthly-interest mortgages): each installment's interest (fixed when its period starts, the
  schedule re-derived after prepayments) is earned pro rata over its period by the loan's day count, so a whole
  period earns exactly the installment's interest. A span across a due date writes one row per period. The
  period's last row tops it up to the installment's current interest (``period_to_date``), so an installment
  re-derived mid-period (a backdated prepayment) is still earned exactly; a period already fully accrued is not
  revisited. After the last installment's due date a scheduled loan earns nothing more;
- daily simple loans: simple interest on the principal balance as it stands at the close (a catch-up over
  several days uses tonight's balance for all of them).

Books, per loan with interest earned ``e``: Dr interest paid in advance up to its balance (interest the borrower
paid before it was earned), Dr interest receivable for the rest, Cr interest income ``e``. So interest income is
the interest earned, and interest receivable is earned and unpaid. A journal entry per loan written in bulk for the
chunk (``ledger_bulk.journal_post_bulk``: a few statements a chunk), an ``InterestAccrual`` row per loan and period
(unique per loan and date) that traces each figure, and ``interest_accrued_through`` moved to D, all in the
chunk's transaction. Idempotent: the loans are locked in primary-key order and only those still accrued through
an earlier date are done, so a second worker on the same chunk, or a rerun, writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery

from lending.core.bulk import bulk_insert_rows
from lending.core.models import User
from lending.finance import accrual
from lending.finance.money import ZERO
from servicing.models import Installment, InterestAccrual, JournalEntry, LoanAccount
from servicing.models.ledger import INTEREST_INCOME, INTEREST_PREPAID, INTEREST_RECEIVABLE
from servicing.services.ledger_bulk import LOCK_FIELDS, journal_post_bulk
from servicing.services.nightly.base import ChunkResult, NightlyStep, isolate, plain_rows, register

# The loans are read as plain rows (``plain_rows``): the accrual reads attributes only, and ``journal_post_bulk``
# moves their balances in place and writes them back through ``bulk_update_rows``.
LOAN_FIELDS = (
    "pk",
    *LOCK_FIELDS,
    "interest_method",
    "annual_rate",
    "day_count",
    "disbursement_date",
    "interest_accrued_through",
)


class _Row(NamedTuple):
    """One ``InterestAccrual`` row to insert (a tuple, not a model instance: 100,000 of them a night)."""

    loan_id: int
    accrual_date: date
    installment_id: int | None
    method: str
    days: int
    basis: Decimal
    amount: Decimal
    period_to_date: Decimal


ROW_FIELDS = ["loan", "accrual_date", "installment", "method", "days", "basis", "amount", "period_to_date"]


@dataclass
class _Cursor:
    """Where a loan's accrual stands: the last row's installment and what its period has earned so far."""

    installment_id: int | None
    period_to_date: Decimal


def _locked_loans(business_date: date, loan_ids: list[int]) -> list[Any]:
    """The chunk's loans still pending, locked in primary-key order (one query), each with its last accrual row's
    installment and period-to-date, and the numbers of its first installment due after ``interest_accrued_through``
    and its first due on or after D (the installments the accrual spans): indexed subqueries per loan."""
    last = InterestAccrual.objects.filter(loan=OuterRef("pk")).order_by("-accrual_date")
    first_open = Installment.objects.filter(
        loan=OuterRef("pk"), due_date__gt=OuterRef("interest_accrued_through")
    ).order_by("due_date")
    covering = Installment.objects.filter(loan=OuterRef("pk"), due_date__gte=business_date).order_by("due_date")
    return plain_rows(
        LoanAccount.objects.select_for_update(of=("self",))
        .filter(pk__any=loan_ids, status=LoanAccount.Status.ACTIVE, interest_accrued_through__lt=business_date)
        .annotate(
            last_installment_id=Subquery(last.values("installment_id")[:1]),
            last_period_to_date=Subquery(last.values("period_to_date")[:1]),
            low=Subquery(first_open.values("number")[:1]),
            high=Subquery(covering.values("number")[:1]),
        )
        .order_by("pk"),
        (*LOAN_FIELDS, "last_installment_id", "last_period_to_date", "low", "high"),
    )


def _installment_windows(loans: list[Any]) -> dict[int, list[Any]]:
    """Per scheduled loan, its installments from the one before ``low`` (its due date starts the period) through
    ``high``: one query (loans at the same place in their schedules share one condition)."""
    groups: dict[tuple[int, int | None], list[int]] = {}
    for loan in loans:
        if loan.interest_method == accrual.SCHEDULED and loan.low is not None:  # None: past the last due date
            groups.setdefault((loan.low - 1, loan.high), []).append(loan.pk)
    if not groups:
        return {}
    conditions = [
        Q(loan_id__any=pks, number__gte=low) & (Q(number__lte=high) if high is not None else Q())
        for (low, high), pks in groups.items()
    ]
    windows: dict[int, list[Any]] = {}
    rows = Installment.objects.filter(reduce(or_, conditions)).values_list(
        "pk", "loan_id", "number", "due_date", "interest", named=True
    )
    for installment in rows.order_by("loan_id", "number"):
        windows.setdefault(installment.loan_id, []).append(installment)
    return windows


def _scheduled_rows(loan: Any, business_date: date, window: list[Any]) -> list[_Row]:
    """The accrual rows of a scheduled loan from ``interest_accrued_through`` through D, one per period touched."""
    after = loan.interest_accrued_through
    cursor = _Cursor(loan.last_installment_id, loan.last_period_to_date or ZERO)
    rows = []
    previous_due = loan.disbursement_date
    for installment in window:
        start, previous_due = previous_due, installment.due_date
        if installment.due_date <= after:
            continue  # the row before the first open period: only its due date (the period start) is needed
        period = accrual.Period(start=start, end=installment.due_date, interest=installment.interest)
        through = min(business_date, installment.due_date)
        earned = accrual.earned_through(period, through, loan.day_count)
        already = cursor.period_to_date if cursor.installment_id == installment.pk else ZERO
        if earned != already:
            rows.append(
                _Row(
                    loan.pk,
                    through,
                    installment.pk,
                    accrual.SCHEDULED,
                    accrual.accrual_days(max(after, start), through, loan.day_count),
                    installment.interest,
                    earned - already,
                    earned,
                )
            )
        cursor = _Cursor(installment.pk, earned)
        after = through
        if after >= business_date:
            break
    return rows


def _daily_simple_rows(loan: Any, business_date: date) -> list[_Row]:
    after = loan.interest_accrued_through
    balance, rate = loan.principal_balance, loan.annual_rate
    amount = accrual.daily_simple_accrual(balance, rate, after, business_date, loan.day_count)
    if not amount:
        return []
    days = accrual.accrual_days(after, business_date, loan.day_count)
    return [_Row(loan.pk, business_date, None, accrual.DAILY_SIMPLE, days, balance, amount, amount)]


def accrual_lines(loan: LoanAccount, earned: Decimal) -> list[tuple[str, Decimal, Decimal]]:
    """The journal lines of ``earned`` interest on ``loan`` (module docstring); a negative figure (a re-derived
    period that shrank) takes it back off receivable first, then puts it back in paid in advance."""
    if earned > 0:
        from_prepaid = min(max(loan.interest_prepaid, ZERO), earned)
        lines = [(INTEREST_PREPAID, from_prepaid, ZERO), (INTEREST_RECEIVABLE, earned - from_prepaid, ZERO)]
        return [line for line in lines if line[1]] + [(INTEREST_INCOME, ZERO, earned)]
    if earned < 0:
        back = -earned
        to_receivable = min(max(loan.interest_due, ZERO), back)
        lines = [(INTEREST_RECEIVABLE, ZERO, to_receivable), (INTEREST_PREPAID, ZERO, back - to_receivable)]
        return [(INTEREST_INCOME, back, ZERO)] + [line for line in lines if line[2]]
    return []


def interest_accrue(*, business_date: date, loan_ids: list[int], actor: User | None) -> int:
    """Accrue the chunk's pending loans through ``business_date`` (module docstring); returns how many loans were
    looked at. The caller's transaction holds the row locks."""
    loans = _locked_loans(business_date, loan_ids)
    if not loans:
        return len(loan_ids)
    windows = _installment_windows(loans)
    rows: list[_Row] = []
    loan_lines = []
    for loan in loans:
        if loan.interest_method == accrual.DAILY_SIMPLE:
            mine = _daily_simple_rows(loan, business_date)
        else:
            mine = _scheduled_rows(loan, business_date, windows.get(loan.pk, []))
        rows += mine  # kept even when they net to nothing: the next night reads its period-to-date from them
        loan_lines.append((loan, accrual_lines(loan, sum((row.amount for row in mine), ZERO))))
        loan.interest_accrued_through = business_date
    entry_of = journal_post_bulk(
        actor=actor,
        effective_date=business_date,
        kind=JournalEntry.Kind.ACCRUAL,
        memo=f"Interest accrued through {business_date}",
        loan_lines=loan_lines,
        also_save=["interest_accrued_through"],
    )
    bulk_insert_rows(
        InterestAccrual, [*ROW_FIELDS, "journal_entry"], [(*row, entry_of.get(row.loan_id)) for row in rows]
    )
    return len(loan_ids)


@register
class InterestStep(NightlyStep):
    """Interest accrual (module docstring)."""

    name = "interest"
    label = "Interest accrual"

    def pending_loan_ids(self, business_date: date) -> QuerySet[Any, int]:
        return (
            LoanAccount.objects.filter(status=LoanAccount.Status.ACTIVE, interest_accrued_through__lt=business_date)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def run_chunk(self, business_date: date, loan_ids: list[int], actor: User | None) -> ChunkResult:
        def all_at_once(ids: list[int]) -> int:
            return interest_accrue(business_date=business_date, loan_ids=ids, actor=actor)

        def one(pk: int) -> None:
            interest_accrue(business_date=business_date, loan_ids=[pk], actor=actor)

        with transaction.atomic():
            return isolate(loan_ids, all_at_once, one)
