"""Borrower notices: a PDF each, stored with ``document_store`` (and so emailed or printed by the borrower's
e-consent), about one event of the loan:

- ACH payment returned (``ach_returns.ach_return_apply``): the return code and its meaning, the amount, the
  returned-payment fee when one was charged, and what to do;
- late fee charged (``fees.late_fees_assess``): the fee and the due date of the installment it is for;
- escrow payment change (the escrow analysis of the nightly escrow step): old and new escrow and total payment,
  and the first installment the new payment applies to;
- payoff completed (``payoff.payoff_post``): the paid-in-full letter, with the lien release;
- payment received (``payments.announce_posted``), only when the borrower asked for it in the portal
  (``LoanAccount.notify_payment_received``): the amount, the date and where the money went.

The service where the event happens calls ``notice_later(kind, row id)``: after commit, a Celery task per notice
(``servicing.tasks.notice_make``) renders and stores it, so a nightly step charging thousands of fees only
enqueues. The document's key is the event row's id (the return, fee, analysis, payoff or transaction), so each
notice is made once however often the event is announced or the task retried.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.money import ZERO
from origination.services.disclosures import pdf_render
from servicing.models import (
    AllocationLine,
    BorrowerDocument,
    EscrowAnalysis,
    LoanAccount,
    LoanFee,
    LoanPayoff,
    LoanTransaction,
    PendingPayment,
)
from servicing.models.ach import ACCOUNT_UNUSABLE_CODES
from servicing.services.documents import borrower_display_name, document_existing, document_store
from servicing.services.letter_context import letter_context, loan_property

Kind = BorrowerDocument.Kind


@dataclass(frozen=True)
class Notice:
    """What one notice is: its loan, title, date, template and the template's figures."""

    loan: LoanAccount
    title: str
    document_date: date
    template: str
    context: dict[str, Any]


def notice_later(kind: str, row_id: int) -> None:
    """Make the ``kind`` notice about row ``row_id`` once the current transaction commits. ``robust``: a broker
    that cannot take the task is logged (with the callback's name and the error), not raised into a caller whose
    transaction has already committed: a posted payment must not answer 500, nor a nightly chunk that committed
    count its loans as errors, and the other callbacks of the commit still run."""
    from servicing import tasks  # tasks import the services: import them here, not at module level

    transaction.on_commit(lambda: tasks.notice_make.delay(kind, row_id), robust=True)


NOTICES_PER_TASK = 100


def notices_later(kind: str, row_ids: Iterable[int]) -> None:
    """Make the ``kind`` notices about ``row_ids`` once the current transaction commits: a task per hundred, not
    one each (a nightly chunk may make thousands, and each message is a round trip to the broker)."""
    from servicing import tasks

    def send(batch: list[int]) -> None:
        transaction.on_commit(lambda: tasks.notices_make.delay(kind, batch), robust=True)  # see notice_later

    ids = list(row_ids)
    for start in range(0, len(ids), NOTICES_PER_TASK):
        send(ids[start : start + NOTICES_PER_TASK])


def notice_make(*, kind: str, row_id: int, actor: User | None) -> BorrowerDocument | None:
    """Render and store the ``kind`` notice about row ``row_id``; the stored one when it was made already, None
    when the row is gone (its transaction rolled back) or no longer calls for a notice."""
    build = BUILDERS[kind]
    notice = build(row_id)
    if notice is None:
        return None
    existing = document_existing(loan=notice.loan, kind=kind, key=str(row_id))
    if existing is not None:
        return existing  # made once: a repeated event or a retried task renders nothing
    pdf = pdf_render(notice.template, {**_common(notice.loan), **notice.context})
    return document_store(
        loan=notice.loan,
        kind=kind,
        key=str(row_id),
        title=notice.title,
        document_date=notice.document_date,
        pdf=pdf,
        actor=actor,
    )


def _common(loan: LoanAccount) -> dict[str, Any]:
    return letter_context(
        loan, borrower_name=borrower_display_name(loan), payment_address=settings.LENDING_PAYMENT_ADDRESS
    )


# --- the notices -----------------------------------------------------------------------------------------------


def ach_returned_notice(pending_id: int) -> Notice | None:
    pending = (
        PendingPayment.objects.select_related("loan", "loan__borrower", "enrollment")
        .filter(pk=pending_id, status=PendingPayment.Status.RETURNED)
        .first()
    )
    if pending is None:
        return None
    fee = LoanFee.objects.filter(returned_payment=pending).first()
    enrollment = pending.enrollment
    return Notice(
        loan=pending.loan,
        title=f"ACH payment returned ({pending.return_code})" if pending.return_code else "ACH payment returned",
        document_date=pending.returned_on or pending.scheduled_date,
        template="pdf/borrower/notice_ach_returned.html",
        context={
            "pending": pending,
            "fee": fee.amount if fee is not None else ZERO,
            "owed": pending.amount + (fee.amount if fee is not None else ZERO),
            "account_unusable": pending.return_code in ACCOUNT_UNUSABLE_CODES,
            "autopay_suspended": enrollment is not None and enrollment.suspended_on is not None,
        },
    )


