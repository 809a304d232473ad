"""Charge-off and recovery: a manager writes off a loan the lender no longer expects to collect, and money received
on it afterwards is posted as a recovery. Both are atomic, audited, idempotent and for managers only.

The books, as a lender keeping an allowance for loan losses does them (ASC 326-20-35-8: write-offs are charged to
the allowance, recoveries credited to it). This ledger has no periodic allowance estimate, so the charge-off
provides for the loan in the same entry, and a recovery releases what it recovers of that provision:

charge-off (one entry, kind ``charge_off``), with B the borrower's funds held and L the loss::

    Dr suspense / interest paid in advance / escrow liability   B   the borrower's money, applied to the debt first
    Dr charge-off loss (provision)                              L
        Cr allowance for loan losses                            L   the loan provided for in full
    Dr allowance for loan losses                                L   the write-off, charged to the allowance
        Cr loans receivable                                     principal
        Cr interest receivable                                  accrued interest unpaid
        Cr fees receivable                                      late and other fees unpaid
        Cr escrow liability                                     escrow the servicer had advanced (a negative balance)

  L = principal + interest + fees + escrow advanced - B. Every balance the loan mirrors (``LOAN_BALANCE_ACCOUNTS``)
  is then zero, so ``ledger_verify`` still agrees, and the allowance nets to zero for the loan.

recovery (kind ``recovery``), R received::

    Dr cash                              R
        Cr allowance for loan losses     R   the recovery, credited to the allowance
    Dr allowance for loan losses         R
        Cr charge-off loss               R   the provision released: net charge-offs = charged off - recovered

  Recoveries are capped at the loss not yet recovered: more than that is the borrower's money, not ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.money import ZERO
from servicing.models import ChargeOff, JournalEntry, LoanAccount, LoanTransaction, PromiseToPay, Recovery
from servicing.models.ledger import (
    ALLOWANCE,
    CASH,
    CHARGE_OFF_LOSS,
    ESCROW_LIABILITY,
    FEES_RECEIVABLE,
    INTEREST_PREPAID,
    INTEREST_RECEIVABLE,
    LOANS_RECEIVABLE,
    SUSPENSE,
)
from servicing.services.collections import CollectionsError
from servicing.services.ledger import Line, journal_post

CENT = Decimal("0.01")


class ChargeOffError(CollectionsError):
    """A charge-off or recovery was refused; nothing was written. ``field`` names the input at fault, if any."""


@dataclass(frozen=True)
class ChargeOffFigures:
    """What charging a loan off today writes off, from its running balances."""

    principal: Decimal
    interest: Decimal
    fees: Decimal
    escrow_advance: Decimal
    suspense: Decimal
    interest_prepaid: Decimal
    escrow_surplus: Decimal

    @property
    def borrower_funds(self) -> Decimal:
        return self.suspense + self.interest_prepaid + self.escrow_surplus

    @property
    def loss(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.escrow_advance - self.borrower_funds


def charge_off_figures(loan: LoanAccount) -> ChargeOffFigures:
    escrow = loan.escrow_balance
    return ChargeOffFigures(
        principal=loan.principal_balance,
        interest=loan.interest_due,
        fees=loan.fees_due,
        escrow_advance=-escrow if escrow < ZERO else ZERO,
        suspense=loan.suspense_balance,
        interest_prepaid=loan.interest_prepaid,
        escrow_surplus=escrow if escrow > ZERO else ZERO,
    )


def charge_off_lines(figures: ChargeOffFigures) -> list[Line]:
    """The charge-off entry's lines (see the module docstring); zero amounts are left out."""
    loss = figures.loss
    candidates = [
        Line(SUSPENSE, debit=figures.suspense),
        Line(INTEREST_PREPAID, debit=figures.interest_prepaid),
        Line(ESCROW_LIABILITY, debit=figures.escrow_surplus),
        Line(CHARGE_OFF_LOSS, debit=loss),
        Line(ALLOWANCE, credit=loss),
        Line(ALLOWANCE, debit=loss),
        Line(LOANS_RECEIVABLE, credit=figures.principal),
        Line(INTEREST_RECEIVABLE, credit=figures.interest),
        Line(FEES_RECEIVABLE, credit=figures.fees),
        Line(ESCROW_LIABILITY, credit=figures.escrow_advance),
    ]
    return [line for line in candidates if line.debit or line.credit]


def recovery_lines(amount: Decimal) -> list[Line]:
    return [
        Line(CASH, debit=amount),
        Line(ALLOWANCE, credit=amount),
        Line(ALLOWANCE, debit=amount),
        Line(CHARGE_OFF_LOSS, credit=amount),
    ]


def _require_manager(actor: User, what: str) -> None:
    if not roles.has_role(actor, roles.MANAGER):
        raise ChargeOffError(f"Only a manager may {what}.")


def _lock(loan: LoanAccount) -> LoanAccount:
    return LoanAccount.objects.select_for_update().get(pk=loan.pk)


