"""Delinquency: MBA-method vectors, month-end due dates, grace periods, status labels, properties."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lending.finance.daycount import add_months
from lending.finance.delinquency import (
    CHARGE_OFF_CANDIDATE,
    CURRENT,
    DEFAULT,
    DELINQUENT_30,
    DELINQUENT_60,
    GRACE,
    LATE,
    MBA_BUCKETS,
    SERIOUSLY_DELINQUENT,
    days_past_due,
    delinquency_status,
    late_fee_assessable,
    mba_bucket,
    missed_payments,
)
from tests.hypothesis_budget import examples

# AD&Co, "Modeling Mortgage Risk: Definitional Issues" (The Pipeline, April 2005): a payment due April 1
# not received by April 30 is 30 days delinquent under the MBA method; unpaid by May 31, 60 days.
APRIL_1 = date(2005, 4, 1)


def test_mba_example_april():
    assert mba_bucket(APRIL_1, date(2005, 4, 29)) == "current"
    assert mba_bucket(APRIL_1, date(2005, 4, 30)) == "30"
    assert mba_bucket(APRIL_1, date(2005, 5, 30)) == "30"
    assert mba_bucket(APRIL_1, date(2005, 5, 31)) == "60"
    assert mba_bucket(APRIL_1, date(2005, 6, 30)) == "90"
    assert mba_bucket(APRIL_1, date(2005, 7, 31)) == "120+"
    assert mba_bucket(APRIL_1, date(2007, 1, 1)) == "120+"


def test_mba_example_november_30_day_month():
    # Securitization MBA definition: due November 1, 2006, unpaid on November 30 -> delinquent.
    assert mba_bucket(date(2006, 11, 1), date(2006, 11, 30)) == "30"


def test_month_end_due_date_january_31():
    # Next due date February 28: 30 days delinquent at the close of February 27.
    assert mba_bucket(date(2023, 1, 31), date(2023, 2, 26)) == "current"
    assert mba_bucket(date(2023, 1, 31), date(2023, 2, 27)) == "30"
    # Then March 31 (the schedule keeps day 31): 60 at the close of March 30.
    assert mba_bucket(date(2023, 1, 31), date(2023, 3, 29)) == "30"
    assert mba_bucket(date(2023, 1, 31), date(2023, 3, 30)) == "60"
    # Leap year: next due February 29, 2024.
    assert mba_bucket(date(2024, 1, 31), date(2024, 2, 27)) == "current"
    assert mba_bucket(date(2024, 1, 31), date(2024, 2, 28)) == "30"


def test_due_day_of_the_schedule_is_kept_after_a_clamped_date():
    # Oldest unpaid is the February 28 installment of a day-31 schedule: the next due date is March 31.
    assert mba_bucket(date(2023, 2, 28), date(2023, 3, 27), due_day=31) == "current"
    assert mba_bucket(date(2023, 2, 28), date(2023, 3, 30), due_day=31) == "30"
    # Without due_day the oldest date's own day (28) is used.
    assert mba_bucket(date(2023, 2, 28), date(2023, 3, 27)) == "30"


def test_days_past_due():
    assert days_past_due(None, date(2024, 1, 1)) == 0
    assert days_past_due(date(2024, 2, 1), date(2024, 1, 1)) == 0  # not yet due
    assert days_past_due(date(2024, 1, 1), date(2024, 1, 1)) == 0
    assert days_past_due(date(2024, 1, 1), date(2024, 3, 1)) == 60


def test_late_fee_after_15_day_grace():
    # Uniform note s.6(A): late charge when unpaid "by the end of 15 calendar days after" the due date.
    assert not late_fee_assessable(date(2024, 3, 1), date(2024, 3, 16), 15)
    assert late_fee_assessable(date(2024, 3, 1), date(2024, 3, 17), 15)
    assert not late_fee_assessable(None, date(2024, 3, 17), 15)
    assert late_fee_assessable(date(2024, 3, 1), date(2024, 3, 2), 0)


@pytest.mark.parametrize(
    ("as_of", "status", "bucket"),
    [
        (date(2024, 1, 1), CURRENT, "current"),
        (date(2024, 1, 10), GRACE, "current"),
        (date(2024, 1, 16), GRACE, "current"),
        (date(2024, 1, 17), LATE, "current"),
        (date(2024, 1, 31), DELINQUENT_30, "30"),
        (date(2024, 2, 29), DELINQUENT_60, "60"),
        (date(2024, 3, 31), SERIOUSLY_DELINQUENT, "90"),
        (date(2024, 4, 30), DEFAULT, "120+"),
        (date(2024, 6, 29), CHARGE_OFF_CANDIDATE, "120+"),  # 180 days past due
    ],
)
def test_status_labels(as_of, status, bucket):
    s = delinquency_status(date(2024, 1, 1), as_of, grace_days=15)
    assert (s.status, s.bucket) == (status, bucket)


def test_foreclosure_referral_after_120_days():
    due = date(2024, 1, 1)
    assert not delinquency_status(due, due + timedelta(days=120)).foreclosure_referral_allowed
    assert delinquency_status(due, due + timedelta(days=121)).foreclosure_referral_allowed


def test_nothing_unpaid_is_current():
    s = delinquency_status(None, date(2024, 5, 5))
    assert (s.status, s.bucket, s.days_past_due, s.late_fee_assessable) == (CURRENT, "current", 0, False)


def test_add_months_clamps_to_month_end():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)
    assert add_months(date(2023, 2, 28), 1, day=31) == date(2023, 3, 31)
    assert add_months(date(2023, 3, 15), -3) == date(2022, 12, 15)


def test_bad_input():
    with pytest.raises(ValueError, match="as_of"):
        days_past_due(date(2024, 1, 1), "2024-02-01")
    with pytest.raises(ValueError, match="oldest_unpaid_due_date"):
        mba_bucket("2024-01-01", date(2024, 2, 1))
    with pytest.raises(ValueError, match="grace_days"):
        late_fee_assessable(date(2024, 1, 1), date(2024, 2, 1), -1)
    with pytest.raises(ValueError, match="due_day"):
        mba_bucket(date(2024, 1, 1), date(2024, 2, 1), due_day=32)
    with pytest.raises(ValueError, match="charge_off_days"):
        delinquency_status(date(2024, 1, 1), date(2024, 2, 1), charge_off_days=-1)


# --- properties -------------------------------------------------------------------------------------

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


@settings(max_examples=examples(2000), deadline=None)
@given(dates, st.integers(min_value=-40, max_value=400), st.one_of(st.none(), st.integers(28, 31)))
def test_mba_count_matches_the_eve_of_each_due_date(due, offset, due_day):
    if due_day is not None:  # the oldest unpaid date lies on the schedule: due_day clamped to month end
        due = due.replace(day=min(due_day, calendar.monthrange(due.year, due.month)[1]))
    as_of = due + timedelta(days=offset)
    k = missed_payments(due, as_of, due_day=due_day)
    eve = timedelta(days=1)
    if k:
        assert add_months(due, k, day=due_day) - eve <= as_of
    assert add_months(due, k + 1, day=due_day) - eve > as_of
    days = days_past_due(due, as_of)
    assert days == max(offset, 0)
    assert 28 * k - 1 <= days < 31 * (k + 1)
    assert mba_bucket(due, as_of, due_day=due_day) == MBA_BUCKETS[min(k, 4)]
    # Monotone: a day later is never less delinquent.
    assert missed_payments(due, as_of + eve, due_day=due_day) >= k
    status = delinquency_status(due, as_of, due_day=due_day)
    assert (status.status == CURRENT) == (days == 0)
    assert status.late_fee_assessable == (days > 15)
