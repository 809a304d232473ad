"""Bank (ACH) payments the borrower asks for: one-time payments that post only when they settle, and autopay.

A one-time payment is recorded as a ``PendingPayment`` and touches no balance: the money has not moved yet.
``ach_payment_settle`` posts it through ``payment_post`` with the idempotency key ``ach:<pk>``, so settling twice
(a retried admin action, the nightly job rerun) posts once. ``ach_payment_return`` records a draft the bank
returned; if it had already settled, the posting is reversed with ``payment_reverse``.

Autopay is recorded only: ``autopay_enroll`` keeps the standing instruction (one active enrollment per loan, a
partial unique constraint), the nightly jobs draft it later.

Rules a borrower meets (each refusal is an ``AchError`` naming the form field):
- an amount in whole cents, above zero and at most ``payment_ceiling`` (what the loan can absorb; see
  ``servicing.selectors.portal.payment_ceiling``);
- a date from today to ``MAX_SCHEDULE_DAYS`` ahead: far enough to schedule the next installment a full billing
  cycle ahead, near enough that the amount due (escrow changes, fees) is still what the borrower saw;
- an active loan; a valid ABA routing number (checksum) and a 4-17 digit account number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.money import ZERO, require_cents
from servicing.models import AutopayEnrollment, BorrowerDocument, LoanAccount, LoanTransaction, PendingPayment
from servicing.selectors import portal as portal_selectors
from servicing.services.notices import notice_later
from servicing.services.payments import PaymentError, payment_post, payment_reverse

MAX_SCHEDULE_DAYS = 30  # a one-time payment may be scheduled at most this many days ahead
MAX_DRAFT_DAYS_BEFORE = 10  # autopay drafts at most this many days before the due date
Status = PendingPayment.Status


class AchError(ValueError):
    """An ACH payment or autopay action was refused; nothing was written. ``field`` names the input at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class BankDetails:
    """The account to draft, as the borrower typed it (digits only once validated)."""

    account_holder: str
    routing_number: str
    account_number: str
    account_type: str = AutopayEnrollment.AccountType.CHECKING

    @classmethod
    def from_account(cls, account: AutopayEnrollment | PendingPayment) -> BankDetails:
        return cls(account.account_holder, account.routing_number, account.account_number, account.account_type)

    def fields(self) -> dict[str, str]:
        return {
            "account_holder": self.account_holder,
            "routing_number": self.routing_number,
            "account_number": self.account_number,
            "account_type": self.account_type,
            "account_last4": self.account_number[-4:],
        }


def _today() -> date:
    return timezone.localdate()


# The first two digits of an ABA routing number: 00 US government, 01-12 banks, 21-32 thrifts, 61-72 electronic,
# 80 traveler's checks; no other prefix is issued.
_ROUTING_PREFIXES = frozenset({0, *range(1, 13), *range(21, 33), *range(61, 73), 80})


def routing_number_valid(number: str) -> bool:
    """An issued ABA routing number: a known prefix, not all zeros (which passes the checksum), and the checksum
    3*(d1+d4+d7) + 7*(d2+d5+d8) + (d3+d6+d9) a multiple of 10."""
    if len(number) != 9 or not number.isdigit() or number == "000000000":
        return False
    if int(number[:2]) not in _ROUTING_PREFIXES:
        return False
    d = [int(c) for c in number]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8]) % 10 == 0


def _clean_bank(bank: BankDetails | None) -> BankDetails:
    if bank is None:
        raise AchError("give the bank account to draft", "account_number")
    holder = (bank.account_holder or "").strip()
    routing = "".join((bank.routing_number or "").split())
    account = "".join((bank.account_number or "").split())
    if not holder or len(holder) > 120:
        raise AchError("the name on the account is required (at most 120 characters)", "account_holder")
    if not routing_number_valid(routing):
        raise AchError("not a valid 9-digit ABA routing number", "routing_number")
    if not account.isdigit() or not 4 <= len(account) <= 17:
        raise AchError("an account number has 4 to 17 digits", "account_number")
    if bank.account_type not in AutopayEnrollment.AccountType.values:
        raise AchError("choose checking or savings", "account_type")
    return BankDetails(holder, routing, account, bank.account_type)


