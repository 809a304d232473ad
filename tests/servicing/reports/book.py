"""A small constructed book for the report tests: two 30-year mortgages of $100,000.00 at 6.5 %, disbursed Jan 30,
2026 (first payment Mar 1), each in its own product, and three payments.

Installment 1 of each (the schedule, 30/360 with a per-diem odd day): interest = one day 100,000 x 6.5 % / 360 =
18.06 plus a month 100,000 x 6.5 % / 12 = 541.67 -> 559.73; principal = the regular payment 632.07 - 541.67 = 90.40;
escrow 525.00 (the property's taxes and insurance / 12); due 1,175.13.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lending.core import roles
from servicing.models import LoanAccount, LoanTransaction
from servicing.services.payments import payment_post
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

DISBURSED = date(2026, 1, 30)
FIRST_DUE = date(2026, 3, 1)
INSTALLMENT_1 = Decimal("1175.13")


@dataclass
class Book:
    a: LoanAccount
    b: LoanAccount
    a1: LoanTransaction  # A's installment 1, ACH, Mar 1
    b1: LoanTransaction  # B's installment 1, wire, Mar 1 (posted after a1)
    a2: LoanTransaction  # A's $5,000.00 principal-only curtailment by check, Mar 15


def loan(amount: str = "100000.00") -> LoanAccount:
    return boarded_loan(closing_date=DISBURSED, first_payment_date=FIRST_DUE, amount=Decimal(amount))


def pay(loan: LoanAccount, amount: Decimal, day: date, method: str, key: str, **kwargs) -> LoanTransaction:
    return payment_post(
        loan=loan,
        amount=amount,
        effective_date=day,
        method=method,
        reference=f"ref-{key}",
        idempotency_key=key,
        actor=user_with_role(roles.SERVICER),
        **kwargs,
    )


def book() -> Book:
    a, b = loan(), loan()
    a1 = pay(a, INSTALLMENT_1, FIRST_DUE, "ach", "a1")
    b1 = pay(b, INSTALLMENT_1, FIRST_DUE, "wire", "b1")
    a2 = pay(a, Decimal("5000.00"), date(2026, 3, 15), "check", "a2", directive="principal_only")
    return Book(a=a, b=b, a1=a1, b1=b1, a2=a2)
