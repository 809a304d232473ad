"""The faster apr() of issue 15: the exact Decimal iteration from zero (five steps for a mortgage), and the common
input (a list of (date, Decimal) pairs) checked column by column. Pinned here: the iteration's start and steps,
figures far past a float's range, and that the fast input check hands every other input to the item-by-item
checks (their messages word for word). Session 9: differing payments are valued in batches (bit for bit as one by
one), and the iteration starts from the root of their average (three full evaluations instead of five)."""

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


def groups_of(payments: list[tuple[date, Decimal]], unit: str = "monthly") -> list[apr_module._Group]:
    dates, amounts = apr_module._payments(payments, ADVANCE)
    _, factors = apr_module._schedule(apr_module.unit_period_for(unit), ADVANCE, dates)
    return apr_module._groups(amounts, factors)


def exact_root(financed: Decimal, groups: list[apr_module._Group]) -> Decimal:
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
        [(date(2025, 5, 1), D(1)), (date(2025, 6, 1), D(1), "x")],  # lengths differ
        [(date(2025, 5, 1),), (date(2025, 6, 1),)],
        [(), ()],
        [(date(2025, 5, 1), D(1)), (date(2025, 6, 1), D("-0.01"))],
        [(date(2025, 5, 1), D("-0"))],  # not negative, but signed: the item checks take it
        [(date(2025, 5, 1), D(1)), (date(2025, 6, 1), D("Infinity"))],
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


def test_a_negative_zero_payment_is_taken_by_the_item_checks():
    payments = [(date(2025, 5, 1), D("-0")), (date(2025, 6, 1), D("101.00"))]
    assert apr(D(100), ADVANCE, payments, "monthly") == reference_apr.apr(D(100), ADVANCE, payments, "monthly")
    assert apr_module._plain_pairs(payments, ADVANCE) is None


def test_unsorted_pairs_are_put_in_date_order():
    _, factors = time_factors(ADVANCE, [(date(2025, 6, 1), D(2)), (date(2025, 5, 1), D(1))], "monthly")
    assert [factor.periods for factor in factors] == [1, 2]


def test_the_total_of_payments_ignores_the_callers_context():
    # 12 payments of 99,999.99: 1,199,999.88 needs 9 digits, which a caller's 5-digit context would round away.
    with localcontext(Context(prec=5)):
        assert total_of_payments(mortgage(12, "99999.99")) == D("1199999.88")


# --- session 9: batches of differing payments, and the start from their average ---------------------------------

# Mar 17 to Apr 1 is 15 days, f = 15/30 = 0.5; Apr 1 to May 1 is one full month, so May 1 has q = 1.
HALF = D("0.5")


def uneven_mortgage() -> list[tuple[date, Decimal]]:
    # $761.78 rising a cent a month: $761.78, $761.79, ..., $765.37 (the bench's worst case: no two equal)
    return [(due, amount + D(k) / 100) for k, (due, amount) in enumerate(mortgage())]


def test_a_level_stream_is_one_closed_form_run():
    assert groups_of(mortgage()) == [apr_module._Run(D("761.78"), 1, 360, HALF)]


def test_a_stream_of_differing_payments_is_one_batch():
    [batch] = groups_of(uneven_mortgage())
    assert type(batch) is apr_module._Batch
    assert (batch.first, batch.fraction, len(batch.amounts)) == (1, HALF, 360)
    assert batch.amounts[:2] == (D("761.78"), D("761.79"))
    assert batch.amounts[-1] == D("765.37")


def test_runs_stay_closed_form_and_the_singles_between_them_make_batches():
    amounts = [D(100), D(100), D(1), D(2), D(3), D(300), D(300), D(7)]
    factors = [(q, HALF) for q in range(1, 9)]
    assert apr_module._groups(amounts, factors) == [
        apr_module._Run(D(100), 1, 2, HALF),
        apr_module._Batch((D(1), D(2), D(3)), 3, HALF),
        apr_module._Run(D(300), 6, 2, HALF),
        apr_module._Run(D(7), 8, 1, HALF),  # a lone single payment is a run of one
    ]