def late_fee_notice(fee_id: int) -> Notice | None:
    fee = (
        LoanFee.objects.select_related("loan", "loan__borrower", "installment")
        .filter(pk=fee_id, kind=LoanFee.Kind.LATE_FEE)
        .first()
    )
    if fee is None:
        return None
    installment = fee.installment
    return Notice(
        loan=fee.loan,
        title="Late fee charged",
        document_date=fee.assessed_on,
        template="pdf/borrower/notice_late_fee.html",
        context={
            "fee": fee,
            "installment": installment,
            # What the installment still asks for, the new fee included.
            "unpaid": (
                installment.payment
                - installment.paid_principal
                - installment.paid_interest
                - installment.paid_escrow
                + installment.late_fees
                - installment.paid_late_fees
                + installment.fees
                - installment.paid_fees
            )
            if installment is not None
            else fee.amount,
        },
    )


def escrow_change_notice(analysis_id: int) -> Notice | None:
    analysis = (
        EscrowAnalysis.objects.select_related("loan", "loan__borrower", "effective_installment")
        .filter(pk=analysis_id)
        .first()
    )
    if analysis is None or analysis.effective_installment is None:
        return None
    first = analysis.effective_installment
    principal_interest = first.principal + first.interest
    return Notice(
        loan=analysis.loan,
        title="Escrow payment change",
        document_date=analysis.run_on,
        template="pdf/borrower/notice_escrow_change.html",
        context={
            "analysis": analysis,
            "first": first,
            "principal_interest": principal_interest,
            "old_total": principal_interest + analysis.previous_monthly_payment,
            "new_total": principal_interest + analysis.new_monthly_payment,
        },
    )


def paid_in_full_notice(payoff_id: int) -> Notice | None:
    payoff = LoanPayoff.objects.select_related("loan", "loan__borrower", "transaction").filter(pk=payoff_id).first()
    if payoff is None:
        return None
    loan = payoff.loan
    return Notice(
        loan=loan,
        title="Paid-in-full letter and lien release",
        document_date=payoff.transaction.effective_date,
        template="pdf/borrower/notice_paid_in_full.html",
        context={
            "payoff": payoff,
            "paid_on": payoff.transaction.effective_date,
            "property": loan_property(loan),
        },
    )


# The waterfall's buckets in the order money is applied, in the borrower's words.
BUCKET_LABELS = (
    (AllocationLine.Bucket.LATE_FEES, "Late fees"),
    (AllocationLine.Bucket.FEES, "Other fees"),
    (AllocationLine.Bucket.INTEREST, "Interest"),
    (AllocationLine.Bucket.PRINCIPAL, "Principal"),
    (AllocationLine.Bucket.ESCROW, "Escrow (taxes and insurance)"),
    (AllocationLine.Bucket.PREPAYMENT, "Extra principal"),
)


def payment_received_notice(transaction_id: int) -> Notice | None:
    txn = (
        LoanTransaction.objects.select_related("loan", "loan__borrower")
        .filter(pk=transaction_id, kind=LoanTransaction.Kind.PAYMENT, loan__notify_payment_received=True)
        .first()
    )
    if txn is None:
        return None
    totals: dict[str, Decimal] = {}
    for bucket, amount in AllocationLine.objects.current().filter(transaction=txn).values_list("bucket", "amount"):
        totals[bucket] = totals.get(bucket, ZERO) + amount
    suspense = totals.get(AllocationLine.Bucket.SUSPENSE, ZERO)
    return Notice(
        loan=txn.loan,
        title="Payment received",
        document_date=txn.effective_date,
        template="pdf/borrower/notice_payment_received.html",
        context={
            "txn": txn,
            "lines": [(label, totals[bucket]) for bucket, label in BUCKET_LABELS if totals.get(bucket)],
            "held": max(suspense, ZERO),
            "released": max(-suspense, ZERO),
        },
    )


BUILDERS: dict[str, Callable[[int], Notice | None]] = {
    Kind.ACH_RETURNED: ach_returned_notice,
    Kind.LATE_FEE: late_fee_notice,
    Kind.ESCROW_CHANGE: escrow_change_notice,
    Kind.PAID_IN_FULL: paid_in_full_notice,
    Kind.PAYMENT_RECEIVED: payment_received_notice,
}


# --- the borrower's choice -------------------------------------------------------------------------------------


@transaction.atomic
def payment_notice_preference_set(*, loan: LoanAccount, enabled: bool, actor: User | None) -> LoanAccount:
    """Turn the "payment received" notice on or off for ``loan``, audited (a no-op when unchanged)."""
    locked = LoanAccount.objects.select_for_update().only("pk", "notify_payment_received").get(pk=loan.pk)
    if locked.notify_payment_received != enabled:
        LoanAccount.objects.filter(pk=loan.pk).update(notify_payment_received=enabled)
        audit_record(
            actor=actor,
            verb="loan.payment_notice_preference",
            target=loan,
            before={"notify_payment_received": locked.notify_payment_received},
            after={"notify_payment_received": enabled},
        )
    loan.notify_payment_received = enabled
    return loan
