"""What the servicer's loan list shows (issue 17): the days-past-due bucket and the three-way loan status, at each
bucket's first day, for a loan due on the 1st; labels written out as the strings stored, not read from the module."""

from __future__ import annotations

from datetime import date

import pytest

from lending.finance.delinquency import delinquency_status, dpd_bucket, loan_status

DUE_MARCH_1 = date(2027, 3, 1)


@pytest.mark.parametrize(
    ("as_of", "bucket", "status"),
    [
        (date(2027, 3, 1), "current", "current"),  # due today: nothing past due
        (date(2027, 3, 2), "1-29", "delinquent"),  # one day past due, inside the grace period
        (date(2027, 3, 30), "1-29", "delinquent"),
        (date(2027, 3, 31), "30-59", "delinquent"),  # unpaid at the close of the eve of April 1
        (date(2027, 4, 30), "60-89", "delinquent"),
        (date(2027, 5, 31), "90-119", "delinquent"),
        (date(2027, 6, 30), "120+", "default"),  # four missed payments
        (date(2027, 7, 31), "120+", "default"),  # five missed: still the last bucket
        (date(2027, 8, 31), "120+", "default"),  # 183 days: a charge-off candidate is in default
    ],
)
def test_the_list_bucket_and_status_start_on_each_missed_payments_eve(as_of, bucket, status):
    figures = delinquency_status(DUE_MARCH_1, as_of)
    assert (dpd_bucket(figures), loan_status(figures)) == (bucket, status)


def test_a_loan_past_its_own_charge_off_days_is_in_default_before_four_missed_payments():
    # 25 days past due with charge-off at 20 days: a charge-off candidate, listed as default in the 1-29 bucket.
    figures = delinquency_status(DUE_MARCH_1, date(2027, 3, 26), charge_off_days=20)
    assert (figures.status, dpd_bucket(figures), loan_status(figures)) == ("charge_off_candidate", "1-29", "default")


def test_a_loan_in_its_grace_period_is_listed_delinquent():
    figures = delinquency_status(DUE_MARCH_1, date(2027, 3, 10), grace_days=15)
    assert (figures.status, dpd_bucket(figures), loan_status(figures)) == ("grace", "1-29", "delinquent")


def test_nothing_unpaid_is_listed_current():
    figures = delinquency_status(None, date(2027, 3, 10))
    assert (dpd_bucket(figures), loan_status(figures)) == ("current", "current")
