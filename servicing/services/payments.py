"""Posting payments: the loan's allocation strategy splits the money, one balanced journal entry records it.

``payment_post`` runs in one transaction: validate, lock the loan row (``select_for_update``; several loans are
always locked in primary-key order), return the earlier posting for a repeated idempotency key, allocate with
``lending.finance.allocation`` against what the installments still owe, then write the ``LoanTransaction``, its
``AllocationLine`` rows, the installments' ``paid_*`` amounts, one journal entry and an audit row.

Which installments the money is for (the dues): every installment due on or before the effective date that is
not fully paid, plus the next one not yet due (the installment currently billed), so a payment made a few days
before its due date pays that installment instead of curtailing principal. Money beyond them is a prepayment
(or, under ``mortgage_standard``, a partial payment held in suspense until a full periodic payment accumulates).

Journal (kind ``payment``, dated the effective date):
- Dr cash: the amount received;
- Dr suspense: suspense applied (money received earlier and held, now paying the buckets below);
- Cr interest receivable for interest, up to the interest accrued (``loan.interest_due``), and Cr interest
  income for the rest: no accrual job posts interest yet (onboarding leaves ``interest_due`` at zero), so
  interest on a due installment is recognised as income when it is paid (cash basis); once accruals post to
  interest receivable, payments clear the receivable first and the running balance never goes below zero;
- Cr fees receivable for late fees and fees (the dues carry none until fee assessment exists);
- Cr loans receivable for scheduled principal and prepayment;
- Cr escrow liability for escrow (installment escrow and an escrow-only deposit);
- Cr suspense for new money held.
``journal_post`` moves the loan's running balances from these lines, so ``ledger_verify`` keeps agreeing.

``payment_reverse`` (NSF, returned payment) posts the mirror entry with ``journal_reverse``, records a
``reversal`` transaction, marks the payment ``reversed`` and takes its allocation back off the installments.
Not done yet: replaying later payments after a backdated payment or a reversal (a reversal whose suspense was
since applied by a later payment is refused rather than replayed).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from lending.core.models import User
from lending.core.services import audit_record
from lending.finance import allocation as alloc
from lending.finance.money import ZERO, require_cents
from servicing.models import AllocationLine, Installment, JournalEntry, LoanAccount, LoanTransaction
from servicing.models.ledger import (
    CASH,
    ESCROW_LIABILITY,
    FEES_RECEIVABLE,
    INTEREST_INCOME,
    INTEREST_RECEIVABLE,
    LOANS_RECEIVABLE,
    SUSPENSE,
)
from servicing.services.ledger import LedgerError, journal_post, journal_reverse

MAX_DAYS_AHEAD = 5  # an effective date may be at most this many days after today
Bucket = AllocationLine.Bucket


class PaymentError(ValueError):
    """A payment or reversal was refused; nothing was written. ``field`` names the input at fault, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


def _today() -> date:
    return timezone.localdate()


def _validate(loan: LoanAccount, amount, effective_date, method: str, directive: str, key: str) -> Decimal:
    try:
        amount = require_cents(amount, "amount")
    except ValueError as exc:
        raise PaymentError(str(exc).removeprefix("amount: "), "amount") from None
    if amount <= 0:
        raise PaymentError(f"must be greater than zero, got {amount}", "amount")
    if method not in LoanTransaction.Method.values:
        raise PaymentError(
            f"unknown method {method!r}; use one of {', '.join(LoanTransaction.Method.values)}", "method"
        )
    if directive not in LoanTransaction.Directive.values:
        raise PaymentError(
            f"unknown directive {directive!r}; use one of {', '.join(LoanTransaction.Directive.values)}", "directive"
        )
    if not isinstance(effective_date, date):
        raise PaymentError(f"expected a date, got {effective_date!r}", "effective_date")
    if effective_date < loan.disbursement_date:
        raise PaymentError(
            f"{effective_date} is before the loan's disbursement date {loan.disbursement_date}", "effective_date"
        )
    latest = _today() + timedelta(days=MAX_DAYS_AHEAD)
    if effective_date > latest:
        raise PaymentError(
            f"{effective_date} is more than {MAX_DAYS_AHEAD} days in the future (latest {latest})", "effective_date"
        )
    if not key or len(key) > 100:
        raise PaymentError("required, at most 100 characters", "idempotency_key")
    return amount


