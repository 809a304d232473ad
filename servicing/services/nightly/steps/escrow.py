"""Step 6 of the close of business: escrow disbursements and the annual escrow analysis.

Disbursements: every escrow item payment due by D (``next_due_date <= D``) is paid to its payee on D
(``servicing.services.escrow.item_payment``: the annual amount over the payments per year, the year's last payment
carrying the rounding remainder): one ``EscrowDisbursement`` row per item and due date, and per loan one
``escrow_disbursement`` entry for the night's payments, Dr escrow liability / Cr cash for their total (audited once
per loan with its lines and each payment). When the balance is short the servicer advances the
difference: the escrow balance goes negative and the row records the advanced part. The item's next due date then
moves on by 12 / payments per year months. Payments of a loan are made in due date order, so the advance falls on
the later ones; a payment already made (unique per item and due date) is skipped, so nothing is paid twice.

Analysis: a loan whose ``escrow_analysis_date`` is on or before D is analysed after its disbursements
(``servicing.services.escrow_analysis``), and its next analysis date set a year on.

A loan is pending while it has an item due by D or an analysis due by D; both move past D when done, so a rerun
finds nothing. Per chunk: one query each for the loans (locked), their items, the payments already made, the
installments and the currency of the loans under analysis; the entries, rows, audit rows and updates are written
in a handful of bulk statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from lending.core.bulk import bulk_update_rows
from lending.core.models import AuditEvent, User
from lending.core.services import audit_event, audit_record_many
from lending.finance.money import ZERO
from servicing.models import (
    BorrowerDocument,
    EscrowAnalysis,
    EscrowDisbursement,
    EscrowItem,
    EscrowRefund,
    Installment,
    JournalEntry,
    LoanAccount,
)
from servicing.models.ledger import CASH, ESCROW_LIABILITY
from servicing.services.escrow import item_following, item_occurrences
from servicing.services.escrow_analysis import CURRENT_DAYS, AnalysisPlan, analysis_plan, installments_until
from servicing.services.ledger import BALANCE_FIELDS, Posting, journal_post_many, ledger_accounts, posting_prepare
from servicing.services.nightly.base import ChunkResult, NightlyStep, isolate, plain_rows, register
from servicing.services.notices import notices_later

LOAN_FIELDS = (
    *BALANCE_FIELDS,
    "version",
    "loan_number",
    "status",
    "escrow_monthly_payment",
    "escrow_cushion",
    "escrow_analysis_date",
)
INSTALLMENT_FIELDS = ("pk", "loan_id", "number", "due_date", "principal", "interest", "escrow", "payment")
PAID_FIELDS = ("paid_principal", "paid_interest", "paid_escrow", "paid_on")


@dataclass
class _Payment:
    """One item payment due by D, before it is written."""

    item: EscrowItem
    due_date: date
    payment_number: int
    amount: Decimal


@register
class EscrowStep(NightlyStep):
    name = "escrow"
    label = "Escrow disbursements and annual analysis"

    def pending_loan_ids(self, business_date: date) -> QuerySet[Any, int]:
        due_items = EscrowItem.objects.filter(loan=OuterRef("pk"), next_due_date__lte=business_date)
        return (
            LoanAccount.objects.filter(status=LoanAccount.Status.ACTIVE)
            .filter(Q(Exists(due_items)) | Q(escrow_analysis_date__lte=business_date))
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def run_chunk(self, business_date: date, loan_ids: list[int], actor: User | None) -> ChunkResult:
        def all_at_once(ids: list[int]) -> int:
            return escrow_close(business_date=business_date, loan_ids=ids, actor=actor)

        def one(loan_id: int) -> None:
            escrow_close(business_date=business_date, loan_ids=[loan_id], actor=actor)

        return isolate(loan_ids, all_at_once, one)


def escrow_close(*, business_date: date, loan_ids: list[int], actor: User | None) -> int:
    """Pay the escrow items due by ``business_date`` and run the analyses due by then, for ``loan_ids`` (the
    caller's transaction; ``isolate`` gives it a savepoint). Returns how many loans it looked at."""
    loans = {
        loan.pk: loan
        for loan in LoanAccount.objects.select_for_update()
        .filter(pk__any=loan_ids, status=LoanAccount.Status.ACTIVE)
        .order_by("pk")
        .only(*LOAN_FIELDS)
    }
    items = list(EscrowItem.objects.filter(loan_id__in=loans).order_by("loan_id", "next_due_date", "id"))
    accounts = ledger_accounts()
    payments, moved = _payments_due(items, business_date)
    nights = _disburse(loans, payments, business_date, accounts)
    plans = _plan_analyses(loans, items, business_date)
    refunds: list[tuple[AnalysisPlan, Posting]] = []
    for plan in plans:
        if plan.refund:
            refunds.append((plan, _refund_posting(plan, business_date, accounts)))
    postings = [night.posting for night in nights if night.posting is not None] + [p for _, p in refunds]
    if postings:
        # The audit rows below record each entry with its lines and what it paid.
        journal_post_many(actor=actor, postings=postings, accounts=accounts, audit=False)
    for night in nights:
        for row in night.rows:
            row.journal_entry = night.posting.entry if night.posting is not None else None
    EscrowDisbursement.objects.bulk_create([row for night in nights for row in night.rows])
    bulk_update_rows(EscrowItem, moved, ["next_due_date", "next_payment_number"])
    events = _write_analyses(plans, refunds, business_date, actor)
    audit_record_many([_disbursement_event(night, actor) for night in nights] + events)
    _annual_statements_enqueue([plan.analysis.pk for plan in plans if plan.analysis is not None])
    return len(loan_ids)


def _annual_statements_enqueue(analysis_ids: list[int]) -> None:
    """The annual escrow account statements (1024.17(i)) are rendered by one task per chunk once it has committed
    (a chunk retried loan by loan drops the callbacks of its rolled-back savepoint)."""
    if not analysis_ids:
        return
    from servicing import tasks  # tasks import the nightly runner, which imports this step: import when used

    # robust: a failure to render (eager in development) is logged and never fails the committed chunk.
    transaction.on_commit(lambda: tasks.escrow_annual_statements.delay(analysis_ids), robust=True)


def _payments_due(items: list[EscrowItem], business_date: date) -> tuple[list[_Payment], list[EscrowItem]]:
    """Every item payment due by ``business_date`` not yet made (one query), in due date order per loan, and the
    items due, each moved past ``business_date`` in memory (a date already paid is skipped, not paid again)."""
    due = [item for item in items if item.next_due_date <= business_date]
    made = set(
        EscrowDisbursement.objects.filter(item__in=due, due_date__lte=business_date).values_list("item_id", "due_date")
    )
    payments = []
    for item in due:
        for occurrence in item_occurrences(item, before=business_date + timedelta(days=1)):
            if (item.pk, occurrence.due_date) not in made:
                payments.append(_Payment(item, occurrence.due_date, occurrence.payment_number, occurrence.amount))
            item.next_due_date, item.next_payment_number = item_following(
                occurrence.due_date, item.payments_per_year, occurrence.payment_number
            )
    payments.sort(key=lambda p: (p.item.loan_id, p.due_date, p.item.pk))
    return payments, due


@dataclass
class _Night:
    """One loan's disbursements of the night: their rows and the one entry that pays them all."""

    loan: LoanAccount
    rows: list[EscrowDisbursement]
    posting: Posting | None  # None when every payment is zero (a cent split over the year)


def _disburse(
    loans: dict[int, LoanAccount], payments: list[_Payment], business_date: date, accounts: dict[str, Any]
) -> list[_Night]:
    """Per loan, a row per payment and one prepared entry for their total: Dr escrow liability / Cr cash. Each
    payment's advance is the part the balance left before it (if positive) does not cover."""
    nights = []
    for loan_id, group in groupby(payments, key=lambda p: p.item.loan_id):
        loan = loans[loan_id]
        balance, rows = loan.escrow_balance, []
        for payment in group:
            advanced = payment.amount - min(payment.amount, max(balance, ZERO))
            balance -= payment.amount
            rows.append(
                EscrowDisbursement(
                    item=payment.item,
                    loan=loan,
                    due_date=payment.due_date,
                    paid_on=business_date,
                    payment_number=payment.payment_number,
                    payee=payment.item.payee,
                    amount=payment.amount,
                    advanced=advanced,
                )
            )
        total = sum((row.amount for row in rows), ZERO)
        posting = None
        if total:
            posting = posting_prepare(
                loan=loan,
                effective_date=business_date,
                kind=JournalEntry.Kind.ESCROW_DISBURSEMENT,
                memo="Escrow disbursement: " + "; ".join(f"{r.item.description} due {r.due_date}" for r in rows),
                lines=[(ESCROW_LIABILITY, total, ZERO), (CASH, ZERO, total)],
                accounts=accounts,
            )
        nights.append(_Night(loan, rows, posting))
    return nights


def _plan_analyses(loans: dict[int, LoanAccount], items: list[EscrowItem], business_date: date) -> list[AnalysisPlan]:
    """Plan the analyses due by ``business_date``: two queries for all of them (installments, late ones)."""
    due = [loan for loan in loans.values() if loan.escrow_analysis_date and loan.escrow_analysis_date <= business_date]
    if not due:
        return []
    since = business_date - timedelta(days=CURRENT_DAYS)
    installments: dict[int, list[Any]] = {loan.pk: [] for loan in due}
    # Plain rows, not instances: about 19 installments an analysis (15,900 for the 836 analyses of 10,000 loans).
    for installment in plain_rows(
        Installment.objects.filter(
            loan_id__in=installments, due_date__gte=since, due_date__lt=installments_until(business_date)
        ).order_by("loan_id", "number"),
        (*INSTALLMENT_FIELDS, *PAID_FIELDS),
    ):
        installments[installment.loan_id].append(installment)
    late = set(
        Installment.objects.filter(loan_id__in=installments, due_date__lt=since, paid_on__isnull=True)
        .values_list("loan_id", flat=True)
        .distinct()
    )
    by_loan: dict[int, list[EscrowItem]] = {}
    for item in items:
        by_loan.setdefault(item.loan_id, []).append(item)
    return [
        analysis_plan(
            loan=loan,
            items=by_loan.get(loan.pk, []),
            installments=installments[loan.pk],
            business_date=business_date,
            borrower_current=loan.pk not in late,
        )
        for loan in due
    ]


def _refund_posting(plan: AnalysisPlan, business_date: date, accounts: dict[str, Any]) -> Posting:
    return posting_prepare(
        loan=plan.loan,
        effective_date=business_date,
        kind=JournalEntry.Kind.ESCROW_REFUND,
        memo=f"Escrow surplus refund, analysis of {business_date}",
        lines=[(ESCROW_LIABILITY, plan.refund, ZERO), (CASH, ZERO, plan.refund)],
        accounts=accounts,
    )


def _write_analyses(
    plans: list[AnalysisPlan],
    refunds: list[tuple[AnalysisPlan, Posting]],
    business_date: date,
    actor: User | None,
) -> list[AuditEvent]:
    """The analysis rows, refunds, rewritten installments and loans' new escrow figures; their audit rows."""
    if not plans:
        return []
    analyses = EscrowAnalysis.objects.bulk_create([plan.analysis for plan in plans if plan.analysis is not None])
    # The borrower's escrow payment change notice, after commit, when the payment changes.
    notices_later(
        BorrowerDocument.Kind.ESCROW_CHANGE,
        [a.pk for a in analyses if a.new_monthly_payment != a.previous_monthly_payment],
    )
    refund_rows = EscrowRefund.objects.bulk_create(
        [
            EscrowRefund(
                analysis=plan.analysis,
                loan=plan.loan,
                amount=plan.refund,
                due_by=plan.refund_due_by or business_date,
                paid_on=business_date,
                journal_entry=posting.entry,
            )
            for plan, posting in refunds
        ]
    )
    bulk_update_rows(Installment, [i for plan in plans for i in plan.installments], ["escrow", "payment"])
    events = []
    for plan in plans:
        loan, analysis = plan.loan, plan.analysis
        before = {
            "escrow_monthly_payment": loan.escrow_monthly_payment,
            "escrow_cushion": loan.escrow_cushion,
            "escrow_analysis_date": loan.escrow_analysis_date,
        }
        if analysis is not None:
            loan.escrow_monthly_payment, loan.escrow_cushion = analysis.new_monthly_payment, analysis.cushion
        loan.escrow_analysis_date = plan.next_analysis_date
        events.append(
            audit_event(
                actor=actor,
                verb="loan.escrow_analyzed",
                target=loan,
                before=before,
                after={
                    "escrow_monthly_payment": loan.escrow_monthly_payment,
                    "escrow_cushion": loan.escrow_cushion,
                    "escrow_analysis_date": loan.escrow_analysis_date,
                    "analysis": _analysis_summary(analysis),
                },
                note="" if analysis is not None else "No installment left to take a new escrow payment.",
            )
        )
    bulk_update_rows(
        LoanAccount, [plan.loan for plan in plans], ["escrow_monthly_payment", "escrow_cushion", "escrow_analysis_date"]
    )
    events += [
        audit_event(
            actor=actor,
            verb="escrow.refunded",
            target=refund,
            after={
                "loan": posting.loan.loan_number,
                "amount": refund.amount,
                "due_by": refund.due_by,
                "journal_entry": refund.journal_entry_id,
                "lines": _lines(posting),
            },
        )
        for refund, (_, posting) in zip(refund_rows, refunds, strict=True)
    ]
    return events


def _analysis_summary(analysis: EscrowAnalysis | None) -> dict[str, Any] | None:
    if analysis is None:
        return None
    return {
        "id": analysis.pk,
        "kind": analysis.kind,
        "action": analysis.action,
        "year_start": analysis.year_start,
        "current_balance": analysis.current_balance,
        "target_balance": analysis.target_balance,
        "surplus": analysis.surplus,
        "shortage": analysis.shortage,
        "deficiency": analysis.deficiency,
        "new_monthly_payment": analysis.new_monthly_payment,
        "effective_installment": analysis.effective_installment.number if analysis.effective_installment else None,
        "installments_updated": analysis.installments_updated,
    }


def _lines(posting: Posting) -> list[list[Any]]:
    return [[line.account, line.debit, line.credit] for line in posting.lines]


def _disbursement_event(night: _Night, actor: User | None) -> AuditEvent:
    """One audit row per loan and night: the entry (its lines) and each payment it made."""
    return audit_event(
        actor=actor,
        verb="escrow.disbursed",
        target=night.posting.entry if night.posting is not None else night.loan,
        after={
            "loan": night.loan.loan_number,
            "journal_entry": night.posting.entry.pk if night.posting and night.posting.entry else None,
            "lines": _lines(night.posting) if night.posting is not None else [],
            "disbursements": [
                {
                    "id": row.pk,
                    "item": row.item_id,
                    "due_date": row.due_date,
                    "payment_number": row.payment_number,
                    "amount": row.amount,
                    "advanced": row.advanced,
                    "item_next_due_date": row.item.next_due_date,
                }
                for row in night.rows
            ],
        },
    )
