"""Roll-rate arithmetic on a constructed month: shares of each bucket's loans and balances, entering and curing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending.finance.ratios import percent_of
from lending.finance.roll_rates import TO_BUCKETS, TapeCount, month_figures, roll_matrix

D = Decimal
FEB, MAR = date(2027, 2, 1), date(2027, 3, 1)


def _count(month, before, after, loans, before_balance, after_balance):
    return TapeCount(month, before, after, loans, D(before_balance), D(after_balance))


# March 2027, 10 loans current at the end of February and 4 in 30-59:
#   current -> current 7 loans ($700,000 then, $698,000 now), current -> 1-29 2 ($200,000, $199,500),
#   current -> paid_off 1 ($100,000, 0); 30-59 -> 60-89 1 ($50,000), 30-59 -> current 2 ($90,000, $89,000),
#   30-59 -> 30-59 1 ($40,000); new -> current 3 ($330,000 now); February's own rows must not count.
MONTH = [
    _count(MAR, "current", "current", 7, "700000.00", "698000.00"),
    _count(MAR, "current", "1-29", 2, "200000.00", "199500.00"),
    _count(MAR, "current", "paid_off", 1, "100000.00", "0.00"),
    _count(MAR, "30-59", "60-89", 1, "50000.00", "49900.00"),
    _count(MAR, "30-59", "current", 2, "90000.00", "89000.00"),
    _count(MAR, "30-59", "30-59", 1, "40000.00", "39950.00"),
    _count(MAR, "new", "current", 3, "0.00", "330000.00"),
    _count(FEB, "current", "30-59", 4, "180000.00", "180000.00"),
]


def test_percent_of_rounds_half_up_to_a_tenth_and_has_no_share_of_nothing():
    assert percent_of(1, 3) == D("33.3")  # 33.333...
    assert percent_of(2, 3) == D("66.7")  # 66.666...
    assert percent_of(1, 8) == D("12.5")  # exact
    assert percent_of(1, 16) == D("6.3")  # 6.25 -> half up
    assert percent_of(0, 5) == D("0.0")
    assert percent_of(5, 0) is None
    with pytest.raises(ValueError, match="float"):
        percent_of(1.5, 3)


def test_matrix_rows_share_each_bucket_loans_and_balance_among_where_they_went():
    rows = {row.from_bucket: row for row in roll_matrix(MONTH, MAR)}
    assert list(rows) == ["current", "1-29", "30-59", "60-89", "90-119", "120+"]
    current = rows["current"]
    assert (current.loans, current.balance) == (10, D("1000000.00"))
    cells = {cell.to_bucket: cell for cell in current.cells}
    assert [c.to_bucket for c in current.cells] == list(TO_BUCKETS)
    stayed = cells["current"]
    assert (stayed.loans, stayed.percent, stayed.balance_percent) == (7, D("70.0"), D("70.0"))
    assert (cells["1-29"].loans, cells["1-29"].balance, cells["1-29"].percent) == (2, D("200000.00"), D("20.0"))
    assert (cells["paid_off"].loans, cells["paid_off"].percent) == (1, D("10.0"))
    assert cells["30-59"].percent == D("0.0")
    assert current.roll_forward == D("20.0")  # 2 of 10 to 1-29
    late = rows["30-59"]
    cells = {cell.to_bucket: cell for cell in late.cells}
    # 4 loans, $180,000: 2 cured (50 %, $90,000 = 50 %), 1 stayed (25 %, 22.2 %), 1 rolled (25 %, $50,000 = 27.8 %)
    assert (late.loans, late.balance) == (4, D("180000.00"))
    assert (cells["current"].percent, cells["current"].balance_percent) == (D("50.0"), D("50.0"))
    assert (cells["30-59"].percent, cells["30-59"].balance_percent) == (D("25.0"), D("22.2"))
    assert (cells["60-89"].percent, cells["60-89"].balance_percent) == (D("25.0"), D("27.8"))
    assert late.roll_forward == D("25.0")
    empty = rows["90-119"]
    assert (empty.loans, empty.roll_forward, empty.cells[0].percent) == (0, None, None)
    assert rows["120+"].roll_forward is None  # nothing is worse than 120+, and nobody was there


def test_month_figures_count_balances_by_bucket_entering_and_curing():
    march, april = month_figures(MONTH, [MAR, date(2027, 4, 1)])
    # At the end of March: current 7 + 2 cured + 3 new = 12 loans, $698,000 + $89,000 + $330,000 = $1,117,000
    assert march.loans == [12, 2, 1, 1, 0, 0]
    assert march.balances == [D("1117000.00"), D("199500.00"), D("39950.00"), D("49900.00"), D("0"), D("0")]
    assert (march.entering, march.entering_balance) == (2, D("199500.00"))  # current -> 1-29
    assert (march.curing, march.curing_balance) == (2, D("89000.00"))  # 30-59 -> current
    assert (march.paid_off, march.charged_off) == (1, 0)
    assert (march.total_loans, march.past_due_loans) == (16, 4)
    # 199,500 + 39,950 + 49,900 = 289,350 of 1,406,350 = 20.574... %
    assert (march.past_due_balance, march.total_balance) == (D("289350.00"), D("1406350.00"))
    assert march.past_due_percent == D("20.6")
    assert (april.loans, april.entering, april.past_due_percent) == ([0] * 6, 0, None)
