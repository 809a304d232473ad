"""The money assertion helpers (tests/money_asserts.py): an amount matches only as the whole number shown."""

import pytest

from tests.money_asserts import (
    amount_in,
    assert_amount,
    cell_texts,
    table_rows,
    text_by_classes,
    text_by_testid,
    texts_by_testid,
)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("Late fee $94.81 assessed", "$94.81"),  # in a sentence
        ("$94.81", "$94.81"),  # the whole text
        ("Total: $2,674.03.", "$2,674.03"),  # a full stop after it ends the sentence, not the number
        ("owed $2,674.03, then", "$2,674.03"),  # so does a comma and a space
        ("(2,816.53)", "2,816.53"),  # a column without the symbol
        ("Late fee $94.81\n", "Late fee $94.81"),
    ],
)
def test_an_exact_amount_is_found(text, needle):
    assert amount_in(text, needle)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("$1,146.40", "146.40"),  # a longer number on the left
        ("paid 1146.40", "146.40"),
        ("$2,674.03000000000", "$2,674.03"),  # an unquantized Decimal
        ("$2,674.031", "$2,674.03"),
        ("$2,674.03,5", "$2,674.03"),
        ("-$146.40", "$146.40"),  # the other sign
        ("-146.40", "146.40"),
        ("Late fee $94.812", "Late fee $94.81"),
        ("$1,146.40", "$146.40"),
    ],
)
def test_a_longer_or_signed_number_is_not_the_amount(text, needle):
    assert not amount_in(text, needle)


def test_assert_amount_reads_the_label_and_amount_together():
    assert_amount("Late fee $94.81 Still owed $2,516.01", "$94.81", label="Late fee")
    with pytest.raises(AssertionError, match=r"'Late fee \$94.81' not shown as a whole amount"):
        assert_amount("Late fee $94.810", "$94.81", label="Late fee")
    with pytest.raises(AssertionError):
        assert_amount("Escrow $94.81", "$94.81", label="Late fee")  # the amount under another label
    with pytest.raises(AssertionError):
        assert_amount("$1,146.40", "$146.40")


PAGE = """
<dl><dd data-testid="total">
  $1,146.40
</dd><td data-testid="fee"><strong>$94.81</strong> <br> due</td>
<td data-testid="row">$1.00</td><td data-testid="row">$2.00</td></dl>
"""


def test_text_by_testid_is_the_elements_whole_text():
    assert text_by_testid(PAGE, "total") == "$1,146.40"  # so == "$146.40" fails
    assert text_by_testid(PAGE, "fee") == "$94.81 due"  # nested tags and a void <br> included
    assert texts_by_testid(PAGE, "row") == ["$1.00", "$2.00"]


def test_text_by_testid_wants_exactly_one_element():
    with pytest.raises(AssertionError, match="0 elements"):
        text_by_testid(PAGE, "missing")
    with pytest.raises(AssertionError, match="2 elements"):
        text_by_testid(PAGE, "row")


ADMIN = """
<div class="form-row field-previous_payment field-new_payment">
  <div class="flex-container fieldBox field-previous_payment"><label>Previous payment:</label>
    <div class="readonly">$525.00</div></div>
  <div class="flex-container fieldBox field-new_payment"><label>New payment:</label>
    <div class="readonly">$1,525.00</div></div>
</div>
"""


def test_text_by_classes_reads_the_one_element_with_all_of_them():
    assert text_by_classes(ADMIN, "fieldBox", "field-new_payment") == "New payment: $1,525.00"
    with pytest.raises(AssertionError, match="2 elements"):
        text_by_classes(ADMIN, "field-new_payment")  # the row and the box: ambiguous


TABLE = """<table><thead><tr><th>Row</th><th>Amount</th></tr></thead>
<tbody><tr><td>Principal prepayment</td><td><a href="#">$1,146.40</a></td></tr>
<tr><td>Fee</td><td>
  $94.81</td></tr></tbody></table>"""


def test_table_rows_and_cells_are_whole_texts():
    assert table_rows(TABLE) == [["Row", "Amount"], ["Principal prepayment", "$1,146.40"], ["Fee", "$94.81"]]
    assert "$1,146.40" in cell_texts(TABLE)
    assert "$146.40" not in cell_texts(TABLE)
    assert "94.81" not in cell_texts(TABLE)
