"""Replaying a loan from a date, after a backdated payment or a reversal.

Payments apply in effective-date order (same day: posting order). A payment dated before later postings, or the
reversal of a payment that later ones built on (its suspense applied since, its installment counted as paid),
changes what those later payments should have paid. The replay takes them off, newest first (their standing
allocation lines come off the installments and their journal entries are reversed), lets the caller post the
backdated payment or the reversal, then puts them back oldest first through the loan's strategy, each with new
allocation lines and a new journal entry. Nothing posted is edited: old lines are marked superseded by the replay,
old entries are reversed, and ``ReplayChange`` keeps each payment's allocation before and after for the page that
shows what changed. A later payment that can no longer be applied (e.g. a principal-only payment larger than what
is left) refuses the whole operation: the caller's transaction rolls back and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from lending.core.models import User
from lending.core.services import audit_record
from servicing.models import AllocationLine, JournalEntry, LoanAccount, LoanTransaction, Replay, ReplayChange
from servicing.services.ledger import LedgerError, journal_post, journal_reverse
from servicing.services.posting import (
    PaymentError,
    allocation_lines,
    bucket_totals,
    installments_apply,
    installments_unapply,
    journal_lines,
    loan_balances_reload,
    payment_allocate,
)
from servicing.services.schedule import installments_rederive


@dataclass
class Unwound:
    """The later payments a replay took off, and what each had paid (bucket totals, journal entry)."""

    replay: Replay
    payments: list[LoanTransaction]
    before: dict[int, tuple[dict[str, str], int]] = field(default_factory=dict)


def payments_after(loan: LoanAccount, *, effective_date: date, after_id: int | None = None) -> list[LoanTransaction]:
    """The loan's standing payments that apply after a point: dated after ``effective_date``, or (with
    ``after_id``) on that date and posted after that transaction. Oldest first."""
    return list(
        LoanTransaction.objects.filter(later_payments(loan.pk, effective_date=effective_date, after_id=after_id))
        .select_related("journal_entry")
        .order_by("effective_date", "id")
    )


def later_payments(loan_id: int, *, effective_date: date, after_id: int | None = None) -> Q:
    """The condition ``payments_after`` selects on (to combine it with another in one query)."""
    later = Q(effective_date__gt=effective_date)
    if after_id is not None:
        later |= Q(effective_date=effective_date, id__gt=after_id)
    return later & Q(loan_id=loan_id, kind=LoanTransaction.Kind.PAYMENT, status=LoanTransaction.Status.POSTED)


def replay_unwind(
    *, loan: LoanAccount, payments: list[LoanTransaction], cause: str, from_date: date, reason: str, actor: User | None
) -> Unwound:
    """Take ``payments`` (oldest first) off the loan, newest first. The loan is locked by the caller."""
    replay = Replay.objects.create(
        loan=loan, cause=cause, from_date=from_date, created_by=actor if actor is not None and actor.pk else None
    )
    unwound = Unwound(replay=replay, payments=payments)
    superseded = []
    for txn in reversed(payments):
        lines = list(txn.allocation_lines.current())
        unwound.before[txn.pk] = (bucket_totals(lines), txn.journal_entry_id)
        installments_unapply(lines)
        try:
            journal_reverse(actor=actor, entry=txn.journal_entry, reason=f"replay {replay.pk}: {reason}")
        except LedgerError as exc:
            raise PaymentError(f"payment {txn.pk} cannot be taken off for the replay: {exc}") from exc
        superseded += [line.pk for line in lines]
    AllocationLine.objects.filter(pk__in=superseded).update(superseded_by=replay)
    loan_balances_reload(loan)
    if any(AllocationLine.Bucket.PREPAYMENT in before for before, _ in unwound.before.values()):
        installments_rederive(loan, changed_on=from_date)  # priced again without the prepayments taken off
    return unwound


def replay_reapply(*, loan: LoanAccount, unwound: Unwound, trigger: LoanTransaction, actor: User | None) -> Replay:
    """Put the unwound payments back, oldest first, through the loan's strategy; record before and after."""
    loan_balances_reload(loan)
    replay = unwound.replay
    changes = []
    for txn in unwound.payments:
        try:
            allocation, installments = payment_allocate(loan, txn.amount, txn.effective_date, txn.directive)
            entry = journal_post(
                actor=actor,
                loan=loan,
                effective_date=txn.effective_date,
                kind=JournalEntry.Kind.PAYMENT,
                memo=f"Payment {txn.reference or txn.idempotency_key} re-applied (replay {replay.pk})",
                lines=journal_lines(allocation, loan),
            )
        except (PaymentError, LedgerError) as exc:
            raise PaymentError(
                f"the later payment of {txn.amount} on {txn.effective_date} (transaction {txn.pk}) could not be "
                f"re-applied: {exc}"
            ) from exc
        new_lines = AllocationLine.objects.bulk_create(allocation_lines(txn, allocation, installments))
        installments_apply(allocation, installments, txn.effective_date)
        if allocation.prepayment:
            installments_rederive(loan, changed_on=txn.effective_date)
        LoanTransaction.objects.filter(pk=txn.pk).update(journal_entry=entry)
        txn.journal_entry = entry
        before, old_entry = unwound.before[txn.pk]
        changes.append(
            ReplayChange(
                replay=replay,
                transaction=txn,
                before=before,
                after=bucket_totals(new_lines),
                old_entry_id=old_entry,
                new_entry=entry,
            )
        )
    ReplayChange.objects.bulk_create(changes)
    Replay.objects.filter(pk=replay.pk).update(trigger=trigger)
    replay.trigger = trigger
    audit_record(
        actor=actor,
        verb="loan.replayed",
        target=replay,
        after={
            "loan": loan.loan_number,
            "cause": replay.cause,
            "from_date": replay.from_date,
            "trigger": trigger.pk,
            "changed": [c.transaction_id for c in changes if c.changed],
            "reapplied": [c.transaction_id for c in changes],
        },
    )
    return replay
