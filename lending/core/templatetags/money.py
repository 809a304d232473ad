"""The one way money is shown: ``{{ amount|money }}`` -> ``$2,674.03``, ``-$47.00``; ``{{ amount|money:"" }}`` ->
``2,674.03`` for table columns whose heading says the currency. Quantized to cents with ``cents`` (ROUND_HALF_UP),
so a computed value that comes back from the database with extra digits still shows two. A builtin (settings):
no ``{% load %}`` needed.
"""

from __future__ import annotations

from decimal import Decimal

from django import template

from lending.finance.money import cents

register = template.Library()


def format_money(value: Decimal | int | str | None, symbol: str = "$") -> str:
    """``value`` as ``$1,234.56`` (``-$1,234.56`` when negative); "" for None or blank; anything that is not a
    number is shown as it is."""
    if value is None or value == "":
        return ""
    try:
        amount = cents(value)
    except ValueError:
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"


@register.filter(is_safe=True)
def money(value, symbol: str = "$") -> str:
    return format_money(value, symbol)
