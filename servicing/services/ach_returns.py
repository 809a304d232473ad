"""ACH returns (the nightly ACH step): a settled payment the bank sent back reverses its posting, records the
return code, charges the loan's returned-payment fee and may suspend autopay. Returns come from the processor
adapter, at settlement (the sandbox) or days later (``ach_returns_receive``, by trace number); each is processed
once (its status leaves ``settled``; the fee's journal entry and ``LoanFee`` row are unique per return).

The fee is a ``LoanFee`` (kind ``returned_payment``) on the installment the payment was for (an autopay draft's),
else on the loan's oldest installment still owing, added to that installment's ``fees``: later payments pay it
in the loan's strategy's fee order (``posting.dues_of``), as they pay late fees.
"""

from __future__ import annotations

from datetime import date
from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.money import ZERO
from servicing.ach_processor.base import AchProcessor
from servicing.models import (
    AutopayEnrollment,
    BorrowerDocument,
    Installment,
    JournalEntry,
    LoanAccount,
    LoanFee,
    LoanTransaction,
    PendingPayment,
    ReturnCode,
)
from servicing.models.ach import ACCOUNT_UNUSABLE_CODES
from servicing.models.ledger import FEE_INCOME, FEES_RECEIVABLE
from servicing.services.ach import AchError
from servicing.services.ledger import journal_post
from servicing.services.notices import notice_later
from servicing.services.payments import PaymentError, payment_reverse

Status = PendingPayment.Status


def returns_to_process() -> QuerySet[PendingPayment]:
    """Settled payments with a return received and not yet processed."""
    return PendingPayment.objects.filter(status=Status.SETTLED).exclude(return_code="")


def ach_returns_receive(*, processor: AchProcessor, on: date, actor: User | None) -> int:
    """Record the returns the processor reports on ``on`` (a bank's return file, days after settlement) on
    their settled payments, by trace number; the next nightly ACH step reverses them. Returns recorded before,
    and trace numbers we do not know, change nothing. Returns how many it recorded."""
    with transaction.atomic():
        received = {r.trace_number: r for r in processor.returns(on)}
        if not received:
            return 0
        payments = list(
            PendingPayment.objects.select_for_update()
            .filter(trace_number__in=list(received), status=Status.SETTLED, return_code="")
            .order_by("pk")
        )
        for p in payments:
            p.return_code = received[p.trace_number].return_code
        PendingPayment.objects.bulk_update(payments, ["return_code"])
        for p in payments:
            audit_record(
                actor=actor, verb="ach_payment.return_received", target=p, after={"return_code": p.return_code}
            )
        return len(payments)


def ach_returns_process(*, business_date: date, loan_ids: list[int], actor: User | None) -> int:
    """Process the returns received for these loans: each one reverses its posting, records the code, charges
    the loan's returned-payment fee, and may suspend autopay. One loan at a time (returns are few)."""
    returned = list(
        returns_to_process().filter(loan_id__in=loan_ids).select_related("loan", "transaction").order_by("pk")
    )
    for pending in returned:
        ach_return_apply(pending=pending, business_date=business_date, actor=actor)
    return len(returned)


def return_description(code: str) -> str:
    return str(dict(ReturnCode.choices).get(code, code))


def ach_return_apply(*, pending: PendingPayment, business_date: date, actor: User | None) -> PendingPayment:
    """A settled payment came back with ``pending.return_code``: reverse its posting (``payment_reverse``),
    mark it returned on ``business_date``, charge the returned-payment fee (Dr fees receivable, Cr fee income;
    one per return) and suspend its autopay enrollment when that was one return too many."""
    with transaction.atomic():
        locked = PendingPayment.objects.select_for_update().get(pk=pending.pk)
        if locked.status != Status.SETTLED or not locked.return_code:
            return locked  # processed already (or nothing to process)
        reason = return_description(locked.return_code)
        try:
            reversal = payment_reverse(
                transaction=cast(LoanTransaction, locked.transaction), reason=f"ACH return: {reason}", actor=actor
            )
        except PaymentError as exc:
            raise AchError(f"ACH payment {locked.pk}: its posting cannot be reversed: {exc}") from exc
        fee_entry = _return_fee_post(locked, business_date, actor)
        locked.status, locked.returned_on, locked.return_reason = Status.RETURNED, business_date, reason
        locked.return_fee_entry = fee_entry
        locked.status_changed_by = actor if actor is not None and actor.pk else None
        locked.status_changed_at = timezone.now()
        locked.save(
            update_fields=[
                "status",
                "returned_on",
                "return_reason",
                "return_fee_entry",
                "status_changed_by",
                "status_changed_at",
            ]
        )
        audit_record(
            actor=actor,
            verb="ach_payment.returned",
            target=locked,
            before={"status": Status.SETTLED},
            after={
                "status": Status.RETURNED,
                "return_code": locked.return_code,
                "reversal": reversal.pk,
                "fee_entry": fee_entry.pk if fee_entry is not None else None,
            },
            note=reason,
        )
        if locked.enrollment_id is not None:
            autopay_suspend_if_due(enrollment_id=locked.enrollment_id, business_date=business_date, actor=actor)
        notice_later(BorrowerDocument.Kind.ACH_RETURNED, locked.pk)  # the borrower's notice, made after commit
        return locked


