"""Posting payments: the loan's allocation strategy splits the money, one balanced journal entry records it.

``payment_post`` runs in one transaction: validate, lock the loan row (``select_for_update``; several loans are
always locked in primary-key order), return the earlier posting for a repeated idempotency key, allocate with
``lending.finance.allocation`` against what the installments still owe, then write the ``LoanTransaction``, its
``AllocationLine`` rows, the installments' ``paid_*`` amounts, one journal entry and an audit row.

Which installments the money is for (the dues): every installment due on or before the effective date that is
not fully paid, plus the next one not yet due (the installment currently billed), so a payment made a few days
before its due date pays that installment instead of curtailing principal. What is due by the effective date is
settled first (oldest first, whatever the strategy); only then does money go to the installment not yet due.
Money beyond them is a prepayment (or, under ``mortgage_standard``, a partial payment held in suspense until a
full periodic payment accumulates); a prepayment re-prices the installments to come on the lower balance
(``servicing.services.schedule``).

Journal lines and the other pieces of a posting: ``servicing.services.posting``. ``journal_post`` moves the loan's
running balances from the lines, so ``ledger_verify`` keeps agreeing.

A payment dated before payments already posted (backdated), and ``payment_reverse`` (NSF, returned payment), replay
the loan from that date (``servicing.services.replay``): the later payments come off and go back on in date order,
and the ``Replay`` row shows each one's allocation before and after.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, prefetch_related_objects
from django.db.transaction import atomic
from django.utils import timezone

from lending.core.compiled import CompiledQuery, commit_send, commit_sent_check, together
from lending.core.models import AuditEvent, User
from lending.core.services import AuditRow, audit_event, audit_record, audit_record_many, audit_row
from lending.finance import allocation as alloc
from lending.finance.money import require_cents
from servicing.models import (
    AllocationLine,
    BorrowerDocument,
    Installment,
    JournalEntry,
    LoanAccount,
    LoanTransaction,
    Replay,
)
from servicing.services.ledger import LedgerError, Posting, journal_reverse
from servicing.services.ledger_entry import (
    journal_accounts_check,
    journal_audit_event,
    journal_audit_row,
    journal_entry_ctes,
    journal_entry_write,
    posting_prepare_one,
)
from servicing.services.notices import notice_later
from servicing.services.posting import (
    DUES_CHOSEN,
    PaymentError,
    dues_allocate,
    installments_unapply,
    interest_prepaid_settle,
    journal_lines,
    key_posted,
    loan_balances_reload,
    loan_dates_refresh,
    loan_lock,
    loan_require_active,
    payment_allocate,
)
from servicing.services.posting_write import (
    PostingIds,
    loan_lock_posting,
    loan_save_posted,
    loan_save_send,
    payment_rows_send,
    payment_rows_write,
    plans_reset,
)
from servicing.services.replay import Unwound, later_payments, payments_after, replay_reapply, replay_unwind
from servicing.services.schedule import installments_rederive
from servicing.signals import payment_posted

__all__ = ["MAX_DAYS_AHEAD", "PaymentError", "payment_allocate", "payment_post", "payment_reverse"]

_T = TypeVar("_T")
MAX_DAYS_AHEAD = 5  # an effective date may be at most this many days after today
# The choices' values, made once: Django's ``Choices.values`` builds its list on every read.
_METHODS = frozenset(LoanTransaction.Method.values)
_DIRECTIVES = frozenset(LoanTransaction.Directive.values)


def _today() -> date:
    return timezone.localdate()


def _validate(
    loan: LoanAccount, amount: Decimal, effective_date: date, method: str, directive: str, key: str
) -> Decimal:
    try:
        amount = require_cents(amount, "amount")
    except ValueError as exc:
        raise PaymentError(str(exc).removeprefix("amount: "), "amount") from None
    if amount <= 0:
        raise PaymentError(f"must be greater than zero, got {amount}", "amount")
    if method not in _METHODS:
        raise PaymentError(
            f"unknown method {method!r}; use one of {', '.join(LoanTransaction.Method.values)}", "method"
        )
    if directive not in _DIRECTIVES:
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
    return key_posted(LoanTransaction.objects.filter(idempotency_key=key).first(), key, loan)


def _existing_and_later(
    key: str, loan: LoanAccount, found: list[LoanTransaction]
) -> tuple[LoanTransaction | None, list[LoanTransaction]]:
    """The payment ``key`` posted before (``_existing``) and the loan's payments a posting would replay
    (``payments_after``), from what ``_KEY_AND_LATER`` found."""
    existing = next((txn for txn in found if txn.idempotency_key == key), None)
    later = [txn for txn in found if txn is not existing]
    if later:  # a replay reverses their entries
        prefetch_related_objects(later, "journal_entry")
    return key_posted(existing, key, loan), later


_KEY_AND_LATER = CompiledQuery(  # compiled once (lending.core.compiled): every payment runs it
    lambda key, loan_id, effective_date: LoanTransaction.objects.filter(
        Q(idempotency_key=key) | later_payments(loan_id, effective_date=effective_date)
    ).order_by("effective_date", "id"),
    key=str,
    loan_id=int,
    effective_date=date,
)


_lock = loan_lock  # the name other services import


def _unwind(
    loan: LoanAccount,
    later: list[LoanTransaction],
    *,
    effective_date: date,
    cause: str,
    reason: str,
    actor: User | None,
) -> Unwound | None:
    """Take off the payments that apply after this point (a replay), or None when there are none."""
    if not later:
        return None
    return replay_unwind(loan=loan, payments=later, cause=cause, from_date=effective_date, reason=reason, actor=actor)


def _unwind_later(
    loan: LoanAccount, *, effective_date: date, after_id: int | None, cause: str, reason: str, actor: User | None
) -> Unwound | None:
    later = payments_after(loan, effective_date=effective_date, after_id=after_id)
    return _unwind(loan, later, effective_date=effective_date, cause=cause, reason=reason, actor=actor)


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
    post it; a payment dated before later postings replays them. A repeated ``idempotency_key`` returns the first
    posting and writes nothing. ``PaymentError`` (a ``ValueError`` naming the field) when refused; nothing is
    written then. In one transaction (a savepoint inside the caller's)."""
    if directive == LoanTransaction.Directive.PAYOFF:
        raise PaymentError("a payoff is posted through the payoff screen (payoff_post), not as a payment", "directive")
    amount = _validate(loan, amount, effective_date, method, directive, idempotency_key)
    request = _Request(amount, effective_date, method, reference, idempotency_key, directive)
    try:
        return _post(loan, request, actor)
    except IntegrityError:  # the same key posted concurrently on another loan: ours rolled back, _existing refuses
        existing = _existing(idempotency_key, loan)
        if existing is None:
            raise
        return existing


