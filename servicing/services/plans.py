"""Loss-mitigation plans: a repayment plan and a forbearance (the modification is ``modification.py``), and what
the nightly ``plans`` step and the delinquency step need to know about all three.

Rules:
- A collector or a manager creates a plan; one open plan of any kind per loan (a repayment plan, a forbearance or
  a modification proposed or in trial), so the payments a night counts toward a plan are unambiguous.
- Repayment plan: the arrears (what the installments due by today still owe of principal, interest and escrow,
  less money held in suspense; fees stay owed apart, as they are not part of the periodic payment) are split
  over ``months`` equal parts, the cent remainder in the last (``money.split_evenly``); month k asks for the
  installment due on the loan's k-th next due date plus its part. It is kept while the payments from its start
  through each month's due date add up to what the months so far asked for; the first month they fall short it
  breaks.
- Forbearance: the ``months`` installments from the next due date ask for ``reduced_payment`` (0: suspended)
  instead; kept like a repayment plan against the reduced payments. What was forborne stays owed on those
  installments and is due in a lump sum when the forbearance ends: the loan ages from its oldest unpaid
  installment again (the collector offers a repayment plan or a modification for it before the end).
- While a plan is open and kept the delinquency step leaves the loan's days past due as they were (``on_plan``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.money import ZERO, split_evenly
from servicing.models import (
    Forbearance,
    Installment,
    LoanAccount,
    LoanModification,
    LoanTransaction,
    RepaymentPlan,
    RepaymentPlanMonth,
)

PLAN_ROLES = (roles.COLLECTOR, roles.MANAGER)
MAX_REPAYMENT_MONTHS = 24
MAX_FORBEARANCE_MONTHS = 12


class PlanError(ValueError):
    """A plan action was refused; nothing was written. ``field`` names the input at fault, if any;
    ``conflict`` is true when the plan's state does not allow it (the view answers 409), ``forbidden`` when the
    actor's role does not (403)."""

    def __init__(
        self, message: str, field: str | None = None, *, conflict: bool = False, forbidden: bool = False
    ) -> None:
        super().__init__(message)
        self.field = field
        self.conflict = conflict
        self.forbidden = forbidden


def _today() -> date:
    return timezone.localdate()


def plan_roles_require(actor: User, *allowed: str) -> None:
    if not roles.has_role(actor, *(allowed or PLAN_ROLES)):
        message = "Only a manager may do that." if allowed else "Only a collector or a manager may do that."
        raise PlanError(message, forbidden=True)


def loan_lock(loan: LoanAccount) -> LoanAccount:
    return LoanAccount.objects.select_for_update().get(pk=loan.pk)


# --- what is open --------------------------------------------------------------------------------------------


def open_plan_refuse(loan: LoanAccount) -> None:
    """Refuse a second open plan (the loan is locked by the caller)."""
    if RepaymentPlan.objects.filter(loan=loan, status=RepaymentPlan.Status.ACTIVE).exists():
        raise PlanError("The loan already has an active repayment plan.", conflict=True)
    if Forbearance.objects.filter(loan=loan, status=Forbearance.Status.ACTIVE).exists():
        raise PlanError("The loan already has an active forbearance.", conflict=True)
    if LoanModification.objects.filter(loan=loan, status__in=("proposed", "trial")).exists():
        raise PlanError("The loan already has a modification proposed or in trial.", conflict=True)


def _require_active(loan: LoanAccount) -> None:
    if loan.status != LoanAccount.Status.ACTIVE:
        raise PlanError(f"{loan.loan_number} is {loan.get_status_display().lower()}.", conflict=True)


