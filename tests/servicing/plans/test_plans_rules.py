"""Repayment plan and forbearance rules at their edges: the month bounds and the amount input refused in words,
one open plan of any kind, active loans only, the installments left, the audit rows, cancelling, and which
payments count toward a month (from the plan's start through each due date).

The loan (tests.servicing.collections.helpers.delinquent_loan) on Feb 16 2027: Jan 1 ($3,396.26) and Feb 1
($2,421.20) unpaid; every later installment is $2,421.20; the last is due Dec 1 2056.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import Forbearance, Installment, LoanAccount, RepaymentPlan
from servicing.services import payments, plans
from servicing.services.modification import modification_approve, modification_propose
from servicing.services.plans import (
    PlanError,
    forbearance_create,
    months_kept,
    paid_between,
    payments_by_day,
    plan_cancel,
    repayment_plan_create,
)
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan
from tests.servicing.plans.helpers import APPROVED, pay, run_plans

pytestmark = pytest.mark.django_db
D = Decimal
MAR, APR, MAY = date(2027, 3, 1), date(2027, 4, 1), date(2027, 5, 1)
AMOUNT_REFUSED = "Enter an amount of $0.00 or more, in dollars and cents."


@pytest.mark.parametrize("months", [1, 25, 0, True, "6"])
def test_a_repayment_plan_is_refused_outside_2_to_24_months_in_words(loan, collector, months):
    with pytest.raises(PlanError) as refused:
        repayment_plan_create(actor=collector, loan=loan, months=months)
    assert (str(refused.value), refused.value.field) == ("Choose between 2 and 24 months.", "months")
    assert not RepaymentPlan.objects.exists()


def test_a_repayment_plan_may_take_24_months(loan, collector):
    plan = repayment_plan_create(actor=collector, loan=loan, months=24)
    # 5,817.46 / 24 = 242.394 -> 242.39 for 23 months; the last 5,817.46 - 23 x 242.39 = 5,817.46 - 5,574.97 = 242.49.
    extras = list(plan.schedule.order_by("number").values_list("extra", flat=True))
    assert extras == [D("242.39")] * 23 + [D("242.49")]


@pytest.mark.parametrize(("months", "accepted"), [(0, False), (1, True), (12, True), (13, False)])
def test_a_forbearance_takes_1_to_12_months(loan, collector, months, accepted):
    if accepted:
        forbearance = forbearance_create(actor=collector, loan=loan, months=months, reduced_payment=D("0"))
        # Each forborne installment is 2,421.20.
        assert (forbearance.months, forbearance.forborne) == (months, D("2421.20") * months)
        return
    with pytest.raises(PlanError) as refused:
        forbearance_create(actor=collector, loan=loan, months=months, reduced_payment=D("0"))
    assert (str(refused.value), refused.value.field) == ("Choose between 1 and 12 months.", "months")


@pytest.mark.parametrize("amount", [None, "abc", "-0.01", "1.005", "NaN", "Infinity"])
def test_a_reduced_payment_is_dollars_and_cents_and_not_negative(loan, collector, amount):
    with pytest.raises(PlanError) as refused:
        forbearance_create(actor=collector, loan=loan, months=2, reduced_payment=amount)
    assert (str(refused.value), refused.value.field) == (AMOUNT_REFUSED, "reduced_payment")
    assert not Forbearance.objects.exists()


def test_a_reduced_payment_a_cent_under_the_installment_is_a_forbearance_of_a_cent(loan, collector):
    forbearance = forbearance_create(actor=collector, loan=loan, months=2, reduced_payment=D("2421.19"))
    assert forbearance.forborne == D("0.02")  # 2 x (2,421.20 - 2,421.19)
    with pytest.raises(PlanError, match=r"^The reduced payment must be less than the installments it reduces\.$"):
        forbearance_create(actor=collector, loan=delinquent_loan(), months=2, reduced_payment=D("2421.20"))


def test_one_open_plan_of_any_kind_per_loan(loan, collector, manager):
    repayment_plan_create(actor=collector, loan=loan, months=3)
    with pytest.raises(PlanError, match=r"^The loan already has an active repayment plan\.$") as refused:
        forbearance_create(actor=collector, loan=loan, months=2, reduced_payment=D("0"))
    assert refused.value.conflict
    in_trial = delinquent_loan()
    proposal = modification_propose(actor=collector, loan=in_trial, new_rate=D("5"), term_periods=360)
    modification_approve(actor=manager, modification=proposal)
    with pytest.raises(PlanError, match=r"^The loan already has a modification proposed or in trial\.$"):
        repayment_plan_create(actor=collector, loan=in_trial, months=3)


def test_only_an_active_loan_gets_a_plan(loan, collector):
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.PAID_OFF)
    for create in (
        lambda: repayment_plan_create(actor=collector, loan=loan, months=3),
        lambda: forbearance_create(actor=collector, loan=loan, months=2, reduced_payment=D("0")),
    ):
        with pytest.raises(PlanError) as refused:
            create()
        assert (str(refused.value), refused.value.conflict) == (f"{loan.loan_number} is paid off.", True)


def test_a_plan_cannot_run_past_the_installments_left(monkeypatch, loan, collector):
    # Oct 2 2056: Nov 1 and Dec 1 2056 are left.
    monkeypatch.setattr(plans, "_today", lambda: date(2056, 10, 2))
    with pytest.raises(PlanError) as refused:
        repayment_plan_create(actor=collector, loan=loan, months=3)
    assert (str(refused.value), refused.value.field) == (
        "The loan has only 2 installments left: choose fewer months.",
        "months",
    )
    with pytest.raises(PlanError, match=r"^The loan has only 2 installments left: choose fewer months\.$"):
        forbearance_create(actor=collector, loan=loan, months=3, reduced_payment=D("0"))


def test_a_forbearance_past_the_installments_left_is_refused_on_the_months_field_and_writes_nothing(
    monkeypatch, loan, collector
):
    # Oct 2 2056: Nov 1 and Dec 1 2056 are left.
    monkeypatch.setattr(plans, "_today", lambda: date(2056, 10, 2))
    with pytest.raises(PlanError) as refused:
        forbearance_create(actor=collector, loan=loan, months=3, reduced_payment=D("0"))
    assert (str(refused.value), refused.value.field, refused.value.conflict) == (
        "The loan has only 2 installments left: choose fewer months.",
        "months",
        False,
    )
    assert not Forbearance.objects.filter(loan=loan).exists()
    assert not AuditEvent.objects.filter(verb__startswith="loan.forbearance").exists()


def test_a_plan_starts_with_the_installment_due_after_today(monkeypatch, loan, collector):
    monkeypatch.setattr(plans, "_today", lambda: MAR)  # Mar 1 itself is due today, not upcoming
    forbearance = forbearance_create(actor=collector, loan=loan, months=2, reduced_payment=D("0"))
    assert (forbearance.first_due, forbearance.last_due, forbearance.next_check) == (APR, MAY, APR)


def test_the_plans_are_audited_with_their_figures(loan, collector):
    plan = repayment_plan_create(actor=collector, loan=loan, months=2)
    event = AuditEvent.objects.get(verb="loan.repayment_plan_created")
    # 5,817.46 / 2 = 2,908.73 a month.
    assert (event.actor, event.after) == (
        collector,
        {"plan": plan.pk, "arrears": "5817.46", "months": 2, "extra": ["2908.73", "2908.73"]},
    )
    other = delinquent_loan()
    forbearance = forbearance_create(actor=collector, loan=other, months=2, reduced_payment=D("100.00"))
    event = AuditEvent.objects.get(verb="loan.forbearance_created")
    assert event.after == {
        "forbearance": forbearance.pk,
        "months": 2,
        "reduced_payment": "100.00",
        "first_due": "2027-03-01",
        "last_due": "2027-04-01",
        "forborne": "4642.40",  # 2 x (2,421.20 - 100.00)
    }


def test_cancelling_is_for_active_plans_once_and_audited(loan, collector, manager):
    plan = repayment_plan_create(actor=collector, loan=loan, months=3)
    cancelled = plan_cancel(actor=manager, plan=plan, note="refinancing")
    assert (cancelled.status, cancelled.resolved_on) == ("cancelled", APPROVED)
    assert plan_cancel(actor=manager, plan=plan).status == "cancelled"  # again: unchanged
    event = AuditEvent.objects.get(verb="loan.repayment_plan_cancelled")
    assert (event.actor, event.note, event.before, event.after) == (
        manager,
        "refinancing",
        {"repayment_plan": plan.pk, "status": "active"},
        {"status": "cancelled"},
    )
    broken = forbearance_create(actor=collector, loan=delinquent_loan(), months=2, reduced_payment=D("100.00"))
    run_plans(MAR)  # nothing paid by Mar 1: broken
    with pytest.raises(PlanError) as refused:
        plan_cancel(actor=manager, plan=broken)
    assert str(refused.value) == "The plan is broken: only an active one can be cancelled."
    assert refused.value.conflict
    with pytest.raises(PlanError) as refused:
        plan_cancel(actor=collector, plan=broken)
    assert (str(refused.value), refused.value.forbidden) == ("Only a manager may do that.", True)


def test_a_month_counts_the_payments_from_the_start_through_its_due_date():
    asked = [(MAR, D("100.00")), (APR, D("100.00"))]
    on_the_due_date = [(MAR, D("100.00"))]
    assert months_kept(asked, on_the_due_date, APPROVED, MAR, 0) == (1, False)  # paid on Mar 1 itself: kept
    assert months_kept(asked, on_the_due_date, APPROVED, date(2027, 3, 31), 0) == (1, False)  # April not yet due
    assert months_kept(asked, on_the_due_date, APPROVED, APR, 0) == (1, True)  # Apr 1: 100.00 < 200.00, broken
    assert months_kept(asked, on_the_due_date, APPROVED, APR, 1) == (1, True)  # from month 2 on
    before_the_start = [(date(2027, 2, 15), D("100.00"))]
    assert months_kept(asked, before_the_start, APPROVED, MAR, 0) == (0, True)
    assert paid_between([(APPROVED, D("1.00")), (MAR, D("2.00")), (APR, D("4.00"))], APPROVED, MAR) == D("3.00")


def test_a_month_once_kept_stays_kept_when_its_payment_is_later_reversed(loan, collector):
    forbearance = forbearance_create(actor=collector, loan=loan, months=3, reduced_payment=D("500.00"))
    march = pay(loan, "500.00", MAR, "f1")
    run_plans(MAR)  # 500.00 through Mar 1 >= 500.00: March kept
    payments.payment_reverse(transaction=march, reason="NSF", actor=None)  # it bounces after March was kept
    pay(loan, "1000.00", date(2027, 3, 20), "f2")  # made good before April's due date
    run_plans(APR)
    # April: 1,000.00 standing through Apr 1 >= 2 x 500.00 = 1,000.00: kept. March is not checked again (through
    # Mar 1 only 0.00 stands now, short of 500.00): a kept month stays kept, the plan goes on.
    forbearance.refresh_from_db()
    assert (forbearance.status, forbearance.months_kept, forbearance.next_check) == ("active", 2, MAY)
    # The rule itself: counting from month 2 on Mar 31 (April not yet due) finds nothing to check, nothing short.
    assert months_kept([(MAR, D("500.00")), (APR, D("500.00"))], [], APPROVED, date(2027, 3, 31), 1) == (1, False)


def test_only_posted_payments_in_the_span_count_summed_per_day(loan, collector):
    pay(loan, "10.00", APPROVED, "p1")
    pay(loan, "20.00", MAR, "p2")
    pay(loan, "5.00", MAR, "p3")
    reversed_payment = pay(loan, "40.00", MAR, "p4")
    payments.payment_reverse(transaction=reversed_payment, reason="NSF", actor=None)
    pay(loan, "80.00", date(2027, 3, 2), "p5")
    pay(loan, "160.00", date(2027, 2, 15), "p6")
    pay(delinquent_loan(), "7.00", MAR, "another-loans")
    # Feb 16 through Mar 1: 10.00 on Feb 16; 20.00 + 5.00 = 25.00 on Mar 1 (the reversed 40.00 is not counted).
    by_loan = payments_by_day([loan.pk], APPROVED, MAR)
    assert list(by_loan) == [loan.pk]  # only the loans asked about
    assert sorted(by_loan[loan.pk]) == [(APPROVED, D("10.00")), (MAR, D("25.00"))]


def test_an_active_forbearance_blocks_another_plan_in_words(loan, collector):
    forbearance_create(actor=collector, loan=loan, months=2, reduced_payment=D("0"))
    with pytest.raises(PlanError) as refused:
        repayment_plan_create(actor=collector, loan=loan, months=3)
    assert (str(refused.value), refused.value.conflict) == ("The loan already has an active forbearance.", True)
    with pytest.raises(PlanError) as refused:
        repayment_plan_create(actor=user_with_role(roles.SERVICER), loan=loan, months=3)
    assert (str(refused.value), refused.value.forbidden) == ("Only a collector or a manager may do that.", True)


def test_the_arrears_are_what_this_loans_due_installments_still_owe(loan, collector):
    delinquent_loan()  # another loan, as far behind: not this loan's arrears
    # Jan 1 partly paid on the installment itself: 100.00 principal, 200.00 interest, 50.00 escrow.
    Installment.objects.filter(loan=loan, number=1).update(
        paid_principal=D("100.00"), paid_interest=D("200.00"), paid_escrow=D("50.00")
    )
    plan = repayment_plan_create(actor=collector, loan=loan, months=2)
    # 3,396.26 - 100.00 - 200.00 - 50.00 = 3,046.26 of Jan, + 2,421.20 of Feb = 5,467.46.
    assert plan.arrears == D("5467.46")


def test_a_repayment_plan_row_says_who_made_it_and_when_it_starts(loan, collector):
    plan = repayment_plan_create(actor=collector, loan=loan, months=2)
    plan.refresh_from_db()
    # 5,817.46 of arrears over 2 months, from today (Feb 16 2027).
    assert (plan.loan, plan.arrears, plan.months, plan.starts_on, plan.created_by, plan.status) == (
        loan,
        D("5817.46"),
        2,
        APPROVED,
        collector,
        "active",
    )
    event = AuditEvent.objects.get(verb="loan.repayment_plan_created")
    assert (event.target_id, event.target_type.model, event.before, event.note) == (
        str(loan.pk),
        "loanaccount",
        {},
        "",
    )


def test_a_forbearance_row_says_who_made_it_and_what_it_reduces(loan, collector):
    forbearance = forbearance_create(actor=collector, loan=loan, months=3, reduced_payment="250.00")
    forbearance.refresh_from_db()
    # Mar, Apr and May 2027 at 250.00 instead of 2,421.20: 3 x 2,171.20 = 6,513.60 forborne.
    assert (forbearance.loan, forbearance.months, forbearance.reduced_payment, forbearance.forborne) == (
        loan,
        3,
        D("250.00"),
        D("6513.60"),
    )
    assert (forbearance.first_due, forbearance.last_due, forbearance.next_check) == (MAR, MAY, MAR)
    assert (forbearance.starts_on, forbearance.created_by, forbearance.status) == (APPROVED, collector, "active")
    event = AuditEvent.objects.get(verb="loan.forbearance_created")
    assert (event.actor, event.target_id, event.before, event.note) == (collector, str(loan.pk), {}, "")


def test_cancelling_a_forbearance_is_audited_as_one_and_once(loan, collector, manager):
    forbearance = forbearance_create(actor=collector, loan=loan, months=2, reduced_payment=D("0"))
    cancelled = plan_cancel(actor=manager, plan=forbearance)
    cancelled.refresh_from_db()
    assert (cancelled.status, cancelled.resolved_on) == ("cancelled", APPROVED)
    assert plan_cancel(actor=manager, plan=forbearance).status == "cancelled"  # twice: one audit row
    event = AuditEvent.objects.get(verb="loan.forbearance_cancelled")
    assert (event.actor, event.target_id, event.note) == (manager, str(loan.pk), "")
    assert (event.before, event.after) == ({"forbearance": forbearance.pk, "status": "active"}, {"status": "cancelled"})
    assert not AuditEvent.objects.filter(verb="loan.repayment_plan_cancelled").exists()
    # Cancelled, it no longer blocks another plan.
    assert repayment_plan_create(actor=collector, loan=loan, months=2).arrears == D("5817.46")


def test_a_plan_is_refused_to_a_servicer_and_a_collector_may_not_cancel(loan, collector):
    servicer = user_with_role(roles.SERVICER)
    for create in (
        lambda: repayment_plan_create(actor=servicer, loan=loan, months=3),
        lambda: forbearance_create(actor=servicer, loan=loan, months=2, reduced_payment=D("0")),
    ):
        with pytest.raises(PlanError) as refused:
            create()
        assert (str(refused.value), refused.value.forbidden, refused.value.conflict, refused.value.field) == (
            "Only a collector or a manager may do that.",
            True,
            False,
            None,
        )
    plan = repayment_plan_create(actor=collector, loan=loan, months=3)
    with pytest.raises(PlanError) as refused:
        plan_cancel(actor=collector, plan=plan)
    assert (str(refused.value), refused.value.forbidden) == ("Only a manager may do that.", True)
    plan.refresh_from_db()
    assert plan.status == "active"


def test_a_current_loan_has_no_arrears_to_spread_in_words(collector):
    current = delinquent_loan(days=0, bucket="current")
    Installment.objects.filter(loan=current, due_date__lte=APPROVED).update(paid_on=APPROVED)
    with pytest.raises(PlanError) as refused:
        repayment_plan_create(actor=collector, loan=current, months=3)
    assert (str(refused.value), refused.value.conflict, refused.value.field) == (
        "The loan has no arrears to spread: it is current.",
        True,
        None,
    )
    assert not RepaymentPlan.objects.exists()


def test_a_repayment_plans_months_are_numbered_from_one_on_the_next_due_dates(loan, collector):
    plan = repayment_plan_create(actor=collector, loan=loan, months=3)
    # 5,817.46 / 3 = 1,939.1533 -> 1,939.15 twice, the last 5,817.46 - 3,878.30 = 1,939.16; each on top of the
    # regular 2,421.20 of Mar 1, Apr 1 and May 1 2027.
    rows = list(plan.schedule.order_by("due_date").values_list("number", "due_date", "regular", "extra"))
    assert rows == [
        (1, MAR, D("2421.20"), D("1939.15")),
        (2, APR, D("2421.20"), D("1939.15")),
        (3, MAY, D("2421.20"), D("1939.16")),
    ]
