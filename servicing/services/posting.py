"""The pieces a payment's posting is made of, shared by posting, reversal and replay.

A payment's effect on a loan is: the allocation (``payment_allocate``: the loan's strategy over what the
installments still owe), its journal lines (``journal_lines``), its allocation lines (``allocation_lines``) and
the installments' paid amounts (``installments_apply``). ``installments_unapply`` takes a payment's standing lines
back off the installments, exactly, so a replay can take later payments off and put them back in date order.

Journal lines of a payment (kind ``payment``, dated the effective date):
- Dr cash: the amount received;
- Dr suspense: suspense applied (money received earlier and held, now paying the buckets below);
- Cr interest receivable for interest, up to the interest earned and unpaid (``loan.interest_due``, which the
  nightly accrual raises), and Cr interest paid in advance for the rest: interest paid before it is earned is a
  liability until the nightly accrual earns it (``servicing.services.nightly.steps.interest``), so interest income
  is the interest earned whatever the payment's timing;
- Cr fees receivable for late fees and fees;
- Cr loans receivable for scheduled principal and prepayment;
- Cr escrow liability for escrow (installment escrow and an escrow-only deposit);
- Cr suspense for new money held.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.transaction import TransactionManagementError

from lending.core.bulk import bulk_update_rows
from lending.core.compiled import CompiledQuery
from lending.core.models import User
from lending.finance import allocation as alloc
from lending.finance.money import ZERO
from servicing.models import AllocationLine, Installment, JournalEntry, LoanAccount, LoanTransaction
from servicing.models.ledger import (
    CASH,
    ESCROW_LIABILITY,
    FEES_RECEIVABLE,
    INTEREST_PREPAID,
    INTEREST_RECEIVABLE,
    LOANS_RECEIVABLE,
    SUSPENSE,
)
from servicing.services.ledger import LedgerError, journal_post

Bucket = AllocationLine.Bucket
INSTALLMENT_BUCKETS = (Bucket.LATE_FEES, Bucket.FEES, Bucket.INTEREST, Bucket.PRINCIPAL, Bucket.ESCROW)
PAID_FIELDS = ("paid_interest", "paid_principal", "paid_escrow", "paid_late_fees", "paid_fees", "paid_on")
# Fee buckets: paying them, or taking them off, leaves the periodic payment (and ``paid_on``) as it was.
FEE_BUCKETS = (Bucket.LATE_FEES, Bucket.FEES)
# What a payment may pay: a periodic payment not yet paid, or fees (late or other) still owed on one that was.
# Installments still owing fees once paid (installment_fees_owed_idx holds them: few rows).
FEES_OWED = Q(late_fees__gt=F("paid_late_fees")) | Q(fees__gt=F("paid_fees"))
OWING = Q(paid_on__isnull=True) | FEES_OWED
LOAN_BALANCE_FIELDS = (
    "principal_balance",
    "interest_due",
    "interest_prepaid",
    "fees_due",
    "escrow_balance",
    "suspense_balance",
    "version",
)


class PaymentError(ValueError):
    """A payment or reversal was refused; nothing was written. ``field`` names the input at fault, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


