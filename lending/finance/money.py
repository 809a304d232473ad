"""Money primitives: the one rounding rule and the one quantizing helper.

Every amount in Lending is a ``Decimal`` quantized to cents by :func:`cents` with
:data:`ROUNDING`. Rates are annual percentages (``Decimal("6.5")`` is 6.5 %).
Nothing here touches the global decimal context: precision-sensitive code uses
:data:`CONTEXT` explicitly.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, InvalidOperation

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
    # Positional arguments: the keyword form is measurably slower in CPython's C decimal.
    return to_decimal(value).quantize(CENT, rounding, CONTEXT)


def periodic_rate(annual_rate: Decimal, periods_per_year: int) -> Decimal:
    """Annual percentage rate -> rate per period as a fraction (6 % monthly -> 0.005).

    For interest amounts prefer ``amortization.period_interest`` (multiply first, divide once): rounding a
    product with an already-divided rate can land a cent low on an exact half cent.
    """
    return CONTEXT.divide(to_decimal(annual_rate, field="annual_rate"), HUNDRED * periods_per_year)


def require_positive(value: Decimal, field: str) -> Decimal:
    value = to_decimal(value, field=field)
    if value <= 0:
        raise ValueError(f"{field} must be greater than zero, got {value}")
    return value


def require_non_negative(value: Decimal | int | str, field: str) -> Decimal:
    value = to_decimal(value, field=field)
    if value < 0:
        raise ValueError(f"{field} must not be negative, got {value}")
    return value


def require_cents(value: Decimal | int | str, field: str) -> Decimal:
    """``value`` as a Decimal that is already a whole number of cents; sub-cent amounts are refused, not rounded."""
    if type(value) is not Decimal or not value.is_finite():  # fast path for the common case: a finite Decimal
        value = to_decimal(value, field=field)
    quantized = value.quantize(CENT, None, CONTEXT)
    if quantized != value:
        raise ValueError(f"{field}: {value} is not a whole number of cents")
    return quantized


def require_non_negative_cents(value: Decimal | int | str, field: str) -> Decimal:
    """``value`` as whole cents, refusing negative amounts."""
    value = require_cents(value, field)
    if value < 0:
        raise ValueError(f"{field} must not be negative, got {value}")
    return value


# Exact integer-cent arithmetic for hot loops (schedules, accrual): results equal Decimal ROUND_HALF_UP.


def half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` (denominator > 0) rounded half away from zero, as Decimal ``ROUND_HALF_UP``."""
    if numerator >= 0:
        return (2 * numerator + denominator) // (2 * denominator)
    return -((denominator - 2 * numerator) // (2 * denominator))


def to_cents(amount: Decimal) -> int:
    """A cent-quantized Decimal as an integer number of cents."""
    return int(CONTEXT.scaleb(amount, 2))


def from_cents(count: int) -> Decimal:
    """An integer number of cents as a Decimal with exponent -2."""
    return CONTEXT.multiply(CENT, count)


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """Split ``total`` (>= 0) into ``parts`` cent amounts that sum to it exactly.

    Every part but the last is the share rounded down; the last part carries the remainder, so it is the
    largest and never negative.
    """
    if parts <= 0:
        raise ValueError(f"parts must be greater than zero, got {parts}")
    total = require_non_negative(cents(total), "total")
    share = CONTEXT.divide(total, parts).quantize(CENT, rounding=ROUND_DOWN)
    return [share] * (parts - 1) + [total - share * (parts - 1)]