def test_a_batch_ends_where_the_fraction_changes_or_a_period_is_skipped():
    amounts = [D(1), D(2), D(3), D(4), D(5), D(6)]
    quarter = D("0.25")
    factors = [(1, HALF), (2, HALF), (3, quarter), (4, quarter), (6, quarter), (7, quarter)]
    assert apr_module._groups(amounts, factors) == [
        apr_module._Batch((D(1), D(2)), 1, HALF),
        apr_module._Batch((D(3), D(4)), 3, quarter),
        apr_module._Batch((D(5), D(6)), 6, quarter),  # q 5 skipped
    ]


def test_two_equal_neighbours_among_differing_payments_make_a_run():
    # Not every payment differs from its neighbour, so the stream is grouped payment by payment.
    amounts = [D(1), D(2), D(2), D(3)]
    factors = [(q, HALF) for q in range(1, 5)]
    assert apr_module._groups(amounts, factors) == [
        apr_module._Run(D(1), 1, 1, HALF),
        apr_module._Run(D(2), 2, 2, HALF),
        apr_module._Run(D(3), 4, 1, HALF),
    ]


def test_a_batch_is_valued_bit_for_bit_as_payment_by_payment():
    groups = groups_of(uneven_mortgage())
    rate = D("0.0033")
    with localcontext(Context(prec=34)):
        v = 1 / (1 + rate)
        s = w = D(0)
        power = D(1)
        for k, (_, amount) in enumerate(uneven_mortgage(), start=1):
            power = power * v
            s, w = s + amount * power, w + amount * (k * power)
        u = 1 / (1 + HALF * rate)
        expected = u * s
    value, _ = apr_module._value_and_slope(groups, rate)
    assert str(value) == str(expected)