def _existing(key: str, loan: LoanAccount) -> LoanTransaction | None:
    found = LoanTransaction.objects.filter(idempotency_key=key).first()
    if found is not None and (found.loan_id != loan.pk or found.kind != LoanTransaction.Kind.PAYMENT):
        raise PaymentError(f"{key!r} was already used for another transaction ({found.pk})", "idempotency_key")
    return found


def _dues(loan: LoanAccount, effective_date: date) -> tuple[list[alloc.InstallmentDue], dict[int, Installment]]:
    """The unpaid installments due on or before ``effective_date`` and the next one billed, as what they still owe."""
    unpaid = Installment.objects.filter(loan=loan, paid_on__isnull=True).order_by("due_date", "number")
    chosen = list(unpaid.filter(due_date__lte=effective_date))
    upcoming = unpaid.filter(due_date__gt=effective_date).first()
    if upcoming is not None:
        chosen.append(upcoming)
    dues = [
        alloc.InstallmentDue(
            number=i.number,
            due_date=i.due_date,
            interest=i.interest - i.paid_interest,
            principal=i.principal - i.paid_principal,
            escrow=i.escrow - i.paid_escrow,
        )
        for i in chosen
    ]
    return dues, {i.number: i for i in chosen}


def _journal_lines(allocation: alloc.Allocation, loan: LoanAccount) -> list[tuple[str, Decimal, Decimal]]:
    receivable = min(allocation.interest, loan.interest_due)
    credits = [
        (INTEREST_RECEIVABLE, receivable),
        (INTEREST_INCOME, allocation.interest - receivable),
        (FEES_RECEIVABLE, allocation.late_fees + allocation.fees),
        (LOANS_RECEIVABLE, allocation.principal + allocation.prepayment),
        (ESCROW_LIABILITY, allocation.escrow + allocation.escrow_deposit),
        (SUSPENSE, allocation.to_suspense),
    ]
    lines = [(CASH, allocation.amount, ZERO)]
    if allocation.suspense_applied:
        lines.append((SUSPENSE, allocation.suspense_applied, ZERO))
    lines += [(code, ZERO, amount) for code, amount in credits if amount]
    return lines


def _allocation_lines(
    txn: LoanTransaction, allocation: alloc.Allocation, installments: dict[int, Installment]
) -> list[AllocationLine]:
    rows = []
    for line in allocation.lines:
        installment = installments[line.number]
        for bucket in (Bucket.LATE_FEES, Bucket.FEES, Bucket.INTEREST, Bucket.PRINCIPAL, Bucket.ESCROW):
            amount = getattr(line, bucket)
            if amount:
                rows.append(AllocationLine(transaction=txn, installment=installment, bucket=bucket, amount=amount))
    loose = (
        (Bucket.ESCROW, allocation.escrow_deposit),
        (Bucket.PREPAYMENT, allocation.prepayment),
        (Bucket.SUSPENSE, allocation.to_suspense - allocation.suspense_applied),
    )
    rows += [AllocationLine(transaction=txn, bucket=bucket, amount=amount) for bucket, amount in loose if amount]
    return rows


def _apply_to_installments(
    allocation: alloc.Allocation, installments: dict[int, Installment], effective_date: date
) -> None:
    changed = []
    for line in allocation.lines:
        installment = installments[line.number]
        installment.paid_interest += line.interest
        installment.paid_principal += line.principal
        installment.paid_escrow += line.escrow
        if installment.paid == installment.payment:
            installment.paid_on = effective_date
        changed.append(installment)
    if changed:
        Installment.objects.bulk_update(changed, ["paid_interest", "paid_principal", "paid_escrow", "paid_on"])


