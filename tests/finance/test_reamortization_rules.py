"""Re-amortization by hand: a level loan with no interest-only period by default, refusals word for word."""

import re
from decimal import Decimal

import pytest

from lending.finance.reamortization import Row, reamortize

D = Decimal

# $1,000.00 at 12 % a year, monthly (1 % a period), three level payments of $340.02
# (1000 * 0.01 / (1 - 1.01 ** -3) = 340.022 -> 340.02).
THREE_ROWS = [Row(1, D("330.02")), Row(2, D("333.32")), Row(3, D("336.66"))]


def _exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def test_by_default_the_first_row_repays_principal_no_interest_only_period():
    # Row 1: interest 1000.00 * 1 % = 10.00, principal 340.02 - 10.00 = 330.02, balance 669.98.
    # Row 2: interest 669.98 * 1 % = 6.6998 -> 6.70, principal 340.02 - 6.70 = 333.32, balance 336.66.
    # Row 3 (the last): principal the whole 336.66, interest 3.3666 -> 3.37.
    rest = reamortize(
        balance=D("1000.00"), annual_rate=D("12"), per_year=12, rows=THREE_ROWS, level_payment=D("340.02")
    )
    assert rest == [(D("330.02"), D("10.00")), (D("333.32"), D("6.70")), (D("336.66"), D("3.37"))]


def test_an_interest_only_row_numbered_at_the_period_repays_no_principal():
    # interest_only_periods=1: row 1 pays interest only (10.00), row 2 is level: 340.02 - 10.00 = 330.02,
    # row 3 takes the rest: 1000.00 - 330.02 = 669.98, interest 669.98 * 1 % = 6.70.
    rest = reamortize(
        balance=D("1000.00"),
        annual_rate=D("12"),
        per_year=12,
        rows=THREE_ROWS,
        level_payment=D("340.02"),
        interest_only_periods=1,
    )
    assert rest == [(D("0.00"), D("10.00")), (D("330.02"), D("10.00")), (D("669.98"), D("6.70"))]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"balance": D("-0.01")}, "balance must not be negative, got -0.01"),
        ({"balance": D("1.001")}, "balance: 1.001 is not a whole number of cents"),
        ({"level_payment": D("340.025")}, "level_payment: 340.025 is not a whole number of cents"),
    ],
)
def test_a_bad_balance_or_payment_is_refused_naming_it(override, message):
    arguments = {
        "balance": D("1000.00"),
        "annual_rate": D("12"),
        "per_year": 12,
        "rows": THREE_ROWS,
        "level_payment": D("340.02"),
    }
    with pytest.raises(ValueError, match=_exactly(message)):
        reamortize(**(arguments | override))
