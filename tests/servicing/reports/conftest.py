"""The month-end tape the delinquency report tests read: four loans over February and March 2027."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from servicing.models import LoanMonthEnd
from servicing.services.month_end import month_end_count_add
from tests.origination.factories import LoanProductFactory
from tests.servicing.factories import boarded_loan

D = Decimal
FEB, MAR = date(2027, 2, 1), date(2027, 3, 1)


def _row(loan, month, before, after, principal_before, principal, product="p-a"):
    """One tape row, counted as the writer counts it."""
    row = LoanMonthEnd.objects.create(
        loan=loan,
        month=month,
        as_of=month.replace(day=26),
        product_code=product,
        bucket_before=before,
        bucket=after,
        days_past_due=0 if after == "current" else 35,
        principal_before=D(principal_before),
        principal_balance=D(principal),
    )
    month_end_count_add([row])


@pytest.fixture
def tape():
    """Four loans over February and March 2027 (L4 is product p-b):
    Feb: L1 new->current $300,000; L2 new->current $200,000; L3 new->1-29 $100,000; L4 new->current $50,000.
    Mar: L1 current->current $299,000; L2 current->30-59 $200,000; L3 1-29->current $99,000; L4 paid off."""
    LoanProductFactory(code="p-a", name="Product A")
    LoanProductFactory(code="p-b", name="Product B")
    l1, l2, l3, l4 = (boarded_loan() for _ in range(4))
    _row(l1, FEB, "new", "current", "0", "300000")
    _row(l2, FEB, "new", "current", "0", "200000")
    _row(l3, FEB, "new", "1-29", "0", "100000")
    _row(l4, FEB, "new", "current", "0", "50000", product="p-b")
    _row(l1, MAR, "current", "current", "300000", "299000")
    _row(l2, MAR, "current", "30-59", "200000", "200000")
    _row(l3, MAR, "1-29", "current", "100000", "99000")
    _row(l4, MAR, "current", "paid_off", "50000", "0", product="p-b")
