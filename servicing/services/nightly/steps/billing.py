"""Step 2 of the close of business: installments falling due become billed, with the amount due by component.

For business date D, the loans pending are those whose ``next_bill_date`` (the next installment to bill; blank:
the first payment date) is D or earlier. Each one's latest installment due on or before D is billed once (a
``BillingRecord``, unique per loan and due date): what it still asks for (principal, interest, escrow; principal
capped as ``posting.dues_of`` caps it after prepayments), the fees due on the loan, and past due (what earlier
installments still owe). A missed night bills on the next run; when several due dates passed meanwhile only the
latest gets a record, the earlier ones are in its past due. Statements read these rows. A loan on an open
loss-mitigation plan also gets what the plan asks for on that due date (``plan_amount``; ``selectors.plans``).

No journal entry: billing moves no money. The interest was recognised by the accrual (step 1) as it was earned,
principal and escrow are recognised when paid, fees when assessed; a bill only states what is owed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery

from lending.core.bulk import bulk_insert_rows, bulk_update_rows
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.money import ZERO
from servicing.models import BillingRecord, Installment, LoanAccount
from servicing.selectors.plans import plan_amounts_due
from servicing.services.nightly.base import ChunkResult, NightlyStep, isolate, plain_rows, register
from servicing.services.posting import dues_of

NO_MORE_BILLS = date(9999, 12, 31)  # next_bill_date after the last installment is billed


def _latest_due(business_date: date) -> QuerySet[Installment]:
    return Installment.objects.filter(loan=OuterRef("pk"), due_date__lte=business_date).order_by("-due_date", "-number")


DUES_FIELDS = (  # what ``posting.dues_of`` reads
    "loan_id",
    "number",
    "due_date",
    *(
        f"{prefix}{part}"
        for prefix in ("", "paid_")
        for part in ("principal", "interest", "escrow", "late_fees", "fees")
    ),
)
# The loans and installments are read as plain rows (``plain_rows``): ``posting.dues_of`` reads attributes only
# (and sets ``principal_owed`` on each installment), ``bulk_update_rows`` writes ``next_bill_date`` back from them.
LOAN_FIELDS = ("pk", "loan_number", "principal_balance", "fees_due", "next_bill_date", "latest_id", "next_due")
RECORD_FIELDS = [
    "loan",
    "installment",
    "due_date",
    "billed_on",
    "principal",
    "interest",
    "escrow",
    "fees",
    "past_due",
    "total",
    "plan_amount",
]


def _bill(loan: Any, installments: list[Any], business_date: date) -> tuple[Any, ...]:
    """The bill of ``loan``'s installment ``installments[-1]`` as a ``BillingRecord`` row in ``RECORD_FIELDS``
    order (a tuple: up to 100,000 a night); the others are earlier installments still unpaid."""
    dues = dues_of(loan, installments)
    current, earlier = dues[-1], dues[:-1]
    past_due = sum((due.interest + due.principal + due.escrow for due in earlier), ZERO)
    fees = loan.fees_due
    total = current.principal + current.interest + current.escrow + fees + past_due
    return (
        loan.pk,
        installments[-1].pk,
        current.due_date,
        business_date,
        current.principal,
        current.interest,
        current.escrow,
        fees,
        past_due,
        total,
        None,  # plan_amount: set for the chunk at once (``_with_plans``)
    )


def _pending(business_date: date) -> Q:
    """Loans whose next installment to bill is due by ``business_date``: plain columns of the loan, no subquery,
    so finding nothing to do on a rerun is one pass over the loans."""
    return Q(status=LoanAccount.Status.ACTIVE) & (
        Q(next_bill_date__lte=business_date) | Q(next_bill_date__isnull=True, first_payment_date__lte=business_date)
    )


def billing_run(*, business_date: date, loan_ids: list[int], actor: User | None) -> int:
    """Bill the chunk's loans for ``business_date`` (module docstring) and move each one's ``next_bill_date`` to
    its first installment due after it (``NO_MORE_BILLS`` after the last); returns how many loans were looked at.
    Seven queries (three for the loans' open plans) and three writes a chunk, whatever its size, and one audit row."""
    after = Installment.objects.filter(loan=OuterRef("pk"), due_date__gt=business_date).order_by("due_date", "number")
    loans = plain_rows(
        LoanAccount.objects.select_for_update(of=("self",))
        .filter(_pending(business_date), pk__any=loan_ids)
        .annotate(
            latest_id=Subquery(_latest_due(business_date).values("pk")[:1]),
            next_due=Subquery(after.values("due_date")[:1]),
        )
        .order_by("pk"),
        LOAN_FIELDS,
    )
    if not loans:
        return len(loan_ids)
    latest = {loan.latest_id for loan in loans if loan.latest_id is not None}
    billed = BillingRecord.objects.filter(installment_id__any=list(latest)).values_list("installment_id", flat=True)
    latest -= set(billed)
    by_loan: dict[int, list[Any]] = {}
    if latest:
        unpaid = Installment.objects.filter(
            loan_id__any=[loan.pk for loan in loans], due_date__lte=business_date, paid_on__isnull=True
        )
        fields = ("pk", *DUES_FIELDS)
        rows = {i.pk: i for i in plain_rows(unpaid, fields)} | {
            i.pk: i for i in plain_rows(Installment.objects.filter(pk__any=list(latest)), fields)
        }
        for installment in sorted(rows.values(), key=lambda i: (i.loan_id, i.due_date, i.number)):
            by_loan.setdefault(installment.loan_id, []).append(installment)
    records = []
    for loan in loans:
        loan.next_bill_date = loan.next_due or NO_MORE_BILLS
        if loan.latest_id not in latest:
            continue
        mine = by_loan[loan.pk]
        cut = next(index for index, i in enumerate(mine) if i.pk == loan.latest_id)
        records.append(_bill(loan, mine[: cut + 1], business_date))
    records = _with_plans(records)
    record_ids = bulk_insert_rows(BillingRecord, RECORD_FIELDS, records, returning_pk=True)
    bulk_update_rows(LoanAccount, loans, ["next_bill_date"])
    if records:
        _audit_chunk(actor, business_date, loans, records, record_ids)
    return len(loan_ids)


def _with_plans(records: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The records with what each loan's open plan asks for on the due date billed (a forbearance's reduced
    payment, a repayment plan's regular + plan installment, a trial payment), where one does: three queries."""
    due = plan_amounts_due({record[0]: record[2] for record in records}) if records else {}
    return [(*record[:-1], due[record[0]].amount) if record[0] in due else record for record in records]


def _audit_chunk(
    actor: User | None, business_date: date, loans: list[Any], records: list[tuple[Any, ...]], record_ids: list[int]
) -> None:
    """One audit row for the chunk's bills (who and when; each bill's figures are its ``BillingRecord``): a row per
    bill would double the step's writes on the first of the month, when every loan bills."""
    number = {loan.pk: loan.loan_number for loan in loans}
    columns = dict(zip(RECORD_FIELDS, zip(*records, strict=True), strict=True))
    audit_record(
        actor=actor,
        verb="loan.billed_bulk",
        target=BillingRecord(pk=record_ids[0], loan_id=records[0][0], due_date=records[0][2]),
        after={
            "billed_on": business_date,
            "bills": len(records),
            "first_record": record_ids[0],
            "last_record": record_ids[-1],
            "first_loan": number[records[0][0]],
            "last_loan": number[records[-1][0]],
            "total": sum(columns["total"], ZERO),
            "past_due": sum(columns["past_due"], ZERO),
        },
    )


@register
class BillingStep(NightlyStep):
    """Billing (module docstring)."""

    name = "billing"
    label = "Billing"

    def pending_loan_ids(self, business_date: date) -> QuerySet[Any, int]:
        return LoanAccount.objects.filter(_pending(business_date)).order_by("pk").values_list("pk", flat=True)

    def run_chunk(self, business_date: date, loan_ids: list[int], actor: User | None) -> ChunkResult:
        def all_at_once(ids: list[int]) -> int:
            return billing_run(business_date=business_date, loan_ids=ids, actor=actor)

        def one(pk: int) -> None:
            billing_run(business_date=business_date, loan_ids=[pk], actor=actor)

        with transaction.atomic():
            return isolate(loan_ids, all_at_once, one)
