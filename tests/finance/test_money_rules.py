"""The money primitives, pinned word for word: refusals name the argument, and the cent rounding does not depend
on the caller's decimal context (the module promises never to touch or rely on the global one)."""

import re
from decimal import Context, Decimal, localcontext

import pytest

from lending.finance.money import cents, periodic_rate, require_cents, split_evenly, to_decimal


def _exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def test_a_float_is_refused_naming_the_default_field_amount():
    with pytest.raises(ValueError, match=_exactly("amount: use Decimal or str, not float (1.5)")):
        to_decimal(1.5)


def test_a_non_number_is_refused_naming_the_default_field_amount():
    with pytest.raises(ValueError, match=_exactly("amount: 'abc' is not a number")):
        to_decimal("abc")


def test_periodic_rate_refuses_a_float_rate_naming_annual_rate():
    with pytest.raises(ValueError, match=_exactly("annual_rate: use Decimal or str, not float (6.5)")):
        periodic_rate(6.5, 12)


def test_cents_rounds_at_the_working_precision_whatever_the_callers_context():
    # A caller's context of 4 significant digits would make 123456.79 (8 digits) an invalid quantize; the
    # module's own 34-digit CONTEXT rounds it: 123456.785 -> half up -> 123456.79.
    with localcontext(Context(prec=4)):
        assert cents("123456.785") == Decimal("123456.79")
        assert cents(Decimal("-0.005")) == Decimal("-0.01")


def test_require_cents_checks_at_the_working_precision_whatever_the_callers_context():
    with localcontext(Context(prec=4)):
        assert require_cents(Decimal("123456.78"), "fee") == Decimal("123456.78")
        with pytest.raises(ValueError, match=_exactly("fee: 123456.785 is not a whole number of cents")):
            require_cents(Decimal("123456.785"), "fee")


@pytest.mark.parametrize(
    ("value", "shown"), [(Decimal("Infinity"), "Decimal('Infinity')"), (Decimal("NaN"), "Decimal('NaN')")]
)
def test_require_cents_refuses_a_non_finite_decimal_as_not_finite(value, shown):
    with pytest.raises(ValueError, match=_exactly(f"fee: {shown} is not a finite number")):
        require_cents(value, "fee")


def test_split_evenly_refuses_a_negative_total_naming_total():
    # -1 is quantized to cents first, so the message shows -1.00
    with pytest.raises(ValueError, match=_exactly("total must not be negative, got -1.00")):
        split_evenly(Decimal("-1"), 2)


def test_split_evenly_refuses_zero_parts_word_for_word():
    with pytest.raises(ValueError, match=_exactly("parts must be greater than zero, got 0")):
        split_evenly(Decimal("1.00"), 0)
