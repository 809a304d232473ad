"""Session 24 (issue 15, helper apr2): apr() of a monthly series builds its groups from the first payment's (q, f)
without a (q, f) pair a payment; a lone batch's average reuses the payments' total; the corrected start's Horner
pass runs in 19 digits. Held to the two-step grouping and to the frozen solver of tests/finance/reference/apr.py."""

from __future__ import annotations

import calendar
import random
from datetime import date, timedelta
from decimal import Context, Decimal, localcontext
from functools import reduce

import pytest

import lending.finance.apr as apr_module
from lending.finance.apr import apr, present_value
from lending.finance.money import ROUNDING
from tests.finance.reference import apr as reference_apr
from tests.finance.test_speed_equivalence import _stream

D = Decimal
ADVANCE = date(2025, 3, 17)
HALF = D("0.5")
MONTHLY = apr_module.unit_period_for("monthly")


def add_months(start: date, months: int, day: int) -> date:
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    return date(year, month + 1, min(day, calendar.monthrange(year, month + 1)[1]))


def two_step(unit: apr_module.UnitPeriod, dates: list[date], amounts: list[Decimal]):
    per_year, factors = apr_module._schedule(unit, ADVANCE, dates)
    return per_year, apr_module._groups(amounts, factors)


def monthly(amounts: list[str], day: int = 1) -> tuple[list[date], list[Decimal]]:
    return [add_months(date(2025, 5, 1), k, day) for k in range(len(amounts))], [D(amount) for amount in amounts]


# --- groups straight from a monthly series ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "amounts",
    [
        ["100.00", "100.00", "100.00"],  # level: one run
        ["100.00", "101.00", "102.00"],  # all differing: one batch
        ["100.00", "100.00", "101.00", "102.00"],  # mixed: a run then a batch
        ["100.00", "101.00", "101.00"],  # mixed: a single then a run
        ["100.00", "101.00"],
        ["100.00", "100.00"],
    ],
)
@pytest.mark.parametrize("day", [1, 17, 28, 31])
def test_a_monthly_series_groups_as_its_time_factors_do(amounts, day):
    dates, money = monthly(amounts, day)
    assert apr_module._monthly_series(dates) == (day < 29)  # a 31st series has shorter months: not one day
    assert apr_module._grouped(MONTHLY, ADVANCE, dates, money) == two_step(MONTHLY, dates, money)


def test_the_groups_equal_the_two_step_ones_over_the_test_generator_s_streams():
    rng = random.Random(20261207)
    for _ in range(1500):
        _, advance, payments, unit = _stream(rng)
        dates, amounts = apr_module._payments(payments, advance)
        per_year, factors = apr_module._schedule(apr_module.unit_period_for(unit), advance, dates)
        grouped = apr_module._grouped(apr_module.unit_period_for(unit), advance, dates, amounts)
        assert grouped == (per_year, apr_module._groups(amounts, factors)), (unit, payments)


def test_a_single_monthly_payment_keeps_its_own_unit_period():
    # App. J (b)(4)(ii): the term is the unit-period, not a month
    dates, amounts = monthly(["500.00"])
    assert apr_module._grouped(MONTHLY, ADVANCE, dates, amounts) == two_step(MONTHLY, dates, amounts)
    assert apr_module._grouped(MONTHLY, ADVANCE, dates, amounts)[0] != MONTHLY.per_year


def test_a_monthly_series_under_another_unit_is_grouped_by_its_time_factors():
    dates, amounts = monthly(["100.00", "101.00", "102.00"])
    semimonthly = apr_module.unit_period_for("semimonthly")
    per_year, groups = apr_module._grouped(semimonthly, ADVANCE, dates, amounts)
    assert (per_year, groups) == two_step(semimonthly, dates, amounts)
    assert [group.first for group in groups] == [3, 5, 7]  # two semimonths apart: three runs of one


def test_series_groups():
    amounts = [D(100), D(101), D(102)]
    assert apr_module._series_groups(amounts, 3, HALF) == [apr_module._Batch(tuple(amounts), 3, HALF)]
    assert apr_module._series_groups([D(100)] * 4, 3, HALF) == [apr_module._Run(D(100), 3, 4, HALF)]
    assert apr_module._series_groups([D(100)], 3, HALF) == [apr_module._Run(D(100), 3, 1, HALF)]
    assert apr_module._series_groups([D(100), D(101), D(101)], 3, HALF) is None
    assert apr_module._series_groups([D(100), D(100), D(101)], 3, HALF) is None


def test_present_value_of_a_monthly_series_equals_the_reference_digit_for_digit():
    dates, amounts = monthly(["761.78", "761.79", "761.79", "800.00", "0.00", "12.34"] * 20, 17)
    payments = list(zip(dates, amounts, strict=True))
    for rate in ("0", "6.5", "199.5"):
        new = present_value(D(rate), ADVANCE, payments, "monthly")
        assert str(new) == str(reference_apr.present_value(D(rate), ADVANCE, payments, "monthly"))


# --- a lone batch's average from the total ---------------------------------------------------------------------


def test_a_lone_batch_s_average_is_its_total_over_its_count():
    batch = apr_module._Batch((D(100), D(101), D(103)), 2, HALF)
    assert apr_module._averaged([batch]) == [apr_module._Run(D("101.3333333333333333333333333333333"), 2, 3, HALF)]
    assert apr_module._averaged([batch], D(304)) == apr_module._averaged([batch])
    # the total given is the one used: no second sum
    assert apr_module._averaged([batch], D(3)) == [apr_module._Run(D(1), 2, 3, HALF)]


