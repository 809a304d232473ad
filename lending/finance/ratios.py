"""Shares a report states as percentages: roll rates, pull-through, fallout."""

from __future__ import annotations

from decimal import Decimal

from lending.finance.money import CONTEXT, HUNDRED, ROUNDING, to_decimal

TENTH = Decimal("0.1")


def percent_of(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part`` as a percentage of ``whole`` to one decimal place (half up); None when ``whole`` is 0 (no base to
    take a share of, which a report shows as a dash, not as 0 %)."""
    part, whole = to_decimal(part, field="part"), to_decimal(whole, field="whole")
    if whole == 0:
        return None
    return CONTEXT.divide(CONTEXT.multiply(part, HUNDRED), whole).quantize(TENTH, ROUNDING, CONTEXT)
