"""Payment allocation: hand-checked vectors and money-conservation properties for every strategy."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields, replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lending.finance.allocation import (
    COMPONENTS,
    DIRECTIVES,
    ESCROW,
    ESCROW_ONLY,
    PRINCIPAL_ONLY,
    STRATEGIES,
    Allocation,
    AllocationLine,
    ComponentOrderStrategy,
    InstallmentDue,
    MortgageStandard,
    apply_suspense,
    get_strategy,
)
from tests.hypothesis_budget import examples

D = Decimal
MORTGAGE = "mortgage_standard"


def due(number: int, interest: str, principal: str, escrow: str = "0", late: str = "0", fees: str = "0"):
    return InstallmentDue(
        number, date(2024, number, 1), D(interest), D(principal), D(escrow), late_fees=D(late), fees=D(fees)
    )


# Two missed mortgage installments, each P&I 800 + escrow 200 = 1000.00, each with a 40.00 late fee.
JAN = due(1, "501.00", "299.00", "200.00", late="40.00")
FEB = due(2, "499.50", "300.50", "200.00", late="40.00")
DUES = [FEB, JAN]  # any order: allocation sorts by due date


def buckets_total(a) -> Decimal:
    return a.late_fees + a.fees + a.interest + a.principal + a.escrow + a.escrow_deposit + a.prepayment + a.to_suspense


# --- hand-checked vectors (Uniform Security Instrument s.2 (2021) + Reg Z 1026.36(c)(1)(ii)) ---------


def test_partial_payment_is_held_in_suspense():
    # 999.99 < 1000.00 periodic payment of the oldest installment: nothing applied (1026.36(c)(1)(ii)).
    a = get_strategy(MORTGAGE).allocate(D("999.99"), DUES)
    assert (a.interest, a.principal, a.escrow, a.late_fees) == (0, 0, 0, 0)
    assert a.to_suspense == a.suspense_balance == D("999.99")
    assert a.lines == ()
    assert a.total == D("999.99")


def test_suspense_plus_new_partial_reaching_full_payment_is_applied():
    # Earlier partial of 400.00 sits in suspense; 600.00 more makes one full periodic payment.
    a = get_strategy(MORTGAGE).allocate(D("600.00"), DUES, suspense=D("400.00"))
    assert a.suspense_applied == D("400.00")
    assert a.to_suspense == 0
    assert a.suspense_balance == 0
    assert [line.number for line in a.lines] == [1]
    line = a.lines[0]
    assert (line.interest, line.principal, line.escrow) == (D("501.00"), D("299.00"), D("200.00"))
    assert a.total == D("1000.00") == buckets_total(a)


def test_suspense_plus_new_money_still_short_stays_in_suspense():
    a = get_strategy(MORTGAGE).allocate(D("100.00"), DUES, suspense=D("400.00"))
    assert a.suspense_applied == 0
    assert a.to_suspense == D("100.00")
    assert a.suspense_balance == D("500.00")


def test_one_and_a_half_payments_pay_the_oldest_and_hold_the_rest():
    a = get_strategy(MORTGAGE).allocate(D("1500.00"), DUES)
    assert [line.number for line in a.lines] == [1]
    assert a.late_fees == 0  # fees wait until every periodic payment is paid (USI s.2(b))
    assert a.suspense_balance == D("500.00")


def test_all_dues_then_late_fees_then_prepayment():
    # 2 x 1000.00 + 2 x 40.00 = 2080.00 due; 2500.00 paid leaves 420.00 of curtailment.
    a = get_strategy(MORTGAGE).allocate(D("2500.00"), DUES, principal_outstanding=D("150000.00"))
    assert a.interest == D("1000.50")
    assert a.principal == D("599.50")
    assert a.escrow == D("400.00")
    assert a.late_fees == D("80.00")
    assert a.prepayment == D("420.00")
    assert a.principal_total == D("1019.50")
    assert a.suspense_balance == 0
    assert [line.late_fees for line in a.lines] == [D("40.00"), D("40.00")]


def test_late_fees_partly_paid_when_money_runs_out_after_periodic_payments():
    a = get_strategy(MORTGAGE).allocate(D("2050.00"), DUES)
    assert a.late_fees == D("50.00")
    assert [line.late_fees for line in a.lines] == [D("40.00"), D("10.00")]


def test_excess_without_known_principal_is_held_not_prepaid():
    a = get_strategy(MORTGAGE).allocate(D("2500.00"), DUES)
    assert a.prepayment == 0
    assert a.suspense_balance == D("420.00")


def test_prepayment_capped_at_outstanding_principal_excess_to_suspense():
    # Unpaid principal 1000.00 of which 599.50 is in the dues: at most 400.50 may be prepaid.
    a = get_strategy(MORTGAGE).allocate(D("2500.00"), DUES, principal_outstanding=D("1000.00"))
    assert a.prepayment == D("400.50")
    assert a.to_suspense == D("19.50")


def test_prepay_excess_false_holds_the_excess():
    a = MortgageStandard(prepay_excess=False).allocate(D("2500.00"), DUES, principal_outstanding=D("9000.00"))
    assert a.prepayment == 0
    assert a.suspense_balance == D("420.00")


def test_current_loan_extra_money_is_curtailment():
    a = get_strategy(MORTGAGE).allocate(D("250.00"), [], principal_outstanding=D("100000.00"))
    assert a.prepayment == D("250.00")
    assert a.lines == ()


def test_principal_only_directive_is_curtailment_and_leaves_suspense_alone():
    a = get_strategy(MORTGAGE).allocate(
        D("300.00"), DUES, suspense=D("10.00"), directive=PRINCIPAL_ONLY, principal_outstanding=D("50000.00")
    )
    assert a.prepayment == D("300.00")
    assert a.lines == ()
    assert a.suspense_applied == 0
    assert a.suspense_balance == D("10.00")


def test_escrow_only_directive_pays_installment_escrow_then_deposits():
    a = get_strategy(MORTGAGE).allocate(D("450.00"), DUES, directive=ESCROW_ONLY)
    assert [line.escrow for line in a.lines] == [D("200.00"), D("200.00")]
    assert a.escrow == D("400.00")
    assert a.escrow_deposit == D("50.00")
    assert a.interest == a.principal == a.late_fees == 0


def test_fees_interest_principal_vector():
    # 100.00 settles January first: its 40.00 late fee, then 60.00 of its interest; February gets nothing.
    a = get_strategy("fees_interest_principal").allocate(D("100.00"), DUES)
    assert a.late_fees == D("40.00")
    assert a.interest == D("60.00")
    assert [(line.number, line.late_fees, line.interest) for line in a.lines] == [(1, D("40.00"), D("60.00"))]


def test_interest_principal_fees_vector():
    # 1100.00: all of January (501.00 + 299.00 + 200.00, then its 40.00 late fee), then 60.00 of February's
    # interest; February's late fee untouched.
    a = get_strategy("interest_principal_fees").allocate(D("1100.00"), DUES)
    assert a.interest == D("561.00")
    assert a.principal == D("299.00")
    assert a.escrow == D("200.00")
    assert a.late_fees == D("40.00")
    assert [(line.number, line.total) for line in a.lines] == [(1, D("1040.00")), (2, D("60.00"))]


def test_apply_suspense_applies_whole_payments_only():
    a = apply_suspense(MORTGAGE, DUES, D("1500.00"))
    assert a.amount == 0
    assert a.suspense_applied == D("1000.00")
    assert a.suspense_balance == D("500.00")
    assert a.prepayment == 0


# --- bad input --------------------------------------------------------------------------------------


def test_unknown_strategy_code():
    with pytest.raises(ValueError, match="strategy"):
        get_strategy("newest_first")


@pytest.mark.parametrize(("amount", "word"), [(D("0"), "amount"), (D("-5.00"), "amount"), (D("1.001"), "amount")])
def test_bad_amounts(amount, word):
    with pytest.raises(ValueError, match=word):
        get_strategy(MORTGAGE).allocate(amount, DUES)


def test_float_amount_refused():
    with pytest.raises(ValueError, match="amount"):
        get_strategy(MORTGAGE).allocate(10.5, DUES)


@pytest.mark.parametrize("name", COMPONENTS)
def test_negative_dues_refused(name):
    with pytest.raises(ValueError, match=name):
        InstallmentDue(1, date(2024, 1, 1), **{name: D("-0.01")})


def test_bad_suspense_directive_principal_and_duplicates():
    strategy = get_strategy(MORTGAGE)
    with pytest.raises(ValueError, match="suspense"):
        strategy.allocate(D("1.00"), DUES, suspense=D("-1.00"))
    with pytest.raises(ValueError, match="directive"):
        strategy.allocate(D("1.00"), DUES, directive="interest_only")
    with pytest.raises(ValueError, match="principal_outstanding"):
        strategy.allocate(D("1.00"), DUES, directive=PRINCIPAL_ONLY)
    with pytest.raises(ValueError, match="principal_outstanding"):
        strategy.allocate(D("1.00"), DUES, principal_outstanding=D("100.00"))
    with pytest.raises(ValueError, match="dues"):
        strategy.allocate(D("1.00"), [JAN, JAN])
    with pytest.raises(ValueError, match="dues"):
        strategy.allocate(D("1.00"), ["not a due"])


# --- properties -------------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=300_000).map(lambda c: Decimal(c).scaleb(-2))
small_cents = st.integers(min_value=0, max_value=5_000).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def dues_lists(draw):
    count = draw(st.integers(min_value=0, max_value=4))
    items = []
    for number in range(1, count + 1):
        items.append(
            InstallmentDue(
                number,
                date(2023 + number // 12, number % 12 + 1, draw(st.sampled_from([1, 15, 28]))),
                interest=draw(cents),
                principal=draw(cents),
                escrow=draw(small_cents),
                late_fees=draw(st.one_of(st.just(D(0)), small_cents)),
                fees=draw(st.one_of(st.just(D(0)), small_cents)),
            )
        )
    return draw(st.permutations(items))


@st.composite
def payments(draw):
    dues = draw(dues_lists())
    owed = sum((d.total for d in dues), D(0))
    amount = draw(
        st.one_of(
            cents.filter(lambda c: c > 0),
            st.integers(min_value=1, max_value=max(int(owed * 100) + 50_000, 1)).map(lambda c: D(c).scaleb(-2)),
        )
    )
    suspense = draw(st.one_of(st.just(D(0)), cents))
    in_dues = sum((d.principal for d in dues), D(0))
    outstanding = draw(st.one_of(st.none(), cents.map(lambda extra: in_dues + extra)))
    return dues, amount, suspense, outstanding


def check_conservation(a, amount, suspense):
    assert buckets_total(a) == a.total == amount + a.suspense_applied
    assert a.suspense_balance == suspense - a.suspense_applied + a.to_suspense
    assert a.amount == amount
    assert a.suspense_in == suspense
    for name in (
        *COMPONENTS,
        "escrow_deposit",
        "prepayment",
        "suspense_applied",
        "to_suspense",
        "suspense_balance",
    ):
        value = getattr(a, name)
        assert value >= 0, name
        assert value.as_tuple().exponent == -2, name
    assert a.suspense_applied <= suspense


def check_lines(a, dues):
    by_number = {d.number: d for d in dues}
    for name in COMPONENTS:
        assert sum((getattr(line, name) for line in a.lines), D(0)) == getattr(a, name)
    for line in a.lines:
        owed = by_number[line.number]
        assert line.total > 0
        for name in COMPONENTS:
            assert 0 <= getattr(line, name) <= getattr(owed, name), "installment overpaid"
    assert [line.number for line in a.lines] == sorted(
        (line.number for line in a.lines), key=lambda n: (by_number[n].due_date, n)
    )


def paid_map(a, dues):
    lines = {line.number: line for line in a.lines}
    ordered = sorted(dues, key=lambda d: (d.due_date, d.number))
    return ordered, [lines.get(d.number) for d in ordered]


def check_mortgage_order(a, dues):
    ordered, lines = paid_map(a, dues)
    full = []
    for d, line in zip(ordered, lines, strict=True):
        got = D(0) if line is None else line.interest + line.principal + line.escrow
        assert got in (D(0), d.periodic_payment), "periodic payments are applied whole"
        if d.periodic_payment:  # an installment whose periodic payment is nothing is neither paid nor unpaid
            full.append(got == d.periodic_payment)
    # Oldest first: once an installment is not paid, no later one is.
    assert full == sorted(full, reverse=True)
    if not all(full):
        first_unpaid = [d for d in ordered if d.periodic_payment][full.index(False)]
        assert a.late_fees == a.fees == a.prepayment == 0
        assert a.suspense_balance < first_unpaid.periodic_payment  # a partial is all that is held


# Each component strategy's order, written out from its docstring (never read from ``strategy.ORDER``).
COMPONENT_ORDER = {
    "fees_interest_principal": ("late_fees", "fees", "interest", "principal", "escrow"),
    "interest_principal_fees": ("interest", "principal", "escrow", "late_fees", "fees"),
}


def check_component_order(a, dues, order):
    ordered, lines = paid_map(a, dues)
    for k, (d, line) in enumerate(zip(ordered, lines, strict=True)):
        if line is None:
            continue
        for older, older_line in zip(ordered[:k], lines[:k], strict=True):
            if older.total == 0:
                continue  # an installment that owes nothing gets no line (no empty lines)
            assert older_line is not None, "a newer installment was paid first"
            assert older_line.total == older.total, "a newer installment was paid first"
        paid = [getattr(line, name) for name in order]
        owed = [getattr(d, name) for name in order]
        for position in range(1, len(order)):
            if paid[position]:
                assert paid[:position] == owed[:position], "an earlier component was skipped"


@settings(max_examples=examples(2000), deadline=None)
@given(payments(), st.sampled_from(sorted(STRATEGIES)), st.sampled_from(DIRECTIVES))
def test_every_allocation_conserves_money(case, code, directive):
    dues, amount, suspense, outstanding = case
    if directive == PRINCIPAL_ONLY and outstanding is None:
        outstanding = sum((d.principal for d in dues), D(0))
    strategy = get_strategy(code)
    a = strategy.allocate(amount, dues, suspense=suspense, directive=directive, principal_outstanding=outstanding)
    check_conservation(a, amount, suspense)
    check_lines(a, dues)
    cap = None if outstanding is None else outstanding - sum((d.principal for d in dues), D(0))
    assert a.prepayment <= (cap or 0)
    owed_all = sum((d.total for d in dues), D(0))
    if directive == PRINCIPAL_ONLY:
        assert a.lines == ()
        assert a.prepayment == min(amount, cap)
        assert a.suspense_applied == 0
    elif directive == ESCROW_ONLY:
        assert a.escrow + a.escrow_deposit == amount
        assert all(line.total == line.escrow for line in a.lines)
        assert a.escrow_deposit == 0 or a.escrow == sum((d.components[ESCROW] for d in dues), D(0))
    else:
        if a.prepayment or (a.suspense_balance and isinstance(strategy, ComponentOrderStrategy)):
            assert a.applied - a.prepayment == owed_all, "excess only once every due is paid"
        if isinstance(strategy, MortgageStandard):
            check_mortgage_order(a, dues)
        if isinstance(strategy, ComponentOrderStrategy):
            check_component_order(a, dues, COMPONENT_ORDER[code])
            assert a.applied == min(amount + suspense, owed_all + (cap or 0))


@settings(max_examples=examples(2000), deadline=None)
@given(dues_lists(), cents, st.sampled_from(sorted(STRATEGIES)))
def test_apply_suspense_conserves_and_never_prepays(dues, suspense, code):
    a = apply_suspense(code, dues, suspense)
    check_conservation(a, D(0), suspense)
    check_lines(a, dues)
    assert a.prepayment == 0
    assert a.to_suspense == 0
    assert a.suspense_applied + a.suspense_balance == suspense


def test_results_are_ordinary_frozen_dataclasses():
    a = get_strategy(MORTGAGE).allocate(D("2500.00"), DUES, principal_outstanding=D("150000.00"))
    rebuilt = Allocation(**{f.name: getattr(a, f.name) for f in fields(Allocation)})
    assert rebuilt == a
    assert repr(rebuilt) == repr(a)
    assert hash(rebuilt) == hash(a)
    assert a.lines[0] == AllocationLine(**{f.name: getattr(a.lines[0], f.name) for f in fields(AllocationLine)})
    with pytest.raises(FrozenInstanceError):
        a.interest = D("0.00")
    with pytest.raises(FrozenInstanceError):
        a.lines[0].principal = D("0.00")
    assert replace(a, prepayment=D("0.00")).prepayment == 0
