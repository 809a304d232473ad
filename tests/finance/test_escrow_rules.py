"""Escrow rules at their edges: the one-month boundary of Reg X 1024.17(f), two-installment spreads, the
computation year's first and last day, and every refusal word for word.

All analyses use Appendix E's example (tests/finance/test_escrow.py): disbursements $1,560.00 a year, base
payment 1560 / 12 = $130.00, cushion 1560 / 6 = $260.00, required starting balance (target) $1,040.00;
analysis on 2024-06-01, so anything due "within 30 days" is due by 2024-07-01.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from lending.finance.escrow import (
    DEFICIENCY,
    SHORTAGE,
    SURPLUS,
    EscrowDisbursement,
    EscrowSpread,
    cushion_amount,
    escrow_analysis,
    escrow_projection,
)
from tests.finance.test_escrow import APPENDIX_E, FIRST_PAYMENT

D = Decimal
ANALYSIS = date(2024, 6, 1)
WITHIN_30_DAYS = date(2024, 7, 1)  # 2024-06-01 + 30 days
LEFT_ALONE = EscrowSpread(D("0.00"), 0, D("0.00"), D("0.00"), None)


def _exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def analyse(balance: str, **kwargs):
    return escrow_analysis(D(balance), APPENDIX_E, first_payment_date=FIRST_PAYMENT, analysis_date=ANALYSIS, **kwargs)


def _left_alone(amount: str) -> EscrowSpread:
    return EscrowSpread(D(amount), 0, D("0.00"), D("0.00"), None)


# --- the analysis' own figures ------------------------------------------------------------------------


def test_a_small_surplus_is_credited_over_twelve_months_with_no_refund_date():
    # 1076.00 - 1040.00 = 36.00 surplus, under $50: credited 36.00 / 12 = 3.00 a month; 130.00 - 3.00 = 127.00.
    a = analyse("1076")
    assert (a.kind, a.analysis_date, a.current_balance) == (SURPLUS, ANALYSIS, D("1076.00"))
    assert (a.annual_disbursements, a.cushion, a.target_balance) == (D("1560.00"), D("260.00"), D("1040.00"))
    assert a.surplus_credit == EscrowSpread(D("36.00"), 12, D("3.00"), D("3.00"), None)
    assert (a.refund, a.refund_due_by) == (D("0.00"), None)
    assert a.shortage_collection == LEFT_ALONE
    assert a.deficiency_collection == LEFT_ALONE
    assert a.new_monthly_payment == D("127.00")


def test_with_nothing_to_credit_the_surplus_credit_is_empty():
    # 1040.00 is exactly the target: no surplus, nothing credited, the base payment stands.
    a = analyse("1040")
    assert a.surplus_credit == LEFT_ALONE
    assert a.new_monthly_payment == D("130.00")


# --- shortage: the one-month boundary of (f)(3) -------------------------------------------------------


def test_a_shortage_of_exactly_one_months_payment_may_not_be_collected_within_30_days():
    # 1040.00 - 910.00 = 130.00 == the base payment: "at or above" one month's payment -> 0 or 12+ months.
    with pytest.raises(
        ValueError,
        match=_exactly(
            "shortage_months: 130.00 is at least one month's escrow payment (130.00); "
            "Reg X 1024.17(f) allows leaving it or 12+ monthly installments, got 1"
        ),
    ):
        analyse("910", shortage_months=1)


def test_a_shortage_a_cent_under_one_months_payment_may_be_collected_within_30_days():
    # 1040.00 - 910.01 = 129.99 < 130.00: one lump sum due within 30 days; the monthly payment stays 130.00.
    a = analyse("910.01", shortage_months=1)
    assert a.kind == SHORTAGE
    assert a.shortage_collection == EscrowSpread(D("129.99"), 1, D("129.99"), D("129.99"), WITHIN_30_DAYS)
    assert a.new_monthly_payment == D("130.00")


def test_a_shortage_of_one_months_payment_spread_over_twelve_months():
    # 130.00 / 12 = 10.8333 -> 10.83 for 11 months, the 12th 130.00 - 11 * 10.83 = 10.87; 130.00 + 10.83 = 140.83.
    a = analyse("910", shortage_months=12)
    assert a.shortage_collection == EscrowSpread(D("130.00"), 12, D("10.83"), D("10.87"), None)
    assert a.new_monthly_payment == D("140.83")


# --- deficiency: (f)(4) -------------------------------------------------------------------------------


def test_a_deficiency_of_one_months_payment_may_not_be_collected_within_30_days():
    with pytest.raises(
        ValueError,
        match=_exactly(
            "deficiency_months: 130.00 is at least one month's escrow payment (130.00); "
            "Reg X 1024.17(f) allows leaving it or 2+ monthly installments, got 1"
        ),
    ):
        analyse("-130", shortage_months=0, deficiency_months=1)


def test_a_deficiency_over_one_months_payment_may_be_collected_in_two_installments():
    # Deficiency 130.01 over 2 months: 130.01 / 2 = 65.005 -> 65.00, the second 130.01 - 65.00 = 65.01.
    # The shortage (1040.00: the balance is below zero) is left alone (0 months).
    # New payment: 130.00 base + 65.00 = 195.00.
    a = analyse("-130.01", shortage_months=0, deficiency_months=2)
    assert (a.kind, a.deficiency, a.shortage) == (DEFICIENCY, D("130.01"), D("1040.00"))
    assert a.deficiency_collection == EscrowSpread(D("130.01"), 2, D("65.00"), D("65.01"), None)
    assert a.shortage_collection == _left_alone("1040.00")
    assert a.new_monthly_payment == D("195.00")


def test_a_shortage_in_two_installments_raises_the_monthly_payment():
    # Borrower current, shortage 1040.00 - 1000.00 = 40.00 < 130.00 over 2 months: 20.00 + 20.00;
    # new payment 130.00 + 20.00 = 150.00.
    a = analyse("1000", shortage_months=2)
    assert a.shortage_collection == EscrowSpread(D("40.00"), 2, D("20.00"), D("20.00"), None)
    assert a.new_monthly_payment == D("150.00")


def test_a_small_deficiency_collected_within_30_days_is_due_by_then():
    # Deficiency 50.00 < 130.00, one installment due 2024-06-01 + 30 days; the monthly payment is unchanged.
    a = analyse("-50", shortage_months=0, deficiency_months=1)
    assert a.deficiency_collection == EscrowSpread(D("50.00"), 1, D("50.00"), D("50.00"), WITHIN_30_DAYS)
    assert a.new_monthly_payment == D("130.00")


# --- the computation year -----------------------------------------------------------------------------


def test_projection_months_are_numbered_1_to_12_with_their_payments():
    p = escrow_projection(APPENDIX_E, FIRST_PAYMENT)
    assert p.first_payment_date == FIRST_PAYMENT
    assert [m.month for m in p.months] == list(range(1, 13))
    assert [m.payment for m in p.months] == [D("130.00")] * 12


def test_the_computation_years_last_day_is_in_it():
    # First payment 2024-07-01: the year runs to 2025-06-30, the 12th period starts 2025-06-01.
    p = escrow_projection([EscrowDisbursement(date(2025, 6, 30), D("120.00"))], FIRST_PAYMENT)
    assert [m.disbursements for m in p.months] == [D("0.00")] * 11 + [D("120.00")]


@pytest.mark.parametrize("outside", [date(2025, 7, 1), date(2024, 6, 30)])
def test_a_disbursement_outside_the_computation_year_is_refused_naming_the_year(outside):
    with pytest.raises(
        ValueError,
        match=_exactly(
            f"disbursements[1].due_date: {outside} is outside the computation year 2024-07-01 to 2025-06-30"
        ),
    ):
        escrow_projection([APPENDIX_E[0], EscrowDisbursement(outside, D("1.00"))], FIRST_PAYMENT)


# --- refusals, word for word --------------------------------------------------------------------------


def test_an_empty_projection_is_refused():
    with pytest.raises(
        ValueError, match=_exactly("disbursements: an escrow projection needs at least one disbursement")
    ):
        escrow_projection([], FIRST_PAYMENT)


def test_a_disbursement_that_is_not_one_is_refused_naming_its_type():
    with pytest.raises(ValueError, match=_exactly("disbursements[1]: expected EscrowDisbursement, got tuple")):
        escrow_projection([APPENDIX_E[0], (date(2024, 8, 1), D("1.00"))], FIRST_PAYMENT)


def test_a_disbursement_needs_a_date_and_whole_non_negative_cents():
    with pytest.raises(ValueError, match=_exactly("due_date: expected a date, got '2024-08-01'")):
        EscrowDisbursement("2024-08-01", D("1.00"))
    with pytest.raises(ValueError, match=_exactly("amount must not be negative, got -1.00")):
        EscrowDisbursement(date(2024, 8, 1), D("-1.00"))


@pytest.mark.parametrize(
    ("cushion_months", "message"),
    [
        (1.5, "cushion_months: use Decimal or str, not float (1.5)"),
        (3, "cushion_months: must be from 0 to 2 (Reg X 1024.17(c)(1)(ii)), got 3"),
    ],
)
def test_cushion_months_are_refused_naming_them(cushion_months, message):
    with pytest.raises(ValueError, match=_exactly(message)):
        cushion_amount(D("1560.00"), cushion_months)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shortage_months": -1}, "shortage_months: expected a whole number of months >= 0, got -1"),
        ({"shortage_months": True}, "shortage_months: expected a whole number of months >= 0, got True"),
        ({"shortage_months": "12"}, "shortage_months: expected a whole number of months >= 0, got '12'"),
        ({"deficiency_months": -1}, "deficiency_months: expected a whole number of months >= 0, got -1"),
        ({"current_monthly_payment": D("-1")}, "current_monthly_payment must not be negative, got -1.00"),
    ],
)
def test_analysis_months_and_current_payment_are_refused_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=_exactly(message)):
        analyse("900", **kwargs)


def test_analysis_refuses_a_sub_cent_balance_and_a_non_date():
    with pytest.raises(ValueError, match=_exactly("current_balance: 1.234 is not a whole number of cents")):
        analyse("1.234")
    with pytest.raises(ValueError, match=_exactly("analysis_date: expected a date, got '2024-06-01'")):
        escrow_analysis(D("900.00"), APPENDIX_E, first_payment_date=FIRST_PAYMENT, analysis_date="2024-06-01")
