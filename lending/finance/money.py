"""Money primitives: the one rounding rule and the one quantizing helper.

Every amount in Lending is a ``Decimal`` quantized to cents by :func:`cents` with
:data:`ROUNDING`. Rates are annual percentages (``Decimal("6.5")`` is 6.5 %).
Nothing here touches the global decimal context: precision-sensitive code uses
:data:`CONTEXT` explicitly.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
ROUNDING = ROUND_HALF_UP
# Working precision for intermediate results (rates, factors); amounts are quantized at the end.
CONTEXT = Context(prec=34, rounding=ROUNDING)


def to_decimal(value: Decimal | int | str, *, field: str = "amount") -> Decimal:
    """Return ``value`` as a finite Decimal; floats are refused because they are not exact."""
    if isinstance(value, (bool, float)):
        raise ValueError(f"{field}: use Decimal or str, not {type(value).__name__} ({value!r})")
    try:
        result = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"{field}: {value!r} is not a number") from exc
    if not result.is_finite():
        raise ValueError(f"{field}: {value!r} is not a finite number")
    return result


def cents(value: Decimal | int | str, rounding: str = ROUNDING) -> Decimal:
    """Quantize ``value`` to cents with ``rounding`` (``ROUND_HALF_UP`` unless told otherwise)."""
    return to_decimal(value).quantize(CENT, rounding=rounding)


def periodic_rate(annual_rate: Decimal, periods_per_year: int) -> Decimal:
    """Annual percentage rate -> rate per period as a fraction (6 % monthly -> 0.005)."""
    return CONTEXT.divide(to_decimal(annual_rate, field="annual_rate"), HUNDRED * periods_per_year)


def require_positive(value: Decimal, field: str) -> Decimal:
    value = to_decimal(value, field=field)
    if value <= 0:
        raise ValueError(f"{field} must be greater than zero, got {value}")
    return value


def require_non_negative(value: Decimal, field: str) -> Decimal:
    value = to_decimal(value, field=field)
    if value < 0:
        raise ValueError(f"{field} must not be negative, got {value}")
    return value


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """Split ``total`` into ``parts`` cent amounts; the rounding remainder goes to the last part."""
    if parts <= 0:
        raise ValueError(f"parts must be greater than zero, got {parts}")
    share = cents(CONTEXT.divide(to_decimal(total, field="total"), parts))
    return [share] * (parts - 1) + [cents(total) - share * (parts - 1)]
