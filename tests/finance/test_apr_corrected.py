"""Session 24 (issue 15): apr() of payments that all differ. The time factors of consecutive monthly payments on one
day are made without per-payment date arithmetic, and the exact iteration starts from the average's root corrected
by the stream's exact value there (batches by Horner's rule): one full evaluation instead of two for the bench's
mortgage. Held to the frozen solver of tests/finance/reference/apr.py digit for digit, and the parts pinned."""

from __future__ import annotations

import calendar
import random
from datetime import date, timedelta
from decimal import Context, Decimal, localcontext

import pytest

import lending.finance.apr as apr_module
from lending.finance.apr import apr, time_factors
from tests.finance.reference import apr as reference_apr

D = Decimal
ADVANCE = date(2025, 3, 17)
HALF = D("0.5")
SEED = 20261207


def add_months(start: date, months: int, day: int | None = None) -> date:
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    return date(year, month + 1, min(day or start.day, calendar.monthrange(year, month + 1)[1]))


def uneven_mortgage() -> list[tuple[date, Decimal]]:
    # $761.78 rising a cent a month for 30 years from May 1 2025 (the bench's worst case: no two equal)
    return [(add_months(date(2025, 5, 1), k), D("761.78") + D(k) / 100) for k in range(360)]


def groups_of(payments: list[tuple[date, Decimal]], advance: date = ADVANCE) -> list[apr_module._Group]:
    dates, amounts = apr_module._payments(payments, advance)
    _, factors = apr_module._schedule(apr_module.unit_period_for("monthly"), advance, dates)
    return apr_module._groups(amounts, factors)