def _clean_amount(amount: Decimal | int | str, field: str = "amount", *, allow_zero: bool = False) -> Decimal:
    try:
        amount = require_cents(amount, field)
    except ValueError as exc:
        raise AchError(str(exc).removeprefix(f"{field}: "), field) from None
    if amount < 0 or (amount == 0 and not allow_zero):
        raise AchError(f"must be greater than zero, got {amount}", field)
    return amount


def _lock_active(loan: LoanAccount) -> LoanAccount:
    locked = LoanAccount.objects.select_for_update().get(pk=loan.pk)
    if locked.status != LoanAccount.Status.ACTIVE:
        raise AchError(f"loan {locked.loan_number} is {locked.get_status_display().lower()}; it takes no payments")
    return locked


def _existing_pending(key: str, loan: LoanAccount) -> PendingPayment | None:
    found = PendingPayment.objects.filter(idempotency_key=key).first()
    if found is not None and found.loan_id != loan.pk:
        raise AchError("this form was already used for another loan; reload the page", "idempotency_key")
    return found


# --- one-time payments ---------------------------------------------------------------------------------------


def ach_payment_schedule(
    *,
    loan: LoanAccount,
    amount: Decimal,
    scheduled_date: date,
    principal_only: bool,
    bank: BankDetails | None,
    actor: User,
    idempotency_key: str,
) -> PendingPayment:
    """Record a one-time ACH payment to draft on ``scheduled_date``; nothing is posted until it settles. A
    repeated ``idempotency_key`` (a double submit) returns the first record and writes nothing."""
    with transaction.atomic():
        if not idempotency_key or len(idempotency_key) > 100:
            raise AchError("missing or too long; reload the page", "idempotency_key")
        existing = _existing_pending(idempotency_key, loan)
        if existing is not None:
            return existing
        amount = _clean_amount(amount)
        today = _today()
        if not isinstance(scheduled_date, date) or scheduled_date < today:
            raise AchError(f"choose today ({today}) or a later day", "scheduled_date")
        latest = today + timedelta(days=MAX_SCHEDULE_DAYS)
        if scheduled_date > latest:
            raise AchError(f"at most {MAX_SCHEDULE_DAYS} days ahead (by {latest})", "scheduled_date")
        bank = _clean_bank(bank)
        locked = _lock_active(loan)  # serialises schedules on this loan, so the ceiling counts each one
        existing = _existing_pending(idempotency_key, loan)
        if existing is not None:
            return existing
        ceiling = portal_selectors.payment_ceiling(loan=locked, on=scheduled_date, principal_only=principal_only)
        if amount > ceiling:
            raise AchError(
                f"at most ${ceiling:,} on this loan (what you owe, less payments already scheduled); "
                "for a larger amount, request a payoff quote",
                "amount",
            )
        directive = PendingPayment.Directive.PRINCIPAL_ONLY if principal_only else PendingPayment.Directive.STANDARD
        try:
            with transaction.atomic():  # a savepoint: the same key submitted concurrently records once
                pending = PendingPayment.objects.create(
                    loan=locked,
                    amount=amount,
                    scheduled_date=scheduled_date,
                    directive=directive,
                    idempotency_key=idempotency_key,
                    created_by=actor,
                    **bank.fields(),
                )
        except IntegrityError:
            existing = _existing_pending(idempotency_key, loan)
            if existing is not None:
                return existing
            raise
        audit_record(
            actor=actor,
            verb="ach_payment.scheduled",
            target=pending,
            after={
                "loan": locked.loan_number,
                "amount": amount,
                "scheduled_date": scheduled_date,
                "directive": directive,
                "account_last4": pending.account_last4,
            },
        )
        return pending