def test_differing_payments_start_from_the_root_of_their_average(monkeypatch):
    groups = groups_of(uneven_mortgage())
    calls = []
    original = apr_module._value_and_slope

    def counted(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(apr_module, "_value_and_slope", counted)
    rate = apr_module._solve_unit_rate(D("159000.00"), groups)
    # the average of 761.78 .. 765.37 is (761.78 + 765.37) / 2 = 763.575: one closed-form run, from zero
    averaged = [apr_module._Run(D("763.575"), 1, 360, HALF)]
    assert calls[0] == (averaged, 0)
    exact = [args[1] for args in calls if args[0] is groups and len(args) == 2]
    assert len(exact) == 3  # from zero: five
    # the average's root, roughly: to a step of at most 1 % of the rate (see test_apr_settled.py), where the
    # batch's value (by Horner's rule) corrects the start (see test_apr_corrected.py)
    rough = apr_module._newton(D("159000.00"), averaged, D(0), rough=True)
    assert next(args[1:] for args in calls if args[0] is groups) == (rough, apr_module._batch_value)
    assert exact[0] == apr_module._corrected(D("159000.00"), groups, averaged, rough)
    assert abs(rate * 1200 - D("4.0310746101")) < D("1E-10")
    assert apr(D("159000.00"), ADVANCE, uneven_mortgage(), "monthly") == D("4.0310746101")


def test_a_step_from_the_average_s_root_below_zero_restarts_from_zero():
    # 359 payments of $1.00, $1.01, ..., $4.58 (359 x 2.79 = $1,001.61) and $100,000 last, for $500: their average
    # (101,001.61 / 360 = $280.56 a month) repays $500 at over 40 % a month, where the exact stream is worth almost
    # nothing; the exact step from there lands below -1 (where 1 / (1 + i) turns negative), so the iteration
    # restarts from zero, as the reference iterates.
    payments = [(due, D(1) + D(k) / 100) for k, (due, _) in enumerate(mortgage())]
    payments[-1] = (payments[-1][0], D(100000))
    groups = groups_of(payments)
    near = apr_module._newton(D(500), apr_module._averaged(groups), D(0))
    assert near > D("0.4")
    value, slope = apr_module._value_and_slope(groups, near)
    assert near + (value / 500).ln() * value / -slope < -1  # the Newton step on ln(value / 500)
    assert apr(D(500), ADVANCE, payments, "monthly") == D("18.5572672541")
    assert reference_apr.apr(D(500), ADVANCE, payments, "monthly") == D("18.5572672541")


def mixed_stream() -> list[tuple[date, Decimal]]:
    # a run of 3 equal payments, a batch of 4 differing ones, a run of 2, and a lone payment on the 5th: two fractions
    amounts = ["500.00", "500.00", "500.00", "101.00", "102.00", "103.00", "104.00", "700.00", "700.00"]
    payments = [(add_months(date(2025, 5, 1), k), D(amount)) for k, amount in enumerate(amounts)]
    return [*payments, (date(2026, 3, 5), D("42.00"))]


def reference_groups(payments: list[tuple[date, Decimal]]) -> list[tuple[Decimal, int, int, Decimal]]:
    dates, amounts = reference_apr._payments(payments, ADVANCE)
    _, factors = reference_apr._schedule(reference_apr.unit_period_for("monthly"), ADVANCE, dates)
    return reference_apr._groups(amounts, factors)


def test_a_mixed_stream_is_valued_bit_for_bit_as_the_reference():
    # Powers carried from a batch to the run after it: v ** (last q of the batch), then on.
    groups = groups_of(mixed_stream())
    assert [type(group).__name__ for group in groups] == ["_Run", "_Batch", "_Run", "_Run"]
    for rate in (D(0), D("1E-10"), D("0.004"), D("0.3")):
        value, _ = apr_module._value_and_slope(groups, rate)
        assert str(value) == str(reference_apr._value_and_slope(reference_groups(mixed_stream()), rate)[0])


@pytest.mark.parametrize("rate", ["0", "1E-10", "0.004", "0.3"])
def test_the_slope_is_the_reference_s_to_the_working_precision(rate):
    # The batches' q P made once (one rounding, not two) may move the slope's last digit, no more; at 0 and at
    # 1E-10 the runs take the exact zero-rate sums and the term-by-term sums (rates under 1E-9).
    _, slope = apr_module._value_and_slope(groups_of(mixed_stream()), D(rate))
    _, expected = reference_apr._value_and_slope(reference_groups(mixed_stream()), D(rate))
    assert abs(slope - expected) <= abs(expected) * D("1E-32")


def test_apr_ignores_the_callers_decimal_context():
    # A caller's 5-digit context must not reach the average (763.575) or the iteration.
    payments = uneven_mortgage()
    with localcontext(Context(prec=5)):
        [batch] = groups_of(payments)
        assert apr_module._averaged([batch]) == [apr_module._Run(D("763.575"), 1, 360, HALF)]
        assert apr(D("159000.00"), ADVANCE, payments, "monthly") == D("4.0310746101")


def test_equal_payments_under_alternating_fractions_are_single_payments():
    # One unit-period apart but the fraction alternates (two semimonthly series): no run, no batch spans them.
    quarter = D("0.25")
    amounts = [D(100)] * 4
    factors = [(1, HALF), (2, quarter), (3, HALF), (4, quarter)]
    assert apr_module._groups(amounts, factors) == [
        apr_module._Run(D(100), 1, 1, HALF),
        apr_module._Run(D(100), 2, 1, quarter),
        apr_module._Run(D(100), 3, 1, HALF),
        apr_module._Run(D(100), 4, 1, quarter),
    ]


def test_a_last_pair_of_equal_payments_is_a_run_after_the_batch():
    amounts = [D(1), D(2), D(3), D(3)]
    factors = [(q, HALF) for q in range(1, 5)]
    assert apr_module._groups(amounts, factors) == [
        apr_module._Batch((D(1), D(2)), 1, HALF),
        apr_module._Run(D(3), 3, 2, HALF),
    ]
