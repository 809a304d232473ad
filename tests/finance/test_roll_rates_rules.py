"""Roll-rate rules beyond the constructed month: counts of the same move add up, a month is named, and a month
without loans still states its balances as money (Decimal cents), not as the integer 0."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lending.finance.roll_rates import TapeCount, month_figures, roll_matrix

D = Decimal
MAR, APR = date(2027, 3, 1), date(2027, 4, 1)


def test_counts_of_the_same_move_add_up_in_their_cell():
    # Two slices of the tape (say two products), both current -> 1-29 in March: 2 + 3 = 5 loans,
    # 200,000.00 + 250,000.00 = 450,000.00 at the end of February; 5 current -> current, 550,000.00.
    counts = [
        TapeCount(MAR, "current", "1-29", 2, D("200000.00"), D("199000.00")),
        TapeCount(MAR, "current", "1-29", 3, D("250000.00"), D("249000.00")),
        TapeCount(MAR, "current", "current", 5, D("550000.00"), D("548000.00")),
    ]
    current = roll_matrix(counts, MAR)[0]
    cells = {cell.to_bucket: cell for cell in current.cells}
    assert (current.loans, current.balance) == (10, D("1000000.00"))
    assert (cells["1-29"].loans, cells["1-29"].balance, cells["1-29"].percent) == (5, D("450000.00"), D("50.0"))
    assert cells["1-29"].balance_percent == D("45.0")  # 450,000 / 1,000,000
    (march,) = month_figures(counts, [MAR])
    # 199,000.00 + 249,000.00 = 448,000.00 entering delinquency.
    assert (march.month, march.entering, march.entering_balance) == (MAR, 5, D("448000.00"))


def test_a_month_without_loans_states_zero_balances_in_cents():
    (april,) = month_figures([], [APR])
    assert april.month == APR
    figures = [*april.balances, april.entering_balance, april.curing_balance]
    assert [str(value) for value in figures] == ["0.00"] * 8