def _refresh_next_due(loan: LoanAccount) -> None:
    """Keep the loan's derived dates: ``next_due_date`` (the oldest installment not paid in full) and
    ``interest_paid_through`` (the due date of the last installment of the unbroken run, from the first, whose
    interest is paid in full; the disbursement date before any)."""
    installments = Installment.objects.filter(loan=loan)
    oldest = installments.filter(paid_on__isnull=True).order_by("due_date").values_list("due_date", flat=True).first()
    first_unpaid_interest = (
        installments.filter(paid_interest__lt=F("interest")).order_by("due_date").values_list("due_date", flat=True)
    ).first()
    covered = installments.filter(due_date__lt=first_unpaid_interest) if first_unpaid_interest else installments
    paid_through = covered.aggregate(last=Max("due_date"))["last"] or loan.disbursement_date
    if (oldest, paid_through) != (loan.next_due_date, loan.interest_paid_through):
        LoanAccount.objects.filter(pk=loan.pk).update(next_due_date=oldest, interest_paid_through=paid_through)
        loan.next_due_date, loan.interest_paid_through = oldest, paid_through


def payment_allocate(
    loan: LoanAccount, amount: Decimal, effective_date: date, directive: str = alloc.STANDARD
) -> tuple[alloc.Allocation, dict[int, Installment]]:
    """How the loan's strategy would split ``amount`` received on ``effective_date`` now, and the installments
    it pays (by number). Writes nothing: ``payment_post`` posts exactly this, a preview shows it."""
    dues, installments = _dues(loan, effective_date)
    try:
        allocation = alloc.get_strategy(loan.allocation_strategy).allocate(
            amount,
            dues,
            suspense=loan.suspense_balance,
            directive=directive,
            principal_outstanding=loan.principal_balance,
        )
    except ValueError as exc:
        raise PaymentError(f"{loan.loan_number}: the payment cannot be allocated: {exc}") from exc
    return allocation, installments


def _lock(loan: LoanAccount) -> LoanAccount:
    """Lock one loan row. To lock several, lock them in primary-key order: ``for pk in sorted(pks): _lock``."""
    return LoanAccount.objects.select_for_update().get(pk=loan.pk)


@transaction.atomic
def payment_post(
    *,
    loan: LoanAccount,
    amount: Decimal,
    effective_date: date,
    method: str,
    reference: str,
    idempotency_key: str,
    actor: User | None,
    directive: str = alloc.STANDARD,
) -> LoanTransaction:
    """Post a payment of ``amount`` received on ``effective_date``: allocate it with the loan's strategy and
    post it. A repeated ``idempotency_key`` returns the first posting and writes nothing. ``PaymentError``
    (a ``ValueError`` naming the field) when refused; nothing is written then."""
    amount = _validate(loan, amount, effective_date, method, directive, idempotency_key)
    existing = _existing(idempotency_key, loan)
    if existing is not None:
        return existing
    locked = _lock(loan)
    existing = _existing(idempotency_key, loan)  # posted by another caller while we waited for the lock
    if existing is not None:
        return existing
    if locked.status != LoanAccount.Status.ACTIVE:
        raise PaymentError(f"{locked.loan_number} is {locked.get_status_display().lower()}", "loan")
    allocation, installments = payment_allocate(locked, amount, effective_date, directive)
    try:
        with transaction.atomic():  # a savepoint: a concurrent posting of the same key on another loan wins
            entry = journal_post(
                actor=actor,
                loan=locked,
                effective_date=effective_date,
                kind=JournalEntry.Kind.PAYMENT,
                memo=f"Payment {reference or idempotency_key} on {locked.loan_number} ({method})",
                lines=_journal_lines(allocation, locked),
            )
            txn = LoanTransaction.objects.create(
                loan=locked,
                kind=LoanTransaction.Kind.PAYMENT,
                amount=amount,
                effective_date=effective_date,
                method=method,
                reference=reference[:100],
                idempotency_key=idempotency_key,
                directive=directive,
                journal_entry=entry,
                posted_by=actor if actor is not None and actor.pk else None,
            )
    except IntegrityError:
        existing = _existing(idempotency_key, locked)
        if existing is not None:
            return existing
        raise
    except LedgerError as exc:
        raise PaymentError(str(exc)) from exc
    AllocationLine.objects.bulk_create(_allocation_lines(txn, allocation, installments))
    _apply_to_installments(allocation, installments, effective_date)
    _refresh_next_due(locked)
    for field in ("principal_balance", "interest_due", "fees_due", "escrow_balance", "suspense_balance", "version"):
        setattr(loan, field, getattr(locked, field))
    loan.next_due_date, loan.interest_paid_through = locked.next_due_date, locked.interest_paid_through
    audit_record(
        actor=actor,
        verb="payment.posted",
        target=txn,
        after={
            "loan": locked.loan_number,
            "amount": amount,
            "effective_date": effective_date,
            "method": method,
            "reference": reference,
            "directive": directive,
            "strategy": allocation.strategy,
            "interest": allocation.interest,
            "principal": allocation.principal,
            "escrow": allocation.escrow + allocation.escrow_deposit,
            "fees": allocation.late_fees + allocation.fees,
            "prepayment": allocation.prepayment,
            "suspense_applied": allocation.suspense_applied,
            "to_suspense": allocation.to_suspense,
            "journal_entry": entry.pk,
        },
    )
    return txn