def _lock_pending(pending: PendingPayment) -> PendingPayment:
    return PendingPayment.objects.select_for_update().get(pk=pending.pk)


def _set_status(pending: PendingPayment, locked: PendingPayment, actor: User | None, **fields: Any) -> None:
    fields.update(status_changed_by=actor if actor is not None and actor.pk else None, status_changed_at=timezone.now())
    for name, value in fields.items():
        setattr(locked, name, value)
        setattr(pending, name, value)
    locked.save(update_fields=list(fields))


def ach_payment_cancel(*, pending: PendingPayment, actor: User) -> PendingPayment:
    """Cancel a payment that has not settled. Refused once it has settled, been returned or been cancelled, or
    once it is in a NACHA file (``ach_files``): the bank has it then."""
    with transaction.atomic():
        locked = _lock_pending(pending)
        if locked.status != Status.PENDING:
            raise AchError(
                f"this payment is {locked.get_status_display().lower()}; only a pending payment can be cancelled"
            )
        if locked.ach_file_id is not None:
            raise AchError("this payment has been sent to the bank and can no longer be cancelled")
        _set_status(pending, locked, actor, status=Status.CANCELLED)
        audit_record(
            actor=actor,
            verb="ach_payment.cancelled",
            target=locked,
            before={"status": Status.PENDING},
            after={"status": Status.CANCELLED},
        )
        return pending


def ach_payment_settle(
    *, pending: PendingPayment, actor: User | None, settled_on: date | None = None
) -> LoanTransaction:
    """The money arrived: post the payment (dated ``settled_on``, today by default) with the loan's waterfall and
    mark it settled. Settling a settled payment returns its posting and posts nothing."""
    with transaction.atomic():
        locked = _lock_pending(pending)  # lock order: the pending payment, then (in payment_post) the loan
        if locked.status == Status.SETTLED:
            pending.status, pending.transaction_id = locked.status, locked.transaction_id
            return cast(LoanTransaction, locked.transaction)  # a settled payment has its posting
        if locked.status != Status.PENDING:
            raise AchError(
                f"ACH payment {locked.pk} is {locked.get_status_display().lower()}; it cannot settle", "status"
            )
        settled_on = settled_on or _today()
        if settled_on < locked.scheduled_date:
            raise AchError(f"scheduled for {locked.scheduled_date}: it cannot settle before", "settled_on")
        try:
            txn = payment_post(
                loan=locked.loan,
                amount=locked.amount,
                effective_date=settled_on,
                method=LoanTransaction.Method.ACH,
                reference=f"ACH {locked.pk} account ending {locked.account_last4}",
                idempotency_key=f"ach:{locked.pk}",
                actor=actor,
                directive=locked.directive,
            )
        except PaymentError as exc:
            raise AchError(f"ACH payment {locked.pk} cannot post: {exc}", "settled_on") from exc
        _set_status(pending, locked, actor, status=Status.SETTLED, transaction=txn, settled_on=settled_on)
        audit_record(
            actor=actor,
            verb="ach_payment.settled",
            target=locked,
            before={"status": Status.PENDING},
            after={"status": Status.SETTLED, "transaction": txn.pk, "settled_on": settled_on},
        )
        return txn


def ach_payment_return(*, pending: PendingPayment, actor: User | None, reason: str) -> PendingPayment:
    """The bank returned the draft (NSF, closed account, ...). Before settlement nothing was posted: the payment
    is marked returned. After settlement its posting is reversed (``payment_reverse``) too. Returning a
    returned payment changes nothing."""
    with transaction.atomic():
        reason = (reason or "").strip()
        if not reason:
            raise AchError("give the return reason (e.g. R01 insufficient funds)", "reason")
        locked = _lock_pending(pending)
        if locked.status == Status.RETURNED:
            return locked
        if locked.status == Status.CANCELLED:
            raise AchError(f"ACH payment {locked.pk} was cancelled; there is nothing to return", "status")
        before = {"status": locked.status}
        reversal = None
        if locked.status == Status.SETTLED:
            try:
                reversal = payment_reverse(
                    transaction=cast(LoanTransaction, locked.transaction), reason=f"ACH return: {reason}", actor=actor
                )
            except PaymentError as exc:
                raise AchError(f"ACH payment {locked.pk}: its posting cannot be reversed: {exc}") from exc
        _set_status(pending, locked, actor, status=Status.RETURNED, return_reason=reason[:255])
        audit_record(
            actor=actor,
            verb="ach_payment.returned",
            target=locked,
            before=before,
            after={"status": Status.RETURNED, "reversal": reversal.pk if reversal else None},
            note=reason,
        )
        notice_later(BorrowerDocument.Kind.ACH_RETURNED, locked.pk)  # the borrower's notice, made after commit
        return pending


