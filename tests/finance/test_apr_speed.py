"""The faster apr() of issue 15: the exact Decimal iteration from zero (five steps for a mortgage), and the common
input (a list of (date, Decimal) pairs) checked column by column. Pinned here: the iteration's start and steps,
figures far past a float's range, and that the fast input check hands every other input to the item-by-item
checks (their messages word for word)."""

from __future__ import annotations

import calendar
import re
from datetime import date
from decimal import Context, Decimal, localcontext
from pathlib import Path

import pytest

import lending.finance.apr as apr_module
from lending.finance.apr import Payment, apr, time_factors, total_of_payments
from tests.finance.reference import apr as reference_apr

D = Decimal
ADVANCE = date(2025, 3, 17)


def _exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def add_months(start: date, months: int, day: int | None = None) -> date:
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    return date(year, month + 1, min(day or start.day, calendar.monthrange(year, month + 1)[1]))


def mortgage(count: int = 360, amount: str = "761.78") -> list[tuple[date, Decimal]]:
    # $761.78 a month from May 1 2025: the P&I of $162,000 at 3.875 % for 30 years
    return [(add_months(date(2025, 5, 1), k), D(amount)) for k in range(count)]


def groups_of(payments: list[tuple[date, Decimal]], unit: str = "monthly") -> list[tuple[Decimal, int, int, Decimal]]:
    dates, amounts = apr_module._payments(payments, ADVANCE)
    _, factors = apr_module._schedule(apr_module.unit_period_for(unit), ADVANCE, dates)
    return apr_module._groups(amounts, factors)


def exact_root(financed: Decimal, groups: list[tuple[Decimal, int, int, Decimal]]) -> Decimal:
    return apr_module._solve_unit_rate(financed, groups)  # from zero, as before issue 15


def relative_error(guess: Decimal, root: Decimal) -> Decimal:
    return abs(guess - root) / root


SEMIMONTHLY = sorted(
    [(add_months(date(2025, 4, 1), k), D("400.00")) for k in range(48)]
    + [(add_months(date(2025, 4, 16), k), D("400.00")) for k in range(48)]
)
EVERY_OTHER_MONTH = [(add_months(date(2025, 5, 1), 2 * k), D("1000.00")) for k in range(30)]


def test_the_exact_iteration_from_zero_reaches_a_mortgage_s_root_in_five_steps(monkeypatch):
    groups = groups_of(mortgage())
    calls = []
    original = apr_module._value_and_slope

    def counted(*args):
        calls.append(args[1])
        return original(*args)

    monkeypatch.setattr(apr_module, "_value_and_slope", counted)
    rate = apr_module._solve_unit_rate(D("159000.00"), groups)
    assert calls[0] == 0  # from a rate of zero, all in Decimal: no starting guess from elsewhere
    assert len(calls) == 5
    # 0.003346211565814955... a month, times 1,200: APR 4.0154538789779 %
    assert abs(rate * 1200 - D("4.0154538789779")) < D("1E-12")
    assert apr(D("159000.00"), ADVANCE, mortgage(), "monthly") == D("4.0154538790")


def test_figures_past_a_float_s_range_are_no_different():
    # 1.1E+400 repaid a year on from 1E+400: 10 % a year, as the reference (the old all-Decimal code) says.
    payments = [(date(2026, 3, 17), D("1.1E+400"))]
    assert apr(D("1E+400"), ADVANCE, payments, "monthly") == D("10.0000000000")
    assert apr(D("1E+400"), ADVANCE, payments, "monthly") == reference_apr.apr(
        D("1E+400"), ADVANCE, payments, "monthly"
    )


def test_a_finance_charge_of_one_cent_on_ten_billion():
    payments = [(date(2026, 3, 17), D("10000000000.01"))]
    assert apr(D("10000000000.00"), ADVANCE, payments, "monthly") == reference_apr.apr(
        D("10000000000.00"), ADVANCE, payments, "monthly"
    )


def test_the_finance_core_holds_no_floats():
    source = Path(apr_module.__file__).read_text()
    assert re.findall(r"\bfloat\b|\bmath\.", source) == []


# --- the column-by-column input check --------------------------------------------------------------------------


def test_plain_pairs_takes_sorted_date_decimal_pairs():
    pairs = [(date(2025, 5, 1), D("1.00")), (date(2025, 6, 1), D("2.00"))]
    assert apr_module._plain_pairs(pairs, ADVANCE) == ([date(2025, 5, 1), date(2025, 6, 1)], [D("1.00"), D("2.00")])
    assert apr_module._plain_pairs(tuple(pairs), ADVANCE) is not None


@pytest.mark.parametrize(
    "payments",
    [
        [],
        [(date(2025, 6, 1), D(2)), (date(2025, 5, 1), D(1))],  # out of order: sorted item by item
        [(date(2025, 5, 1), D(1), "x")],
        [[date(2025, 5, 1), D(1)]],
        [Payment(date(2025, 5, 1), D(1))],
        [(date(2025, 5, 1), 1)],
        [(date(2025, 5, 1), D("NaN"))],
        [(date(2025, 5, 1), D("-0.01"))],
        [(ADVANCE, D(1))],
        [("2025-05-01", D(1))],
    ],
)
def test_plain_pairs_leaves_everything_else_to_the_item_checks(payments):
    assert apr_module._plain_pairs(payments, ADVANCE) is None


@pytest.mark.parametrize(
    ("payments", "message"),
    [
        ([(date(2025, 5, 1), D("-0.01"))], "payments[0].amount must not be negative, got -0.01"),
        (
            [(date(2025, 5, 1), D(1)), (ADVANCE, D(1))],
            "payments[1].due_date: 2025-03-17 is not after advance_date 2025-03-17",
        ),
        (
            [(date(2025, 5, 1), D(1), 2)],
            "payments[0]: expected Payment or (date, amount), got (datetime.date(2025, 5, 1), Decimal('1'), 2)",
        ),
    ],
)
def test_refusals_still_name_the_payment(payments, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        apr(D(1), ADVANCE, payments, "monthly")


def test_unsorted_pairs_are_put_in_date_order():
    _, factors = time_factors(ADVANCE, [(date(2025, 6, 1), D(2)), (date(2025, 5, 1), D(1))], "monthly")
    assert [factor.periods for factor in factors] == [1, 2]


def test_the_total_of_payments_ignores_the_callers_context():
    # 12 payments of 99,999.99: 1,199,999.88 needs 9 digits, which a caller's 5-digit context would round away.
    with localcontext(Context(prec=5)):
        assert total_of_payments(mortgage(12, "99999.99")) == D("1199999.88")
