"""Repayment plans and forbearance: their figures, the nightly plans step keeping or breaking them, delinquency
held while the loan pays per its plan, and the bill and statement asking for the plan's amount.

The loan (tests.servicing.collections.helpers.delinquent_loan) on Feb 16 2027: Jan 1 ($3,396.26) and Feb 1
($2,421.20) unpaid, 45 days past due; every later installment is $2,421.20 (P&I $1,896.20 + escrow $525.00).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import BillingRecord, Forbearance, RepaymentPlan
from servicing.selectors.collections import QueueFilters, collections_queue
from servicing.selectors.statements import statement_figures
from servicing.services.nightly.steps.billing import billing_run
from servicing.services.nightly.steps.delinquency import loans_age
from servicing.services.nightly.steps.late_fees import LateFeesStep
from servicing.services.plans import PlanError, forbearance_create, plan_cancel, repayment_plan_create
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan
from tests.servicing.plans.helpers import APPROVED, pay, run_plans

pytestmark = pytest.mark.django_db
MAR, APR, MAY = date(2027, 3, 1), date(2027, 4, 1), date(2027, 5, 1)


def _age(loan, day: date):
    loans_age(business_date=day, loan_ids=[loan.pk], actor=None)
    loan.refresh_from_db()
    return loan.days_past_due


# --- repayment plan ------------------------------------------------------------------------------------------


def test_the_arrears_are_split_evenly_with_the_remainder_cents_in_the_last_month(loan, collector):
    plan = repayment_plan_create(actor=collector, loan=loan, months=6)
    # Arrears 3,396.26 + 2,421.20 = 5,817.46; / 6 = 969.5766 -> 969.57 (rounded down) for five months,
    # the last 5,817.46 - 5 x 969.57 = 5,817.46 - 4,847.85 = 969.61.
    assert plan.arrears == Decimal("5817.46")
    months = list(plan.schedule.order_by("number"))
    assert [m.extra for m in months] == [Decimal("969.57")] * 5 + [Decimal("969.61")]
    assert [m.due_date for m in months] == [date(2027, m, 1) for m in range(3, 9)]
    assert {m.regular for m in months} == {Decimal("2421.20")}
    assert months[0].total == Decimal("3390.77")  # 2,421.20 + 969.57
    assert months[-1].total == Decimal("3390.81")  # 2,421.20 + 969.61
    assert sum((m.extra for m in months), Decimal("0")) == plan.arrears
    assert AuditEvent.objects.filter(verb="loan.repayment_plan_created").count() == 1


def test_a_kept_plan_holds_delinquency_and_a_short_month_breaks_it(loan, collector):
    plan = repayment_plan_create(actor=collector, loan=loan, months=6)
    pay(loan, "3390.77", MAR, "m1")
    run_plans(MAR)
    plan.refresh_from_db()
    assert (plan.status, plan.months_kept) == ("active", 1)
    assert _age(loan, date(2027, 3, 20)) == 45  # held: not aged while paying per the plan
    pay(loan, "3390.76", APR, "m2")  # by Apr 1: 3,390.77 + 3,390.76 = 6,781.53 < 2 x 3,390.77 = 6,781.54
    run_plans(APR)
    plan.refresh_from_db()
    assert (plan.status, plan.months_kept, plan.resolved_on) == ("broken", 1, APR)
    assert AuditEvent.objects.filter(verb="loan.repayment_plan_broken").count() == 1
    # Aged again: 6,781.53 paid Jan (3,396.26) and Feb (2,421.20), 964.07 short of Mar: Mar 1 -> Apr 2 = 32 days.
    assert _age(loan, date(2027, 4, 2)) == 32


def test_a_plan_paid_to_the_end_is_completed_and_the_loan_is_current(loan, collector):
    plan = repayment_plan_create(actor=collector, loan=loan, months=2)
    # 5,817.46 / 2 = 2,908.73 each, no remainder; each month asks 2,421.20 + 2,908.73 = 5,329.93.
    pay(loan, "5329.93", MAR, "m1")
    pay(loan, "5329.93", APR, "m2")
    run_plans(APR)  # a missed night: both months are checked at once
    plan.refresh_from_db()
    assert (plan.status, plan.months_kept, plan.resolved_on) == ("completed", 2, APR)
    # 2 x 5,329.93 = 10,659.86 = Jan 3,396.26 + Feb, Mar, Apr 3 x 2,421.20: current.
    assert _age(loan, date(2027, 4, 2)) == 0


def test_the_bill_and_the_statement_ask_for_the_regular_payment_and_the_plan_installment(loan, collector):
    repayment_plan_create(actor=collector, loan=loan, months=6)
    billing_run(business_date=MAR, loan_ids=[loan.pk], actor=None)
    record = BillingRecord.objects.get(loan=loan, due_date=MAR)
    assert record.total == Decimal("8238.66")  # the contract: Mar 2,421.20 + past due 5,817.46
    assert record.plan_amount == Decimal("3390.77")  # the plan: 2,421.20 + 969.57
    (figures,) = statement_figures(business_date=date(2027, 2, 14), loan_ids=[loan.pk], due_dates={loan.pk: MAR})
    assert figures.plan_due.amount == Decimal("3390.77")
    assert figures.plan_due.label == "Regular payment + repayment plan installment"


def test_a_current_loan_has_no_arrears_to_spread(collector):
    loan = delinquent_loan()
    pay(loan, "5817.46", date(2027, 2, 10), "catch-up")
    with pytest.raises(PlanError, match="no arrears") as refused:
        repayment_plan_create(actor=collector, loan=loan, months=3)
    assert refused.value.conflict
    assert not RepaymentPlan.objects.exists()


@pytest.mark.parametrize("months", [1, 25, None])
def test_the_months_are_checked(loan, collector, months):
    with pytest.raises(PlanError) as refused:
        repayment_plan_create(actor=collector, loan=loan, months=months)
    assert refused.value.field == "months"


# --- forbearance ---------------------------------------------------------------------------------------------


def test_a_suspension_holds_delinquency_and_its_end_makes_the_forborne_amount_due(loan, collector):
    forbearance = forbearance_create(actor=collector, loan=loan, months=3, reduced_payment=Decimal("0"))
    assert (forbearance.first_due, forbearance.last_due) == (MAR, MAY)
    assert forbearance.forborne == Decimal("7263.60")  # 3 x 2,421.20, nothing asked instead
    assert _age(loan, date(2027, 4, 20)) == 45  # held, not 109
    for day in (MAR, APR, MAY):
        run_plans(day)
    forbearance.refresh_from_db()
    assert (forbearance.status, forbearance.months_kept, forbearance.next_check) == ("completed", 3, None)
    # Ended: the forborne installments are due at once; Jan 1 -> May 20 = 31 + 28 + 31 + 30 + 19 = 139 days.
    assert _age(loan, date(2027, 5, 20)) == 139


def test_a_reduced_payment_missed_breaks_the_forbearance(loan, collector):
    forbearance = forbearance_create(actor=collector, loan=loan, months=3, reduced_payment=Decimal("500.00"))
    assert forbearance.forborne == Decimal("5763.60")  # 3 x (2,421.20 - 500.00) = 3 x 1,921.20
    pay(loan, "500.00", MAR, "f1")
    run_plans(MAR)
    forbearance.refresh_from_db()
    assert (forbearance.status, forbearance.months_kept, forbearance.next_check) == ("active", 1, APR)
    run_plans(APR)  # nothing paid in April: 500.00 < 2 x 500.00
    forbearance.refresh_from_db()
    assert (forbearance.status, forbearance.months_kept) == ("broken", 1)
    billing_run(business_date=MAR, loan_ids=[loan.pk], actor=None)
    assert BillingRecord.objects.get(loan=loan, due_date=MAR).plan_amount is None  # broken: the contract applies


def test_forbearance_input_and_one_open_plan_per_loan(loan, collector):
    with pytest.raises(PlanError) as refused:
        forbearance_create(actor=collector, loan=loan, months=3, reduced_payment=Decimal("2421.20"))
    assert refused.value.field == "reduced_payment"
    with pytest.raises(PlanError) as refused:
        forbearance_create(actor=collector, loan=loan, months=13, reduced_payment=Decimal("0"))
    assert refused.value.field == "months"
    forbearance_create(actor=collector, loan=loan, months=2, reduced_payment=Decimal("0"))
    with pytest.raises(PlanError, match="active forbearance"):
        repayment_plan_create(actor=collector, loan=loan, months=3)


def test_only_a_manager_cancels_a_plan(loan, collector):
    forbearance = forbearance_create(actor=collector, loan=loan, months=2, reduced_payment=Decimal("0"))
    with pytest.raises(PlanError, match="Only a manager"):
        plan_cancel(actor=collector, plan=forbearance)
    cancelled = plan_cancel(actor=user_with_role(roles.MANAGER), plan=forbearance, note="borrower back to work")
    assert (cancelled.status, cancelled.resolved_on) == ("cancelled", APPROVED)
    assert Forbearance.objects.get().status == "cancelled"
    assert _age(loan, date(2027, 3, 20)) == 78  # no plan: Jan 1 -> Mar 20 = 31 + 28 + 19 days


def test_the_queue_holds_back_a_loan_paying_per_its_plan_until_the_plan_breaks(loan, collector):
    other = delinquent_loan()
    forbearance_create(actor=collector, loan=loan, months=3, reduced_payment=Decimal("100.00"))
    assert list(collections_queue(QueueFilters())) == [other]
    assert set(collections_queue(QueueFilters(include_promised=True))) == {loan, other}
    run_plans(MAR)  # nothing paid by Mar 1: broken
    assert set(collections_queue(QueueFilters())) == {loan, other}


def test_a_loan_that_catches_up_during_its_plan_shows_it(loan, collector):
    repayment_plan_create(actor=collector, loan=loan, months=6)
    pay(loan, "5817.46", date(2027, 2, 20), "all-arrears")  # Jan 3,396.26 + Feb 2,421.20: current
    assert _age(loan, date(2027, 2, 21)) == 0  # on the plan, yet the catch-up shows (days fall, never rise)


def test_no_late_fee_is_charged_while_paying_per_a_plan(loan, collector):
    other = delinquent_loan()
    forbearance_create(actor=collector, loan=loan, months=3, reduced_payment=Decimal("0"))
    # Mar 1 + 15 grace days: the grace period ends on Mar 16, the fee is charged at the close of Mar 17; only the
    # loan without a plan is.
    assert list(LateFeesStep().pending_loan_ids(date(2027, 3, 17))) == [other.pk]


def test_money_held_in_suspense_is_not_asked_for_again(loan, collector):
    pay(loan, "1000.00", date(2027, 2, 10), "partial")  # less than Jan's 3,396.26: held in suspense
    plan = repayment_plan_create(actor=collector, loan=loan, months=6)
    # 5,817.46 - 1,000.00 = 4,817.46; / 6 = 802.91 exactly, no remainder.
    assert plan.arrears == Decimal("4817.46")
    assert list(plan.schedule.values_list("extra", flat=True)) == [Decimal("802.91")] * 6
