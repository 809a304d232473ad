"""The HMDA Universal Loan Identifier: LEI + the loan's own characters + two check digits (ISO/IEC 7064 MOD 97-10).

12 CFR 1003.4(a)(1)(i) and Appendix C to Part 1003 (generating and validating the check digit).
"""

from __future__ import annotations

import re

LEI_LENGTH = 20
MAX_LOAN_ID_LENGTH = 23  # 1003.4(a)(1)(i)(B): up to 23 additional characters
MAX_ULI_LENGTH = LEI_LENGTH + MAX_LOAN_ID_LENGTH + 2
_ALPHANUMERIC = re.compile(r"^[0-9A-Za-z]+$")


def _as_digits(text: str) -> str:
    """Appendix C, step 1: letters become two-digit numbers (A or a = 10 ... Z or z = 35), digits stay."""
    if not _ALPHANUMERIC.match(text):
        raise ValueError(f"{text!r}: a ULI holds only letters and digits")
    return "".join(str(int(char, 36)) for char in text)


def uli_check_digits(base: str) -> str:
    """Appendix C, steps 1-5: the two check digits of ``base`` (the LEI and the loan's characters)."""
    remainder = int(_as_digits(base) + "00") % 97  # step 2 appends "00"; step 3 is mod 97
    return f"{98 - remainder:02d}"  # step 4: 98 minus it, two digits


def uli_build(*, lei: str, loan_id: str) -> str:
    """The ULI of one loan or application: ``lei`` + ``loan_id`` (1 to 23 letters or digits) + check digits."""
    if len(lei) != LEI_LENGTH or not _ALPHANUMERIC.match(lei):
        raise ValueError(f"{lei!r}: an LEI is 20 letters or digits")
    if not 1 <= len(loan_id) <= MAX_LOAN_ID_LENGTH:
        raise ValueError(f"{loan_id!r}: the loan's part of a ULI is 1 to {MAX_LOAN_ID_LENGTH} characters")
    base = (lei + loan_id).upper()
    return base + uli_check_digits(base)


def uli_is_valid(uli: str) -> bool:
    """Appendix C, validating: 23 to 45 letters or digits whose number (letters converted) mod 97 is 1."""
    if not LEI_LENGTH + 3 <= len(uli) <= MAX_ULI_LENGTH or not _ALPHANUMERIC.match(uli):
        return False
    return int(_as_digits(uli)) % 97 == 1
