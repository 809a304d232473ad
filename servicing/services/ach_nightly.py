"""The nightly ACH work for business date D (the close of business's "ach" step): which loans need it, and
settlement through the ACH processor adapter and the batch poster. Autopay drafts are ``ach_drafts``, returns
``ach_returns``.

Dates, all business-day aware (``lending.core.calendar``, the general rule):
- an autopay draft is made on the installment's due date less ``draft_days_before`` days, moved back to the
  previous business day when that is a weekend or holiday (``ach_drafts.draft_date``);
- an ACH payment scheduled on day S settles (is sent to the processor and posted, dated the settlement day) on
  S + ``LENDING_ACH_SETTLEMENT_DAYS`` business days (0: S itself, or the next business day). A payment whose
  settlement day was missed settles on the next run, dated that run's date.

Idempotent by construction: a draft is unique per enrollment and installment (a skipped draft too), a payment
settles once (its status leaves ``pending``; the posting's idempotency key is ``ach:<id>``, the manual
settle's), and a return is processed once (its status leaves ``settled``; the fee's journal entry is unique).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from lending.core.bulk import bulk_update_rows
from lending.core.calendar import add_business_days, next_business_day, previous_business_day
from lending.core.models import User
from lending.core.services import audit_event, audit_record_many
from servicing.ach_processor.base import AchEntry, AchProcessor, AchProcessorError, AchResult, trace_number
from servicing.models import LoanAccount, LoanTransaction, PendingPayment
from servicing.services.ach import AchError
from servicing.services.ach_drafts import enrollments_to_draft
from servicing.services.ach_returns import returns_to_process
from servicing.services.payments_batch import PaymentRequest, payments_post_many

Status = PendingPayment.Status


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


# --- what is pending for D -----------------------------------------------------------------------------------


def payments_to_settle(business_date: date) -> QuerySet[PendingPayment]:
    """Pending ACH payments (portal and autopay) whose settlement day is ``business_date`` or earlier."""
    return PendingPayment.objects.filter(
        status=Status.PENDING, scheduled_date__lte=latest_scheduled_settling_by(business_date)
    )


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
        .filter(loan_id__any=loan_ids)
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
