"""The faster apr() of issue 15: a float Newton iteration finds the rate to ~15 digits, so the exact Decimal
iteration needs one step; the common input (a list of (date, Decimal) pairs) is checked column by column.
Each path pinned here: the guess's accuracy and the single Decimal step, the float-free fallback, and that the
fast input check hands every other input to the item-by-item checks (their messages word for word)."""

from __future__ import annotations

import calendar
import re
from datetime import date
from decimal import Context, Decimal, localcontext

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


@pytest.mark.parametrize(
    ("payments", "unit", "financed"),
    [
        (mortgage(), "monthly", D("159000.00")),  # one run of 360: one fraction, consecutive q
        ([(due, amount + D(k) / 100) for k, (due, amount) in enumerate(mortgage())], "monthly", D("159000.00")),
        (SEMIMONTHLY, "semimonthly", D("35000.00")),  # the 1st and the 16th have different fractions
        (EVERY_OTHER_MONTH, "monthly", D("25000.00")),  # q = 1, 3, 5, ...: powers one by one
        (mortgage(12, "95.00"), "monthly", D("1000.00")),  # 14 % a month: a fast-growing rate
    ],
)
def test_the_float_guess_is_the_root_to_fifteen_digits(payments, unit, financed):
    groups = groups_of(payments, unit)
    guess = apr_module._float_guess(financed, groups)
    assert relative_error(guess, exact_root(financed, groups)) < D("1E-13")


def test_from_the_guess_one_exact_step_reaches_the_root(monkeypatch):
    groups = groups_of(mortgage())
    financed = D("159000.00")
    root = exact_root(financed, groups)
    calls = []
    original = apr_module._value_and_slope

    def counted(*args):
        calls.append(args[1])
        return original(*args)

    monkeypatch.setattr(apr_module, "_value_and_slope", counted)
    rate = apr_module._solve_unit_rate(financed, groups, apr_module._float_guess(financed, groups))
    assert len(calls) == 1
    assert abs(rate - root) < D("1E-30")
    # 0.003346211565814955... a month, times 1,200: APR 4.0154538789779 %
    assert apr(financed, ADVANCE, mortgage(), "monthly") == D("4.0154538790")


def test_figures_floats_cannot_hold_start_the_exact_iteration_from_zero():
    # 1E+400 overflows a float: the guess is zero, and the Decimal iteration finds 10 % a year on its own.
    payments = [(date(2026, 3, 17), D("1.1E+400"))]
    assert apr_module._float_guess(D("1E+400"), groups_of(payments)) == 0
    assert apr(D("1E+400"), ADVANCE, payments, "monthly") == D("10.0000000000")
    assert apr(D("1E+400"), ADVANCE, payments, "monthly") == reference_apr.apr(
        D("1E+400"), ADVANCE, payments, "monthly"
    )


def test_a_float_iteration_that_does_not_converge_gives_zero(monkeypatch):
    monkeypatch.setattr(apr_module, "_MAX_ITERATIONS", 2)
    assert apr_module._float_guess(D("159000.00"), groups_of(mortgage())) == 0


def test_a_float_rate_below_zero_gives_zero():
    # A finance charge of 1 cent on $10 billion: float rounding can step below zero; the guess is then zero.
    payments = [(date(2026, 3, 17), D("10000000000.01"))]
    guess = apr_module._float_guess(D("10000000000.00"), groups_of(payments))
    assert guess >= 0
    assert apr(D("10000000000.00"), ADVANCE, payments, "monthly") == reference_apr.apr(
        D("10000000000.00"), ADVANCE, payments, "monthly"
    )


def test_consecutive_powers():
    assert apr_module._consecutive_powers(0.5, 2, 3) == [0.25, 0.125, 0.0625]
    assert apr_module._consecutive_powers(0.5, 0, 1) == [1.0]


def test_float_value_and_slope_one_fraction_and_several():
    # One payment of 100 at q = 1, f = 0.5, rate 10 %: v = 1/1.1, u = 1/1.05; value = 100 v u = 86.5800865...
    # slope = -u (f u S + v W) with S = 100 v, W = 1 * 100 v: -(1/1.05)(0.5/1.05 * 90.909 + 90.909/1.1) = -119.9...
    v, u = 1 / 1.1, 1 / 1.05
    value, slope = apr_module._float_value_and_slope(0.1, v, [100.0], [100.0], [v], [0.5])
    assert value == pytest.approx(100 * v * u, rel=1e-15)
    assert slope == pytest.approx(-u * (0.5 * u * 100 * v + v * 100 * v), rel=1e-15)
    # Two payments with fractions 0 and 0.5: the sum of each one's own value and slope
    value, slope = apr_module._float_value_and_slope(0.1, v, [100.0, 100.0], [100.0, 200.0], [v, v * v], [0.0, 0.5])
    assert value == pytest.approx(100 * v + 100 * v * v * u, rel=1e-15)
    expected_slope = -(v * 100 * v) - u * (0.5 * u * 100 * v * v + v * 200 * v * v)
    assert slope == pytest.approx(expected_slope, rel=1e-15)


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


# --- the float iteration's own refusals and paths (each hands apr() a zero guess or a faster route) -----------


def test_the_float_iteration_refuses_a_rate_below_zero_word_for_word():
    # 900 paid back on 1,000 financed: the value is below the amount financed at a zero rate, so Newton's first
    # step goes below zero (apr() refuses such a loan before it gets here).
    with pytest.raises(ValueError, match=_exactly("apr: no float root")):
        apr_module._float_root(1000.0, [(D(900), 1, 1, D(0))])


def test_the_float_iteration_that_runs_out_of_steps_says_so(monkeypatch):
    monkeypatch.setattr(apr_module, "_MAX_ITERATIONS", 2)
    with pytest.raises(ValueError, match=_exactly("apr: the float iteration did not converge")):
        apr_module._float_root(159000.0, groups_of(mortgage()))


def test_a_zero_finance_charge_is_a_zero_float_rate():
    # 1,000 back on 1,000: ln(1) = 0, the first step is 0 and the rate stays exactly 0 (not refused as below zero)
    assert apr_module._float_root(1000.0, [(D(1000), 1, 1, D(0))]) == 0.0


@pytest.mark.parametrize(("payments", "by_products"), [(mortgage(), True), (EVERY_OTHER_MONTH, False)])
def test_powers_by_running_products_only_for_one_payment_a_unit_period(monkeypatch, payments, by_products):
    used = []
    original = apr_module._consecutive_powers

    def spy(v, first, count):
        used.append((first, count))
        return original(v, first, count)

    monkeypatch.setattr(apr_module, "_consecutive_powers", spy)
    apr_module._float_root(10000.0, groups_of(payments))
    assert bool(used) is by_products
    if by_products:
        assert used[0] == (1, 360)  # q = 1 .. 360: the first payment is 1 month and 14 days after the advance


def test_the_total_of_payments_ignores_the_callers_context():
    # 12 payments of 99,999.99: 1,199,999.88 needs 9 digits, which a caller's 5-digit context would round away.
    with localcontext(Context(prec=5)):
        assert total_of_payments(mortgage(12, "99999.99")) == D("1199999.88")