class _Request(NamedTuple):
    amount: Decimal
    effective_date: date
    method: str
    reference: str
    idempotency_key: str
    directive: str


def _post(loan: LoanAccount, request: _Request, actor: User | None) -> LoanTransaction:
    """``payment_post`` under the loan's lock (``_post_locked``). A posting's writes refused by the database are
    rolled back; the accounts of its lines are named then (``journal_accounts_check``: the entry's statement
    refuses a line whose account is unknown or inactive), or the ``IntegrityError`` goes on to the caller."""
    # Its own transaction (not inside a caller's, nor one the caller commits): the COMMIT goes with the writes.
    own = connection.vendor == "postgresql" and not connection.in_atomic_block and connection.get_autocommit()
    try:
        return _post_locked(loan, request, actor, own=own)
    except _WritesRefused as refused:
        _entry_checked(functools.partial(journal_accounts_check, refused.posting))
        raise refused.error from None


class _WritesRefused(IntegrityError):
    """A posting's writes sent together failed (``error``): its accounts are checked once its transaction is over."""

    def __init__(self, posting: Posting, error: IntegrityError) -> None:
        super().__init__(str(error))
        self.posting = posting
        self.error = error


def _post_locked(loan: LoanAccount, request: _Request, actor: User | None, *, own: bool) -> LoanTransaction:
    """The entry with its lines, then the transaction with its allocation lines and the installments, then the
    loan's balances with its dates, then both audit rows; a statement each (``posting_write``), sent together where
    nothing has to be read between them (``_write_together``), with the COMMIT when the posting is its ``own``
    transaction."""
    with transaction.atomic():
        # The lock, then what the posting reads under it, in one round trip (posting_write): the payment posted
        # before (or by another caller while we waited for the lock) and what a backdated payment replays; the
        # installments the payment is for.
        locked, (found, chosen), ids = loan_lock_posting(
            loan,
            (
                _KEY_AND_LATER,
                {"key": request.idempotency_key, "loan_id": loan.pk, "effective_date": request.effective_date},
            ),
            (DUES_CHOSEN, {"loan_id": loan.pk, "effective_date": request.effective_date}),
        )
        existing, later = _existing_and_later(request.idempotency_key, locked, found)
        if existing is not None or later:  # a repeat, or a replay: planned as usual from here
            plans_reset()
        if existing is not None:
            return existing
        loan_require_active(locked)
        unwound = _unwind(
            locked,
            later,
            effective_date=request.effective_date,
            cause=Replay.Cause.BACKDATED_PAYMENT,
            reason=f"backdated payment {request.reference or request.idempotency_key} on {request.effective_date}",
            actor=actor,
        )
        if unwound is None:  # the installments as read under the lock
            allocation, installments = dues_allocate(
                locked, request.amount, chosen, request.directive, request.effective_date
            )
        else:  # as the replay left them
            allocation, installments = payment_allocate(
                locked, request.amount, request.effective_date, request.directive
            )
        try:
            posting = posting_prepare_one(
                loan=locked,
                effective_date=request.effective_date,
                kind=JournalEntry.Kind.PAYMENT,
                memo=f"Payment {request.reference or request.idempotency_key} on {locked.loan_number} "
                f"({request.method})",
                lines=journal_lines(allocation, locked),
            )
        except LedgerError as exc:
            raise PaymentError(str(exc)) from exc
        committed = False
        if ids is not None and unwound is None and not allocation.prepayment:
            txn = _write_together(locked, request, allocation, installments, posting, ids, actor, commit=own)
            committed = own
        else:
            txn = _write_in_turn(locked, request, allocation, installments, posting, unwound, actor)
        _copy_state(locked, loan)
        announce_posted(txn, actor)
        if committed:
            commit_sent_check()  # the COMMIT went with the writes: nothing may have run after it
        return txn