def loan_charge_off(*, actor: User, loan: LoanAccount, reason: str, as_of: date | None = None) -> ChargeOff:
    """Charge ``loan`` off on ``as_of`` (today): post the charge-off entry, set the loan ``charged_off`` and close
    its open promise (nothing is owed to the queue any more). Charging off a loan already charged off returns
    that charge-off and writes nothing (a double submit); a paid-off loan, or one with nothing to write off, is
    refused."""
    with transaction.atomic():
        _require_manager(actor, "charge off a loan")
        reason = (reason or "").strip()
        if not reason:
            raise ChargeOffError("Give the reason for the charge-off.", field="reason")
        as_of = as_of or timezone.localdate()
        locked = _lock(loan)
        if locked.status == LoanAccount.Status.CHARGED_OFF:
            return ChargeOff.objects.get(loan=locked)
        if locked.status != LoanAccount.Status.ACTIVE:
            raise ChargeOffError(
                f"{locked.loan_number} is {locked.get_status_display().lower()}: "
                "only an active loan can be charged off."
            )
        figures = charge_off_figures(locked)
        if figures.loss <= ZERO:
            raise ChargeOffError(
                f"{locked.loan_number}: the borrower's funds held cover what is owed: post them as a payoff instead."
            )
        entry = journal_post(
            actor=actor,
            loan=locked,
            effective_date=as_of,
            kind=JournalEntry.Kind.CHARGE_OFF,
            memo=f"Charge-off of {locked.loan_number}: {reason}",
            lines=charge_off_lines(figures),
            idempotency_key=f"charge-off:{locked.pk}",
            loan_locked=True,
        )
        charge_off = ChargeOff.objects.create(
            loan=locked,
            charged_off_on=as_of,
            principal=figures.principal,
            interest=figures.interest,
            fees=figures.fees,
            escrow_advance=figures.escrow_advance,
            borrower_funds_applied=figures.borrower_funds,
            loss=figures.loss,
            days_past_due=locked.days_past_due,
            reason=reason[:255],
            journal_entry=entry,
            charged_off_by=actor,
        )
        locked.status = LoanAccount.Status.CHARGED_OFF
        locked.save(update_fields=["status", "updated_at"])
        closed = PromiseToPay.objects.filter(loan=locked, status=PromiseToPay.Status.PENDING).update(
            status=PromiseToPay.Status.BROKEN, resolved_on=as_of
        )
        audit_record(
            actor=actor,
            verb="loan.charged_off",
            target=locked,
            before={"status": LoanAccount.Status.ACTIVE},
            after={
                "status": LoanAccount.Status.CHARGED_OFF,
                "charge_off": charge_off.pk,
                "journal_entry": entry.pk,
                "loss": figures.loss,
                "borrower_funds_applied": figures.borrower_funds,
                "promises_closed": closed,
            },
            note=reason,
        )
        loan.status = locked.status
        return charge_off


def recoverable(charge_off: ChargeOff) -> Decimal:
    """The loss not yet recovered."""
    recovered = sum(Recovery.objects.filter(loan_id=charge_off.loan_id).values_list("amount", flat=True), ZERO)
    return charge_off.loss - recovered


def _check_recovery(amount: Decimal | None, received_on: date, method: str, key: str) -> None:
    if amount is None or amount <= ZERO:
        raise ChargeOffError("The amount must be more than $0.00.", field="amount")
    if amount != amount.quantize(CENT):
        raise ChargeOffError("The amount is in dollars and cents.", field="amount")
    if received_on > timezone.localdate():
        raise ChargeOffError("A recovery cannot be dated in the future.", field="received_on")
    if method not in LoanTransaction.Method.values:
        raise ChargeOffError("Choose how the money came.", field="method")
    if not key:
        raise ChargeOffError("The form expired: open the page again.")


def recovery_post(
    *,
    actor: User,
    loan: LoanAccount,
    amount: Decimal,
    received_on: date,
    method: str,
    reference: str = "",
    idempotency_key: str,
) -> Recovery:
    """Post money received on a charged-off loan as a recovery (see the module docstring). A repeated
    ``idempotency_key`` returns the first recovery and writes nothing."""
    with transaction.atomic():
        _require_manager(actor, "post a recovery")
        _check_recovery(amount, received_on, method, idempotency_key)
        locked = _lock(loan)
        existing = Recovery.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.loan_id != locked.pk:
                raise ChargeOffError("That form was already used for another loan: open the page again.")
            return existing
        if locked.status != LoanAccount.Status.CHARGED_OFF:
            raise ChargeOffError(
                f"{locked.loan_number} is {locked.get_status_display().lower()}: "
                "money on it is a payment, not a recovery."
            )
        charge_off = ChargeOff.objects.get(loan=locked)
        if received_on < charge_off.charged_off_on:
            raise ChargeOffError(
                f"The loan was charged off on {charge_off.charged_off_on:%b %d, %Y}: "
                "a recovery is received after that.",
                field="received_on",
            )
        left = recoverable(charge_off)
        if amount > left:
            raise ChargeOffError(
                f"Only ${left:,} of the ${charge_off.loss:,} charged off is still unrecovered: "
                "money beyond it is the borrower's, to be refunded.",
                field="amount",
            )
        entry = journal_post(
            actor=actor,
            loan=locked,
            effective_date=received_on,
            kind=JournalEntry.Kind.RECOVERY,
            memo=f"Recovery {reference or idempotency_key} on {locked.loan_number} ({method})",
            lines=recovery_lines(amount),
            idempotency_key=f"recovery:{idempotency_key}",
            loan_locked=True,
        )
        try:
            with transaction.atomic():
                recovery = Recovery.objects.create(
                    loan=locked,
                    amount=amount,
                    received_on=received_on,
                    method=method,
                    reference=reference[:100],
                    idempotency_key=idempotency_key,
                    journal_entry=entry,
                    posted_by=actor,
                )
        except IntegrityError:  # the same key posted concurrently: the first stands
            return Recovery.objects.get(idempotency_key=idempotency_key)
        audit_record(
            actor=actor,
            verb="loan.recovery_posted",
            target=locked,
            after={
                "recovery": recovery.pk,
                "amount": amount,
                "received_on": received_on,
                "journal_entry": entry.pk,
                "unrecovered": left - amount,
            },
        )
        return recovery
