"""Autopay drafts for business date D (the nightly ACH step): each active, unsuspended enrollment drafts the
installment whose draft date is D, once per enrollment and installment, never above the borrower's ceiling.

The draft date is the installment's due date less ``draft_days_before`` days, moved back to the previous business
day when that is a weekend or holiday (so the money never arrives later than asked). A draft is a pending ACH
payment scheduled on D; a draft not made (above the ceiling) is an ``AutopaySkippedDraft`` saying why. Both are
unique per enrollment and installment, so a rerun decides nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import cast

from django.db.models import Exists, OuterRef, Q, QuerySet

from lending.core.calendar import is_business_day, next_business_day, previous_business_day
from lending.core.models import User
from lending.core.services import audit_event, audit_record_many
from lending.finance.money import ZERO
from servicing.models import AutopayEnrollment, AutopaySkippedDraft, Installment, LoanAccount, PendingPayment
from servicing.services.ach import MAX_DRAFT_DAYS_BEFORE

ACCOUNT_FIELDS = ("account_holder", "account_type", "routing_number", "account_number", "account_last4")


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


def _undrafted(start: date, end: date) -> QuerySet[Installment]:
    """Unpaid installments of the outer enrollment's loan due in [start, end) it has not drafted (or skipped), and
    with no draft still pending from an earlier enrollment (cancelled autopay leaves its drafts pending: drafting
    the installment again would debit the account twice)."""
    return Installment.objects.filter(
        loan=OuterRef("loan_id"), paid_on__isnull=True, due_date__gte=start, due_date__lt=end
    ).exclude(
        Exists(PendingPayment.objects.filter(enrollment=OuterRef(OuterRef("pk")), installment=OuterRef("pk")))
        | Exists(AutopaySkippedDraft.objects.filter(enrollment=OuterRef(OuterRef("pk")), installment=OuterRef("pk")))
        | Exists(PendingPayment.objects.filter(installment=OuterRef("pk"), status=PendingPayment.Status.PENDING))
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
    pending = _pending_drafts(installments)
    drafts: list[PendingPayment] = []
    skips: list[AutopaySkippedDraft] = []
    for installment in installments:
        enrollment = enrollments[installment.loan_id]
        if (enrollment.pk, installment.pk) in done or installment.pk in pending:
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


def _pending_drafts(installments: list[Installment]) -> set[int]:
    """The installments with a draft still pending, from any enrollment: an earlier, cancelled enrollment's draft
    still goes to the bank, so a new enrollment must not draft the installment again."""
    pending = PendingPayment.objects.filter(
        installment__in=[i.pk for i in installments], status=PendingPayment.Status.PENDING
    )
    return set(pending.values_list("installment_id", flat=True))


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