def _write_together(
    locked: LoanAccount,
    request: _Request,
    allocation: alloc.Allocation,
    installments: dict[int, Installment],
    posting: Posting,
    ids: PostingIds,
    actor: User | None,
    *,
    commit: bool,
) -> LoanTransaction:
    """Write a posting whose rows' ids were taken with the lock: the entry with its lines, the transaction with its
    allocation lines and the installments in one statement, then the loan with both audit rows, sent together (the
    server writes one while the next is prepared) and their answers read after; ``commit``: the transaction's
    COMMIT sent after them (``commit_send``), so nothing is checked in Python between the writes and the COMMIT (a
    line whose account is not active fails the entry's statement, ``journal_entry_ctes``)."""
    try:
        with together():
            entry = journal_entry_ctes(actor=actor, posting=posting, pk=ids.entry)
            txn = _transaction(locked, request, posting, actor, pk=ids.transaction)
            rows_written = payment_rows_send(txn=txn, allocation=allocation, installments=installments, entry=entry)
            # The audit rows as their columns: no instance is read back (audit_row).
            posted = _posted_row(txn, allocation, txn.journal_entry, actor)
            saved = loan_save_send(locked, posting, audit=[journal_audit_row(actor=actor, posting=posting), posted])
            if commit:
                commit_send()
    except IntegrityError as exc:
        raise _WritesRefused(posting, exc) from exc
    rows_written()
    saved()
    return txn


