"""The nightly ACH work for business date D (the close of business's "ach" step): autopay drafts, settlement
through the ACH processor adapter and the batch poster, and returns.

Dates, all business-day aware (``lending.core.calendar``, the general rule):
- an autopay draft is made on the installment's due date less ``draft_days_before`` days, moved back to the
  previous business day when that is a weekend or holiday (so the money never arrives later than asked);
- an ACH payment scheduled on day S settles (is sent to the processor and posted, dated the settlement day) on
  S + ``LENDING_ACH_SETTLEMENT_DAYS`` business days (0: S itself, or the next business day). A payment whose
  settlement day was missed settles on the next run, dated that run's date.

Idempotent by construction: a draft is unique per enrollment and installment (a skipped draft too), a payment
settles once (its status leaves ``pending``; the posting's idempotency key is ``ach:<id>``, the manual
settle's), and a return is processed once (its status leaves ``settled``; the fee's journal entry is unique).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from lending.core.bulk import bulk_update_rows
from lending.core.calendar import add_business_days, is_business_day, next_business_day, previous_business_day
from lending.core.models import User
from lending.core.services import audit_event, audit_record, audit_record_many
from lending.finance.money import ZERO
from servicing.ach_processor.base import AchEntry, AchProcessor, AchProcessorError, AchResult, trace_number
from servicing.models import (
    AutopayEnrollment,
    AutopaySkippedDraft,
    Installment,
    JournalEntry,
    LoanAccount,
    LoanTransaction,
    PendingPayment,
    ReturnCode,
)
from servicing.models.ach import ACCOUNT_UNUSABLE_CODES
from servicing.models.ledger import FEE_INCOME, FEES_RECEIVABLE
from servicing.services.ach import MAX_DRAFT_DAYS_BEFORE, AchError
from servicing.services.ledger import journal_post
from servicing.services.payments import PaymentError, payment_reverse
from servicing.services.payments_batch import PaymentRequest, payments_post_many

Status = PendingPayment.Status
ACCOUNT_FIELDS = ("account_holder", "account_type", "routing_number", "account_number", "account_last4")


# --- dates ---------------------------------------------------------------------------------------------------


def settlement_lag() -> int:
    return max(0, int(settings.LENDING_ACH_SETTLEMENT_DAYS))


def ach_settlement_date(scheduled: date) -> date:
    """The business day a payment scheduled on ``scheduled`` settles."""
    lag = settlement_lag()
    return add_business_days(scheduled, lag) if lag else next_business_day(scheduled)


def latest_scheduled_settling_by(business_date: date) -> date:
    """The last scheduled date whose settlement day is ``business_date`` or earlier. With a lag of 1: on Monday,
    payments scheduled through Sunday (Friday's, Saturday's and Sunday's all settle Monday)."""
    last = previous_business_day(business_date)
    lag = settlement_lag()
    if lag == 0:
        return last
    return add_business_days(last, 1 - lag) - timedelta(days=1)


def draft_date(due_date: date, days_before: int) -> date:
    """The day autopay drafts an installment due on ``due_date``."""
    return previous_business_day(due_date - timedelta(days=days_before))


def _draft_windows(business_date: date) -> dict[int, tuple[date, date]]:
    """For each ``draft_days_before`` k, the due dates [start, end) whose draft date is ``business_date``: the
    due date less k falls on D or on the non-business days after it. None on a non-business day."""
    if not is_business_day(business_date):
        return {}
    end = next_business_day(business_date + timedelta(days=1))
    return {k: (business_date + timedelta(days=k), end + timedelta(days=k)) for k in range(MAX_DRAFT_DAYS_BEFORE + 1)}


# --- what is pending for D -----------------------------------------------------------------------------------


def _undrafted(start: date, end: date) -> QuerySet[Installment]:
    """Unpaid installments of the outer enrollment's loan due in [start, end) it has not drafted (or skipped)."""
    return Installment.objects.filter(
        loan=OuterRef("loan_id"), paid_on__isnull=True, due_date__gte=start, due_date__lt=end
    ).exclude(
        Exists(PendingPayment.objects.filter(enrollment=OuterRef(OuterRef("pk")), installment=OuterRef("pk")))
        | Exists(AutopaySkippedDraft.objects.filter(enrollment=OuterRef(OuterRef("pk")), installment=OuterRef("pk")))
    )


def enrollments_to_draft(business_date: date) -> QuerySet[AutopayEnrollment]:
    """Active, unsuspended enrollments on active loans with an installment to draft on ``business_date``."""
    windows = _draft_windows(business_date)
    if not windows:
        return AutopayEnrollment.objects.none()
    due = reduce(or_, (Q(draft_days_before=k) & Exists(_undrafted(*window)) for k, window in windows.items()))
    return AutopayEnrollment.objects.filter(
        due, active=True, suspended_on__isnull=True, loan__status=LoanAccount.Status.ACTIVE
    )


def payments_to_settle(business_date: date) -> QuerySet[PendingPayment]:
    """Pending ACH payments (portal and autopay) whose settlement day is ``business_date`` or earlier."""
    return PendingPayment.objects.filter(
        status=Status.PENDING, scheduled_date__lte=latest_scheduled_settling_by(business_date)
    )


def returns_to_process() -> QuerySet[PendingPayment]:
    """Settled payments with a return received and not yet processed."""
    return PendingPayment.objects.filter(status=Status.SETTLED).exclude(return_code="")


def ach_pending_loan_ids(business_date: date) -> QuerySet[Any, int]:
    return (
        LoanAccount.objects.filter(
            Q(pk__in=enrollments_to_draft(business_date).values("loan_id"))
            | Q(pk__in=payments_to_settle(business_date).values("loan_id"))
            | Q(pk__in=returns_to_process().values("loan_id"))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- autopay drafts ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftDecision:
    """What autopay drafts for an installment: an amount, or nothing and why."""

    owed: Decimal
    amount: Decimal
    skipped: str = ""


def draft_decide(
    *, installment: Installment, principal_balance: Decimal, extra_principal: Decimal, ceiling: Decimal | None
) -> DraftDecision:
    """What the installment still owes (principal no more than the loan still owes) plus the extra principal
    (no more than the principal left after it). Never above ``ceiling``: the extra is cut to fit, and when the
    installment alone owes more, nothing is drafted."""
    principal = min(installment.principal - installment.paid_principal, principal_balance)
    owed = (
        (installment.interest - installment.paid_interest) + principal + (installment.escrow - installment.paid_escrow)
    )
    if owed <= 0:
        return DraftDecision(owed, ZERO, "the installment owes nothing")
    if ceiling is not None and owed > ceiling:
        return DraftDecision(
            owed, ZERO, f"the installment owes ${owed:,}, above the autopay ceiling of ${ceiling:,}: pay it directly"
        )
    amount = owed + min(extra_principal, max(principal_balance - principal, ZERO))
    if ceiling is not None:
        amount = min(amount, ceiling)
    return DraftDecision(owed, amount)


def autopay_drafts_create(*, business_date: date, loan_ids: list[int], actor: User | None) -> int:
    """Draft every installment of these loans whose draft date is ``business_date``: a pending ACH payment
    (scheduled that day) per enrollment and installment, or a skipped-draft record saying why not. Returns how
    many drafts it made."""
    enrollments = {
        e.loan_id: e
        for e in enrollments_to_draft(business_date).filter(loan_id__in=loan_ids).select_related("loan").order_by("pk")
    }
    if not enrollments:
        return 0
    windows = _draft_windows(business_date)
    due = reduce(
        or_,
        (
            Q(
                loan_id__in=[pk for pk, e in enrollments.items() if e.draft_days_before == k],
                due_date__gte=windows[k][0],
                due_date__lt=windows[k][1],
            )
            for k in {e.draft_days_before for e in enrollments.values()}
        ),
    )
    installments = list(Installment.objects.filter(due, paid_on__isnull=True).order_by("loan_id", "due_date", "number"))
    done = _decided_pairs(enrollments.values(), installments)
    drafts: list[PendingPayment] = []
    skips: list[AutopaySkippedDraft] = []
    for installment in installments:
        enrollment = enrollments[installment.loan_id]
        if (enrollment.pk, installment.pk) in done:
            continue
        decision = draft_decide(
            installment=installment,
            principal_balance=enrollment.loan.principal_balance,
            extra_principal=enrollment.extra_principal,
            ceiling=enrollment.max_draft_amount,
        )
        if decision.skipped:
            skips.append(
                AutopaySkippedDraft(
                    enrollment=enrollment,
                    installment=installment,
                    draft_date=business_date,
                    amount_owed=decision.owed,
                    reason=decision.skipped,
                )
            )
            continue
        drafts.append(
            PendingPayment(
                loan_id=enrollment.loan_id,
                amount=decision.amount,
                scheduled_date=business_date,
                idempotency_key=f"autopay:{enrollment.pk}:{installment.pk}",
                created_by_id=enrollment.enrolled_by_id,  # the borrower's standing instruction
                enrollment=enrollment,
                installment=installment,
                **{name: getattr(enrollment, name) for name in ACCOUNT_FIELDS},
            )
        )
    PendingPayment.objects.bulk_create(drafts)
    AutopaySkippedDraft.objects.bulk_create(skips)
    audit_record_many(
        [
            audit_event(
                actor=actor,
                verb="autopay.drafted",
                target=draft,
                after={
                    "loan": draft.loan_id,
                    "installment": cast(Installment, draft.installment).number,
                    "amount": draft.amount,
                    "scheduled_date": business_date,
                    "account_last4": draft.account_last4,
                },
            )
            for draft in drafts
        ]
        + [
            audit_event(
                actor=actor,
                verb="autopay.draft_skipped",
                target=skip.enrollment,
                after={"installment": skip.installment.number, "amount_owed": skip.amount_owed},
                note=skip.reason,
            )
            for skip in skips
        ]
    )
    return len(drafts)


def _decided_pairs(enrollments: Iterable[AutopayEnrollment], installments: list[Installment]) -> set[tuple[int, int]]:
    """(enrollment, installment) pairs already drafted or skipped."""
    pks = [e.pk for e in enrollments]
    numbers = [i.pk for i in installments]
    drafted = PendingPayment.objects.filter(enrollment__in=pks, installment__in=numbers)
    skipped = AutopaySkippedDraft.objects.filter(enrollment__in=pks, installment__in=numbers)
    return {
        *drafted.values_list("enrollment_id", "installment_id"),
        *skipped.values_list("enrollment_id", "installment_id"),
    }


# --- settlement ----------------------------------------------------------------------------------------------


def _entry(pending: PendingPayment) -> AchEntry:
    return AchEntry(
        entry_id=pending.pk,
        loan_number=pending.loan.loan_number,
        account_holder=pending.account_holder,
        routing_number=pending.routing_number,
        account_number=pending.account_number,
        account_type=pending.account_type,
        amount=pending.amount,
        trace_number=trace_number(pending.pk),
    )


def ach_payments_settle(
    *, business_date: date, loan_ids: list[int], actor: User | None, processor: AchProcessor
) -> list[PendingPayment]:
    """Send these loans' payments due to settle by ``business_date`` to the processor and post them through
    the batch poster, dated ``business_date``; a return the processor already answers is recorded on the
    payment (``ach_returns_process`` handles it). A payment the poster refuses raises ``AchError`` (the chunk
    falls back to one loan at a time; that loan's payments stay pending and the loan is reported)."""
    pending = list(
        payments_to_settle(business_date)
        .filter(loan_id__in=loan_ids)
        .select_related("loan")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    if not pending:
        return []
    entries = [_entry(p) for p in pending]
    answers: dict[int, AchResult] = {r.entry_id: r for r in processor.submit(business_date, entries)}
    missing = [p.pk for p in pending if p.pk not in answers]
    if missing:
        raise AchProcessorError(f"the processor did not answer for ACH payment(s) {missing}")
    results = payments_post_many(
        requests=[
            PaymentRequest(
                loan_id=p.loan_id,
                amount=p.amount,
                effective_date=business_date,
                method=LoanTransaction.Method.ACH,
                reference=f"ACH {p.pk} account ending {p.account_last4}",
                idempotency_key=f"ach:{p.pk}",
                directive=p.directive,
            )
            for p in pending
        ],
        actor=actor,
    )
    for p, result in zip(pending, results, strict=True):
        if result.error is not None:
            raise AchError(f"ACH payment {p.pk} cannot post: {result.error}", "settled_on")
    now = timezone.now()
    who = actor if actor is not None and actor.pk else None
    for p, result in zip(pending, results, strict=True):
        answer = answers[p.pk]
        p.status, p.transaction, p.settled_on = Status.SETTLED, result.transaction, business_date
        p.status_changed_by, p.status_changed_at = who, now
        p.processor, p.is_sandbox, p.trace_number = processor.name[:80], processor.is_sandbox, answer.trace_number
        p.return_code = answer.return_code
    bulk_update_rows(
        PendingPayment,
        pending,
        [
            "status",
            "transaction",
            "settled_on",
            "status_changed_by",
            "status_changed_at",
            "processor",
            "is_sandbox",
            "trace_number",
            "return_code",
        ],
    )
    audit_record_many(
        [
            audit_event(
                actor=actor,
                verb="ach_payment.settled",
                target=p,
                before={"status": Status.PENDING},
                after={
                    "status": Status.SETTLED,
                    "transaction": p.transaction_id,
                    "settled_on": business_date,
                    "processor": p.processor,
                    "trace_number": p.trace_number,
                    **({"return_code": p.return_code} if p.return_code else {}),
                },
            )
            for p in pending
        ]
    )
    return pending


# --- returns -------------------------------------------------------------------------------------------------


@transaction.atomic
def ach_returns_receive(*, processor: AchProcessor, on: date, actor: User | None) -> int:
    """Record the returns the processor reports on ``on`` (a bank's return file, days after settlement) on
    their settled payments, by trace number; the next nightly ACH step reverses them. Returns recorded before,
    and trace numbers we do not know, change nothing. Returns how many it recorded."""
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
        audit_record(actor=actor, verb="ach_payment.return_received", target=p, after={"return_code": p.return_code})
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


@transaction.atomic
def ach_return_apply(*, pending: PendingPayment, business_date: date, actor: User | None) -> PendingPayment:
    """A settled payment came back with ``pending.return_code``: reverse its posting (``payment_reverse``),
    mark it returned on ``business_date``, charge the returned-payment fee (Dr fees receivable, Cr fee income;
    one per return) and suspend its autopay enrollment when that was one return too many."""
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
    return locked


def _return_fee_post(pending: PendingPayment, business_date: date, actor: User | None) -> JournalEntry | None:
    loan = LoanAccount.objects.select_for_update().get(pk=pending.loan_id)
    fee = loan.returned_payment_fee
    if fee <= 0:
        return None
    return journal_post(
        actor=actor,
        loan=loan,
        effective_date=business_date,
        kind=JournalEntry.Kind.FEE,
        memo=f"Returned payment fee: ACH {pending.pk} returned {pending.return_code} on {loan.loan_number}",
        lines=[(FEES_RECEIVABLE, fee, ZERO), (FEE_INCOME, ZERO, fee)],
        idempotency_key=f"ach-return-fee:{pending.pk}",
        loan_locked=True,
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
