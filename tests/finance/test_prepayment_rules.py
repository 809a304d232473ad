"""Prepayment speed rules at their edges: the smallest exposure, exact CPRs, rounding to a chosen place."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lending.finance.prepayment import as_percent, cpr, smm

D = Decimal


def test_smm_of_a_sliver_of_exposed_principal_is_still_a_share_not_none():
    # Exposed 100.50 - 100.00 = 0.50 (under one dollar); 0.25 / 0.50 = 0.5.
    assert smm(unscheduled=D("0.25"), balance_start=D("100.50"), scheduled=D("100.00")) == D("0.5")
    # Exposed exactly one dollar: 0.01 / 1.00 = 0.01.
    assert smm(unscheduled=D("0.01"), balance_start=D("101.00"), scheduled=D("100.00")) == D("0.01")


def test_smm_divides_the_unscheduled_principal_by_the_exposed_principal():
    # 1,000.00 / (10,000.00 - 2,000.00) = 1,000 / 8,000 = 0.125 exactly.
    assert smm(unscheduled=D("1000.00"), balance_start=D("10000.00"), scheduled=D("2000.00")) == D("0.125")


@pytest.mark.parametrize(
    ("monthly", "expected"),
    [
        (D("0.5"), D("0.999755859375")),  # 1 - 0.5 ** 12 = 1 - 1/4096 = 0.999755859375
        (D("0.1"), D("0.717570463519")),  # 1 - 0.9 ** 12 = 1 - 0.282429536481
        (D("0.2"), D("0.931280523264")),  # 1 - 0.8 ** 12 = 1 - 0.068719476736
    ],
)
def test_cpr_is_one_less_the_twelfth_power_of_the_surviving_share(monthly, expected):
    assert cpr(monthly) == expected


@pytest.mark.parametrize(
    ("fraction", "places", "expected"),
    [
        (D("0.123456"), 2, D("12.35")),  # 12.3456 -> 12.35
        (D("0.123445"), 2, D("12.34")),  # 12.3445 -> 12.34 (the 4 decides)
        (D("0.12345"), 2, D("12.35")),  # 12.345 -> half up 12.35 (half even would give 12.34)
        (D("0.0000005"), 4, D("0.0001")),  # 0.00005 -> half up 0.0001
        (D("0.0025"), 0, D("0")),  # 0.25 -> 0
        (D("0.005"), 0, D("1")),  # 0.5 -> half up 1
    ],
)
def test_as_percent_rounds_half_up_to_the_places_asked(fraction, places, expected):
    result = as_percent(fraction, places=places)
    assert result == expected
    assert str(result) == str(expected)  # exactly that many decimals