def _write_in_turn(
    locked: LoanAccount,
    request: _Request,
    allocation: alloc.Allocation,
    installments: dict[int, Installment],
    posting: Posting,
    unwound: Unwound | None,
    actor: User | None,
) -> LoanTransaction:
    """Write a posting one statement after the other: a replay's, or a prepayment's (the installments to come are
    re-priced from the rows written), or elsewhere than PostgreSQL."""
    entry = _entry_checked(lambda: journal_entry_write(actor=actor, posting=posting))
    txn = _transaction(locked, request, posting, actor)
    payment_rows_write(txn=txn, allocation=allocation, installments=installments)
    repriced = 0
    if allocation.prepayment:  # the installments to come are priced on the lower balance
        repriced = installments_rederive(locked, changed_on=request.effective_date)
    entry_audit = journal_audit_event(actor=actor, posting=posting)
    if unwound is None:  # the balances, the dates and both audit rows in one statement
        posted = _posted_event(txn, allocation, entry, actor, replay=None, repriced=repriced)
        loan_save_posted(locked, posting, audit=[entry_audit, posted])
    else:
        loan_save_posted(locked, posting, audit=[entry_audit])  # the entry's row before the replay's
        replay_reapply(loan=locked, unwound=unwound, trigger=txn, actor=actor)
        interest_prepaid_settle(locked, request.effective_date, actor)
        loan_dates_refresh(locked)
        posted = _posted_event(txn, allocation, entry, actor, replay=unwound.replay.pk, repriced=repriced)
        audit_record_many([posted])
    return txn


def _entry_checked(write: Callable[[], _T]) -> _T:
    """The entry ``write`` writes (``journal_entry_write``), or what it checks (``journal_accounts_check``); a
    ledger refusal is a ``PaymentError``."""
    try:
        return write()
    except LedgerError as exc:
        raise PaymentError(str(exc)) from exc


def _transaction(
    locked: LoanAccount, request: _Request, posting: Posting, actor: User | None, pk: int | None = None
) -> LoanTransaction:
    """The payment's ``LoanTransaction``, unsaved, for its entry (``posting.entry``)."""
    return LoanTransaction(
        pk=pk,
        loan=locked,
        kind=LoanTransaction.Kind.PAYMENT,
        amount=request.amount,
        effective_date=request.effective_date,
        method=request.method,
        reference=request.reference[:100],
        idempotency_key=request.idempotency_key,
        directive=request.directive,
        journal_entry=posting.entry,
        posted_by=actor if actor is not None and actor.pk else None,
    )


def _posted_event(
    txn: LoanTransaction,
    allocation: alloc.Allocation,
    entry: JournalEntry,
    actor: User | None,
    *,
    replay: int | None,
    repriced: int,
) -> AuditEvent:
    """The ``payment.posted`` audit row of a posting from ``payment_post``, unsaved."""
    after = posted_audit(txn, allocation, entry, replay=replay)
    if repriced:
        after["installments_repriced"] = repriced
    return audit_event(actor=actor, verb="payment.posted", target=txn, after=after)


def _posted_row(
    txn: LoanTransaction, allocation: alloc.Allocation, entry: JournalEntry, actor: User | None
) -> AuditRow:
    """``_posted_event``'s columns of a posting written together (no replay, nothing re-priced), without the
    instance."""
    return audit_row(
        actor=actor, verb="payment.posted", target=txn, after=posted_audit(txn, allocation, entry, replay=None)
    )


def posted_audit(
    txn: LoanTransaction, allocation: alloc.Allocation, entry: JournalEntry, *, replay: int | None
) -> dict[str, Any]:
    """What the ``payment.posted`` audit row records of a posting (one at a time or in a batch)."""
    return {
        "loan": txn.loan.loan_number,
        "amount": txn.amount,
        "effective_date": txn.effective_date,
        "method": txn.method,
        "reference": txn.reference,
        "directive": txn.directive,
        "strategy": allocation.strategy,
        "interest": allocation.interest,
        "principal": allocation.principal,
        "escrow": allocation.escrow + allocation.escrow_deposit,
        "fees": allocation.late_fees + allocation.fees,
        "prepayment": allocation.prepayment,
        "suspense_applied": allocation.suspense_applied,
        "to_suspense": allocation.to_suspense,
        "journal_entry": entry.pk,
        "replay": replay,
    }


