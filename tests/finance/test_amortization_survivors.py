"""Amortization rules the mutation run found unpinned (issue 17, session 12): the due dates of a schedule running past
the end of the calendar tables (December 2299), the semimonthly pair's month-end day, exact half cents at rates too
small for 34 digits, the interest-only rows of a tiny loan whose rounded-up payment would overpay, and the Decimal
columns of a schedule too large for the thread's context."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_FLOOR, Decimal, localcontext

import pytest

from lending.finance.amortization import LoanTerms, build_schedule, due_dates, level_payment, semimonthly_days

D = Decimal


@pytest.mark.parametrize(
    ("first", "frequency", "count", "expected"),
    [
        (date(2299, 12, 1), "monthly", 2, [date(2299, 12, 1), date(2300, 1, 1)]),
        (date(2299, 9, 30), "quarterly", 3, [date(2299, 9, 30), date(2299, 12, 30), date(2300, 3, 30)]),
        (
            date(2299, 11, 30),
            "semimonthly",
            5,
            [date(2299, 11, 30), date(2299, 12, 15), date(2299, 12, 31), date(2300, 1, 15), date(2300, 1, 31)],
        ),
    ],
)
def test_due_dates_running_past_december_2299_keep_every_installment(first, frequency, count, expected):
    # The last installment falls in January 2300 (March for quarterly): the first month after the calendar tables.
    assert due_dates(first, frequency, count) == expected


@pytest.mark.parametrize(
    ("first", "pair"),
    [
        (date(2024, 1, 15), (15, 31, 0)),  # the 15th pairs with month end
        (date(2024, 2, 29), (15, 31, 1)),  # a leap February's last day is month end
        (date(2023, 4, 30), (15, 31, 1)),  # so is a 30-day month's
        (date(2024, 1, 10), (10, 25, 0)),
        (date(2024, 1, 28), (13, 28, 1)),
    ],
)
def test_semimonthly_pair_writes_month_end_as_day_31(first, pair):
    assert semimonthly_days(first) == pair


def test_a_rate_too_small_for_34_digits_still_prices_the_level_payment():
    # 0.00000001 % a year over 360 months: r * n = 3e-9, below the 34-digit shortcut's reach. The exact annuity is
    # 277.7777819... (P / n plus a sliver of interest), 277.78 to the cent.
    assert level_payment(D("100000.00"), D("0.00000001"), 360) == D("277.78")
    assert level_payment(D("100000.00"), D("0.00000001"), 360, 4) == D("277.78")


@pytest.mark.parametrize(
    ("principal", "annual_rate", "per_year", "payment"),
    [
        # 3,000,000.00 * 0.000002 % / 12 = 0.005 exactly: 3,000,000.005 rounds half up.
        (D("3000000.00"), D("0.000002"), 12, D("3000000.01")),
        # 95,000,000.00 * 0.0000089 % / 19 = 0.445 exactly: 95,000,000.445 rounds half up.
        (D("95000000.00"), D("0.0000089"), 19, D("95000000.45")),
    ],
)
def test_an_exact_half_cent_at_a_tiny_rate_rounds_up(principal, annual_rate, per_year, payment):
    # One period: the payment is principal * (1 + r), here exactly half a cent over a whole cent. At so small a rate
    # (r below 5e-9) 34 digits of 1 + r keep only 25 of r, too few to see the half cent: it must be decided exactly.
    assert level_payment(principal, annual_rate, 1, per_year) == payment


def test_tiny_interest_only_loan_pays_no_principal_in_its_interest_only_rows():
    # 0.02 at 12 % for 6 months, 2 of them interest-only: the level payment of the 4 amortizing months is 0.0051
    # rounded up to 0.01, which would repay the loan early; no principal is due before the amortizing rows.
    schedule = build_schedule(
        LoanTerms(
            principal=D("0.02"),
            annual_rate=D("12"),
            term_periods=6,
            disbursement_date=date(2027, 1, 1),
            first_payment_date=date(2027, 2, 1),
            amortization="interest_only",
            interest_only_periods=2,
        )
    )
    assert [(str(r.payment), str(r.principal), str(r.interest), str(r.balance)) for r in schedule.rows] == [
        ("0.00", "0.00", "0.00", "0.02"),
        ("0.00", "0.00", "0.00", "0.02"),
        ("0.01", "0.01", "0.00", "0.01"),
        ("0.01", "0.01", "0.00", "0.00"),
        ("0.00", "0.00", "0.00", "0.00"),
        ("0.00", "0.00", "0.00", "0.00"),
    ]


def test_large_schedule_columns_do_not_depend_on_the_thread_decimal_context():
    # 12,345,678,901.23 has 13 digits: in a 12-digit flooring thread context every balance would lose its cents.
    terms = LoanTerms(
        principal=D("12345678901.23"),
        annual_rate=D("6"),
        term_periods=3,
        disbursement_date=date(2027, 1, 1),
        first_payment_date=date(2027, 2, 1),
    )
    with localcontext(prec=12, rounding=ROUND_FLOOR):
        rows = build_schedule(terms).rows
    assert [(str(r.payment), str(r.principal), str(r.interest), str(r.balance)) for r in rows] == [
        ("4156446979.34", "4094718584.83", "61728394.51", "8250960316.40"),
        ("4156446979.34", "4115192177.76", "41254801.58", "4135768138.64"),
        ("4156446979.33", "4135768138.64", "20678840.69", "0.00"),
    ]
