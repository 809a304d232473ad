"""Session 22 (issue 15): apr() stops its Newton iteration once the APR the root rounds to is proven, and starts the
exact iteration from a rough root of the averaged stream. Held here to the frozen all-Decimal solver of
tests/finance/reference/apr.py (the code before issue 15, iterating from zero to a step of 1E-16) over random
irregular streams, digit for digit, and the proof's parts pinned one by one."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

import lending.finance.apr as apr_module
from lending.finance.apr import UNIT_PERIODS, apr
from lending.finance.money import CONTEXT
from tests.finance.reference import apr as reference_apr
from tests.hypothesis_budget import examples

D = Decimal
ADVANCE = date(2025, 3, 17)
TWELVE = D(12)
HALF = D("0.5")


def add_months(start: date, months: int) -> date:
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


def uneven_mortgage() -> list[tuple[date, Decimal]]:
    # $761.78 rising a cent a month for 30 years from May 1 2025 (the bench's worst case: no two equal)
    return [(add_months(date(2025, 5, 1), k), D("761.78") + D(k) / 100) for k in range(360)]


def groups_of(payments: list[tuple[date, Decimal]]) -> list[apr_module._Group]:
    dates, amounts = apr_module._payments(payments, ADVANCE)
    _, factors = apr_module._schedule(apr_module.unit_period_for("monthly"), ADVANCE, dates)
    return apr_module._groups(amounts, factors)


def counting(monkeypatch) -> list[tuple[list[apr_module._Group], Decimal]]:
    calls: list[tuple[list[apr_module._Group], Decimal]] = []
    original = apr_module._value_and_slope

    def counted(groups, rate, *batch_sums):
        calls.append((groups, rate))
        return original(groups, rate, *batch_sums)

    monkeypatch.setattr(apr_module, "_value_and_slope", counted)
    return calls


# --- the same APR as the reference, digit for digit ----------------------------------------------------------

STEP_DAYS = {"daily": 1, "weekly": 7, "biweekly": 14, "fourweekly": 28}
STEP_MONTHS = {"monthly": 1, "bimonthly": 2, "quarterly": 3, "semiannual": 6, "annual": 12}


def due_dates(unit: str, first: date, count: int, late: list[int]) -> list[date]:
    if unit in STEP_DAYS:
        dates = [first + timedelta(days=STEP_DAYS[unit] * k) for k in range(count)]
    elif unit == "semimonthly":
        dates = [add_months(first, k // 2) + timedelta(days=15 * (k % 2)) for k in range(count)]
    else:
        dates = [add_months(first, STEP_MONTHS[unit] * k) for k in range(count)]
    return sorted(due + timedelta(days=late[k % len(late)]) for k, due in enumerate(dates))


@st.composite
def irregular_streams(draw):
    unit = draw(st.sampled_from(list(UNIT_PERIODS)))
    count = draw(st.integers(1, 60 if unit == "daily" else 360))
    advance = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)))
    first = advance + timedelta(days=draw(st.integers(1, 75)))  # odd first periods, short and long
    late = draw(st.lists(st.sampled_from((0, 0, 0, 1, 3, 11)), min_size=1, max_size=5))
    cents = draw(st.lists(st.integers(0, 2_000_000), min_size=count, max_size=count))
    amounts = [D(cent).scaleb(-2) for cent in cents]
    total = sum(amounts, D(0))
    share = draw(st.integers(1, 1000))  # the amount financed: 0.1 % to all of the total
    financed = max(D("0.01"), (total * share / 1000).quantize(D("0.01")))
    payments = list(zip(due_dates(unit, first, count, late), amounts, strict=True))
    return financed, advance, payments, unit


@settings(max_examples=examples(400, mutation=25), deadline=None)
@given(irregular_streams())
def test_apr_equals_the_reference_over_random_irregular_streams(stream):
    financed, advance, payments, unit = stream
    if sum(amount for _, amount in payments) < financed:
        return  # a stream worth less than the amount financed is refused (pinned in test_apr.py)
    assert str(apr(financed, advance, payments, unit)) == str(reference_apr.apr(financed, advance, payments, unit))


def test_the_bench_s_uneven_mortgage_equals_the_reference():
    payments = uneven_mortgage()
    assert apr(D("159000.00"), ADVANCE, payments, "monthly") == D("4.0310746101")
    assert reference_apr.apr(D("159000.00"), ADVANCE, payments, "monthly") == D("4.0310746101")


# --- fewer evaluations -------------------------------------------------------------------------------------


def test_apr_of_the_uneven_mortgage_takes_one_full_evaluation_after_three_averaged_and_the_corrected_start(
    monkeypatch,
):
    calls = counting(monkeypatch)
    assert apr(D("159000.00"), ADVANCE, uneven_mortgage(), "monthly") == D("4.0310746101")
    [batch] = groups_of(uneven_mortgage())
    kinds = [type(groups[0]).__name__ for groups, _ in calls]
    # the averaged stream until a step of at most 1 % of the rate (five to 1E-16); at its root the exact value
    # (by Horner's rule) and the averaged slope for the corrected start; then one exact evaluation (two before)
    assert kinds == ["_Run", "_Run", "_Run", "_Batch", "_Run", "_Batch"]
    assert calls[3][0] == calls[5][0] == [batch]
    assert calls[3][1] == calls[4][1] == D("0.003362419947211889810741721604225005")  # the average's rough root


def test_the_rough_start_stops_on_a_step_of_at_most_one_percent(monkeypatch):
    averaged = [apr_module._Run(D("763.575"), 1, 360, HALF)]
    calls = counting(monkeypatch)
    rough = apr_module._newton(D("159000.00"), averaged, D(0), rough=True)
    steps = [rate for _, rate in calls]
    assert len(steps) == 3
    # 0, 0.0029512738, 0.0033564954, then 0.0033624199: the last step, 5.9E-6, is 0.18 % of the rate; the one
    # before it 12 %
    assert steps[1] == D("0.002951273804047078123187279443777066")  # 2 (r - 1) / (r + 1) for ln r, r = 1.7288...
    assert D("0.001") < (rough - steps[2]) / rough < D("0.002")
    assert (steps[2] - steps[1]) / steps[2] > D("0.01")
    exact = apr_module._newton(D("159000.00"), averaged, D(0))
    assert D("1E-9") < exact - rough < D("2E-9")


def test_without_per_year_the_iteration_runs_to_a_step_of_1e_16(monkeypatch):
    groups = groups_of(uneven_mortgage())
    calls = counting(monkeypatch)
    rate = apr_module._solve_unit_rate(D("159000.00"), groups)
    # one value for the corrected start, then the exact iteration: three evaluations to 1E-16, one when settled
    # (two before)
    assert [type(evaluated[0]).__name__ for evaluated, _ in calls].count("_Batch") == 1 + 3
    settled = apr_module._solve_unit_rate(D("159000.00"), groups, TWELVE)
    assert len(calls) == (3 + 2 + 3) + (3 + 2 + 1)
    assert D(0) < rate - settled < D("1E-15")  # a lower bound (one step from 3.2E-9 below), settled to the same APR
    assert apr_module._annual(settled, TWELVE) == apr_module._annual(rate, TWELVE) == D("4.0310746101")


def test_a_level_mortgage_settles_in_four_closed_form_steps(monkeypatch):
    level = [(add_months(date(2025, 5, 1), k), D("761.78")) for k in range(360)]
    calls = counting(monkeypatch)
    assert apr(D("159000.00"), ADVANCE, level, "monthly") == D("4.0154538790")
    assert len(calls) == 4  # five to a step of 1E-16


# --- the proof ---------------------------------------------------------------------------------------------


def test_the_curvature_bound_is_q_squared_over_4_plus_q_halved():
    # Q = the last q + 1: 361 for q = 1 .. 360; (361 ** 2 / 4 + 361) / 2 = (130,321 + 1,444) / 8 = 16,470.625
    assert apr_module._curvature([apr_module._Run(D(1), 1, 360, HALF)]) == D("16470.625")
    # the largest q decides, a batch's by its payments' count: q 3 and 4, Q = 5: (25 + 20) / 8
    batch = apr_module._Batch((D(1), D(2)), 3, HALF)
    assert apr_module._curvature([apr_module._Run(D(9), 1, 1, HALF), batch]) == D("5.625")
    assert apr_module._curvature([batch, apr_module._Run(D(9), 1, 1, HALF)]) == D("5.625")
    # a run by its length: q 2 .. 4, Q = 5
    assert apr_module._curvature([apr_module._Run(D(9), 2, 3, HALF), apr_module._Run(D(9), 1, 1, HALF)]) == D("5.625")


def test_the_curvature_bounds_ln_value_s_second_derivative():
    # ln(value)'' by differences at a few rates stays under the bound M = 2 x _curvature
    groups = groups_of(uneven_mortgage())
    bound = 2 * apr_module._curvature(groups)
    h = D("1E-6")
    for rate in (D(0), D("0.0034"), D("0.05"), D("1")):
        ln = [CONTEXT.ln(apr_module._value_and_slope(groups, rate + k * h)[0]) for k in range(3)]
        second = (ln[0] - 2 * ln[1] + ln[2]) / (h * h)
        assert D(0) < second < bound


CENTER = CONTEXT.divide(D("4.0310746101"), 1200)  # a monthly rate at the middle of its APR's quantum (1E-10 %)
EDGE = CONTEXT.divide(D("4.03107461015"), 1200)  # half way between two APRs: rounds up


def test_settled_when_the_root_s_interval_rounds_to_one_apr():
    assert apr_module._settled(CENTER, D("1E-10"), D(100), TWELVE)  # reaches 2 x 100 x 1E-20 = 2E-18 above


def test_not_settled_when_the_reach_crosses_a_rounding_edge():
    below = EDGE - D("1E-18")
    assert apr_module._annual(below, TWELVE) == D("4.0310746101")
    assert not apr_module._settled(below, D("1E-10"), D(100), TWELVE)  # reaches 2E-18 above: over the edge
    assert apr_module._settled(below, D("1E-11"), D(100), TWELVE)  # 2E-20: short of it


def test_not_settled_within_the_margin_of_an_edge():
    edge = EDGE
    assert not apr_module._settled(edge - D("5E-27"), D("1E-20"), D(1), TWELVE)  # the reach is 2E-40
    assert not apr_module._settled(edge + D("5E-27"), D("1E-20"), D(1), TWELVE)
    assert apr_module._settled(edge + D("5E-26"), D("1E-20"), D(1), TWELVE)
    assert apr_module._settled(edge - D("5E-26"), D("1E-20"), D(1), TWELVE)


def test_not_settled_while_the_step_is_too_long_for_the_taylor_bound():
    # B (|step| + d) ** 2 <= d with d = 2 B step ** 2 needs 2 B |step| below about 0.41
    rate = CENTER
    assert apr_module._settled(rate, D("1E-14"), D("4E+12"), TWELVE)  # 2 B |step| = 0.08
    assert not apr_module._settled(rate, D("1E-14"), D("3E+13"), TWELVE)  # 0.6
    assert not apr_module._settled(rate, D("-1E-14"), D("3E+13"), TWELVE)  # a step down alike


def test_the_reach_is_twice_b_step_squared():
    # 2 x 100 x 1E-20 = 2E-18 stays under an edge 2.5E-18 away; 3E-18 would not
    assert apr_module._settled(EDGE - D("2.5E-18"), D("1E-10"), D(100), TWELVE)
    assert not apr_module._settled(EDGE - D("1.5E-18"), D("1E-10"), D(100), TWELVE)


def test_the_margin_grows_with_the_rate():
    # 3,600.00000000005 % a year is 3.0000000000000416... a month: the margin there is (1 + 3) x 1E-26 = 4E-26
    edge = CONTEXT.divide(D("3600.00000000005"), 1200)
    assert not apr_module._settled(edge + D("3E-26"), D("1E-20"), D(1), TWELVE)
    assert apr_module._settled(edge + D("5E-26"), D("1E-20"), D(1), TWELVE)


def test_only_the_starting_guess_takes_the_pade_log():
    # the exact iteration's tangent on ln(value) is what makes its iterate a lower bound of the root (_settled)
    ratio = D("1.728849056603773584905660377358491")
    with localcontext(CONTEXT):  # as in _newton
        assert apr_module._log(ratio, False) == CONTEXT.ln(ratio)  # 0.5474...
        assert apr_module._log(ratio, True) == CONTEXT.divide(2 * (ratio - 1), ratio + 1)  # 0.5347...