def _return_fee_post(pending: PendingPayment, business_date: date, actor: User | None) -> JournalEntry | None:
    """Post the returned-payment fee and record it as a ``LoanFee`` on its installment (``_fee_installment``),
    whose ``fees`` it raises so later payments collect it. The loan is read after the reversal (its dates fresh)."""
    loan = LoanAccount.objects.select_for_update().get(pk=pending.loan_id)
    amount = loan.returned_payment_fee
    if amount <= 0:
        return None
    entry = journal_post(
        actor=actor,
        loan=loan,
        effective_date=business_date,
        kind=JournalEntry.Kind.FEE,
        memo=f"Returned payment fee: ACH {pending.pk} returned {pending.return_code} on {loan.loan_number}",
        lines=[(FEES_RECEIVABLE, amount, ZERO), (FEE_INCOME, ZERO, amount)],
        idempotency_key=f"ach-return-fee:{pending.pk}",
        loan_locked=True,
    )
    installment = _fee_installment(pending, loan)
    fee, created = LoanFee.objects.get_or_create(
        journal_entry=entry,
        defaults={
            "loan": loan,
            "installment": installment,
            "kind": LoanFee.Kind.RETURNED_PAYMENT,
            "amount": amount,
            "assessed_on": business_date,
            "returned_payment": pending,
        },
    )
    if not created:
        return entry  # a repeat of the same return's key: the fee is on its installment already
    if installment is not None:
        Installment.objects.filter(pk=installment.pk).update(fees=F("fees") + amount)
    audit_record(
        actor=actor,
        verb="fee.assessed",
        target=fee,
        after={
            "loan": loan.loan_number,
            "kind": fee.kind,
            "installment": installment.number if installment is not None else None,
            "amount": amount,
            "journal_entry": entry.pk,
            "returned_payment": pending.pk,
        },
    )
    return entry


def _fee_installment(pending: PendingPayment, loan: LoanAccount) -> Installment | None:
    """The installment a returned-payment fee goes on: the one the payment was for (an autopay draft's), else the
    loan's oldest installment still owing (``next_due_date``); None when nothing is owed on the schedule (then
    only a payoff collects it, through ``fees_due``)."""
    if pending.installment_id is not None:
        return Installment.objects.get(pk=pending.installment_id)
    if loan.next_due_date is None:
        return None
    return (
        Installment.objects.filter(loan=loan, due_date=loan.next_due_date, paid_on__isnull=True, payment__gt=0)
        .order_by("number")
        .first()
    )


def autopay_suspend_if_due(*, enrollment_id: int, business_date: date, actor: User | None) -> bool:
    """Suspend the enrollment after ``LENDING_ACH_RETURNS_BEFORE_SUSPENSION`` returned drafts, or at the first
    return saying the account cannot be drafted again (closed, not found, unauthorized...)."""
    enrollment = AutopayEnrollment.objects.select_for_update().get(pk=enrollment_id)
    if not enrollment.active or enrollment.suspended_on is not None:
        return False
    codes = list(
        PendingPayment.objects.filter(enrollment=enrollment, status=Status.RETURNED)
        .order_by("returned_on", "pk")
        .values_list("return_code", flat=True)
    )
    limit = max(1, int(settings.LENDING_ACH_RETURNS_BEFORE_SUSPENSION))
    unusable = [code for code in codes if code in ACCOUNT_UNUSABLE_CODES]
    if unusable:
        reason = f"the bank returned a draft: {return_description(unusable[-1])}; give another account"
    elif len(codes) >= limit:
        reason = f"{len(codes)} drafts returned ({', '.join(codes)}); autopay stopped after {limit}"
    else:
        return False
    enrollment.suspended_on, enrollment.suspension_reason = business_date, reason[:255]
    enrollment.save(update_fields=["suspended_on", "suspension_reason"])
    audit_record(
        actor=actor,
        verb="autopay.suspended",
        target=enrollment,
        before={"suspended_on": None},
        after={"suspended_on": business_date, "returns": codes},
        note=reason,
    )
    return True
