"""Prepayment speed: single monthly mortality (SMM) and its annualized conditional prepayment rate (CPR).

SMM = unscheduled principal / (principal at the month's start - scheduled principal)   (SIFMA, "Uniform Practices",
chapter SF: the share of the principal that could prepay in the month which did); CPR = 1 - (1 - SMM) ** 12.
Both are fractions (0.01 = 1 %), computed in the money CONTEXT (34 digits) and quantized only for display.
"""

from __future__ import annotations

from decimal import Decimal

from lending.finance.money import CONTEXT, HUNDRED, ROUNDING

ONE = Decimal(1)
MONTHS = 12


def smm(*, unscheduled: Decimal, balance_start: Decimal, scheduled: Decimal) -> Decimal | None:
    """The month's SMM; None when no principal could prepay (nothing outstanding past the scheduled principal)."""
    exposed = CONTEXT.subtract(balance_start, scheduled)
    if exposed <= 0:
        return None
    return CONTEXT.divide(unscheduled, exposed)


def cpr(monthly: Decimal) -> Decimal:
    """The annual rate at which a month's SMM would prepay the book: 1 - (1 - SMM) ** 12."""
    return CONTEXT.subtract(ONE, CONTEXT.power(CONTEXT.subtract(ONE, monthly), MONTHS))


def as_percent(fraction: Decimal, places: int = 3) -> Decimal:
    """A fraction as a percent rounded half up to ``places`` decimals (0.0123456 -> 1.235)."""
    return CONTEXT.multiply(fraction, HUNDRED).quantize(Decimal(1).scaleb(-places), rounding=ROUNDING)
