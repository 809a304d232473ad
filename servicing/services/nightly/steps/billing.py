"""Step 2 of the close of business: installments falling due become billed, with the amount due by component.

For business date D, each active loan's latest installment due on or before D is billed once (a ``BillingRecord``,
unique per loan and due date): what it still asks for (principal, interest, escrow; principal capped as
``posting.dues_of`` caps it after prepayments), the fees due on the loan, and past due (what earlier installments
still owe). A missed night bills on the next run; when several due dates passed meanwhile only the latest gets a
record, the earlier ones are in its past due. Statements read these rows.

No journal entry: billing moves no money. The interest was recognised by the accrual (step 1) as it was earned,
principal and escrow are recognised when paid, fees when assessed; a bill only states what is owed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery

from lending.core.models import User
from lending.core.services import audit_event, audit_record_many
from lending.finance.money import ZERO
from servicing.models import BillingRecord, Installment, LoanAccount
from servicing.services.nightly.base import ChunkResult, NightlyStep, isolate, register
from servicing.services.posting import dues_of


def _latest_due(business_date: date) -> QuerySet[Installment]:
    return Installment.objects.filter(loan=OuterRef("pk"), due_date__lte=business_date).order_by("-due_date", "-number")


def _bill(loan: Any, installments: list[Installment], business_date: date) -> BillingRecord:
    """The bill of ``loan``'s installment ``installments[-1]``; the others are earlier ones still unpaid."""
    dues = dues_of(loan, installments)
    current, earlier = dues[-1], dues[:-1]
    past_due = sum((due.interest + due.principal + due.escrow for due in earlier), ZERO)
    fees = loan.fees_due
    return BillingRecord(
        loan=loan,
        installment=installments[-1],
        due_date=current.due_date,
        billed_on=business_date,
        principal=current.principal,
        interest=current.interest,
        escrow=current.escrow,
        fees=fees,
        past_due=past_due,
        total=current.principal + current.interest + current.escrow + fees + past_due,
    )


def billing_run(*, business_date: date, loan_ids: list[int], actor: User | None) -> int:
    """Bill the chunk's loans for ``business_date`` (module docstring); returns how many loans were looked at.
    Three queries and two INSERTs a chunk, whatever its size."""
    loans: list[Any] = list(
        LoanAccount.objects.select_for_update(of=("self",))
        .filter(pk__in=loan_ids, status=LoanAccount.Status.ACTIVE)
        .only("loan_number", "principal_balance", "fees_due")
        .annotate(latest_id=Subquery(_latest_due(business_date).values("pk")[:1]))
        .order_by("pk")
    )
    latest = {loan.latest_id for loan in loans if loan.latest_id is not None}
    latest -= set(BillingRecord.objects.filter(installment_id__in=latest).values_list("installment_id", flat=True))
    if not latest:
        return len(loan_ids)
    due = Installment.objects.filter(loan_id__in=[loan.pk for loan in loans], due_date__lte=business_date)
    rows = (due.filter(paid_on__isnull=True) | Installment.objects.filter(pk__in=latest)).order_by(
        "loan_id", "due_date", "number"
    )
    by_loan: dict[int, list[Installment]] = {}
    for installment in rows:
        by_loan.setdefault(installment.loan_id, []).append(installment)
    records = []
    for loan in loans:
        if loan.latest_id not in latest:
            continue
        mine = by_loan[loan.pk]
        cut = next(index for index, i in enumerate(mine) if i.pk == loan.latest_id)
        records.append(_bill(loan, mine[: cut + 1], business_date))
    BillingRecord.objects.bulk_create(records)
    audit_record_many(
        [
            audit_event(
                actor=actor,
                verb="loan.billed",
                target=record,
                after={
                    "loan": record.loan.loan_number,
                    "due_date": record.due_date,
                    "billed_on": business_date,
                    "principal": record.principal,
                    "interest": record.interest,
                    "escrow": record.escrow,
                    "fees": record.fees,
                    "past_due": record.past_due,
                    "total": record.total,
                },
            )
            for record in records
        ]
    )
    return len(loan_ids)


@register
class BillingStep(NightlyStep):
    """Billing (module docstring)."""

    name = "billing"
    label = "Billing"

    def pending_loan_ids(self, business_date: date) -> QuerySet[Any, int]:
        latest = _latest_due(business_date).values("due_date")[:1]
        billed = BillingRecord.objects.filter(loan=OuterRef("pk"), due_date=OuterRef("latest_due"))
        return (
            LoanAccount.objects.filter(status=LoanAccount.Status.ACTIVE)
            .annotate(latest_due=Subquery(latest))
            .filter(latest_due__isnull=False)
            .exclude(Exists(billed))
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def run_chunk(self, business_date: date, loan_ids: list[int], actor: User | None) -> ChunkResult:
        def all_at_once(ids: list[int]) -> int:
            return billing_run(business_date=business_date, loan_ids=ids, actor=actor)

        def one(pk: int) -> None:
            billing_run(business_date=business_date, loan_ids=[pk], actor=actor)

        with transaction.atomic():
            return isolate(loan_ids, all_at_once, one)