def test_a_total_is_not_one_batch_s_sum_when_there_are_several_groups():
    run = apr_module._Run(D(50), 1, 1, HALF)
    batch = apr_module._Batch((D(100), D(102)), 2, HALF)
    expected = [run, apr_module._Run(D(101), 2, 2, HALF)]
    assert apr_module._averaged([run, batch]) == expected
    assert apr_module._averaged([run, batch], D(252)) == expected
    assert apr_module._averaged([run], D(50)) is None


def test_a_lone_batch_s_average_ignores_the_callers_decimal_context():
    batch = apr_module._Batch((D(100), D(101), D(103)), 2, HALF)
    with localcontext(Context(prec=3)):
        averaged = apr_module._averaged([batch], D(304))
    assert averaged == [apr_module._Run(D("101.3333333333333333333333333333333"), 2, 3, HALF)]


# --- the corrected start's Horner pass in 19 digits ----------------------------------------------------------


def test_the_horner_pass_runs_in_19_digits_with_v_rounded_to_them():
    amounts = tuple(D("761.78") + D(k) / 100 for k in range(360))
    batch = apr_module._Batch(amounts, 1, HALF)
    with localcontext(Context(prec=34)):
        v = 1 / (1 + D("0.0033"))
        value = apr_module._batch_value(batch, v, v, D(0), D(0))[0]
    assert apr_module._HORNER_CONTEXT.prec == 19
    with localcontext(Context(prec=19, rounding=ROUNDING)):
        rounded_v = +v
        horner = reduce(rounded_v.fma, reversed(amounts))
    assert len(horner.as_tuple().digits) == 19
    assert value == Context(prec=34).multiply(v, horner)
    # 20 digits, or v unrounded, give other digits: the test above pins both
    with localcontext(Context(prec=20, rounding=ROUNDING)):
        assert reduce(v.fma, reversed(amounts)) != horner
    with localcontext(Context(prec=19, rounding=ROUNDING)):
        assert reduce(v.fma, reversed(amounts)) != horner


def test_the_horner_pass_keeps_the_caller_s_context_out():
    batch = apr_module._Batch(tuple(D("761.78") + D(k) / 100 for k in range(360)), 1, HALF)
    expected = apr_module._value_and_slope([batch], D("0.0033"), apr_module._batch_value)
    with localcontext(Context(prec=6, rounding="ROUND_FLOOR")):
        assert apr_module._value_and_slope([batch], D("0.0033"), apr_module._batch_value) == expected


@pytest.mark.parametrize("seed", range(4))
def test_apr_of_differing_monthly_streams_equals_the_reference(seed):
    rng = random.Random(seed)
    for _ in range(40):
        count = rng.choice((2, 12, 60, 360))
        day = rng.randint(1, 28)
        dates = [add_months(date(2025, 5, 1), k, day) for k in range(count)]
        amounts = [D(rng.randint(10_000, 90_000)).scaleb(-2) for _ in range(count)]
        financed = (sum(amounts, D(0)) * D(rng.choice(("0.99", "0.8", "0.5")))).quantize(D("0.01"))
        payments = list(zip(dates, amounts, strict=True))
        assert str(apr(financed, ADVANCE, payments, "monthly")) == str(
            reference_apr.apr(financed, ADVANCE, payments, "monthly")
        )


# --- the fast paths are taken (their mutants give the same groups, only slower) --------------------------------


def _refuse(*_args):
    raise AssertionError("the slow path was taken")


@pytest.mark.parametrize("amounts", [["100.00", "101.00"], ["100.00", "100.00"], ["100.00", "101.00", "99.00"]])
def test_a_monthly_series_skips_the_time_factors_and_the_payment_by_payment_grouping(monkeypatch, amounts):
    dates, money = monthly(amounts)
    expected = two_step(MONTHLY, dates, money)
    monkeypatch.setattr(apr_module, "_schedule", _refuse)
    monkeypatch.setattr(apr_module, "_mixed_groups", _refuse)
    assert apr_module._grouped(MONTHLY, ADVANCE, dates, money) == expected


@pytest.mark.parametrize("amounts", [["100.00"] * 5, ["100.00", "101.00", "102.00", "103.00", "104.00"]])
def test_a_weekly_series_is_grouped_without_the_payment_by_payment_pass(monkeypatch, amounts):
    dates = [date(2025, 4, 1) + timedelta(weeks=k) for k in range(len(amounts))]
    money = [D(amount) for amount in amounts]
    weekly = apr_module.unit_period_for("weekly")
    expected = two_step(weekly, dates, money)
    monkeypatch.setattr(apr_module, "_mixed_groups", _refuse)
    assert apr_module._grouped(weekly, ADVANCE, dates, money) == expected


def test_apr_hands_the_total_to_the_average(monkeypatch):
    seen: list[object] = []
    original = apr_module._averaged

    def spy(groups, total=None):
        seen.append(total)
        return original(groups, total)

    monkeypatch.setattr(apr_module, "_averaged", spy)
    dates, amounts = monthly(["100.00", "101.00", "103.00"])
    apr(D("290.00"), ADVANCE, list(zip(dates, amounts, strict=True)), "monthly")
    assert seen == [D("304.00")]