@transaction.atomic
def payment_reverse(*, transaction: LoanTransaction, reason: str, actor: User | None) -> LoanTransaction:
    """Reverse a returned payment (NSF, ACH return): the mirror journal entry, a ``reversal`` transaction linked
    to it, the payment marked ``reversed`` and its allocation taken back off the installments. Refused for a
    payment already reversed, and (until replay exists) when its suspense has since been applied."""
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("give the reason for the reversal", "reason")
    loan = _lock(transaction.loan)
    payment = LoanTransaction.objects.select_for_update().get(pk=transaction.pk)
    if payment.kind != LoanTransaction.Kind.PAYMENT:
        raise PaymentError(f"transaction {payment.pk} is a reversal; it cannot be reversed", "transaction")
    if payment.status == LoanTransaction.Status.REVERSED:
        raise PaymentError(f"transaction {payment.pk} is already reversed", "transaction")
    try:
        entry = journal_reverse(actor=actor, entry=payment.journal_entry, reason=reason)
    except LedgerError as exc:
        raise PaymentError(f"transaction {payment.pk} cannot be reversed as it stands: {exc}") from exc
    reversal = LoanTransaction.objects.create(
        loan=loan,
        kind=LoanTransaction.Kind.REVERSAL,
        amount=payment.amount,
        effective_date=entry.effective_date,
        method=payment.method,
        reference=payment.reference,
        idempotency_key=f"{payment.idempotency_key}:reversal"[-100:],
        directive=payment.directive,
        journal_entry=entry,
        reverses=payment,
        note=reason[:255],
        posted_by=actor if actor is not None and actor.pk else None,
    )
    lines = list(payment.allocation_lines.filter(installment__isnull=False))
    installments = {
        i.pk: i for i in Installment.objects.select_for_update().filter(pk__in={line.installment_id for line in lines})
    }
    for line in lines:
        installment = installments[line.installment_id]
        field = f"paid_{line.bucket}"
        if hasattr(installment, field):
            setattr(installment, field, getattr(installment, field) - line.amount)
    for installment in installments.values():
        if installment.paid != installment.payment:
            installment.paid_on = None
    Installment.objects.bulk_update(
        list(installments.values()), ["paid_interest", "paid_principal", "paid_escrow", "paid_on"]
    )
    LoanTransaction.objects.filter(pk=payment.pk).update(status=LoanTransaction.Status.REVERSED)
    payment.status = LoanTransaction.Status.REVERSED
    transaction.status = LoanTransaction.Status.REVERSED
    _refresh_next_due(loan)
    audit_record(
        actor=actor,
        verb="payment.reversed",
        target=payment,
        before={"status": LoanTransaction.Status.POSTED},
        after={"status": LoanTransaction.Status.REVERSED, "reversal": reversal.pk, "journal_entry": entry.pk},
        note=reason,
    )
    return reversal
