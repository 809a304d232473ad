"""Payment allocation rules pinned one by one (issue 17): each strategy's order written out literally (never read
from ``strategy.ORDER``), late fees apart from other fees, what is due before what is not, the exact-amount
boundaries (a cent short, exact, a cent over), suspense thresholds and the directives, all to the exact cent."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from lending.finance.allocation import (
    STRATEGIES,
    InstallmentDue,
    MortgageStandard,
    apply_suspense,
    get_strategy,
    register,
)

D = Decimal
JAN_1 = date(2026, 1, 1)
FEB_1 = date(2026, 2, 1)

# One installment owing every component: late fee 15.00, other fee 10.00, interest 100.00, principal 400.00,
# escrow 200.00 (periodic payment 700.00, total 725.00).
FULL = InstallmentDue(
    1, JAN_1, interest=D("100.00"), principal=D("400.00"), escrow=D("200.00"), late_fees=D("15.00"), fees=D("10.00")
)
PLAIN = InstallmentDue(1, JAN_1, interest=D("100.00"), principal=D("400.00"), escrow=D("200.00"))


def paid(allocation):
    """(late fees, fees, interest, principal, escrow) the allocation paid."""
    return (allocation.late_fees, allocation.fees, allocation.interest, allocation.principal, allocation.escrow)


def line_paid(line):
    return (line.late_fees, line.fees, line.interest, line.principal, line.escrow)


# --- the order of each strategy, written out ---------------------------------------------------------------

Z = D("0.00")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        # fees_interest_principal: late fees, then other fees, then interest, then principal, then escrow.
        ("10.00", (D("10.00"), Z, Z, Z, Z)),
        ("20.00", (D("15.00"), D("5.00"), Z, Z, Z)),
        ("75.00", (D("15.00"), D("10.00"), D("50.00"), Z, Z)),
        ("325.00", (D("15.00"), D("10.00"), D("100.00"), D("200.00"), Z)),
        ("625.00", (D("15.00"), D("10.00"), D("100.00"), D("400.00"), D("100.00"))),
        ("724.99", (D("15.00"), D("10.00"), D("100.00"), D("400.00"), D("199.99"))),
    ],
)
def test_fees_interest_principal_pays_late_fees_then_fees_then_interest_principal_escrow(amount, expected):
    a = get_strategy("fees_interest_principal").allocate(D(amount), [FULL])
    assert paid(a) == expected
    assert a.to_suspense == 0


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        # interest_principal_fees: interest, then principal, then escrow, then late fees, then other fees.
        ("50.00", (Z, Z, D("50.00"), Z, Z)),
        ("300.00", (Z, Z, D("100.00"), D("200.00"), Z)),
        ("600.00", (Z, Z, D("100.00"), D("400.00"), D("100.00"))),
        ("710.00", (D("10.00"), Z, D("100.00"), D("400.00"), D("200.00"))),
        ("720.00", (D("15.00"), D("5.00"), D("100.00"), D("400.00"), D("200.00"))),
        ("724.99", (D("15.00"), D("9.99"), D("100.00"), D("400.00"), D("200.00"))),
    ],
)
def test_interest_principal_fees_pays_interest_principal_escrow_then_late_fees_then_fees(amount, expected):
    a = get_strategy("interest_principal_fees").allocate(D(amount), [FULL])
    assert paid(a) == expected
    assert a.to_suspense == 0


@pytest.mark.parametrize(
    ("amount", "expected", "held"),
    [
        # mortgage_standard: a whole periodic payment (interest, principal, escrow) or nothing; then late fees,
        # then other fees.
        ("699.99", (Z, Z, Z, Z, Z), D("699.99")),
        ("700.00", (Z, Z, D("100.00"), D("400.00"), D("200.00")), Z),
        ("710.00", (D("10.00"), Z, D("100.00"), D("400.00"), D("200.00")), Z),
        ("720.00", (D("15.00"), D("5.00"), D("100.00"), D("400.00"), D("200.00")), Z),
        ("725.00", (D("15.00"), D("10.00"), D("100.00"), D("400.00"), D("200.00")), Z),
    ],
)
def test_mortgage_standard_pays_a_whole_periodic_payment_then_late_fees_then_fees(amount, expected, held):
    a = get_strategy("mortgage_standard").allocate(D(amount), [FULL])
    assert paid(a) == expected
    assert a.to_suspense == held


def test_mortgage_standard_pays_every_periodic_payment_before_any_fee_late_fees_before_other_fees():
    first = InstallmentDue(1, JAN_1, interest=D("100.00"), principal=D("400.00"), late_fees=D("15.00"))
    second = InstallmentDue(2, FEB_1, interest=D("98.00"), principal=D("402.00"), fees=D("10.00"))
    strategy = get_strategy("mortgage_standard")
    a = strategy.allocate(D("1000.00"), [second, first], as_of=date(2026, 2, 20))
    assert [line_paid(line) for line in a.lines] == [
        (Z, Z, D("100.00"), D("400.00"), Z),
        (Z, Z, D("98.00"), D("402.00"), Z),
    ]
    b = strategy.allocate(D("1010.00"), [second, first], as_of=date(2026, 2, 20))
    assert [line_paid(line) for line in b.lines] == [
        (D("10.00"), Z, D("100.00"), D("400.00"), Z),
        (Z, Z, D("98.00"), D("402.00"), Z),
    ]
    c = strategy.allocate(D("1020.00"), [second, first], as_of=date(2026, 2, 20))
    assert [line_paid(line) for line in c.lines] == [
        (D("15.00"), Z, D("100.00"), D("400.00"), Z),
        (Z, D("5.00"), D("98.00"), D("402.00"), Z),
    ]


@pytest.mark.parametrize("code", ["fees_interest_principal", "interest_principal_fees"])
def test_component_strategies_settle_the_oldest_installment_before_the_next_gets_a_cent(code):
    first = InstallmentDue(1, JAN_1, interest=D("100.00"), principal=D("400.00"), late_fees=D("15.00"))
    second = InstallmentDue(2, FEB_1, interest=D("98.00"), principal=D("402.00"), late_fees=D("15.00"))
    a = get_strategy(code).allocate(D("565.00"), [second, first], as_of=date(2026, 2, 20))
    assert [(line.number, line.total) for line in a.lines] == [(1, D("515.00")), (2, D("50.00"))]


def test_fees_interest_principal_pays_the_next_installments_late_fee_before_its_interest():
    first = InstallmentDue(1, JAN_1, interest=D("100.00"), principal=D("400.00"))
    second = InstallmentDue(2, FEB_1, interest=D("98.00"), principal=D("402.00"), late_fees=D("15.00"))
    a = get_strategy("fees_interest_principal").allocate(D("520.00"), [first, second], as_of=date(2026, 2, 20))
    assert line_paid(a.lines[1]) == (D("15.00"), Z, D("5.00"), Z, Z)


def test_interest_principal_fees_pays_the_next_installments_interest_before_its_late_fee():
    first = InstallmentDue(1, JAN_1, interest=D("100.00"), principal=D("400.00"))
    second = InstallmentDue(2, FEB_1, interest=D("98.00"), principal=D("402.00"), late_fees=D("15.00"))
    a = get_strategy("interest_principal_fees").allocate(D("520.00"), [first, second], as_of=date(2026, 2, 20))
    assert line_paid(a.lines[1]) == (Z, Z, D("20.00"), Z, Z)


@pytest.mark.parametrize("code", ["mortgage_standard", "fees_interest_principal", "interest_principal_fees"])
def test_the_oldest_due_date_is_paid_first_whatever_the_installment_number(code):
    # Installment 5 falls due before installment 2 (say, after a re-dating): the due date decides, not the number.
    older = InstallmentDue(5, JAN_1, interest=D("100.00"), principal=D("400.00"))
    newer = InstallmentDue(2, FEB_1, interest=D("98.00"), principal=D("402.00"))
    a = get_strategy(code).allocate(D("500.00"), [newer, older])
    assert [(line.number, line.interest, line.principal) for line in a.lines] == [(5, D("100.00"), D("400.00"))]


@pytest.mark.parametrize("code", ["mortgage_standard", "fees_interest_principal", "interest_principal_fees"])
def test_an_installment_that_owes_nothing_gets_no_line(code):
    settled = InstallmentDue(1, JAN_1)
    owing = InstallmentDue(2, FEB_1, interest=D("100.00"), principal=D("400.00"), escrow=D("200.00"))
    a = get_strategy(code).allocate(D("700.00"), [settled, owing])
    assert [line.number for line in a.lines] == [2]


# --- due first (issue 9): what is due by the payment date before anything not yet due -----------------------

DUE_WITH_LATE_FEE = InstallmentDue(1, JAN_1, interest=D("100.00"), principal=D("400.00"), late_fees=D("25.00"))
NEXT = InstallmentDue(2, FEB_1, interest=D("98.00"), principal=D("402.00"))


@pytest.mark.parametrize(
    ("as_of", "late_fees", "held"),
    [
        # The day before the next due date it is not yet due: the late fee of the installment due comes first.
        (date(2026, 1, 31), D("25.00"), Z),
        # On its due date it is due: its periodic payment comes before any fee, and 25.00 is short of it.
        (date(2026, 2, 1), Z, D("25.00")),
        (date(2026, 2, 2), Z, D("25.00")),
    ],
)
def test_an_installment_is_due_on_its_due_date_not_only_after_it(as_of, late_fees, held):
    a = get_strategy("mortgage_standard").allocate(D("525.00"), [DUE_WITH_LATE_FEE, NEXT], as_of=as_of)
    assert (a.late_fees, a.interest, a.principal, a.to_suspense) == (late_fees, D("100.00"), D("400.00"), held)


def test_a_partial_payment_of_the_installment_due_is_held_not_spent_on_a_smaller_one_not_yet_due():
    due = InstallmentDue(1, JAN_1, interest=D("100.00"), principal=D("400.00"))
    last = InstallmentDue(2, FEB_1, interest=D("2.00"), principal=D("298.00"))  # a smaller final installment
    a = get_strategy("mortgage_standard").allocate(
        D("400.00"), [due, last], as_of=date(2026, 1, 15), principal_outstanding=D("698.00")
    )
    assert (a.lines, a.to_suspense, a.prepayment) == ((), D("400.00"), Z)


@pytest.mark.parametrize("code", ["mortgage_standard", "fees_interest_principal", "interest_principal_fees"])
def test_money_left_after_the_installment_due_pays_the_next_one_ahead(code):
    dues = [PLAIN, InstallmentDue(2, FEB_1, interest=D("98.00"), principal=D("402.00"))]
    a = get_strategy(code).allocate(D("700.00"), dues, as_of=date(2026, 1, 5), principal_outstanding=D("10000.00"))
    assert [line.number for line in a.lines] == [1]
    b = get_strategy(code).allocate(D("1200.00"), dues, as_of=date(2026, 1, 5), principal_outstanding=D("10000.00"))
    assert [(line.number, line.total) for line in b.lines] == [(1, D("700.00")), (2, D("500.00"))]
    assert (b.prepayment, b.to_suspense) == (Z, Z)


# --- exact amount, a cent short, a cent over -------------------------------------------------------------


@pytest.mark.parametrize("code", ["mortgage_standard", "fees_interest_principal", "interest_principal_fees"])
def test_a_payment_of_exactly_the_installment_settles_it_with_nothing_left(code):
    a = get_strategy(code).allocate(D("700.00"), [PLAIN], principal_outstanding=D("10000.00"), as_of=JAN_1)
    assert paid(a) == (Z, Z, D("100.00"), D("400.00"), D("200.00"))
    assert (a.prepayment, a.to_suspense, a.suspense_balance) == (Z, Z, Z)


def test_a_payment_one_cent_short_of_the_installment_goes_to_suspense_under_mortgage_standard():
    a = get_strategy("mortgage_standard").allocate(D("699.99"), [PLAIN], principal_outstanding=D("10000.00"))
    assert (a.lines, a.applied, a.to_suspense, a.suspense_balance) == ((), Z, D("699.99"), D("699.99"))


@pytest.mark.parametrize("code", ["fees_interest_principal", "interest_principal_fees"])
def test_a_payment_one_cent_short_leaves_the_last_cent_of_escrow_unpaid_under_component_strategies(code):
    a = get_strategy(code).allocate(D("699.99"), [PLAIN], principal_outstanding=D("10000.00"))
    assert paid(a) == (Z, Z, D("100.00"), D("400.00"), D("199.99"))
    assert a.to_suspense == Z


@pytest.mark.parametrize("code", ["mortgage_standard", "fees_interest_principal", "interest_principal_fees"])
def test_a_payment_one_cent_over_the_installment_prepays_one_cent_of_principal(code):
    a = get_strategy(code).allocate(D("700.01"), [PLAIN], principal_outstanding=D("10000.00"))
    assert (a.principal, a.prepayment, a.to_suspense) == (D("400.00"), D("0.01"), Z)


@pytest.mark.parametrize("code", ["mortgage_standard", "fees_interest_principal", "interest_principal_fees"])
def test_a_cent_over_with_the_principal_unknown_is_held_not_prepaid_blind(code):
    a = get_strategy(code).allocate(D("700.01"), [PLAIN])
    assert (a.prepayment, a.to_suspense) == (Z, D("0.01"))


def test_exactly_one_periodic_payment_pays_it_while_a_late_fee_is_still_owed():
    a = get_strategy("mortgage_standard").allocate(D("700.00"), [FULL])
    assert paid(a) == (Z, Z, D("100.00"), D("400.00"), D("200.00"))
    assert a.to_suspense == Z


@pytest.mark.parametrize(
    ("amount", "prepayment", "held"),
    [
        # Installment owes 700.00 of which 400.00 principal; 10,000.00 unpaid in all: 9,600.00 may be prepaid.
        ("10300.00", D("9600.00"), Z),  # the whole payoff: nothing left
        ("10299.99", D("9599.99"), Z),
        ("10300.01", D("9600.00"), D("0.01")),  # a cent over the payoff is held as an overpayment
    ],
)
def test_a_payment_beyond_the_payoff_is_held_in_suspense(amount, prepayment, held):
    for code in ("mortgage_standard", "fees_interest_principal", "interest_principal_fees"):
        a = get_strategy(code).allocate(D(amount), [PLAIN], principal_outstanding=D("10000.00"))
        assert (a.principal, a.prepayment, a.to_suspense) == (D("400.00"), prepayment, held)


def test_principal_outstanding_equal_to_the_principal_due_leaves_nothing_to_prepay():
    a = get_strategy("mortgage_standard").allocate(D("750.00"), [PLAIN], principal_outstanding=D("400.00"))
    assert (a.principal, a.prepayment, a.to_suspense) == (D("400.00"), Z, D("50.00"))
    with pytest.raises(ValueError, match="principal_outstanding"):
        get_strategy("mortgage_standard").allocate(D("750.00"), [PLAIN], principal_outstanding=D("399.99"))


def test_no_prepayment_when_the_strategy_holds_every_excess():
    a = MortgageStandard(prepay_excess=False).allocate(D("750.00"), [PLAIN], principal_outstanding=D("10000.00"))
    assert (a.principal, a.prepayment, a.to_suspense) == (D("400.00"), Z, D("50.00"))


@pytest.mark.parametrize("amount", ["0", "0.00", "-0.01"])
def test_a_payment_of_zero_or_less_is_refused(amount):
    with pytest.raises(ValueError, match="amount must be greater than zero"):
        get_strategy("mortgage_standard").allocate(D(amount), [PLAIN])


def test_a_payment_in_fractions_of_a_cent_is_refused_not_rounded():
    with pytest.raises(ValueError, match="whole number of cents"):
        get_strategy("fees_interest_principal").allocate(D("700.005"), [PLAIN])


def test_two_dues_with_the_same_installment_number_are_refused():
    with pytest.raises(ValueError, match="unique"):
        get_strategy("fees_interest_principal").allocate(D("100.00"), [PLAIN, PLAIN])


# --- suspense thresholds ------------------------------------------------------------------------------------


def test_suspense_plus_a_cent_reaching_the_periodic_payment_is_applied_as_one():
    a = get_strategy("mortgage_standard").allocate(D("0.01"), [PLAIN], suspense=D("699.99"))
    assert paid(a) == (Z, Z, D("100.00"), D("400.00"), D("200.00"))
    assert (a.suspense_applied, a.to_suspense, a.suspense_balance) == (D("699.99"), Z, Z)


def test_suspense_plus_a_cent_still_short_of_the_periodic_payment_stays_in_suspense():
    a = get_strategy("mortgage_standard").allocate(D("0.01"), [PLAIN], suspense=D("699.98"))
    assert (a.lines, a.suspense_applied, a.to_suspense, a.suspense_balance) == ((), Z, D("0.01"), D("699.99"))


def test_existing_suspense_is_the_oldest_money_and_applied_first():
    a = get_strategy("mortgage_standard").allocate(D("450.00"), [PLAIN], suspense=D("300.00"))
    assert paid(a) == (Z, Z, D("100.00"), D("400.00"), D("200.00"))
    assert (a.suspense_applied, a.to_suspense, a.suspense_balance) == (D("300.00"), D("50.00"), D("50.00"))


def test_a_partial_payment_keeps_the_existing_suspense_unapplied():
    a = get_strategy("mortgage_standard").allocate(D("100.00"), [PLAIN], suspense=D("300.00"))
    assert (a.suspense_applied, a.to_suspense, a.suspense_balance) == (Z, D("100.00"), D("400.00"))


@pytest.mark.parametrize(
    ("suspense", "applied", "left"),
    [("699.99", Z, D("699.99")), ("700.00", D("700.00"), Z), ("700.01", D("700.00"), D("0.01"))],
)
def test_apply_suspense_applies_whole_periodic_payments_only_and_never_prepays(suspense, applied, left):
    a = apply_suspense("mortgage_standard", [PLAIN], D(suspense))
    assert (a.applied, a.suspense_applied, a.prepayment, a.suspense_balance) == (applied, applied, Z, left)


# --- directives ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "prepayment", "held"),
    [("500.00", D("500.00"), Z), ("9600.00", D("9600.00"), Z), ("9600.01", D("9600.00"), D("0.01"))],
)
def test_principal_only_curtails_up_to_the_principal_not_in_the_dues_and_holds_the_rest(amount, prepayment, held):
    a = get_strategy("mortgage_standard").allocate(
        D(amount), [PLAIN], directive="principal_only", principal_outstanding=D("10000.00"), suspense=D("50.00")
    )
    assert (a.lines, a.prepayment, a.to_suspense, a.suspense_applied) == ((), prepayment, held, Z)
    assert a.suspense_balance == D("50.00") + held


def test_principal_only_needs_the_principal_outstanding():
    with pytest.raises(ValueError, match="principal_outstanding"):
        get_strategy("mortgage_standard").allocate(D("500.00"), [PLAIN], directive="principal_only")


def test_escrow_only_pays_escrow_oldest_first_and_deposits_the_rest_leaving_suspense_alone():
    second = InstallmentDue(2, FEB_1, interest=D("98.00"), principal=D("402.00"), escrow=D("200.00"))
    a = get_strategy("fees_interest_principal").allocate(
        D("450.00"), [second, FULL], directive="escrow_only", suspense=D("30.00")
    )
    assert [(line.number, line_paid(line)) for line in a.lines] == [
        (1, (Z, Z, Z, Z, D("200.00"))),
        (2, (Z, Z, Z, Z, D("200.00"))),
    ]
    assert (a.escrow, a.escrow_deposit, a.to_suspense, a.suspense_balance) == (D("400.00"), D("50.00"), Z, D("30.00"))
    b = get_strategy("fees_interest_principal").allocate(D("250.00"), [second, FULL], directive="escrow_only")
    assert [(line.number, line.escrow) for line in b.lines] == [(1, D("200.00")), (2, D("50.00"))]
    assert b.escrow_deposit == Z


def test_an_unknown_directive_is_refused():
    with pytest.raises(ValueError, match="unknown directive"):
        get_strategy("mortgage_standard").allocate(D("500.00"), [PLAIN], directive="payoff")


# --- no empty lines, derived totals, refused input ------------------------------------------------------------


def test_mortgage_standard_gives_a_fee_only_installment_no_line_when_no_money_reaches_its_fee():
    fee_only = InstallmentDue(2, date(2026, 1, 15), late_fees=D("15.00"))
    a = get_strategy("mortgage_standard").allocate(D("700.00"), [PLAIN, fee_only])
    assert [line.number for line in a.lines] == [1]
    b = get_strategy("mortgage_standard").allocate(D("705.00"), [PLAIN, fee_only])
    assert [(line.number, line.late_fees) for line in b.lines] == [(1, Z), (2, D("5.00"))]


@pytest.mark.parametrize("code", ["mortgage_standard", "fees_interest_principal", "interest_principal_fees"])
def test_applying_an_empty_suspense_applies_nothing_and_makes_no_line(code):
    a = apply_suspense(code, [PLAIN], D("0.00"))
    assert (a.lines, a.applied, a.suspense_balance) == ((), Z, Z)


def test_escrow_only_stops_at_the_installment_whose_escrow_uses_the_last_cent():
    second = InstallmentDue(2, FEB_1, escrow=D("200.00"))
    a = get_strategy("mortgage_standard").allocate(D("200.00"), [PLAIN, second], directive="escrow_only")
    assert [(line.number, line.escrow) for line in a.lines] == [(1, D("200.00"))]
    assert a.escrow_deposit == Z


def test_the_allocation_totals_add_up_to_the_money_in():
    a = get_strategy("mortgage_standard").allocate(
        D("750.00"), [PLAIN], suspense=D("100.00"), principal_outstanding=D("10000.00")
    )
    # 100.00 suspense is applied first with 600.00 of the new money to the periodic payment; 150.00 prepaid.
    assert (a.suspense_applied, a.prepayment, a.to_suspense) == (D("100.00"), D("150.00"), Z)
    assert (a.total, a.applied, a.principal_total, a.suspense_change) == (
        D("850.00"),
        D("850.00"),
        D("550.00"),
        D("-100.00"),
    )
    assert [line.total for line in a.lines] == [D("700.00")]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"number": -1}, "number"),
        ({"number": True}, "number"),
        ({"number": 1.0}, "number"),
        ({"due_date": "2026-01-01"}, "due_date"),
        ({"interest": D("-0.01")}, "interest"),
        ({"late_fees": D("0.001")}, "late_fees"),
    ],
)
def test_an_installment_due_with_a_bad_field_is_refused(kwargs, field):
    values = {"number": 1, "due_date": JAN_1} | kwargs
    with pytest.raises(ValueError, match=field):
        InstallmentDue(**values)


def test_installment_number_zero_is_accepted_and_its_periodic_payment_is_interest_principal_and_escrow():
    due = InstallmentDue(
        0, JAN_1, interest=D("1.00"), principal=D("2.00"), escrow=D("4.00"), late_fees=D("8.00"), fees=D("16.00")
    )
    assert (due.periodic_payment, due.total, due.components) == (
        D("7.00"),
        D("31.00"),
        (D("8.00"), D("16.00"), D("1.00"), D("2.00"), D("4.00")),
    )


def test_dues_that_are_not_installment_dues_are_refused():
    with pytest.raises(ValueError, match="InstallmentDue"):
        get_strategy("mortgage_standard").allocate(D("100.00"), [PLAIN, {"number": 2}])


# --- refusals name the argument at fault, word for word ------------------------------------------------------

STD = get_strategy("mortgage_standard")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: STD.allocate(D("1.001"), [PLAIN]), "amount: 1.001 is not a whole number of cents"),
        (lambda: STD.allocate(D("1.00"), [PLAIN], suspense=D("-1.00")), "suspense must not be negative, got -1.00"),
        (
            lambda: STD.allocate(D("1.00"), [PLAIN], principal_outstanding=D("-5.00")),
            "principal_outstanding must not be negative, got -5.00",
        ),
        (
            lambda: STD.allocate(D("1.00"), [PLAIN], directive="principal_only"),
            "principal_outstanding: required for the principal_only directive",
        ),
        (
            lambda: STD.allocate(D("1.00"), [PLAIN], directive="extra"),
            "directive: unknown directive 'extra'; use one of standard, principal_only, escrow_only",
        ),
        (lambda: STD.allocate(D("1.00"), [PLAIN, PLAIN]), "dues: installment numbers must be unique"),
        (lambda: STD.allocate(D("1.00"), [PLAIN, "due"]), "dues: expected InstallmentDue items, got str"),  # type: ignore[list-item]
        (
            lambda: get_strategy("fifo"),
            "strategy: unknown allocation strategy 'fifo'; use one of fees_interest_principal, "
            "interest_principal_fees, mortgage_standard",
        ),
    ],
)
def test_a_refusal_says_which_argument_and_why(call, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        call()


def test_a_strategy_code_is_registered_once_and_never_empty():
    class Extra(MortgageStandard):
        code = "extra_for_test"

    extra = Extra()
    try:
        assert register(extra) is extra
        assert get_strategy("extra_for_test") is extra
        with pytest.raises(ValueError, match=r"^code: 'extra_for_test' is empty or already registered$"):
            register(Extra())
    finally:
        STRATEGIES.pop("extra_for_test", None)
    blank = Extra()
    blank.code = ""
    with pytest.raises(ValueError, match=r"^code: '' is empty or already registered$"):
        register(blank)
    assert "" not in STRATEGIES


def test_each_line_carries_its_installments_number_and_due_date():
    second = InstallmentDue(2, FEB_1, interest=D("90.00"), principal=D("410.00"), escrow=D("200.00"))
    allocation = STD.allocate(D("1400.00"), [second, PLAIN], as_of=FEB_1)
    assert [(line.number, line.due_date) for line in allocation.lines] == [(1, JAN_1), (2, FEB_1)]