# --- autopay -------------------------------------------------------------------------------------------------


def autopay_enroll(
    *,
    loan: LoanAccount,
    bank: BankDetails | None,
    draft_days_before: int,
    extra_principal: Decimal = ZERO,
    max_draft_amount: Decimal | None = None,
    actor: User,
) -> AutopayEnrollment:
    """Record the borrower's autopay instruction: each installment (plus ``extra_principal``) drafted
    ``draft_days_before`` days before its due date, never above ``max_draft_amount`` (the borrower's ceiling;
    None: none). Refused while another enrollment is active."""
    with transaction.atomic():
        if isinstance(draft_days_before, bool) or not isinstance(draft_days_before, int):
            raise AchError("choose the draft day", "draft_days_before")
        if not 0 <= draft_days_before <= MAX_DRAFT_DAYS_BEFORE:
            raise AchError(f"from 0 to {MAX_DRAFT_DAYS_BEFORE} days before the due date", "draft_days_before")
        extra_principal = _clean_amount(extra_principal or ZERO, "extra_principal", allow_zero=True)
        if max_draft_amount is not None:
            max_draft_amount = _clean_amount(max_draft_amount, "max_draft_amount")
        bank = _clean_bank(bank)
        locked = _lock_active(loan)  # serialises enrollments; the partial unique constraint is the backstop
        if extra_principal > locked.principal_balance:
            raise AchError(f"at most the unpaid principal (${locked.principal_balance:,})", "extra_principal")
        already = "this loan already has autopay; cancel it before enrolling another account"
        if AutopayEnrollment.objects.filter(loan=locked, active=True).exists():
            raise AchError(already)
        try:
            with transaction.atomic():
                enrollment = AutopayEnrollment.objects.create(
                    loan=locked,
                    draft_days_before=draft_days_before,
                    extra_principal=extra_principal,
                    max_draft_amount=max_draft_amount,
                    enrolled_by=actor,
                    **bank.fields(),
                )
        except IntegrityError as exc:
            raise AchError(already) from exc
        audit_record(
            actor=actor,
            verb="autopay.enrolled",
            target=enrollment,
            after={
                "loan": locked.loan_number,
                "draft_days_before": draft_days_before,
                "extra_principal": extra_principal,
                "max_draft_amount": max_draft_amount,
                "account_last4": enrollment.account_last4,
            },
        )
        return enrollment


def autopay_cancel(*, enrollment: AutopayEnrollment, actor: User) -> AutopayEnrollment:
    """Stop autopay. Refused when it is already cancelled."""
    with transaction.atomic():
        locked = AutopayEnrollment.objects.select_for_update().get(pk=enrollment.pk)
        if not locked.active:
            raise AchError("autopay on this account is already cancelled")
        now = timezone.now()
        locked.active, locked.cancelled_at, locked.cancelled_by = False, now, actor
        locked.save(update_fields=["active", "cancelled_at", "cancelled_by"])
        enrollment.active, enrollment.cancelled_at, enrollment.cancelled_by = False, now, actor
        audit_record(
            actor=actor,
            verb="autopay.cancelled",
            target=locked,
            before={"active": True},
            after={"active": False},
        )
        return enrollment
