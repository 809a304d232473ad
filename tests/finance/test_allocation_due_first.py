"""What is due is paid first (issue 9, item 1): every strategy settles installments oldest first, and an exact,
on-time payment settles the installment due, never a later one's interest instead."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lending.finance.allocation import STRATEGIES, InstallmentDue, get_strategy
from lending.finance.amortization import LoanTerms, build_schedule
from tests.hypothesis_budget import examples

D = Decimal

# Demo borrower Bob: installment 1 (due 2026-12-01) asks 527.72 = 179.46 interest + 348.26 principal;
# installment 2 (due 2027-01-01) asks 146.40 interest + 381.32 principal.
BOB_1 = InstallmentDue(1, date(2026, 12, 1), interest=D("179.46"), principal=D("348.26"))
BOB_2 = InstallmentDue(2, date(2027, 1, 1), interest=D("146.40"), principal=D("381.32"))


@pytest.mark.parametrize("code", sorted(STRATEGIES))
def test_exact_payment_in_grace_settles_the_installment_due(code):
    a = get_strategy(code).allocate(
        D("527.72"), [BOB_1, BOB_2], principal_outstanding=D("20000.00"), as_of=date(2026, 12, 4)
    )
    assert [(line.number, line.interest, line.principal) for line in a.lines] == [(1, D("179.46"), D("348.26"))]
    assert (a.interest, a.principal, a.prepayment, a.to_suspense) == (D("179.46"), D("348.26"), 0, 0)


def test_late_fee_of_a_due_installment_comes_before_paying_ahead():
    # mortgage_standard pays fees after periodic payments: those of installments due, not those paid ahead.
    due = InstallmentDue(1, date(2026, 12, 1), interest=D("100.00"), principal=D("400.00"), late_fees=D("25.00"))
    ahead = InstallmentDue(2, date(2027, 1, 1), interest=D("98.00"), principal=D("402.00"))
    a = get_strategy("mortgage_standard").allocate(D("525.00"), [due, ahead], as_of=date(2026, 12, 20))
    assert (a.late_fees, a.interest, a.principal, a.to_suspense) == (D("25.00"), D("100.00"), D("400.00"), 0)
    # Without the date every due counts as due: the second periodic payment would come first (and be short).
    b = get_strategy("mortgage_standard").allocate(D("525.00"), [due, ahead])
    assert (b.late_fees, b.to_suspense) == (0, D("25.00"))


def _pay(unpaid: dict[int, InstallmentDue], paid_on: dict[int, date], allocation, when: date) -> None:
    for line in allocation.lines:
        owed = unpaid[line.number]
        left = InstallmentDue(
            owed.number,
            owed.due_date,
            interest=owed.interest - line.interest,
            principal=owed.principal - line.principal,
            escrow=owed.escrow - line.escrow,
            late_fees=owed.late_fees - line.late_fees,
            fees=owed.fees - line.fees,
        )
        if left.total:
            unpaid[line.number] = left
        else:
            del unpaid[line.number]
            paid_on[line.number] = when


def _dues_for(unpaid: dict[int, InstallmentDue], when: date) -> list[InstallmentDue]:
    # As servicing chooses them: everything due by the date and the next installment not yet due.
    ordered = sorted(unpaid.values(), key=lambda d: (d.due_date, d.number))
    due = [d for d in ordered if d.due_date <= when]
    ahead = [d for d in ordered if d.due_date > when][:1]
    return due + ahead


@settings(max_examples=examples(150), deadline=None)
@given(
    code=st.sampled_from(sorted(STRATEGIES)),
    principal=st.integers(min_value=100_000, max_value=50_000_000).map(lambda c: D(c).scaleb(-2)),
    rate=st.integers(min_value=0, max_value=2_400).map(lambda bp: D(bp).scaleb(-2)),
    term=st.integers(min_value=1, max_value=36),
    escrow=st.integers(min_value=0, max_value=50_000).map(lambda c: D(c).scaleb(-2)),
    offsets=st.lists(st.integers(min_value=-10, max_value=15), min_size=36, max_size=36),
)
def test_paying_each_installment_on_time_pays_the_loan_off_exactly(code, principal, rate, term, escrow, offsets):
    """Each installment's amount, paid from 10 days before its due date to 15 days after (grace), leaves nothing
    past due after the payment, and the whole term pays every installment and the principal exactly."""
    terms = LoanTerms(
        principal=principal,
        annual_rate=rate,
        term_periods=term,
        disbursement_date=date(2026, 1, 15),
        first_payment_date=date(2026, 3, 1),
    )
    schedule = build_schedule(terms)
    unpaid = {
        row.number: InstallmentDue(
            row.number, row.due_date, interest=row.interest, principal=row.principal, escrow=escrow
        )
        for row in schedule.rows
    }
    paid_on: dict[int, date] = {}
    strategy = get_strategy(code)
    principal_left = principal
    for row, offset in zip(schedule.rows, offsets, strict=False):
        when = row.due_date + timedelta(days=offset)
        allocation = strategy.allocate(
            row.payment + escrow,
            _dues_for(unpaid, when),
            principal_outstanding=principal_left,
            as_of=when,
        )
        assert allocation.prepayment == allocation.to_suspense == 0
        principal_left -= allocation.principal
        _pay(unpaid, paid_on, allocation, when)
        assert row.number in paid_on, f"installment {row.number} left unpaid"
        assert [n for n, d in unpaid.items() if d.due_date <= when] == [], "something is past due"
    assert unpaid == {}
    assert principal_left == 0
