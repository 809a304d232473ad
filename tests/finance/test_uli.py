"""The ULI check digits (12 CFR 1003 Appendix C) against the regulation's own worked example."""

import pytest

from lending.finance.uli import uli_build, uli_check_digits, uli_is_valid

# Appendix C's example: LEI 10Bx939c5543TqA1144M, loan characters 999143X -> check digits 38.
APPENDIX_C_LEI = "10Bx939c5543TqA1144M"


def test_check_digits_of_the_appendix_c_example():
    # 10Bx939c5543TqA1144M999143X -> 1011339391255432926101144229991433300; mod 97 = 60; 98 - 60 = 38.
    assert uli_check_digits("10Bx939c5543TqA1144M999143X") == "38"


def test_uli_build_appends_the_check_digits_in_capitals():
    assert uli_build(lei=APPENDIX_C_LEI, loan_id="999143X") == "10BX939C5543TQA1144M999143X38"


def test_appendix_c_example_validates_and_a_changed_digit_does_not():
    assert uli_is_valid("10Bx939c5543TqA1144M999143X38") is True
    assert uli_is_valid("10Bx939c5543TqA1144M999143X39") is False
    assert uli_is_valid("10Bx939c5543TqA1144M999144X38") is False


def test_single_digit_result_gets_a_leading_zero():
    # Step 4: "If the result is one digit, add a leading 0". 10Bx939c5543TqA1144M + "33" -> remainder 94 -> 98 - 94 = 4.
    assert uli_check_digits(f"{APPENDIX_C_LEI}33") == "04"
    assert uli_is_valid(f"{APPENDIX_C_LEI}3304")


@pytest.mark.parametrize(
    ("lei", "loan_id", "problem"),
    [
        ("SHORT", "1", "an LEI is 20"),
        (APPENDIX_C_LEI, "", "1 to 23"),
        (APPENDIX_C_LEI, "A-2026-1", "only letters and digits"),
        (APPENDIX_C_LEI, "X" * 24, "1 to 23"),
    ],
)
def test_uli_build_refuses_bad_parts(lei, loan_id, problem):
    with pytest.raises(ValueError, match=problem):
        uli_build(lei=lei, loan_id=loan_id)


def test_uli_is_valid_refuses_wrong_lengths_and_characters():
    assert uli_is_valid("10Bx939c5543TqA1144M38") is False  # no loan characters
    assert uli_is_valid("10Bx939c5543TqA1144M-99143X38") is False


LEI = "10Bx939c5543TqA1144M"  # Appendix C's example LEI (20 characters)


@pytest.mark.parametrize("length", [1, 23])
def test_the_loan_part_may_be_1_to_23_characters_and_the_result_validates(length):
    uli = uli_build(lei=LEI, loan_id="9" * length)
    assert len(uli) == 20 + length + 2
    assert uli_is_valid(uli)


@pytest.mark.parametrize("length", [0, 24])
def test_a_loan_part_of_0_or_24_characters_is_refused(length):
    with pytest.raises(ValueError, match="the loan's part of a ULI is 1 to 23 characters"):
        uli_build(lei=LEI, loan_id="9" * length)


def test_a_uli_one_character_too_long_is_not_valid():
    # 20 + 23 + 2 = 45 is the longest ULI: a correct check digit on 44 characters of base does not make 46 valid.
    base = LEI + "9" * 24
    assert not uli_is_valid(base + uli_check_digits(base))


def test_a_uli_shorter_than_23_characters_is_invalid_even_when_its_check_digits_hold():
    # The LEI alone with its own check digits (mod 97 == 1) is 22 characters: no loan identifier, so no ULI.
    assert uli_is_valid("10Bx939c5543TqA1144M35") is False
