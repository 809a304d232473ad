"""Close of business, step 5: delinquency aging.

Each active loan's days past due, bucket and status at the close of D come from the due date of its oldest
installment whose periodic payment is unpaid (the loan's ``next_due_date``; ``lending.finance.delinquency``, MBA
method; late fees owed do not make a paid installment late, Reg Z 1026.36(c)(2)). Per chunk: one query reads the
loans, one UPDATE writes the loans whose figures changed, one stamps the others as aged for D, and a
``DelinquencyHistory`` row (with its audit row) is written only for a loan that changed bucket or status: the
night's writes grow with the changes, not with the portfolio.

A loan paying under an open loss-mitigation plan (a repayment plan or forbearance active, a modification in
trial: ``selectors.plans.on_plan``) is not aged: its days past due may fall (it caught up) but never rise, only
stamped as aged for D. The plans step (before this one) breaks a plan the night a plan payment falls short, so the
loan ages again that same night.

The amount to bring current (installments due by D still owed, plus fees due) is stored with the figures, read in
the same query: the collections queue sorts on it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum

from lending.core.bulk import bulk_update_rows
from lending.core.models import AuditEvent, User
from lending.core.services import audit_event, audit_record_many
from lending.finance import delinquency as dq
from lending.finance.money import ZERO, cents
from servicing.models import DelinquencyHistory, Installment, LoanAccount
from servicing.selectors.plans import on_plan_flag
from servicing.services.nightly.base import ChunkResult, NightlyStep, isolate, plain_rows, register

FIGURES = ("days_past_due", "delinquency_bucket", "delinquency_status")
MONEY_OUT = DecimalField(max_digits=14, decimal_places=2)
# What the chunk reads of each loan, as plain rows (``plain_rows``); the figures go back through ``bulk_update_rows``.
LOAN_FIELDS = (
    "pk",
    "loan_number",
    "first_payment_date",
    "payment_frequency",
    "grace_days",
    "next_due_date",
    "delinquency_as_of",
    "fees_due",
    "amount_to_bring_current",
    *FIGURES,
    "paying_per_plan",
    "owed_past_due",
)


def loan_delinquency(loan: LoanAccount, oldest_unpaid: date | None, as_of: date) -> tuple[int, str, str]:
    """(days past due, bucket, status) of ``loan`` at the close of ``as_of``. Monthly loans count missed payments
    on the schedule's day of month (due the 31st: the February due date is the 28th, March's the 31st)."""
    due_day = loan.first_payment_date.day if loan.payment_frequency == "monthly" else None
    status = dq.delinquency_status(oldest_unpaid, as_of, grace_days=loan.grace_days, due_day=due_day)
    return status.days_past_due, dq.dpd_bucket(status), dq.loan_status(status)


def oldest_unpaid_due(loan: LoanAccount, as_of: date) -> date | None:
    """The due date of the loan's oldest installment whose periodic payment is unpaid, if due by ``as_of``. It is
    the loan's ``next_due_date``, which the payment services keep (``posting.loans_dates_refresh``: the oldest
    installment not paid in full): reading it costs the same on day 700 as on day 1, where looking for the oldest
    unpaid installment would walk the loan's paid ones first."""
    if loan.next_due_date is None or loan.next_due_date > as_of:
        return None
    return loan.next_due_date


def _owed_past_due(as_of: date) -> Subquery:
    """Per loan (OuterRef): what is still owed of its installments due by ``as_of`` (the collections queue's
    figure, servicing.selectors.collections.bring_current)."""
    owed = ExpressionWrapper(
        F("payment") - F("paid_principal") - F("paid_interest") - F("paid_escrow"), output_field=MONEY_OUT
    )
    rows = (
        Installment.objects.filter(loan=OuterRef("pk"), due_date__lte=as_of, paid_on__isnull=True)
        .order_by()
        .values("loan")
        .annotate(total=Sum(owed))
        .values("total")
    )
    return Subquery(rows, output_field=MONEY_OUT)