def payments_by_day(loan_ids: list[int], since: date, through: date) -> dict[int, list[tuple[date, Decimal]]]:
    """Per loan: (effective date, total) of the standing payments from ``since`` through ``through``."""
    rows = (
        LoanTransaction.objects.filter(
            loan_id__in=loan_ids,
            kind=LoanTransaction.Kind.PAYMENT,
            status=LoanTransaction.Status.POSTED,
            effective_date__gte=since,
            effective_date__lte=through,
        )
        .values_list("loan_id", "effective_date")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    by_loan: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for loan_id, day, total in rows:
        by_loan[loan_id].append((day, total))
    return by_loan


def paid_between(payments: list[tuple[date, Decimal]], since: date, through: date) -> Decimal:
    return sum((total for day, total in payments if since <= day <= through), ZERO)


def months_kept(
    asked: list[tuple[date, Decimal]], paid: list[tuple[date, Decimal]], since: date, as_of: date, already: int
) -> tuple[int, bool]:
    """How many of the months ``asked`` ((due date, amount) in order) are kept on ``as_of``, from ``already``
    on: month k is kept when the payments from ``since`` through its due date cover months 1..k. Returns the
    count and whether a month due by ``as_of`` fell short (the plan breaks)."""
    kept = already
    for index in range(already, len(asked)):
        due, _ = asked[index]
        if due > as_of:
            break
        required = sum((amount for _, amount in asked[: index + 1]), ZERO)
        if paid_between(paid, since, due) < required:
            return kept, True
        kept = index + 1
    return kept, False


def _months_input(months: int | None, high: int, low: int = 1) -> int:
    if not isinstance(months, int) or isinstance(months, bool) or not low <= months <= high:
        raise PlanError(f"Choose between {low} and {high} months.", field="months")
    return months


def _next_installments(loan: LoanAccount, after: date, count: int) -> list[Installment]:
    return list(Installment.objects.filter(loan=loan, due_date__gt=after).order_by("due_date", "number")[:count])


# --- repayment plan ------------------------------------------------------------------------------------------


def loan_arrears(loan: LoanAccount, as_of: date) -> Decimal:
    """What the installments due by ``as_of`` still owe of principal, interest and escrow (fees apart)."""
    owed = Installment.objects.filter(loan=loan, due_date__lte=as_of, paid_on__isnull=True).values_list(
        "payment", "paid_principal", "paid_interest", "paid_escrow"
    )
    return sum((payment - p - i - e for payment, p, i, e in owed), ZERO)


def repayment_plan_create(*, actor: User, loan: LoanAccount, months: int) -> RepaymentPlan:
    """Spread the loan's arrears over ``months`` (2 to 24) on top of its next ``months`` installments."""
    with transaction.atomic():
        plan_roles_require(actor)
        months = _months_input(months, MAX_REPAYMENT_MONTHS, low=2)
        today = _today()
        locked = loan_lock(loan)
        _require_active(locked)
        open_plan_refuse(locked)
        # Money held in suspense (a partial payment) goes to the oldest installment with the next payment:
        # not asked again.
        arrears = max(loan_arrears(locked, today) - locked.suspense_balance, ZERO)
        if arrears <= ZERO:
            raise PlanError("The loan has no arrears to spread: it is current.", conflict=True)
        upcoming = _next_installments(locked, today, months)
        if len(upcoming) < months:
            raise PlanError(
                f"The loan has only {len(upcoming)} installments left: choose fewer months.", field="months"
            )
        plan = RepaymentPlan.objects.create(
            loan=locked, arrears=arrears, months=months, starts_on=today, created_by=actor
        )
        parts = split_evenly(arrears, months)  # equal parts rounded down, the remainder cents in the last month
        RepaymentPlanMonth.objects.bulk_create(
            [
                RepaymentPlanMonth(plan=plan, number=k, due_date=i.due_date, regular=i.payment, extra=part)
                for k, (i, part) in enumerate(zip(upcoming, parts, strict=True), start=1)
            ]
        )
        audit_record(
            actor=actor,
            verb="loan.repayment_plan_created",
            target=locked,
            after={"plan": plan.pk, "arrears": arrears, "months": months, "extra": [str(p) for p in parts]},
        )
        return plan


# --- forbearance ---------------------------------------------------------------------------------------------


def _money_input(value: Decimal | str | None, field: str) -> Decimal:
    try:
        amount = Decimal(value) if value is not None else None
    except (InvalidOperation, TypeError, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount < ZERO or amount != amount.quantize(Decimal("0.01")):
        raise PlanError("Enter an amount of $0.00 or more, in dollars and cents.", field=field)
    return amount


def forbearance_create(*, actor: User, loan: LoanAccount, months: int, reduced_payment: Decimal) -> Forbearance:
    """Reduce (or, at 0, suspend) the loan's next ``months`` (1 to 12) installments to ``reduced_payment``."""
    with transaction.atomic():
        plan_roles_require(actor)
        months = _months_input(months, MAX_FORBEARANCE_MONTHS)
        reduced = _money_input(reduced_payment, "reduced_payment")
        today = _today()
        locked = loan_lock(loan)
        _require_active(locked)
        open_plan_refuse(locked)
        upcoming = _next_installments(locked, today, months)
        if len(upcoming) < months:
            raise PlanError(
                f"The loan has only {len(upcoming)} installments left: choose fewer months.", field="months"
            )
        if any(reduced >= i.payment for i in upcoming):
            raise PlanError(
                "The reduced payment must be less than the installments it reduces.", field="reduced_payment"
            )
        forborne = sum((i.payment - reduced for i in upcoming), ZERO)
        forbearance = Forbearance.objects.create(
            loan=locked,
            first_due=upcoming[0].due_date,
            last_due=upcoming[-1].due_date,
            months=months,
            reduced_payment=reduced,
            forborne=forborne,
            starts_on=today,
            next_check=upcoming[0].due_date,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            verb="loan.forbearance_created",
            target=locked,
            after={
                "forbearance": forbearance.pk,
                "months": months,
                "reduced_payment": reduced,
                "first_due": forbearance.first_due,
                "last_due": forbearance.last_due,
                "forborne": forborne,
            },
        )
        return forbearance


# --- cancelling ----------------------------------------------------------------------------------------------


def plan_cancel(*, actor: User, plan: RepaymentPlan | Forbearance, note: str = "") -> RepaymentPlan | Forbearance:
    """A manager ends an active repayment plan or forbearance (the borrower asked, or another plan replaces it)."""
    with transaction.atomic():
        plan_roles_require(actor, roles.MANAGER)
        locked = type(plan).objects.select_for_update().get(pk=plan.pk)
        if locked.status == "cancelled":
            return locked
        if locked.status != "active":
            raise PlanError(
                f"The plan is {locked.get_status_display().lower()}: only an active one can be cancelled.",
                conflict=True,
            )
        locked.status, locked.resolved_on = "cancelled", _today()
        locked.save(update_fields=["status", "resolved_on"])
        kind = "repayment_plan" if isinstance(locked, RepaymentPlan) else "forbearance"
        audit_record(
            actor=actor,
            verb=f"loan.{kind}_cancelled",
            target=locked.loan,
            before={kind: locked.pk, "status": "active"},
            after={"status": "cancelled"},
            note=note,
        )
        return locked