def announce_posted(txn: LoanTransaction, actor: User | None) -> None:
    """Send ``payment_posted`` once the posting has committed, and the "payment received" notice when the
    borrower asked for one. With no receiver connected (none is, as shipped) nothing waits for the commit: a
    callback per payment costs a file of 10,000 payments 10,000 closures for nothing. A receiver connected
    between the posting and its commit does not hear of it."""
    if payment_posted.has_listeners(sender=LoanTransaction):
        transaction.on_commit(
            lambda: payment_posted.send(sender=LoanTransaction, loan=txn.loan, transaction=txn, actor=actor)
        )
    if txn.loan.notify_payment_received:
        notice_later(BorrowerDocument.Kind.PAYMENT_RECEIVED, txn.pk)


def _copy_state(source: LoanAccount, target: LoanAccount) -> None:
    """Give the caller's loan instance the balances and dates the posting left."""
    if source is target:
        return
    for name in (
        "principal_balance",
        "interest_due",
        "fees_due",
        "escrow_balance",
        "suspense_balance",
        "interest_prepaid",
        "version",
        "next_due_date",
        "interest_paid_through",
    ):
        setattr(target, name, getattr(source, name))


def payment_reverse(*, transaction: LoanTransaction, reason: str, actor: User | None) -> LoanTransaction:
    """Reverse a returned payment (NSF, ACH return): the mirror journal entry, a ``reversal`` transaction linked
    to it, the payment marked ``reversed`` and its allocation taken back off the installments. Payments that
    applied after it are replayed (they may now pay what it paid). Refused for a payment already reversed and on
    a loan that is no longer active."""
    with atomic():  # the parameter `transaction` hides django.db.transaction here
        reason = (reason or "").strip()
        if not reason:
            raise PaymentError("give the reason for the reversal", "reason")
        loan = loan_lock(transaction.loan)
        payment = LoanTransaction.objects.select_for_update().select_related("journal_entry").get(pk=transaction.pk)
        if payment.kind != LoanTransaction.Kind.PAYMENT:
            raise PaymentError(f"transaction {payment.pk} is a reversal; it cannot be reversed", "transaction")
        if payment.status == LoanTransaction.Status.REVERSED:
            raise PaymentError(f"transaction {payment.pk} is already reversed", "transaction")
        if payment.directive == LoanTransaction.Directive.PAYOFF:
            raise PaymentError("a payoff is reversed by reopening the loan, not as a payment", "transaction")
        loan_require_active(loan, "transaction")
        unwound = _unwind_later(
            loan,
            effective_date=payment.effective_date,
            after_id=payment.pk,
            cause=Replay.Cause.REVERSAL,
            reason=f"reversal of payment {payment.pk} ({reason})",
            actor=actor,
        )
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
        lines = list(payment.allocation_lines.current())
        installments_unapply(lines)
        LoanTransaction.objects.filter(pk=payment.pk).update(status=LoanTransaction.Status.REVERSED)
        payment.status = transaction.status = LoanTransaction.Status.REVERSED
        loan_balances_reload(loan)
        repriced = 0
        if any(line.bucket == AllocationLine.Bucket.PREPAYMENT for line in lines):  # the balance is back up
            repriced = installments_rederive(loan, changed_on=payment.effective_date)
        if unwound is not None:
            replay_reapply(loan=loan, unwound=unwound, trigger=reversal, actor=actor)
        interest_prepaid_settle(loan, entry.effective_date, actor)
        loan_dates_refresh(loan)
        audit_record(
            actor=actor,
            verb="payment.reversed",
            target=payment,
            before={"status": LoanTransaction.Status.POSTED},
            after={
                "status": LoanTransaction.Status.REVERSED,
                "reversal": reversal.pk,
                "journal_entry": entry.pk,
                "replay": unwound.replay.pk if unwound is not None else None,
                **({"installments_repriced": repriced} if repriced else {}),
            },
            note=reason,
        )
        return reversal
