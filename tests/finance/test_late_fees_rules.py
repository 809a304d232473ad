"""Late fee rules pinned one by one (issue 17): refusals name their argument word for word, and the close that
charges follows the loan's own grace days, not the default 15."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from lending.finance.late_fees import grace_ends_in, late_fee_amount

D = Decimal
OK = {"percent": D("5"), "flat": D("0.00")}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"periodic_principal_interest": D("1.001")},
            "periodic_principal_interest: 1.001 is not a whole number of cents",
        ),
        ({"percent": D("-1")}, "percent must not be negative, got -1"),
        ({"flat": D("-2.00")}, "flat must not be negative, got -2.00"),
        ({"minimum": D("0.005")}, "minimum: 0.005 is not a whole number of cents"),
        ({"maximum": D("-3.00")}, "maximum must not be negative, got -3.00"),
    ],
)
def test_a_bad_argument_is_refused_by_name(kwargs, message):
    arguments = {"periodic_principal_interest": D("1000.00"), **OK, **kwargs}
    base = arguments.pop("periodic_principal_interest")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        late_fee_amount(base, **arguments)


@pytest.mark.parametrize(
    ("previous_close", "close", "charges"),
    [
        # Due March 2, 2026 with 10 days' grace: March 13 is the first day after grace.
        (date(2026, 3, 11), date(2026, 3, 12), False),  # the close of the 12th: still in grace
        (date(2026, 3, 12), date(2026, 3, 13), True),  # the close of the 13th charges it
        (date(2026, 3, 13), date(2026, 3, 16), False),  # charged already by an earlier close
        (None, date(2026, 3, 13), True),
    ],
)
def test_the_close_that_charges_follows_the_loans_own_grace_days(previous_close, close, charges):
    assert grace_ends_in(date(2026, 3, 2), 10, previous_close, close) is charges
