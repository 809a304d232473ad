"""Plan reads: a loan's modifications, repayment plans (with their months) and forbearances, for the collections
page and the borrower's portal. A fixed number of queries whatever the loan's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, prefetch_related_objects

from lending.core.compiled import CompiledQuery, fetch_together
from servicing.models import Forbearance, LoanModification, PromiseToPay, RepaymentPlan, RepaymentPlanMonth

PLAN_ROWS = 20


def _open_plans() -> tuple[Exists, Exists, Exists]:
    """Per loan (the outer query's rows): an active repayment plan, an active forbearance, a modification in trial."""
    loan = OuterRef("pk")
    return (
        Exists(RepaymentPlan.objects.filter(loan=loan, status=RepaymentPlan.Status.ACTIVE)),
        Exists(Forbearance.objects.filter(loan=loan, status=Forbearance.Status.ACTIVE)),
        Exists(LoanModification.objects.filter(loan=loan, status=LoanModification.Status.TRIAL)),
    )


def on_plan() -> Q:
    """Loans (the outer query's rows) paying under an open plan: a repayment plan or forbearance active, a
    modification in trial."""
    repayment, forbearance, trial = _open_plans()
    return Q(repayment) | Q(forbearance) | Q(trial)


def not_on_plan() -> Q:
    """Loans under no open plan: ``~on_plan()`` written as three NOT EXISTS joined by AND, which PostgreSQL runs
    as hash anti-joins (a NOT over an OR of EXISTS is a subquery per row: the collections queue's count)."""
    repayment, forbearance, trial = _open_plans()
    return ~Q(repayment) & ~Q(forbearance) & ~Q(trial)


def on_plan_flag() -> ExpressionWrapper[Q]:
    """``on_plan()`` as a boolean annotation."""
    return ExpressionWrapper(on_plan(), output_field=BooleanField())


@dataclass
class LoanPlans:
    modifications: list[LoanModification]
    repayment_plans: list[RepaymentPlan]
    forbearances: list[Forbearance]

    @property
    def open_modification(self) -> LoanModification | None:
        return next((m for m in self.modifications if m.status in ("proposed", "trial")), None)

    @property
    def active_repayment_plan(self) -> RepaymentPlan | None:
        return next((p for p in self.repayment_plans if p.status == "active"), None)

    @property
    def active_forbearance(self) -> Forbearance | None:
        return next((f for f in self.forbearances if f.status == "active"), None)

    @property
    def any_open(self) -> bool:
        return bool(self.open_modification or self.active_repayment_plan or self.active_forbearance)

    @property
    def empty(self) -> bool:
        return not (self.modifications or self.repayment_plans or self.forbearances)


# Read on every visit of a loan's collections page: compiled once per process (lending.core.compiled), as building
# the querysets' SQL cost more CPU than the database's answer (issue 15, "Load").
_MODIFICATIONS = CompiledQuery(
    lambda loan_id: (
        LoanModification.objects.filter(loan_id=loan_id)
        .select_related("proposed_by", "approved_by", "agreement")
        .order_by("-proposed_at", "-id")[:PLAN_ROWS]
    ),
    loan_id=int,
)
_REPAYMENT_PLANS = CompiledQuery(
    lambda loan_id: (
        RepaymentPlan.objects.filter(loan_id=loan_id)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:PLAN_ROWS]
    ),
    loan_id=int,
)
_FORBEARANCES = CompiledQuery(
    lambda loan_id: (
        Forbearance.objects.filter(loan_id=loan_id)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:PLAN_ROWS]
    ),
    loan_id=int,
)


def loan_plans(loan_id: int) -> LoanPlans:
    """The loan's plans, newest first: three queries sent together (one round trip on PostgreSQL), and the
    repayment plans' months when it has any."""
    values = {"loan_id": loan_id}
    modifications, repayment_plans, forbearances = fetch_together(
        (_MODIFICATIONS, values), (_REPAYMENT_PLANS, values), (_FORBEARANCES, values)
    )
    prefetch_related_objects(repayment_plans, "schedule")
    return LoanPlans(modifications=modifications, repayment_plans=repayment_plans, forbearances=forbearances)


def borrower_promises(loan_id: int) -> list[PromiseToPay]:
    """The loan's promises to pay, newest first (the borrower's portal)."""
    return list(PromiseToPay.objects.filter(loan_id=loan_id).order_by("-created_at", "-id")[:PLAN_ROWS])


@dataclass(frozen=True)
class PlanDue:
    """What a loan's open plan asks for on one due date instead of the contract's amount due."""

    label: str
    amount: Decimal


def plan_amounts_due(due_dates: dict[int, date]) -> dict[int, PlanDue]:
    """Per loan, what its open plan asks for on the due date given (``{loan_id: due_date}``): a modification's
    trial payment on a trial due date, a repayment plan's month (regular + its part of the arrears), a
    forbearance's reduced payment on a forborne due date. Three queries whatever the number of loans."""
    if not due_dates:
        return {}
    ids = list(due_dates)
    result: dict[int, PlanDue] = {}
    for m in LoanModification.objects.filter(loan_id__in=ids, status=LoanModification.Status.TRIAL):
        if due_dates[m.loan_id] in m.trial_dates:
            result[m.loan_id] = PlanDue("Trial period payment (loan modification)", m.trial_payment)
    months = RepaymentPlanMonth.objects.filter(
        plan__loan_id__in=ids, plan__status=RepaymentPlan.Status.ACTIVE, due_date__in=set(due_dates.values())
    ).values_list("plan__loan_id", "due_date", "regular", "extra")
    for loan_id, day, regular, extra in months:
        if due_dates[loan_id] == day:
            result[loan_id] = PlanDue("Regular payment + repayment plan installment", regular + extra)
    for f in Forbearance.objects.filter(loan_id__in=ids, status=Forbearance.Status.ACTIVE):
        if f.first_due <= due_dates[f.loan_id] <= f.last_due:
            result[f.loan_id] = PlanDue("Reduced payment (forbearance)", f.reduced_payment)
    return result
