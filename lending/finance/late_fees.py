"""Late fees: how much one late charge is, the state caps on it, and the night it is charged.

The contract (the promissory note and the TIL disclosure, ``templates/pdf/promissory_note.html``): "a late charge
of P% of the overdue payment plus $F, at most $M". The overdue payment is the installment's scheduled principal
and interest (Fannie Mae/Freddie Mac uniform note, Form 3200, section 6(A): "__% of my overdue payment of principal
and interest"); escrow and earlier fees never count, so a fee is never charged on a fee (Reg Z 12 CFR
1026.36(c)(2)). A product with no percent charges the flat amount. ``minimum`` is a floor some notes add ("but not
less than $X"); the booked loans have none today.

State caps: the lower of the contract's fee and the state's limit, from :data:`STATE_CAPS`, keyed by the property's
state (two-letter code); a loan without a property state (a transferred loan, an unsecured loan) gets
:data:`DEFAULT_STATE_CAP` (none: the contract's fee stands). The table is the one place the limits live; the
statutes are cited beside each, for compliance to keep current.

When: one fee per installment, charged at the close of the first day after its grace period (due date + grace days
+ 1, ``delinquency.late_fee_assessable``) while its periodic payment is still short. The close of business runs on
business days, so a grace period ending over a weekend is charged at the next close: the fee is due when that day
falls after the previous close and on or before this one (:func:`grace_ends_in`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lending.finance.delinquency import late_fee_assessable
from lending.finance.money import CONTEXT, HUNDRED, ZERO, cents, require_non_negative, require_non_negative_cents


@dataclass(frozen=True, slots=True)
class StateCap:
    """A state's limit on one late charge: ``percent`` of the overdue principal and interest, but never less than
    ``floor`` dollars (California: 6 % or $5, whichever is greater)."""

    percent: Decimal
    floor: Decimal = ZERO
    citation: str = ""

    def amount(self, periodic_principal_interest: Decimal) -> Decimal:
        percent_of = cents(CONTEXT.divide(CONTEXT.multiply(periodic_principal_interest, self.percent), HUNDRED))
        return max(percent_of, self.floor)


# Residential first-lien limits (one-to-four family, owner occupied).
STATE_CAPS: dict[str, StateCap] = {
    "CA": StateCap(Decimal("6"), Decimal("5.00"), "Cal. Civ. Code 2954.4(a): 6% of the installment or $5"),
    "MA": StateCap(Decimal("3"), ZERO, "Mass. Gen. Laws ch. 183 s. 59: 3% of the monthly payment"),
    "NC": StateCap(Decimal("4"), ZERO, "N.C. Gen. Stat. 24-10.1(a): 4% of the payment past due"),
    "NY": StateCap(Decimal("2"), ZERO, "N.Y. Real Prop. Law 254-b: 2% of the delinquent payment"),
}
DEFAULT_STATE_CAP: StateCap | None = None  # no state limit known: the contract's fee stands


def state_cap(state: str) -> StateCap | None:
    """The cap for a property state (any case, blank allowed): its row, or the default."""
    return STATE_CAPS.get((state or "").strip().upper(), DEFAULT_STATE_CAP)


def late_fee_amount(
    periodic_principal_interest: Decimal,
    *,
    percent: Decimal,
    flat: Decimal,
    maximum: Decimal | None = None,
    minimum: Decimal | None = None,
    state: str = "",
) -> Decimal:
    """One late charge on an installment whose scheduled principal and interest is ``periodic_principal_interest``:
    ``percent`` % of it plus ``flat``, at least ``minimum``, at most ``maximum``, then at most the state's cap.
    The percent part is rounded to the cent once (``money.cents``)."""
    base = require_non_negative_cents(periodic_principal_interest, "periodic_principal_interest")
    percent = require_non_negative(percent, "percent")
    flat = require_non_negative_cents(flat, "flat")
    fee = cents(CONTEXT.divide(CONTEXT.multiply(base, percent), HUNDRED)) + flat
    if minimum is not None:
        fee = max(fee, require_non_negative_cents(minimum, "minimum"))
    if maximum is not None:
        fee = min(fee, require_non_negative_cents(maximum, "maximum"))
    cap = state_cap(state)
    if cap is not None:
        fee = min(fee, cap.amount(base))
    return fee


def grace_ends_in(due_date: date, grace_days: int, previous_close: date | None, close: date) -> bool:
    """True when the first day after the grace period of the payment due on ``due_date`` falls after
    ``previous_close`` (None: no earlier close) and on or before ``close``: this close is the one that charges the
    fee. Due March 1 with 15 days' grace: March 17 is the first day after grace, so the close of March 17 charges
    it (the close of March 16 does not), or the close of Monday March 19 when the 17th and 18th are a weekend."""
    if not late_fee_assessable(due_date, close, grace_days):
        return False
    return previous_close is None or not late_fee_assessable(due_date, previous_close, grace_days)
