"""Paying ahead (issue 17): once every installment due by the payment date is settled, the money left goes to the
next installments, not yet due, by the strategy's own order; amounts written out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lending.finance.allocation import FeesInterestPrincipal, InstallmentDue, MortgageStandard, get_strategy

D = Decimal

DUE = InstallmentDue(1, date(2027, 3, 1), interest=D("10.00"), principal=D("90.00"))
NEXT = InstallmentDue(2, date(2027, 4, 1), interest=D("9.00"), principal=D("91.00"))


def _lines(allocation):
    return [(line.number, line.late_fees, line.fees, line.interest, line.principal) for line in allocation.lines]


def test_money_left_after_the_installment_due_pays_the_next_ones_interest_then_principal():
    a = get_strategy("fees_interest_principal").allocate(D("150.00"), [DUE, NEXT], as_of=date(2027, 3, 15))
    assert _lines(a) == [(1, 0, 0, D("10.00"), D("90.00")), (2, 0, 0, D("9.00"), D("41.00"))]
    assert (a.interest, a.principal, a.prepayment, a.to_suspense) == (D("19.00"), D("131.00"), 0, 0)


def test_mortgage_standard_pays_the_next_periodic_payment_and_its_fee_once_the_installment_due_is_paid():
    # The next installment carries a 30.00 fee: its periodic payment first, then 20.00 of the fee.
    ahead = InstallmentDue(2, date(2027, 4, 1), interest=D("9.00"), principal=D("91.00"), fees=D("30.00"))
    a = get_strategy("mortgage_standard").allocate(D("220.00"), [DUE, ahead], as_of=date(2027, 3, 15))
    assert _lines(a) == [(1, 0, 0, D("10.00"), D("90.00")), (2, 0, D("20.00"), D("9.00"), D("91.00"))]
    assert (a.fees, a.to_suspense) == (D("20.00"), 0)


def test_an_installment_owing_nothing_does_not_stop_the_next_one_being_paid():
    settled = InstallmentDue(1, date(2027, 3, 1))
    a = get_strategy("fees_interest_principal").allocate(D("50.00"), [settled, NEXT])
    assert _lines(a) == [(2, 0, 0, D("9.00"), D("41.00"))]


def test_a_strategy_made_without_arguments_prepays_the_excess():
    for strategy in (MortgageStandard(), FeesInterestPrincipal()):
        a = strategy.allocate(D("130.00"), [DUE], principal_outstanding=D("500.00"))
        assert (a.interest, a.principal, a.prepayment, a.to_suspense) == (D("10.00"), D("90.00"), D("30.00"), 0)


def test_a_subclass_of_installment_due_is_accepted_as_a_due():
    class TaggedDue(InstallmentDue):
        pass

    first = TaggedDue(1, date(2027, 3, 1), interest=D("10.00"), principal=D("90.00"))
    second = TaggedDue(2, date(2027, 4, 1), interest=D("9.00"), principal=D("91.00"))
    a = get_strategy("fees_interest_principal").allocate(D("200.00"), [second, first])
    assert _lines(a) == [(1, 0, 0, D("10.00"), D("90.00")), (2, 0, 0, D("9.00"), D("91.00"))]
