"""Charging late fees (the close of business's late-fee step calls ``late_fees_assess``) and waiving fees.

A late fee posts Dr fees receivable / Cr fee income (kind ``fee``), one entry per fee, and a ``LoanFee`` row
unique per installment: charging the same night twice writes nothing the second time. The installment's
``late_fees`` carries what it owes in late fees, so ``posting.dues_of`` hands it to the allocation strategy, which
pays it in its own order (``mortgage_standard``: only after every periodic payment due).

A returned-payment fee (``servicing.services.ach_returns``) sits the same way in its installment's ``fees``.

A waiver reverses the fee's entry (Dr fee income / Cr fees receivable) and takes the fee off its installment's
``late_fees`` or ``fees``, audited; refused when the fee is already waived or anything of it is paid (a paid fee
is refunded, not waived).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from lending.core.bulk import bulk_update_rows
from lending.core.calendar import add_business_days
from lending.core.models import User
from lending.core.services import audit_event, audit_record, audit_record_many
from lending.finance.late_fees import grace_ends_in, late_fee_amount
from lending.finance.money import ZERO
from servicing.models import BorrowerDocument, Installment, JournalEntry, LoanAccount, LoanFee
from servicing.models.ledger import FEE_INCOME, FEES_RECEIVABLE
from servicing.services.ledger import LedgerError, journal_post_many, journal_reverse, ledger_accounts, posting_prepare
from servicing.services.notices import notices_later
from servicing.services.posting import loan_lock


class FeeError(ValueError):
    """A fee action was refused; nothing was written."""


def previous_close(business_date: date) -> date:
    """The business day before ``business_date``: the close before it (the grace periods it already charged)."""
    return add_business_days(business_date, -1)


def late_candidates(business_date: date) -> Q:
    """Installments whose grace period ends after the previous close and by ``business_date``'s (the first day
    after grace is ``due_date + grace_days + 1``), still short of their periodic payment and not yet charged, on
    active loans whose contract has a late fee. Per-loan grace days become one date range per distinct value
    (a handful), so the test is plain indexed date comparisons on every database."""
    before = previous_close(business_date)
    graces = LoanAccount.objects.filter(status=LoanAccount.Status.ACTIVE).values_list("grace_days", flat=True)
    window = Q(pk__in=[])
    for grace in set(graces.distinct().order_by()):
        # Charged at this close: the due date d with before - grace - 1 < d <= business_date - grace - 1.
        last_due = business_date - timedelta(days=grace + 1)
        window |= Q(
            loan__grace_days=grace,
            # Only loans past due beyond grace (their oldest unpaid due date, kept on the loan): the late loans
            # drive the query, not every installment of the portfolio falling in the date range.
            loan__next_due_date__lte=last_due,
            due_date__gt=before - timedelta(days=grace + 1),
            due_date__lte=last_due,
        )
    charged = LoanFee.objects.filter(installment=OuterRef("pk"), kind=LoanFee.Kind.LATE_FEE)
    return (
        window
        & Q(paid_on__isnull=True, payment__gt=0, loan__status=LoanAccount.Status.ACTIVE)
        # A fee to charge: a flat part, or a percent of principal and interest the installment has.
        & (Q(loan__late_fee_flat__gt=0) | Q(Q(principal__gt=0) | Q(interest__gt=0), loan__late_fee_percent__gt=0))
        & ~Q(Exists(charged))
    )


@dataclass(frozen=True)
class _Charge:
    installment: Installment
    amount: Decimal


def late_fees_assess(*, business_date: date, loan_ids: list[int], actor: User | None) -> int:
    """Charge the late fees ``business_date``'s close owes on ``loan_ids``, in a few statements: the loans locked
    (pk order), one query for the installments, the entries and the fee rows in bulk. Returns the fees charged."""
    loans = {
        loan.pk: loan
        for loan in LoanAccount.objects.select_for_update()
        .filter(pk__any=loan_ids, status=LoanAccount.Status.ACTIVE)
        .order_by("pk")
    }
    found = list(
        Installment.objects.filter(late_candidates(business_date), loan_id__in=list(loans)).order_by(
            "loan_id", "due_date", "number"
        )
    )
    before = previous_close(business_date)
    charges = []
    for installment in found:
        loan = loans[installment.loan_id]
        if not grace_ends_in(installment.due_date, loan.grace_days, before, business_date):
            continue  # the query's ranges are exact; this keeps the rule in one place (lending.finance)
        amount = late_fee_amount(
            installment.principal + installment.interest,
            percent=loan.late_fee_percent,
            flat=loan.late_fee_flat,
            maximum=loan.late_fee_max,
            state=loan.property_state,
        )
        if amount > ZERO:
            charges.append(_Charge(installment, amount))
    if charges:
        _post(charges, loans, business_date, actor)
    return len(charges)


def _post(charges: list[_Charge], loans: dict[int, LoanAccount], business_date: date, actor: User | None) -> None:
    accounts = ledger_accounts()
    postings = [
        posting_prepare(
            loan=loans[charge.installment.loan_id],
            effective_date=business_date,
            kind=JournalEntry.Kind.FEE,
            memo=f"Late fee: installment {charge.installment.number} due {charge.installment.due_date} unpaid "
            f"after {loans[charge.installment.loan_id].grace_days} days' grace",
            lines=[(FEES_RECEIVABLE, charge.amount, ZERO), (FEE_INCOME, ZERO, charge.amount)],
            accounts=accounts,
        )
        for charge in charges
    ]
    entries = journal_post_many(actor=actor, postings=postings, accounts=accounts, audit=False)
    fees = LoanFee.objects.bulk_create(
        [
            LoanFee(
                loan_id=charge.installment.loan_id,
                installment=charge.installment,
                kind=LoanFee.Kind.LATE_FEE,
                amount=charge.amount,
                assessed_on=business_date,
                journal_entry=entry,
            )
            for charge, entry in zip(charges, entries, strict=True)
        ]
    )
    # One notice task per fee after commit: the step only enqueues, the workers render.
    notices_later(BorrowerDocument.Kind.LATE_FEE, [fee.pk for fee in fees])
    for charge in charges:
        charge.installment.late_fees += charge.amount
    bulk_update_rows(Installment, [charge.installment for charge in charges], ["late_fees"])
    audit_record_many(
        [
            audit_event(
                actor=actor,
                verb="fee.assessed",
                target=fee,
                after={
                    "loan": posting.loan.loan_number,
                    "kind": fee.kind,
                    "installment": charge.installment.number,
                    "due_date": charge.installment.due_date,
                    "amount": fee.amount,
                    "journal_entry": fee.journal_entry_id,
                    "journal_lines": [[line.account, line.debit, line.credit] for line in posting.lines],
                },
            )
            for fee, charge, posting in zip(fees, charges, postings, strict=True)
        ]
    )


def fee_paid(fee: LoanFee) -> Decimal:
    """What payments have paid of ``fee``. A late fee: its installment's paid late fees (one per installment).
    Other fees share their installment's ``fees``, and payments do not say which fee they paid: the fee counts as
    paid for what the installment's unpaid fees fall short of it (so waiving it never leaves ``paid_fees`` above
    ``fees``)."""
    installment = fee.installment
    if installment is None:
        return ZERO
    if fee.kind == LoanFee.Kind.LATE_FEE:
        return installment.paid_late_fees
    return max(ZERO, fee.amount - (installment.fees - installment.paid_fees))


def fee_waive(*, fee: LoanFee, actor: User | None, reason: str) -> LoanFee:
    """Waive ``fee`` in full: reverse its entry (Dr fee income / Cr fees receivable), take it off what its
    installment owes, audited. ``FeeError`` when there is no reason, or the fee is already waived or paid."""
    with transaction.atomic():
        reason = (reason or "").strip()
        if not reason:
            raise FeeError("Give the reason for the waiver.")
        loan = loan_lock(fee.loan)
        fee = (
            LoanFee.objects.select_for_update(of=("self",))
            .select_related("installment", "journal_entry")
            .get(pk=fee.pk)
        )
        if fee.waived_amount:
            raise FeeError(f"This {fee.get_kind_display().lower()} was already waived on {fee.waived_on}.")
        paid = fee_paid(fee)
        if paid:
            raise FeeError(
                f"{paid} of this {fee.get_kind_display().lower()} is already paid: reverse the payment or refund it "
                "instead of waiving it."
            )
        when = max(timezone.localdate(), fee.assessed_on)
        try:
            entry = journal_reverse(
                actor=actor, entry=fee.journal_entry, reason=f"fee waived: {reason}", effective_date=when
            )
        except LedgerError as exc:
            raise FeeError(f"The fee cannot be waived: {exc}") from exc
        before = {"waived_amount": fee.waived_amount}
        fee.waived_amount = fee.amount
        fee.waived_on = when
        fee.waived_by = actor if actor is not None and actor.pk else None
        fee.waiver_reason = reason[:255]
        fee.waiver_entry = entry
        fee.save(update_fields=["waived_amount", "waived_on", "waived_by", "waiver_reason", "waiver_entry"])
        if fee.installment is not None:
            field = "late_fees" if fee.kind == LoanFee.Kind.LATE_FEE else "fees"
            Installment.objects.filter(pk=fee.installment.pk).update(**{field: F(field) - fee.amount})
        audit_record(
            actor=actor,
            verb="fee.waived",
            target=fee,
            before=before,
            after={"loan": loan.loan_number, "amount": fee.amount, "waived_on": when, "waiver_entry": entry.pk},
            note=reason,
        )
        return fee
