"""Late fee math (lending.finance.late_fees) and the delinquency list buckets, with hand-computed answers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lending.finance import delinquency as dq
from lending.finance.late_fees import STATE_CAPS, grace_ends_in, late_fee_amount, state_cap

PI = D("1896.20")  # 300,000 at 6.5 % over 360 months


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"percent": D("5"), "flat": D("0")}, D("94.81")),  # 1896.20 x 5 % = 94.81
        ({"percent": D("4"), "flat": D("10.00")}, D("85.85")),  # 75.848 -> 75.85, + 10.00
        ({"percent": D("5"), "flat": D("0"), "maximum": D("50.00")}, D("50.00")),  # 94.81 capped at 50
        ({"percent": D("0"), "flat": D("25.00")}, D("25.00")),  # flat
        ({"percent": D("0"), "flat": D("25.00"), "maximum": D("20.00")}, D("20.00")),
        ({"percent": D("0.5"), "flat": D("0"), "minimum": D("15.00")}, D("15.00")),  # 9.481 -> 9.48 < 15
        ({"percent": D("5"), "flat": D("0"), "minimum": D("15.00")}, D("94.81")),  # above the minimum
    ],
)
def test_contract_rule(kwargs, expected):
    assert late_fee_amount(PI, **kwargs) == expected


def test_the_percent_part_rounds_half_up_once():
    # 1000.10 x 5 % = 50.005 -> 50.01 (ROUND_HALF_UP)
    assert late_fee_amount(D("1000.10"), percent=D("5"), flat=D("0")) == D("50.01")


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("NY", D("37.92")),  # 2 % of 1896.20 = 37.924 -> 37.92 < 94.81
        ("ny", D("37.92")),
        ("NC", D("75.85")),  # 4 % = 75.848 -> 75.85
        ("MA", D("56.89")),  # 3 % = 56.886 -> 56.89
        ("CA", D("94.81")),  # 6 % = 113.77 > 94.81: the contract's fee stands
        ("IL", D("94.81")),  # no row: the default (no cap)
        ("", D("94.81")),  # transferred loan, no property state
    ],
)
def test_state_cap_is_the_lower_of_the_fee_and_the_cap(state, expected):
    assert late_fee_amount(PI, percent=D("5"), flat=D("0"), state=state) == expected


def test_california_floor_of_five_dollars():
    # 6 % of 50.00 = 3.00, but California allows at least $5: a $25 flat fee is cut to 5.00, a $4 one stands.
    assert late_fee_amount(D("50.00"), percent=D("0"), flat=D("25.00"), state="CA") == D("5.00")
    assert late_fee_amount(D("50.00"), percent=D("0"), flat=D("4.00"), state="CA") == D("4.00")


def test_the_caps_live_in_one_table():
    assert state_cap("NY") is STATE_CAPS["NY"]
    assert state_cap(" tx ") is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"percent": D("-1"), "flat": D("0")}, "percent"),
        ({"percent": D("1"), "flat": D("0.001")}, "flat"),
        ({"percent": D("1"), "flat": D("0"), "maximum": D("-1.00")}, "maximum"),
    ],
)
def test_bad_terms_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        late_fee_amount(PI, **kwargs)


cents = st.decimals(min_value=D("0"), max_value=D("100000"), places=2)
percents = st.decimals(min_value=D("0"), max_value=D("20"), places=4)


@given(
    base=cents,
    percent=percents,
    flat=cents,
    maximum=st.one_of(st.none(), cents),
    state=st.sampled_from(["", "NY", "CA"]),
)
def test_the_fee_never_exceeds_a_limit_and_is_whole_cents(base, percent, flat, maximum, state):
    fee = late_fee_amount(base, percent=percent, flat=flat, maximum=maximum, state=state)
    assert fee >= 0
    assert fee == fee.quantize(D("0.01"))
    assert fee <= (base * percent / 100).quantize(D("0.01")) + flat
    if maximum is not None:
        assert fee <= maximum
    if cap := state_cap(state):
        assert fee <= cap.amount(base)


# Due Monday March 1 2027 with 15 days' grace: the grace period is March 2-16; March 17 is the first day after it.
DUE = date(2027, 3, 1)


@pytest.mark.parametrize(
    ("previous", "close", "charged"),
    [
        (date(2027, 3, 15), date(2027, 3, 16), False),  # day 15 of grace: no fee
        (date(2027, 3, 16), date(2027, 3, 17), True),  # grace + 1
        (date(2027, 3, 17), date(2027, 3, 18), False),  # charged the night before, never again
        (date(2027, 3, 12), date(2027, 3, 17), True),  # a close after a gap still charges it once
        (None, date(2027, 3, 17), True),
        (None, date(2027, 3, 16), False),
    ],
)
def test_the_close_that_charges(previous, close, charged):
    assert grace_ends_in(DUE, 15, previous, close) is charged


def test_a_grace_period_ending_on_a_weekend_is_charged_at_the_next_close():
    # Due Friday March 5: grace to March 20, first late day Sunday March 21; closes Friday 19 and Monday 22.
    assert grace_ends_in(date(2027, 3, 5), 15, date(2027, 3, 18), date(2027, 3, 19)) is False
    assert grace_ends_in(date(2027, 3, 5), 15, date(2027, 3, 19), date(2027, 3, 22)) is True


# --- list buckets and statuses: due January 31, next due dates February 28 (clamped) and March 31 -------------
JAN_31 = date(2027, 1, 31)


@pytest.mark.parametrize(
    ("as_of", "days", "bucket", "status"),
    [
        (date(2027, 1, 31), 0, "current", "current"),  # due today: not past due
        (date(2027, 2, 1), 1, "1-29", "delinquent"),
        (date(2027, 2, 26), 26, "1-29", "delinquent"),
        (date(2027, 2, 27), 27, "30-59", "delinquent"),  # unpaid at the close of the eve of Feb 28 (MBA)
        (date(2027, 3, 29), 57, "30-59", "delinquent"),
        (date(2027, 3, 30), 58, "60-89", "delinquent"),  # eve of March 31 (the schedule's day, not the 28th)
        (date(2027, 4, 29), 88, "90-119", "delinquent"),  # eve of April 30
        (date(2027, 5, 29), 118, "90-119", "delinquent"),
        (date(2027, 5, 30), 119, "120+", "default"),  # eve of May 31: four missed payments
    ],
)
def test_buckets_across_month_ends(as_of, days, bucket, status):
    figures = dq.delinquency_status(JAN_31, as_of, due_day=31)
    assert (figures.days_past_due, dq.dpd_bucket(figures), dq.loan_status(figures)) == (days, bucket, status)


def test_nothing_unpaid_is_current():
    figures = dq.delinquency_status(None, date(2027, 5, 30))
    assert (dq.dpd_bucket(figures), dq.loan_status(figures)) == ("current", "current")
