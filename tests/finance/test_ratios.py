"""Shares as percentages (lending.finance.ratios.percent_of): rounding, the empty base, bad input named."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lending.finance.ratios import percent_of

D = Decimal


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (1, 1, D("100.0")),  # the whole of a base of one
        (3, 2, D("150.0")),  # more than the base: 300 / 2
        (D("2.5"), 8, D("31.3")),  # 250 / 8 = 31.25 -> half up 31.3 (half even would give 31.2)
        (D("0.5"), 8, D("6.3")),  # 50 / 8 = 6.25 -> 6.3
        (D("0.45"), 2, D("22.5")),  # 45 / 2 = 22.5, exact
        (1, 7, D("14.3")),  # 14.2857... -> 14.3
    ],
)
def test_percent_of_is_the_share_rounded_half_up_to_a_tenth(part, whole, expected):
    assert percent_of(part, whole) == expected
    assert str(percent_of(part, whole)) == str(expected)  # one decimal place, always


def test_a_share_of_an_empty_base_is_no_figure_even_as_a_decimal_zero():
    assert percent_of(D("0"), D("0.00")) is None
    assert percent_of(3, D("0.00")) is None


@pytest.mark.parametrize(
    ("part", "whole", "message"),
    [(1.5, 3, "part: use Decimal or str, not float (1.5)"), (1, 2.5, "whole: use Decimal or str, not float (2.5)")],
)
def test_a_float_input_is_refused_naming_which_one(part, whole, message):
    with pytest.raises(ValueError, match="use Decimal or str") as refused:
        percent_of(part, whole)
    assert str(refused.value) == message


def test_a_share_is_worked_in_the_money_context_to_34_digits():
    # 10 ** 30 of a base of 1: 10 ** 32 %, to a tenth: 33 digits and 1 decimal = 34 digits, the money CONTEXT's
    # precision (Python's default 28 digits could not hold it).
    assert percent_of(D("1E+30"), 1) == D("100000000000000000000000000000000.0")
