"""The money primitives: one rounding rule, exact cents, no floats."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lending.finance.money import CENT, ROUNDING, cents, periodic_rate, require_cents, split_evenly, to_decimal
from tests.hypothesis_budget import examples


def test_rounding_is_half_up_in_one_place():
    assert ROUNDING == "ROUND_HALF_UP"
    assert cents(Decimal("2.675")) == Decimal("2.68")  # float would give 2.67
    assert cents(Decimal("-2.675")) == Decimal("-2.68")
    assert cents("10") == Decimal("10.00")
    assert cents(Decimal("2.675"), rounding="ROUND_DOWN") == Decimal("2.67")


@pytest.mark.parametrize("bad", [1.5, float("nan"), "abc", Decimal("Infinity"), True])
def test_floats_and_non_numbers_are_refused(bad):
    with pytest.raises(ValueError, match="amount"):
        to_decimal(bad)


def test_periodic_rate_from_annual_percent():
    assert periodic_rate(Decimal("6"), 12) == Decimal("0.005")


def test_require_cents_refuses_fractions_of_a_cent():
    assert require_cents("1.10", "fee") == Decimal("1.10")
    with pytest.raises(ValueError, match=r"fee: 1\.005 is not a whole number of cents"):
        require_cents(Decimal("1.005"), "fee")


def test_split_evenly_puts_the_remainder_on_the_last_part():
    assert split_evenly(Decimal("100.00"), 3) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert split_evenly(Decimal("0.06"), 12) == [Decimal("0.00")] * 11 + [Decimal("0.06")]
    with pytest.raises(ValueError, match="parts"):
        split_evenly(Decimal("1"), 0)
    with pytest.raises(ValueError, match="total"):
        split_evenly(Decimal("-1"), 2)


@settings(max_examples=examples(2000), deadline=None)
@given(
    total=st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False),
    parts=st.integers(min_value=1, max_value=480),
)
def test_split_evenly_sums_exactly_and_never_goes_negative(total, parts):
    shares = split_evenly(total, parts)
    assert sum(shares) == total
    assert all(s >= 0 and s == s.quantize(CENT) for s in shares)
    assert max(shares) == shares[-1]
    assert shares[-1] - shares[0] < CENT * parts