def amount_to_bring_current(loan: LoanAccount, days_past_due: int) -> Decimal:
    """The installments past due still owed plus the fees due; 0 for a loan that is not past due."""
    if days_past_due == 0:
        return ZERO
    return cents(loan.owed_past_due or ZERO) + loan.fees_due  # type: ignore[attr-defined]  # annotated


def loans_age(*, business_date: date, loan_ids: list[int], actor: User | None) -> int:
    """Age ``loan_ids`` at the close of ``business_date``; returns how many changed bucket or status."""
    # Locked: a second worker on the same chunk waits, then finds them aged (PostgreSQL re-checks the filter on
    # the row it waited for) and writes nothing; a payment posting meanwhile waits for the chunk, not the reverse.
    loans = plain_rows(
        LoanAccount.objects.select_for_update()
        .filter(pk__any=loan_ids, status=LoanAccount.Status.ACTIVE)
        .filter(Q(delinquency_as_of__isnull=True) | Q(delinquency_as_of__lt=business_date))
        .annotate(paying_per_plan=on_plan_flag(), owed_past_due=_owed_past_due(business_date))
        .order_by("pk"),
        LOAN_FIELDS,
    )
    changed, history = [], []
    for loan in loans:
        oldest_unpaid = oldest_unpaid_due(loan, business_date)
        days, bucket, status = loan_delinquency(loan, oldest_unpaid, business_date)
        if loan.paying_per_plan and days >= loan.days_past_due:
            continue  # not aged while the plan, not the schedule, says what is due; catching up still shows
        amount = amount_to_bring_current(loan, days)
        if (days, bucket, status, amount) == (
            loan.days_past_due,
            loan.delinquency_bucket,
            loan.delinquency_status,
            loan.amount_to_bring_current,
        ):
            continue
        if (bucket, status) != (loan.delinquency_bucket, loan.delinquency_status):
            history.append(
                DelinquencyHistory(
                    # The loan as its audit row names it (its number), without reading it again.
                    loan=LoanAccount(pk=loan.pk, loan_number=loan.loan_number),
                    as_of=business_date,
                    days_past_due=days,
                    bucket_from=loan.delinquency_bucket,
                    bucket_to=bucket,
                    status_from=loan.delinquency_status,
                    status_to=status,
                    oldest_unpaid_due_date=oldest_unpaid,
                )
            )
        loan.days_past_due, loan.delinquency_bucket, loan.delinquency_status = days, bucket, status
        loan.amount_to_bring_current = amount
        loan.delinquency_as_of = business_date
        changed.append(loan)
    bulk_update_rows(LoanAccount, changed, [*FIGURES, "amount_to_bring_current", "delinquency_as_of"])
    LoanAccount.objects.filter(pk__any=[loan.pk for loan in loans if loan.delinquency_as_of != business_date]).update(
        delinquency_as_of=business_date
    )
    if history:
        DelinquencyHistory.objects.bulk_create(history)
        audit_record_many([_audit(row, actor) for row in history])
    return len(history)


def _audit(row: DelinquencyHistory, actor: User | None) -> AuditEvent:
    return audit_event(
        actor=actor,
        verb="loan.delinquency_changed",
        target=row.loan,
        before={"bucket": row.bucket_from, "status": row.status_from},
        after={
            "bucket": row.bucket_to,
            "status": row.status_to,
            "days_past_due": row.days_past_due,
            "as_of": row.as_of,
            "oldest_unpaid_due_date": row.oldest_unpaid_due_date,
        },
    )


@register
class DelinquencyStep(NightlyStep):
    name = "delinquency"
    label = "Delinquency"

    def pending_loan_ids(self, business_date: date) -> QuerySet[Any, int]:
        """Active loans not yet aged for ``business_date``."""
        return (
            LoanAccount.objects.filter(status=LoanAccount.Status.ACTIVE)
            .filter(Q(delinquency_as_of__isnull=True) | Q(delinquency_as_of__lt=business_date))
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def run_chunk(self, business_date: date, loan_ids: list[int], actor: User | None) -> ChunkResult:
        def age(ids: list[int]) -> int:
            loans_age(business_date=business_date, loan_ids=ids, actor=actor)
            return len(ids)

        def one(loan_id: int) -> None:
            age([loan_id])

        return isolate(loan_ids, age, one)
