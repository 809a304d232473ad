"""Re-deriving the rest of a schedule from the actual balance, after principal moved off schedule.

After a principal prepayment (curtailment), or its reversal, the installments still to come are priced on the
balance the loan actually has, as on a real mortgage: each installment's interest is the balance at its start
times the periodic rate, rounded once (``amortization.period_interest``). The payment stays level, so more of it
goes to principal and the loan pays off sooner:

- level and balloon rows, and interest-only rows after the interest-only period: principal = the level principal
  and interest ``payment - interest``, capped at the balance;
- interest-only rows (number up to ``interest_only_periods``): no principal;
- equal-principal rows: their scheduled principal, capped at the balance;
- the last row takes whatever balance is left, so the principal column sums exactly to the starting balance;
  rows after the balance reaches zero ask for nothing (a reversed prepayment brings them back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from lending.finance.amortization import period_interest
from lending.finance.money import ZERO, require_cents, require_non_negative_cents


@dataclass(frozen=True, slots=True)
class Row:
    """One installment still to come: its number and the principal it is scheduled to repay."""

    number: int
    principal: Decimal


def reamortize(
    *,
    balance: Decimal,
    annual_rate: Decimal,
    per_year: int,
    rows: Sequence[Row],
    level_payment: Decimal,
    amortization: str = "level",
    interest_only_periods: int = 0,
) -> list[tuple[Decimal, Decimal]]:
    """(principal, interest) of each of ``rows`` (consecutive installments, oldest first, the last being the
    loan's last) when the first starts with ``balance`` owed; ``level_payment`` is the loan's principal and
    interest per regular installment."""
    balance = require_non_negative_cents(balance, "balance")
    level_payment = require_cents(level_payment, "level_payment")
    result = []
    last = len(rows) - 1
    for index, row in enumerate(rows):
        interest = period_interest(balance, annual_rate, per_year) if balance else ZERO
        if index == last:
            principal = balance
        elif row.number <= interest_only_periods:
            principal = ZERO
        elif amortization == "equal_principal":
            principal = min(row.principal, balance)
        else:
            principal = min(max(level_payment - interest, ZERO), balance)
        balance -= principal
        result.append((principal, interest))
    return result
