"""The field parsers the formats share (``parse_text``, ``parse_decimal``, ``parse_int``, ``parse_date``,
``parse_choice``): their defaults and each bound, pinned with the exact error each refusal records on the row."""

from datetime import date
from decimal import Decimal as D

import pytest

from servicing.services.import_batches import RowCheck, parse_choice, parse_date, parse_decimal, parse_int, parse_text


def _parsed(parser, value, *args, **options):
    row = RowCheck(line_number=2, raw={} if value is None else {"f": value})
    return parser(row, "f", *args, **options), row.errors


@pytest.mark.parametrize(
    ("value", "options", "result"),
    [
        ("x" * 200, {}, ("x" * 200, [])),
        ("x" * 201, {}, (None, ["f: at most 200 characters"])),
        ("abc", {"max_length": 3}, ("abc", [])),
        ("abcd", {"max_length": 3}, (None, ["f: at most 3 characters"])),
        ("", {}, (None, ["f: required"])),
        (None, {}, (None, ["f: required"])),
        (None, {"required": False}, (None, [])),
    ],
)
def test_text_is_required_by_default_and_at_most_200_characters(value, options, result):
    assert _parsed(parse_text, value, **options) == result


@pytest.mark.parametrize(
    ("value", "options", "result"),
    [
        ("0", {}, (D("0"), [])),
        ("12345678901234567.89", {}, (D("12345678901234567.89"), [])),  # 20 characters
        ("123456789012345678.90", {}, (None, ["f: at most 20 characters"])),
        ("-0.01", {}, (None, ["f: '-0.01' is not a number of at least 0"])),
        ("1.5", {"low": D("1.5")}, (D("1.5"), [])),
        ("1.49", {"low": D("1.5")}, (None, ["f: '1.49' is not a number of at least 1.5"])),
        ("1,5", {}, (None, ["f: '1,5' is not a number of at least 0"])),
        ("", {}, (None, ["f: required"])),
        ("", {"required": False}, (None, [])),
    ],
)
def test_a_decimal_is_required_by_default_at_most_20_characters_and_at_least_its_low(value, options, result):
    assert _parsed(parse_decimal, value, **options) == result


@pytest.mark.parametrize(
    ("value", "options", "result"),
    [
        ("0", {}, (0, [])),
        ("10000", {}, (10000, [])),
        ("10001", {}, (None, ["f: '10001' is not a whole number between 0 and 10000"])),
        ("3", {"low": 3, "high": 5}, (3, [])),
        ("5", {"low": 3, "high": 5}, (5, [])),
        ("2", {"low": 3, "high": 5}, (None, ["f: '2' is not a whole number between 3 and 5"])),
        ("6", {"low": 3, "high": 5}, (None, ["f: '6' is not a whole number between 3 and 5"])),
        ("0000000007", {}, (7, [])),  # 10 characters
        ("00000000007", {}, (None, ["f: at most 10 characters"])),
        ("-1", {}, (None, ["f: '-1' is not a whole number between 0 and 10000"])),
        ("", {}, (None, ["f: required"])),
        ("", {"required": False}, (None, [])),
    ],
)
def test_a_whole_number_is_required_by_default_at_most_10_digits_and_within_its_bounds(value, options, result):
    assert _parsed(parse_int, value, **options) == result


@pytest.mark.parametrize(
    ("value", "options", "result"),
    [
        ("2026-12-01", {}, (date(2026, 12, 1), [])),
        ("2026-12-011", {}, (None, ["f: at most 10 characters"])),
        ("2026-2-1", {}, (None, ["f: '2026-2-1' is not a date (YYYY-MM-DD)"])),
        ("2026-02-30", {}, (None, ["f: '2026-02-30' is not a date (YYYY-MM-DD)"])),
        ("", {}, (None, ["f: required"])),
        ("", {"required": False}, (None, [])),
    ],
)
def test_a_date_is_required_by_default_and_written_yyyy_mm_dd(value, options, result):
    assert _parsed(parse_date, value, **options) == result


@pytest.mark.parametrize(
    ("value", "options", "result"),
    [
        ("Check", {}, ("check", [])),
        ("wire", {}, (None, ["f: unknown 'wire'; use one of check, lockbox, ach"])),
        ("", {}, (None, ["f: required"])),
        (None, {}, (None, ["f: required"])),
        ("", {"default": "ach"}, ("ach", [])),
        (None, {"default": "ach"}, ("ach", [])),
    ],
)
def test_a_choice_is_one_of_its_values_in_any_case_or_its_default_when_empty(value, options, result):
    assert _parsed(parse_choice, value, ("check", "lockbox", "ach"), **options) == result
