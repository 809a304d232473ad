"""The arithmetic of automated underwriting: ratios, the qualifying payment, the value, the assets counted."""

from __future__ import annotations

from decimal import Decimal

from lending.finance.amortization import level_payment, periods_per_year
from lending.finance.money import CONTEXT, ROUNDING, cents
from origination.credit.aus.inputs import (
    MONTH_PLACES,
    RATIO_PLACES,
    RETIREMENT_SHARE,
    ZERO,
    ProductTerms,
    PropertyFacts,
)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    """numerator / denominator in percent, 4 decimals, half up."""
    return CONTEXT.divide(numerator * 100, denominator).quantize(RATIO_PLACES, rounding=ROUNDING)


def monthly_payment(amount: Decimal, product: ProductTerms) -> Decimal:
    """The fully amortizing P&I, as a monthly figure."""
    per_year = periods_per_year(product.payment_frequency)
    payment = level_payment(amount, product.annual_rate, product.term_periods, per_year)
    return payment if per_year == 12 else cents(CONTEXT.divide(payment * per_year, 12))


def monthly(annual: Decimal) -> Decimal:
    return cents(CONTEXT.divide(annual, 12))


def property_value(prop: PropertyFacts, purpose: str) -> tuple[Decimal, str]:
    """The value LTV is measured against, and what it is."""
    value, basis = (
        (prop.appraised_value, "appraised value") if prop.appraised_value else (prop.estimated_value, "estimated value")
    )
    if purpose == "purchase" and prop.purchase_price and prop.purchase_price < value:
        return prop.purchase_price, "purchase price (lower than the " + basis + ")"
    return value, basis


def counted_assets(assets: tuple[tuple[str, Decimal], ...]) -> Decimal:
    return cents(sum((balance * (RETIREMENT_SHARE if kind == "retirement" else 1) for kind, balance in assets), ZERO))


def pct(value: Decimal) -> str:
    return f"{value.quantize(MONTH_PLACES, rounding=ROUNDING)} %"


def money(value: Decimal) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
