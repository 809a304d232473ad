"""``parse_money``: a file's amount is whole cents, below 10^12 either way, and greater than zero where asked; each
refusal is one exact error on the row, and nothing is parsed."""

from decimal import Decimal as D

import pytest

from servicing.services.import_batches import RowCheck, parse_money


def _parsed(value: str, **options):
    row = RowCheck(line_number=2, raw={"amount": value})
    return parse_money(row, "amount", **options), row.errors


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("1234.56", D("1234.56")),
        ("7", D("7.00")),
        ("0.5", D("0.50")),
        ("0", D("0.00")),
        ("-5.25", D("-5.25")),
        ("999999999999.99", D("999999999999.99")),
        ("-999999999999.99", D("-999999999999.99")),
        ("12345678901234567890", None),  # 20 characters: allowed by length, refused as too large (below)
    ],
)
def test_an_amount_in_whole_cents_below_the_limit_is_parsed_to_the_cent(value, amount):
    parsed, errors = _parsed(value)
    if amount is None:
        assert (parsed, errors) == (None, [f"amount: {value} is too large"])
    else:
        assert (parsed, errors) == (amount, [])
        assert str(parsed) == str(amount)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("1000000000000.00", "amount: 1000000000000.00 is too large"),
        ("-1000000000000", "amount: -1000000000000 is too large"),
        ("1.005", "amount: 1.005 has fractions of a cent"),
        ("$10.00", "amount: '$10.00' is not an amount (write it like 1234.56)"),
        ("1,000.00", "amount: '1,000.00' is not an amount (write it like 1234.56)"),
        ("10.", "amount: '10.' is not an amount (write it like 1234.56)"),
        (".50", "amount: '.50' is not an amount (write it like 1234.56)"),
        (" 10.00", "amount: ' 10.00' is not an amount (write it like 1234.56)"),
        ("10.00x", "amount: '10.00x' is not an amount (write it like 1234.56)"),
        ("123456789012345678901", "amount: at most 20 characters"),
        ("", "amount: required"),
    ],
)
def test_an_amount_that_is_not_whole_cents_below_the_limit_is_one_exact_error(value, error):
    assert _parsed(value) == (None, [error])


def test_a_missing_amount_that_is_not_required_is_none_without_error():
    assert _parsed("", required=False) == (None, [])


@pytest.mark.parametrize(
    ("value", "amount", "errors"),
    [
        ("0.01", D("0.01"), []),
        ("0", None, ["amount: must be greater than zero, got 0"]),
        ("0.00", None, ["amount: must be greater than zero, got 0.00"]),
        ("-0.01", None, ["amount: must be greater than zero, got -0.01"]),
    ],
)
def test_a_positive_amount_must_be_at_least_a_cent(value, amount, errors):
    assert _parsed(value, positive=True) == (amount, errors)
