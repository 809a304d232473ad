"""Close of business, step 8: promises to pay whose date has come.

For business date D, a loan's pending promise whose promised date is D or earlier is resolved: KEPT when the
payments posted on the loan from the day the promise was made through its promised date (by effective date;
reversed payments do not count) add up to its amount, BROKEN otherwise, which puts the loan back in the
collections queue (the queue holds back loans with an open promise). Per chunk: one query locks the promises, one
sums the payments, one UPDATE per outcome and one INSERT of the audit rows. A resolved promise is no longer
pending, so a rerun finds nothing to do.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from lending.core.models import User
from lending.core.services import audit_event, audit_record_many
from servicing.models import LoanAccount, PromiseToPay
from servicing.services.nightly.base import ChunkResult, NightlyStep, isolate, register
from servicing.services.plans import paid_between, payments_by_day


def promises_due(business_date: date) -> QuerySet[PromiseToPay]:
    return PromiseToPay.objects.filter(status=PromiseToPay.Status.PENDING, promised_date__lte=business_date)


def promise_paid(promise: PromiseToPay, payments: list[tuple[date, Decimal]]) -> Decimal:
    """What was paid toward ``promise``: the payments from the day it was made through its promised date."""
    return paid_between(payments, promise.made_on, promise.promised_date)


def promises_resolve(*, business_date: date, loan_ids: list[int], actor: User | None) -> int:
    """Resolve the due pending promises of ``loan_ids`` on ``business_date``; returns how many were resolved."""
    promises = list(
        promises_due(business_date)
        .filter(loan_id__in=loan_ids)
        .select_for_update()
        .select_related("loan")
        .only("pk", "loan_id", "loan__loan_number", "amount", "promised_date", "made_on", "status")
        .order_by("pk")
    )
    if not promises:
        return 0
    since = min(p.made_on for p in promises)
    through = max(p.promised_date for p in promises)
    payments = payments_by_day([p.loan_id for p in promises], since, through)
    outcome: dict[str, list[int]] = {PromiseToPay.Status.KEPT: [], PromiseToPay.Status.BROKEN: []}
    paid: dict[int, Decimal] = {}
    events = []
    for promise in promises:
        paid[promise.pk] = promise_paid(promise, payments.get(promise.loan_id, []))
        status: str = PromiseToPay.Status.KEPT if paid[promise.pk] >= promise.amount else PromiseToPay.Status.BROKEN
        outcome[status].append(promise.pk)
        events.append(
            audit_event(
                actor=actor,
                verb=f"loan.promise_{status}",
                target=promise.loan,
                before={"promise": promise.pk, "status": PromiseToPay.Status.PENDING},
                after={"status": status, "paid": paid[promise.pk], "amount": promise.amount, "as_of": business_date},
            )
        )
    for status, ids in outcome.items():
        if ids:
            PromiseToPay.objects.filter(pk__in=ids).update(status=status, resolved_on=business_date)
    _store_paid(paid)
    audit_record_many(events)
    return len(promises)


def _store_paid(paid: dict[int, Decimal]) -> None:
    """One UPDATE per distinct amount paid (a handful: most broken promises were paid nothing)."""
    by_amount: dict[Decimal, list[int]] = defaultdict(list)
    for pk, amount in paid.items():
        by_amount[amount].append(pk)
    for amount, ids in by_amount.items():
        PromiseToPay.objects.filter(pk__in=ids).update(paid_amount=amount)


@register
class PromisesStep(NightlyStep):
    """Promises to pay (module docstring)."""

    name = "promises"
    label = "Promises to pay"

    def pending_loan_ids(self, business_date: date) -> QuerySet[Any, int]:
        """Loans with a pending promise due by ``business_date``."""
        return (
            LoanAccount.objects.filter(pk__in=promises_due(business_date).values("loan_id"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def run_chunk(self, business_date: date, loan_ids: list[int], actor: User | None) -> ChunkResult:
        def all_at_once(ids: list[int]) -> int:
            promises_resolve(business_date=business_date, loan_ids=ids, actor=actor)
            return len(ids)

        def one(loan_id: int) -> None:
            promises_resolve(business_date=business_date, loan_ids=[loan_id], actor=actor)

        return isolate(loan_ids, all_at_once, one)