def counting(monkeypatch) -> list[tuple[object, ...]]:
    calls: list[tuple[object, ...]] = []
    original = apr_module._value_and_slope

    def counted(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(apr_module, "_value_and_slope", counted)
    return calls


# --- time factors of a monthly series -------------------------------------------------------------------------


def _strings(factors):
    return [(factor.periods, str(factor.fraction)) for factor in factors]


def test_monthly_time_factors_equal_the_reference_over_random_series():
    rng = random.Random(SEED)
    for _ in range(1500):
        advance = date(2019, 1, 1) + timedelta(days=rng.randint(0, 3000))
        first = advance + timedelta(days=rng.randint(1, 75))
        day = rng.choice((first.day, rng.randint(1, 31), 1, 27, 28, 29, 30, 31))
        dates = [add_months(first, k, day) for k in range(rng.choice((1, 2, 3, 12, 360, rng.randint(1, 400))))]
        dates = [due for due in dates if due > advance]
        if rng.random() < 0.1 and len(dates) > 2:  # two on one day: not a series
            dates[1] = dates[0]
        if rng.random() < 0.1 and len(dates) > 2:  # a month left out: not a series
            del dates[rng.randrange(1, len(dates) - 1)]
        payments = [(due, D(100)) for due in dates]
        if not payments:
            continue
        new = time_factors(advance, payments, "monthly")
        old = reference_apr.time_factors(advance, payments, "monthly")
        assert (str(new[0]), _strings(new[1])) == (str(old[0]), _strings(old[1])), (advance, dates[:3])


@pytest.mark.parametrize(
    ("dates", "series"),
    [
        ([date(2025, 5, 1), date(2025, 6, 1), date(2025, 7, 1)], True),
        ([date(2025, 1, 28), date(2025, 2, 28), date(2025, 3, 28)], True),
        ([date(2024, 12, 31), date(2025, 1, 31)], True),  # month ends on the 31st: the 31st is their anchor
        ([date(2024, 1, 29), date(2024, 2, 29), date(2024, 3, 29)], True),
        ([date(2025, 1, 29), date(2025, 2, 28), date(2025, 3, 29)], False),  # Feb 28 is "the 29th": the general rules
        ([date(2025, 5, 1), date(2025, 7, 1)], False),  # a month apart or not at all
        ([date(2025, 5, 1), date(2025, 5, 1), date(2025, 7, 1)], False),  # the same span, one month twice
        ([date(2025, 5, 1), date(2025, 6, 2), date(2025, 7, 1)], False),  # one off its day
        ([date(2025, 5, 2), date(2025, 6, 1), date(2025, 7, 2)], False),
        ([date(2025, 12, 1), date(2026, 1, 1)], True),  # across a year
        ([date(2025, 12, 1), date(2027, 1, 1)], False),
        ([date(2025, 5, 1)], True),
    ],
)
def test_a_monthly_series_is_consecutive_months_on_one_day_up_to_the_28th(dates, series):
    assert apr_module._monthly_series(dates) is series


@pytest.mark.parametrize(
    ("advance", "first", "factor"),
    [
        (date(2025, 3, 17), date(2025, 5, 1), (1, "0.5")),  # 1 month (Apr 1 - May 1) and 15 days
        (date(2025, 4, 1), date(2025, 5, 1), (1, "0")),
        (date(2025, 3, 31), date(2025, 5, 1), (1, "0.03333333333333333333333333333333333")),  # Apr 1, 1 day
        (date(2025, 1, 31), date(2025, 3, 1), (1, "0.03333333333333333333333333333333333")),
        (date(2025, 4, 2), date(2025, 5, 1), (0, "0.9666666666666666666666666666666667")),  # 29 days
        (date(2024, 12, 1), date(2025, 2, 1), (2, "0")),
    ],
)
def test_monthly_series_factors(advance, first, factor):
    dates = [add_months(first, k) for k in range(3)]
    q, f = factor
    assert [(p, str(fraction)) for p, fraction in apr_module._monthly_factors(advance, dates)] == [
        (q, f),
        (q + 1, f),
        (q + 2, f),
    ]
    assert _strings(time_factors(advance, [(due, D(1)) for due in dates], "monthly")[1]) == [
        (q, f),
        (q + 1, f),
        (q + 2, f),
    ]


def test_only_a_monthly_unit_takes_the_series_factors():
    # Quarterly payments on consecutive months are 1/3 of a unit-period apart, not one.
    payments = [(add_months(date(2025, 5, 1), k), D(1)) for k in range(3)]
    assert _strings(time_factors(ADVANCE, payments, "quarterly")[1]) == _strings(
        reference_apr.time_factors(ADVANCE, payments, "quarterly")[1]
    )
    assert [factor.periods for factor in time_factors(ADVANCE, payments, "quarterly")[1]] == [0, 0, 1]


# --- the batch's value by Horner's rule -----------------------------------------------------------------------


@pytest.mark.parametrize("rate", ["0", "0.0033", "0.05", "1.5"])
def test_a_batch_s_horner_value_equals_its_term_by_term_value_to_19_digits(rate):
    [batch] = groups_of(uneven_mortgage())
    with localcontext(Context(prec=34)):
        v = 1 / (1 + D(rate))
        s, _, power = apr_module._batch_sums(batch, v, v, D(7), D(11))
        value, passed, last = apr_module._batch_value(batch, v, v, D(7), D(11))
    assert passed == D(11)  # the weighted sum is not the value's: left as it was
    assert abs(last - power) <= power * D("1E-32")  # v ** the last q, carried to the next group
    assert abs(value - s) <= s * D("1E-17")  # 19 digits a step (see test_apr_grouped.py)
    assert s - D(7) > 0  # the batch's own value is there


def test_the_horner_value_of_a_mixed_stream_carries_the_power_past_its_batch():
    # a run, a batch of four, a run of two and a lone payment on another day: every group after the batch is
    # discounted from v ** the batch's last q
    amounts = ["500.00", "500.00", "500.00", "101.00", "102.00", "103.00", "104.00", "700.00", "700.00"]
    payments = [(add_months(date(2025, 5, 1), k), D(amount)) for k, amount in enumerate(amounts)]
    groups = groups_of([*payments, (date(2026, 3, 5), D("42.00"))])
    assert [type(group).__name__ for group in groups] == ["_Run", "_Batch", "_Run", "_Run"]
    for rate in (D(0), D("0.004"), D("0.3")):
        exact, _ = apr_module._value_and_slope(groups, rate)
        horner, _ = apr_module._value_and_slope(groups, rate, apr_module._batch_value)
        assert abs(horner - exact) <= exact * D("1E-17")


def test_the_horner_value_leaves_the_batch_out_of_the_slope():
    # payments on the 1st from an advance on the 1st: f = 0, so a lone batch's slope is its q P v**q terms only
    payments = [(add_months(date(2025, 5, 1), k), D(100 + k)) for k in range(12)]
    [batch] = groups_of(payments, date(2025, 4, 1))
    assert batch.fraction == 0
    value, slope = apr_module._value_and_slope([batch], D("0.01"), apr_module._batch_value)
    assert slope == 0
    exact = apr_module._value_and_slope([batch], D("0.01"))[0]
    assert abs(value - exact) <= exact * D("1E-17")


# --- the corrected start ---------------------------------------------------------------------------------------


def test_the_corrected_start_is_a_hundred_times_nearer_the_root():
    groups = groups_of(uneven_mortgage())
    averaged = apr_module._averaged(groups)
    rough = apr_module._newton(D("159000.00"), averaged, D(0), rough=True)
    start = apr_module._corrected(D("159000.00"), groups, averaged, rough)
    root = apr_module._newton(D("159000.00"), groups, D(0))
    assert rough == D("0.003362419947211889810741721604225005")  # 3.2E-6 above the root
    assert start == D("0.003359225598751232417912383400432602")  # 3.2E-9 below it
    assert D("3.1E-6") < rough - root < D("3.3E-6")
    assert D("3.2E-9") < root - start < D("3.3E-9")


def test_the_corrected_start_ignores_the_callers_decimal_context():
    groups = groups_of(uneven_mortgage())
    averaged = apr_module._averaged(groups)
    rough = D("0.003362419947211889810741721604225005")
    with localcontext(Context(prec=5)):
        start = apr_module._corrected(D("159000.00"), groups, averaged, rough)
    assert start == D("0.003359225598751232417912383400432602")


def test_a_corrected_start_below_zero_is_zero():
    # 359 payments of $1.00 .. $4.58 and $100,000 last, for $500: the average's root (over 40 % a month) leaves the
    # exact stream worth almost nothing, and the step from there falls far below zero, the root's lower bound.
    amounts = [D(1) + D(k) / 100 for k in range(359)] + [D(100000)]
    groups = groups_of(list(zip((due for due, _ in uneven_mortgage()), amounts, strict=True)))
    averaged = apr_module._averaged(groups)
    rough = apr_module._newton(D(500), averaged, D(0), rough=True)
    assert rough > D("0.4")
    assert apr_module._corrected(D(500), groups, averaged, rough) == 0


def test_the_start_is_corrected_only_when_the_batches_hold_eight_payments_a_group(monkeypatch):
    # a lone payment and a batch: 2 groups, so the batch needs 16 payments
    for size, corrected in ((15, False), (16, True)):
        groups = [
            apr_module._Run(D(100), 1, 1, HALF),
            apr_module._Batch(tuple(D(100 + k) for k in range(size)), 2, HALF),
        ]
        assert apr_module._batched(groups) == size
        calls = counting(monkeypatch)
        apr_module._solve_unit_rate(D(1000), groups, D(12))
        horner = [args for args in calls if len(args) == 3]
        assert horner == ([(groups, horner[0][1], apr_module._batch_value)] if corrected else [])


def test_batched_counts_the_batches_payments_only():
    groups = [
        apr_module._Run(D(100), 1, 5, HALF),
        apr_module._Batch((D(1), D(2), D(3)), 6, HALF),
        apr_module._Batch((D(1), D(2)), 10, D(0)),
    ]
    assert apr_module._batched(groups) == 5


def test_differing_payments_equal_the_reference_over_random_monthly_streams():
    # consecutive months on one day (the series factors), every amount different or most, level ones between,
    # from none to most of the total financed: the APR of the frozen solver, digit for digit
    rng = random.Random(SEED)
    for _ in range(150):
        advance = date(2020, 1, 1) + timedelta(days=rng.randint(0, 2000))
        first = advance + timedelta(days=rng.randint(1, 70))
        count = rng.choice((2, 12, 60, 120, 360, rng.randint(2, 400)))
        dates = [add_months(first, k, min(first.day, 28)) for k in range(count)]
        level = rng.randint(1_000, 500_000)
        shape = rng.random()
        if shape < 0.4:
            cents = [rng.randint(1_000, 500_000) for _ in range(count)]
        elif shape < 0.7:
            cents = [level + rng.choice((-1, 1)) * k for k in range(count)]
        else:
            cents = [level] * count
            cents[0] += rng.randint(1, 20_000)
            for k in rng.sample(range(count), min(count, rng.randint(1, 40))):
                cents[k] = rng.randint(1_000, 500_000)
        amounts = [D(cent).scaleb(-2) for cent in cents]
        total = sum(amounts, D(0))
        financed = max(D("0.01"), (total * D(rng.choice(("0.99", "0.9", "0.7", "0.5", "0.2")))).quantize(D("0.01")))
        payments = list(zip(dates, amounts, strict=True))
        new = apr(financed, advance, payments, "monthly")
        assert str(new) == str(reference_apr.apr(financed, advance, payments, "monthly")), (financed, advance)