def payment_record(
    *,
    loan: LoanAccount,
    entry_kind: str,
    memo: str,
    lines: list[tuple[str, Decimal, Decimal]],
    amount: Decimal,
    effective_date: date,
    method: str,
    reference: str,
    idempotency_key: str,
    directive: str,
    actor: User | None,
) -> tuple[LoanTransaction, JournalEntry]:
    """Post a payment's journal entry and write its transaction row, together in a savepoint, for ``loan`` locked
    by the caller (its balances as read under the lock). ``IntegrityError`` when another caller took the key
    meanwhile (the caller answers with that posting); a ledger refusal is a ``PaymentError``."""
    try:
        with transaction.atomic():
            entry = journal_post(
                actor=actor,
                loan=loan,
                effective_date=effective_date,
                kind=entry_kind,
                memo=memo,
                lines=lines,
                loan_locked=True,
            )
            txn = LoanTransaction.objects.create(
                loan=loan,
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
    except LedgerError as exc:
        raise PaymentError(str(exc)) from exc
    return txn, entry


def loan_require_active(loan: LoanAccount, field: str = "loan") -> None:
    """Refuse money on a loan that is no longer active (paid off, charged off)."""
    if loan.status != LoanAccount.Status.ACTIVE:
        raise PaymentError(f"{loan.loan_number} is {loan.get_status_display().lower()}", field)


def key_posted(found: LoanTransaction | None, key: str, loan: LoanAccount) -> LoanTransaction | None:
    """The payment an idempotency key already posted on ``loan`` (a retry: answer with it), None if the key is
    new; a key used for another loan or for a reversal is refused."""
    if found is not None and (found.loan_id != loan.pk or found.kind != LoanTransaction.Kind.PAYMENT):
        raise PaymentError(f"{key!r} was already used for another transaction ({found.pk})", "idempotency_key")
    return found


def loan_lock(loan: LoanAccount) -> LoanAccount:
    """Lock one loan row. To lock several, lock them in primary-key order: ``for pk in sorted(pks): loan_lock``."""
    if not connection.in_atomic_block:  # as the ORM refuses it: the lock would end with the statement
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
    found = _LOAN_LOCK.fetch(loan_id=loan.pk)
    if not found:
        raise LoanAccount.DoesNotExist(f"no loan {loan.pk}")
    return found[0]


# Compiled once (lending.core.compiled): each payment runs these, their compiling cost more than their running.
_LOAN_LOCK = CompiledQuery(lambda loan_id: LoanAccount.objects.select_for_update().filter(pk=loan_id), loan_id=int)


def _dues_chosen(loan_id: int, effective_date: date) -> QuerySet[Installment]:
    """Everything due by the date that is still owed, and the next one billed (one query)."""
    owing = Installment.objects.filter(OWING, loan_id=loan_id)
    upcoming = (
        owing.filter(paid_on__isnull=True, due_date__gt=effective_date).order_by("due_date", "number").values("pk")[:1]
    )
    return owing.filter(Q(due_date__lte=effective_date) | Q(pk=Subquery(upcoming))).order_by("due_date", "number")


DUES_CHOSEN = CompiledQuery(_dues_chosen, loan_id=int, effective_date=date)


def dues_chosen(unpaid: list[Installment], effective_date: date, *, complete: bool) -> list[Installment] | None:
    """From a loan's unpaid installments in due-date order (as held in memory by a batch), those a payment on
    ``effective_date`` is for: every one due by then and the next one. None when the next one is not among them
    and the list may be incomplete (``complete`` false: the caller loaded a window and must ask the database)."""
    chosen = [i for i in unpaid if _owing(i) and i.due_date <= effective_date]
    upcoming = next((i for i in unpaid if i.paid_on is None and i.due_date > effective_date), None)
    if upcoming is None:
        return chosen if complete else None
    return [*chosen, upcoming]


def _owing(installment: Installment) -> bool:
    return (
        installment.paid_on is None
        or installment.late_fees > installment.paid_late_fees
        or installment.fees > installment.paid_fees
    )


def dues_of(loan: LoanAccount, chosen: list[Installment]) -> list[alloc.InstallmentDue]:
    """What ``chosen`` still owe. Prepayments can leave less principal than the schedule still asks for: the
    oldest dues take what is left, so the last installments shrink instead of asking for principal no longer owed."""
    principal_left = loan.principal_balance
    dues = []
    for i in chosen:
        i.principal_owed = min(i.principal - i.paid_principal, principal_left)
        principal_left -= i.principal_owed
        dues.append(
            alloc.InstallmentDue(
                number=i.number,
                due_date=i.due_date,
                interest=i.interest - i.paid_interest,
                principal=i.principal_owed,
                escrow=i.escrow - i.paid_escrow,
                late_fees=i.late_fees - i.paid_late_fees,
                fees=i.fees - i.paid_fees,
            )
        )
    return dues


def payment_allocate(
    loan: LoanAccount, amount: Decimal, effective_date: date, directive: str = alloc.STANDARD
) -> tuple[alloc.Allocation, dict[int, Installment]]:
    """How the loan's strategy would split ``amount`` received on ``effective_date`` now, and the installments
    it pays (by number). Writes nothing: ``payment_post`` posts exactly this, a preview shows it."""
    # The unpaid installments due on or before the date and the next one billed: a payment made a few days
    # before its due date pays that installment instead of curtailing principal.
    chosen = DUES_CHOSEN.fetch(loan_id=loan.pk, effective_date=effective_date)
    return dues_allocate(loan, amount, chosen, directive, effective_date)


def dues_allocate(
    loan: LoanAccount, amount: Decimal, chosen: list[Installment], directive: str, effective_date: date
) -> tuple[alloc.Allocation, dict[int, Installment]]:
    """``payment_allocate`` over installments the caller has read (``DUES_CHOSEN``, under the loan's lock):
    the allocation of what ``chosen`` still owe (``dues_of``) and those installments by number."""
    allocation = allocate_dues(loan, amount, dues_of(loan, chosen), directive, effective_date)
    return allocation, {i.number: i for i in chosen}


def allocate_dues(
    loan: LoanAccount, amount: Decimal, dues: list[alloc.InstallmentDue], directive: str, effective_date: date
) -> alloc.Allocation:
    """The loan's strategy over ``dues`` for a payment received on ``effective_date`` (what is due by then is
    settled first), with its suspense and principal; a refusal is a ``PaymentError``."""
    try:
        return alloc.get_strategy(loan.allocation_strategy).allocate(
            amount,
            dues,
            suspense=loan.suspense_balance,
            directive=directive,
            principal_outstanding=loan.principal_balance,
            as_of=effective_date,
        )
    except ValueError as exc:
        raise PaymentError(f"{loan.loan_number}: the payment cannot be allocated: {exc}") from exc


def journal_lines(allocation: alloc.Allocation, loan: LoanAccount) -> list[tuple[str, Decimal, Decimal]]:
    receivable = min(allocation.interest, max(loan.interest_due, ZERO))
    credits = [
        (INTEREST_RECEIVABLE, receivable),
        (INTEREST_PREPAID, allocation.interest - receivable),
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


def interest_prepaid_settle(loan: LoanAccount, effective_date: date, actor: User | None) -> JournalEntry | None:
    """After a payment is reversed (or taken off by a replay), interest it paid in advance that the nightly accrual
    has since earned leaves interest paid in advance below zero: that interest is earned and now unpaid, so it is
    moved to interest receivable (Dr interest receivable, Cr interest paid in advance; kind ``adjustment``). The
    loan is locked by the caller and carries its current balances. None when there is nothing to move."""
    shortfall = -loan.interest_prepaid
    if shortfall <= 0:
        return None
    return journal_post(
        actor=actor,
        loan=loan,
        effective_date=effective_date,
        kind=JournalEntry.Kind.ADJUSTMENT,
        memo=f"Interest earned on {loan.loan_number} whose advance payment was reversed: now receivable",
        lines=[(INTEREST_RECEIVABLE, shortfall, ZERO), (INTEREST_PREPAID, ZERO, shortfall)],
        loan_locked=True,
    )


def allocation_amounts(
    allocation: alloc.Allocation, installments: dict[int, Installment]
) -> list[tuple[Installment | None, str, Decimal]]:
    """An allocation's lines as (installment, bucket, amount), one for each bucket with money in it; the escrow
    deposit, prepayment and suspense kept belong to no installment (None)."""
    rows: list[tuple[Installment | None, str, Decimal]] = []
    for line in allocation.lines:
        installment = installments[line.number]
        amounts = [(bucket, getattr(line, bucket)) for bucket in INSTALLMENT_BUCKETS]
        rows += [(installment, bucket, amount) for bucket, amount in amounts if amount]
    loose = (
        (Bucket.ESCROW, allocation.escrow_deposit),
        (Bucket.PREPAYMENT, allocation.prepayment),
        (Bucket.SUSPENSE, allocation.to_suspense - allocation.suspense_applied),
    )
    return rows + [(None, bucket, amount) for bucket, amount in loose if amount]


def allocation_lines(
    txn: LoanTransaction, allocation: alloc.Allocation, installments: dict[int, Installment]
) -> list[AllocationLine]:
    return [
        AllocationLine(transaction=txn, installment=installment, bucket=bucket, amount=amount)
        for installment, bucket, amount in allocation_amounts(allocation, installments)
    ]


def installments_apply(
    allocation: alloc.Allocation, installments: dict[int, Installment], effective_date: date
) -> None:
    """Add an allocation's lines to its installments and save them."""
    bulk_update_rows(Installment, installments_add(allocation, installments, effective_date), PAID_FIELDS)


def installments_add(
    allocation: alloc.Allocation, installments: dict[int, Installment], effective_date: date
) -> list[Installment]:
    """Add an allocation's lines to its installments in memory (the changed ones are returned, unsaved); an
    installment paid in full (or, once prepayments have shrunk it, paid all the principal still owed on it) is
    settled on ``effective_date``."""
    changed = []
    for line in allocation.lines:
        installment = installments[line.number]
        installment.paid_interest += line.interest
        installment.paid_principal += line.principal
        installment.paid_escrow += line.escrow
        installment.paid_late_fees += line.late_fees
        installment.paid_fees += line.fees
        if installment.paid_on is not None:  # paid before: this line paid its fees only
            changed.append(installment)
            continue
        owed = getattr(
            installment, "principal_owed", installment.principal - installment.paid_principal + line.principal
        )
        if _settled(installment, principal_all_paid=line.principal == owed):
            installment.paid_on = effective_date
        changed.append(installment)
    return changed


def _settled(installment: Installment, *, principal_all_paid: bool) -> bool:
    if installment.paid == installment.payment:
        return True
    return (
        principal_all_paid
        and installment.paid_interest == installment.interest
        and installment.paid_escrow == installment.escrow
    )


def installments_unapply(lines: Iterable[AllocationLine]) -> None:
    """Take standing allocation lines back off their installments (the loan is locked by the caller)."""
    lines = [line for line in lines if line.installment_id is not None]
    if not lines:
        return
    installments: dict[int | None, Installment] = {
        i.pk: i for i in Installment.objects.filter(pk__in={line.installment_id for line in lines})
    }
    periodic_changed = set()  # a fee line coming off leaves the periodic payment (and paid_on) as it was
    for line in lines:
        installment = installments[line.installment_id]
        field = f"paid_{line.bucket}"
        if hasattr(installment, field):
            setattr(installment, field, getattr(installment, field) - line.amount)
            if line.bucket not in FEE_BUCKETS:
                periodic_changed.add(installment.pk)
    for installment in installments.values():
        if installment.pk in periodic_changed and installment.paid != installment.payment:
            installment.paid_on = None
    bulk_update_rows(Installment, list(installments.values()), PAID_FIELDS)


def bucket_totals(lines: Iterable[AllocationLine]) -> dict[str, str]:
    """A payment's allocation by bucket, as ``{bucket: "amount"}`` (JSON-ready, zero buckets left out)."""
    totals: dict[str, Decimal] = {}
    for line in lines:
        totals[line.bucket] = totals.get(line.bucket, ZERO) + line.amount
    return {bucket: str(amount) for bucket, amount in totals.items() if amount}


def loan_dates_refresh(loan: LoanAccount) -> None:
    """Keep the loan's derived dates (``loans_dates_refresh`` for one loan) and refresh them on ``loan``."""
    loans_dates_refresh([loan.pk])
    loan.next_due_date, loan.interest_paid_through = LoanAccount.objects.values_list(
        "next_due_date", "interest_paid_through"
    ).get(pk=loan.pk)


def loans_dates_refresh(loan_ids: Iterable[int]) -> None:
    """Keep the loans' derived dates (``loan_dates``), in one UPDATE (correlated subqueries, no per-loan query)."""
    LoanAccount.objects.filter(pk__in=list(loan_ids)).update(**loan_dates())


def loan_dates() -> dict[str, Any]:
    """A loan's derived dates, as expressions over its row for an UPDATE: ``next_due_date``, the oldest
    installment not paid in full (those a prepayment left asking for nothing do not count);
    ``interest_paid_through``, the due date of the last installment of the unbroken run, from the first, whose
    interest is paid in full; before any, the date interest was paid through when the loan was booked: a
    transferred loan's boarding date (its first installment row is the first one still owed then), else the
    disbursement date."""
    next_due = (
        Installment.objects.filter(loan=OuterRef("pk"), paid_on__isnull=True, payment__gt=0)
        .order_by("due_date")
        .values("due_date")
    )[:1]
    first_unpaid_interest = (
        Installment.objects.filter(loan=OuterRef(OuterRef("pk")), paid_interest__lt=F("interest"))
        .order_by("due_date")
        .values("due_date")
    )[
        # nested once more: OuterRef(OuterRef) is the loan being updated
        :1
    ]
    paid_through = (
        Installment.objects.filter(
            loan=OuterRef("pk"), due_date__lt=Coalesce(Subquery(first_unpaid_interest), Value(date.max))
        )
        .order_by("-due_date")
        .values("due_date")
    )[:1]
    boarded_through = JournalEntry.objects.filter(
        loan=OuterRef("pk"), kind=JournalEntry.Kind.BOARDING, reverses__isnull=True
    ).values("effective_date")[:1]
    return {
        "next_due_date": Subquery(next_due),
        "interest_paid_through": Coalesce(Subquery(paid_through), Subquery(boarded_through), F("disbursement_date")),
    }


def loan_balances_reload(loan: LoanAccount) -> None:
    """Re-read the running balances after postings made through another instance of the row."""
    fresh = LoanAccount.objects.only(*LOAN_BALANCE_FIELDS).get(pk=loan.pk)
    for field in LOAN_BALANCE_FIELDS:
        setattr(loan, field, getattr(fresh, field))
