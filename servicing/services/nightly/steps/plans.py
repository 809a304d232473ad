"""Close of business, step 2 (after the interest accrual, before billing): loss-mitigation plans whose payment
has come due.

For business date D: each modification in trial with a trial payment due by D not yet checked, each active
repayment plan and forbearance with a month due by D not yet kept. A plan payment is kept when the standing
payments from the plan's start through its due date add up to what the plan asked for through then
(``plans.months_kept``); short, the plan breaks (a trial fails). The third trial payment kept makes the
modification permanent (``modification.modification_make_permanent``: it runs after the accrual of D so the
interest capitalized is earned through the effective date, and before billing so D's bill reads the new
schedule). The last month kept completes a repayment plan or forbearance. A checked payment is counted on the
plan, so a rerun finds nothing to do.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from lending.core.bulk import bulk_update_rows
from lending.core.models import User
from lending.core.services import audit_event, audit_record_many
from servicing.models import Forbearance, Installment, LoanAccount, LoanModification, RepaymentPlan, RepaymentPlanMonth
from servicing.services import plans
from servicing.services.modification_trial import modifications_check, modifications_due
from servicing.services.nightly.base import ChunkResult, NightlyStep, isolate, register


def _repayment_due(business_date: date) -> QuerySet[RepaymentPlan]:
    month = RepaymentPlanMonth.objects.filter(
        plan=OuterRef("pk"), number=F("plan__months_kept") + 1, due_date__lte=business_date
    )
    return RepaymentPlan.objects.filter(Exists(month), status=RepaymentPlan.Status.ACTIVE)


def _forbearance_due(business_date: date) -> QuerySet[Forbearance]:
    return Forbearance.objects.filter(status=Forbearance.Status.ACTIVE, next_check__lte=business_date)


def _resolve(
    plan: RepaymentPlan | Forbearance,
    asked: list[tuple[date, Any]],
    paid: list[Any],
    business_date: date,
    actor: User | None,
    kind: str,
) -> Any:
    """Count the kept months of ``plan``; break or complete it (in memory: the caller saves the changed plans at
    once); its audit event, None when nothing changed."""
    kept, short = plans.months_kept(asked, paid, plan.starts_on, business_date, plan.months_kept)
    before = {kind: plan.pk, "status": plan.status, "months_kept": plan.months_kept}
    if kept == plan.months_kept and not short:
        return None
    plan.months_kept = kept
    if isinstance(plan, Forbearance):  # the next month to check, none once every month is checked
        plan.next_check = asked[kept][0] if kept < len(asked) and not short else None
    if short:
        plan.status, plan.resolved_on = "broken", business_date
    elif kept == plan.months:
        plan.status, plan.resolved_on = "completed", business_date
    verb = f"loan.{kind}_{plan.status if plan.status != 'active' else 'month_kept'}"
    return audit_event(
        actor=actor,
        verb=verb,
        target=plan.loan,
        before=before,
        after={"status": plan.status, "months_kept": kept, "as_of": business_date},
    )


def plans_check(*, business_date: date, loan_ids: list[int], actor: User | None) -> int:
    """Check the plans of ``loan_ids`` due by ``business_date`` (module docstring); returns how many were looked at."""
    count = modifications_check(business_date=business_date, loan_ids=loan_ids, actor=actor)
    repayments = list(
        _repayment_due(business_date)
        .filter(loan_id__in=loan_ids)
        .select_for_update(of=("self",))
        .select_related("loan")
        .prefetch_related("schedule")
        .order_by("pk")
    )
    forbearances = list(
        _forbearance_due(business_date)
        .filter(loan_id__in=loan_ids)
        .select_for_update(of=("self",))
        .select_related("loan")
        .order_by("pk")
    )
    both: list[RepaymentPlan | Forbearance] = [*repayments, *forbearances]
    if not both:
        return count
    paid = plans.payments_by_day([p.loan_id for p in both], min(p.starts_on for p in both), business_date)
    months = _forborne_months(forbearances)
    repayment_events = [
        _resolve(
            plan,
            [(m.due_date, m.total) for m in plan.schedule.all()],
            paid.get(plan.loan_id, []),
            business_date,
            actor,
            "repayment_plan",
        )
        for plan in repayments
    ]
    forbearance_events = [
        _resolve(f, months.get(f.pk, []), paid.get(f.loan_id, []), business_date, actor, "forbearance")
        for f in forbearances
    ]
    fields = ["months_kept", "status", "resolved_on"]  # one statement per kind for the changed plans
    bulk_update_rows(RepaymentPlan, [p for p, e in zip(repayments, repayment_events, strict=True) if e], fields)
    changed = [f for f, e in zip(forbearances, forbearance_events, strict=True) if e]
    bulk_update_rows(Forbearance, changed, [*fields, "next_check"])
    audit_record_many([e for e in [*repayment_events, *forbearance_events] if e is not None])
    return count + len(both)


def _forborne_months(forbearances: list[Forbearance]) -> dict[int, list[tuple[date, Any]]]:
    """Per forbearance, (due date, reduced payment) of its months: one query for the chunk."""
    if not forbearances:
        return {}
    rows = (
        Installment.objects.filter(
            loan_id__in=[f.loan_id for f in forbearances],
            due_date__gte=min(f.first_due for f in forbearances),
            due_date__lte=max(f.last_due for f in forbearances),
        )
        .values_list("loan_id", "due_date")
        .order_by("loan_id", "due_date", "number")
    )
    result: dict[int, list[tuple[date, Any]]] = {}
    for forbearance in forbearances:
        result[forbearance.pk] = [
            (day, forbearance.reduced_payment)
            for loan_id, day in rows
            if loan_id == forbearance.loan_id and forbearance.first_due <= day <= forbearance.last_due
        ]
    return result


def plans_pending(business_date: date) -> Q:
    return (
        Q(pk__in=LoanModification.objects.filter(modifications_due(business_date)).values("loan_id"))
        | Q(pk__in=_repayment_due(business_date).values("loan_id"))
        | Q(pk__in=_forbearance_due(business_date).values("loan_id"))
    )


@register
class PlansStep(NightlyStep):
    """Loss-mitigation plans (module docstring)."""

    name = "plans"
    label = "Plans (trials, repayment plans, forbearance)"

    def pending_loan_ids(self, business_date: date) -> QuerySet[Any, int]:
        return LoanAccount.objects.filter(plans_pending(business_date)).order_by("pk").values_list("pk", flat=True)

    def run_chunk(self, business_date: date, loan_ids: list[int], actor: User | None) -> ChunkResult:
        def all_at_once(ids: list[int]) -> int:
            with transaction.atomic():
                plans_check(business_date=business_date, loan_ids=ids, actor=actor)
            return len(ids)

        def one(loan_id: int) -> None:
            all_at_once([loan_id])

        return isolate(loan_ids, all_at_once, one)
