"""Delinquency boundaries as tables (issue 17): each rule at the day before, the day of and the day after its
boundary, with the loan's own grace days, due day (month-end clamped) and charge-off days, not only the defaults.

Expected labels are written out as the strings the servicer stores, never read from the module's constants.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from lending.finance.delinquency import days_past_due, delinquency_status, late_fee_assessable, missed_payments


@pytest.mark.parametrize(
    ("grace_days", "as_of", "status", "late_fee"),
    [
        # Due March 1, 2025 with 10 grace days: a late fee from March 12 (unpaid "by the end of" day 10).
        (10, date(2025, 3, 10), "grace", False),
        (10, date(2025, 3, 11), "grace", False),
        (10, date(2025, 3, 12), "late", True),
        # 5 grace days: late from March 7.
        (5, date(2025, 3, 5), "grace", False),
        (5, date(2025, 3, 6), "grace", False),
        (5, date(2025, 3, 7), "late", True),
        # 20 grace days: late from March 22 (still inside the MBA month, so "late", not 30 days delinquent).
        (20, date(2025, 3, 20), "grace", False),
        (20, date(2025, 3, 21), "grace", False),
        (20, date(2025, 3, 22), "late", True),
        # No grace: late the day after the due date; on the due date itself nothing is past due yet.
        (0, date(2025, 2, 28), "current", False),
        (0, date(2025, 3, 1), "current", False),
        (0, date(2025, 3, 2), "late", True),
    ],
)
def test_a_late_fee_and_the_late_status_start_the_day_after_the_loans_own_grace_period(
    grace_days, as_of, status, late_fee
):
    s = delinquency_status(date(2025, 3, 1), as_of, grace_days=grace_days)
    assert (s.status, s.late_fee_assessable) == (status, late_fee)
    assert late_fee_assessable(date(2025, 3, 1), as_of, grace_days) is late_fee


def test_a_payment_not_yet_due_is_current_not_in_grace():
    s = delinquency_status(date(2025, 3, 1), date(2025, 2, 27), grace_days=10)
    assert (s.status, s.days_past_due, s.missed_payments, s.bucket) == ("current", 0, 0, "current")


@pytest.mark.parametrize(
    ("oldest_unpaid", "due_day", "as_of", "status", "missed"),
    [
        # Day-31 schedule, oldest unpaid the clamped February 28, 2025: the next due date is March 31, so the
        # loan is 30 days delinquent at the close of March 30 (the oldest date's own day, 28, would say March 27).
        (date(2025, 2, 28), 31, date(2025, 3, 27), "late", 0),
        (date(2025, 2, 28), 31, date(2025, 3, 29), "late", 0),
        (date(2025, 2, 28), 31, date(2025, 3, 30), "delinquent_30", 1),
        (date(2025, 2, 28), 31, date(2025, 3, 31), "delinquent_30", 1),
        # ... and 60 at the close of April 29 (the eve of April 30, day 31 clamped to the short month).
        (date(2025, 2, 28), 31, date(2025, 4, 28), "delinquent_30", 1),
        (date(2025, 2, 28), 31, date(2025, 4, 29), "delinquent_60", 2),
        (date(2025, 2, 28), 31, date(2025, 4, 30), "delinquent_60", 2),
        # Day-30 schedule: next due March 30, eve March 29.
        (date(2025, 2, 28), 30, date(2025, 3, 28), "late", 0),
        (date(2025, 2, 28), 30, date(2025, 3, 29), "delinquent_30", 1),
        (date(2025, 2, 28), 30, date(2025, 3, 30), "delinquent_30", 1),
        # Day-29 schedule in a common year: next due March 29, eve March 28.
        (date(2025, 2, 28), 29, date(2025, 3, 27), "late", 0),
        (date(2025, 2, 28), 29, date(2025, 3, 28), "delinquent_30", 1),
        (date(2025, 2, 28), 29, date(2025, 3, 29), "delinquent_30", 1),
        # Due January 31, 2025: the next due date clamps to February 28, so 30 days delinquent at the close of
        # February 27 (not 31 days after January 31).
        (date(2025, 1, 31), 31, date(2025, 2, 26), "late", 0),
        (date(2025, 1, 31), 31, date(2025, 2, 27), "delinquent_30", 1),
        (date(2025, 1, 31), 31, date(2025, 2, 28), "delinquent_30", 1),
        # Leap year: due January 29/30/31, 2024 all fall next on February 29, eve February 28.
        (date(2024, 1, 29), 29, date(2024, 2, 27), "late", 0),
        (date(2024, 1, 29), 29, date(2024, 2, 28), "delinquent_30", 1),
        (date(2024, 1, 30), 30, date(2024, 2, 27), "late", 0),
        (date(2024, 1, 30), 30, date(2024, 2, 28), "delinquent_30", 1),
        (date(2024, 1, 31), 31, date(2024, 2, 27), "late", 0),
        (date(2024, 1, 31), 31, date(2024, 2, 28), "delinquent_30", 1),
        (date(2024, 1, 31), 31, date(2024, 2, 29), "delinquent_30", 1),
        # Short month: day-31 schedule, oldest unpaid April 30 (clamped): next due May 31, eve May 30.
        (date(2025, 4, 30), 31, date(2025, 5, 29), "late", 0),
        (date(2025, 4, 30), 31, date(2025, 5, 30), "delinquent_30", 1),
        (date(2025, 4, 30), 31, date(2025, 5, 31), "delinquent_30", 1),
        # Day-31 schedule, oldest unpaid March 31: next due April 30, eve April 29.
        (date(2025, 3, 31), 31, date(2025, 4, 28), "late", 0),
        (date(2025, 3, 31), 31, date(2025, 4, 29), "delinquent_30", 1),
        (date(2025, 3, 31), 31, date(2025, 4, 30), "delinquent_30", 1),
    ],
)
def test_mba_delinquency_counts_the_loans_own_due_day_clamped_to_month_end(
    oldest_unpaid, due_day, as_of, status, missed
):
    s = delinquency_status(oldest_unpaid, as_of, due_day=due_day)
    assert (s.status, s.missed_payments) == (status, missed)


@pytest.mark.parametrize(
    ("as_of", "status", "bucket", "missed"),
    [
        # Due March 1, 2025 on a day-1 schedule: each later due date's eve is the last day of a month.
        (date(2025, 3, 30), "late", "current", 0),
        (date(2025, 3, 31), "delinquent_30", "30", 1),
        (date(2025, 4, 1), "delinquent_30", "30", 1),
        (date(2025, 4, 29), "delinquent_30", "30", 1),
        (date(2025, 4, 30), "delinquent_60", "60", 2),
        (date(2025, 5, 1), "delinquent_60", "60", 2),
        (date(2025, 5, 30), "delinquent_60", "60", 2),
        (date(2025, 5, 31), "seriously_delinquent", "90", 3),
        (date(2025, 6, 1), "seriously_delinquent", "90", 3),
        (date(2025, 6, 29), "seriously_delinquent", "90", 3),
        (date(2025, 6, 30), "default", "120+", 4),
        (date(2025, 7, 1), "default", "120+", 4),
        (date(2025, 7, 31), "default", "120+", 5),
    ],
)
def test_each_mba_bucket_starts_at_the_close_of_the_day_before_a_later_due_date(as_of, status, bucket, missed):
    s = delinquency_status(date(2025, 3, 1), as_of, due_day=1)
    assert (s.status, s.bucket, s.missed_payments) == (status, bucket, missed)


@pytest.mark.parametrize(
    ("charge_off_days", "days", "status"),
    [
        # A loan's own charge-off threshold, from January 1, 2024.
        (90, 89, "delinquent_60"),  # March 30: unpaid at the eve of March 1, not yet of April 1
        (90, 90, "charge_off_candidate"),
        (90, 91, "charge_off_candidate"),
        (120, 119, "seriously_delinquent"),  # April 29
        (120, 120, "charge_off_candidate"),
        (120, 121, "charge_off_candidate"),
        (180, 179, "default"),  # June 28
        (180, 180, "charge_off_candidate"),
        (180, 181, "charge_off_candidate"),
        (200, 179, "default"),
        (200, 180, "default"),
        (200, 199, "default"),
        (200, 200, "charge_off_candidate"),
        (200, 201, "charge_off_candidate"),
    ],
)
def test_charge_off_candidate_from_the_loans_own_charge_off_day(charge_off_days, days, status):
    due = date(2024, 1, 1)
    s = delinquency_status(due, due + timedelta(days=days), charge_off_days=charge_off_days)
    assert (s.status, s.days_past_due) == (status, days)


@pytest.mark.parametrize(
    ("days", "status"),
    [(179, "default"), (180, "charge_off_candidate"), (181, "charge_off_candidate")],
)
def test_the_default_charge_off_day_is_180_days_past_due(days, status):
    due = date(2024, 1, 1)
    assert delinquency_status(due, due + timedelta(days=days)).status == status


@pytest.mark.parametrize(
    ("days", "late_fee"),
    [(14, False), (15, False), (16, True)],
)
def test_the_default_grace_period_is_15_days(days, late_fee):
    due = date(2025, 3, 1)
    s = delinquency_status(due, due + timedelta(days=days))
    assert (s.late_fee_assessable, s.status) == (late_fee, "late" if late_fee else "grace")


@pytest.mark.parametrize(("days", "allowed"), [(119, False), (120, False), (121, True)])
def test_foreclosure_referral_only_when_more_than_120_days_delinquent(days, allowed):
    due = date(2024, 1, 1)
    assert delinquency_status(due, due + timedelta(days=days)).foreclosure_referral_allowed is allowed


def test_a_grace_period_of_zero_days_and_a_due_day_of_31_are_accepted():
    s = delinquency_status(date(2025, 1, 31), date(2025, 2, 1), grace_days=0, due_day=31, charge_off_days=0)
    assert (s.status, s.late_fee_assessable) == ("charge_off_candidate", True)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"grace_days": True}, "grace_days"),
        ({"grace_days": 1.5}, "grace_days"),
        ({"grace_days": -1}, "grace_days"),
        ({"due_day": 0}, "due_day"),
        ({"due_day": 32}, "due_day"),
        ({"due_day": True}, "due_day"),
        ({"charge_off_days": True}, "charge_off_days"),
        ({"charge_off_days": -1}, "charge_off_days"),
    ],
)
def test_a_bad_loan_parameter_is_refused(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}: expected "):
        delinquency_status(date(2025, 3, 1), date(2025, 4, 1), **kwargs)


D1, D2 = date(2025, 3, 1), date(2025, 4, 1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: days_past_due(D1, "2025-04-01"), "as_of: expected a date, got '2025-04-01'"),  # type: ignore[arg-type]
        (lambda: days_past_due("2025-03-01", D2), "oldest_unpaid_due_date: expected a date, got '2025-03-01'"),  # type: ignore[arg-type]
        (lambda: missed_payments(D1, None), "as_of: expected a date, got None"),  # type: ignore[arg-type]
        (lambda: missed_payments(20250301, D2), "oldest_unpaid_due_date: expected a date, got 20250301"),  # type: ignore[arg-type]
        (lambda: late_fee_assessable(D1, None), "as_of: expected a date, got None"),  # type: ignore[arg-type]
        (lambda: late_fee_assessable("x", D2), "due_date: expected a date, got 'x'"),  # type: ignore[arg-type]
        (lambda: late_fee_assessable(D1, D2, -1), "grace_days: expected a whole number of days >= 0, got -1"),
        (
            lambda: delinquency_status(D1, D2, charge_off_days=-5),
            "charge_off_days: expected a whole number of days >= 0, got -5",
        ),
    ],
)
def test_a_bad_argument_is_refused_with_its_own_name(call, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        call()


def test_a_due_day_later_than_the_oldest_unpaid_date_counts_no_missed_payment_before_it_comes():
    # Oldest unpaid January 15 with due day 31: on January 15 nothing is missed (0, never a negative count).
    assert missed_payments(date(2026, 1, 15), date(2026, 1, 15), due_day=31) == 0
    assert missed_payments(date(2026, 1, 15), date(2026, 1, 20), due_day=31) == 0


def test_the_status_carries_the_oldest_unpaid_due_date_and_the_as_of_date():
    s = delinquency_status(D1, D2)
    assert (s.oldest_unpaid_due_date, s.as_of, s.days_past_due) == (D1, D2, 31)


@pytest.mark.parametrize("due_day", [1, 31])
def test_due_days_1_and_31_are_accepted(due_day):
    assert delinquency_status(date(2025, 3, 1), date(2025, 3, 1), due_day=due_day).status == "current"
