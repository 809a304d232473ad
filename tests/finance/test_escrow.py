"""Escrow: Reg X Appendix E aggregate-accounting vector, HUD booklet analysis vectors, properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lending.finance.daycount import add_months
from lending.finance.escrow import (
    BALANCED,
    DEFICIENCY,
    SHORTAGE,
    SURPLUS,
    EscrowDisbursement,
    cushion_amount,
    escrow_analysis,
    escrow_projection,
    monthly_payments,
)
from tests.hypothesis_budget import examples

D = Decimal

# 12 CFR Part 1024, Appendix E, "I. Example Illustrating Aggregate Analysis": school taxes $360 on
# September 20, county taxes $500 on July 25 and $700 on December 10; cushion one-sixth; settlement
# May 15, first payment July 1.
# Text as at federal.elaws.us/cfr/title12.chapterx.part1024.appendix_e_to_part_1024
APPENDIX_E = [
    EscrowDisbursement(date(2024, 9, 20), D("360"), "school taxes"),
    EscrowDisbursement(date(2024, 7, 25), D("500"), "county taxes"),
    EscrowDisbursement(date(2024, 12, 10), D("700"), "county taxes"),
]
FIRST_PAYMENT = date(2024, 7, 1)
# Appendix E step 3, "Trial Balance With Cushion", month-end balances July..June.
APPENDIX_E_BALANCES = [670, 800, 570, 700, 830, 260, 390, 520, 650, 780, 910, 1040]


def test_appendix_e_aggregate_example():
    p = escrow_projection(APPENDIX_E, FIRST_PAYMENT)
    assert p.annual_disbursements == D("1560.00")
    assert p.monthly_payment == D("130.00")
    assert p.payments == (D("130.00"),) * 12
    assert p.cushion == D("260.00")
    assert p.initial_deposit == D("1040.00")  # the June starting balance of step 3
    assert [m.balance for m in p.months] == [D(b) for b in APPENDIX_E_BALANCES]
    assert [m.disbursements for m in p.months][:6] == [D(500), 0, D(360), 0, 0, D(700)]
    assert p.lowest_balance == p.cushion
    assert p.lowest_month == date(2024, 12, 1)


def test_appendix_e_step_2_without_cushion():
    # Step 2, "Adjusted Trial Balance": starting balance 780, December at 0.
    p = escrow_projection(APPENDIX_E, FIRST_PAYMENT, cushion_months=0)
    assert p.initial_deposit == D("780.00")
    assert p.lowest_balance == 0
    assert [m.balance for m in p.months] == [D(b - 260) for b in APPENDIX_E_BALANCES]


# HUD special information booklet on settlement costs, "Escrow account operation": the same example at
# annual analysis against the required June balance of $1040 (text reproduced at
# silvermortgage.blogspot.com/2009/04/estimating-amount-of-money.html).
def analyse(balance: str, **kwargs):
    return escrow_analysis(
        D(balance), APPENDIX_E, first_payment_date=FIRST_PAYMENT, analysis_date=date(2024, 6, 1), **kwargs
    )


def test_hud_surplus_under_50_credited_payment_127():
    a = analyse("1076")
    assert (a.kind, a.surplus) == (SURPLUS, D("36.00"))
    assert a.refund == 0
    assert a.surplus_credit.installment == D("3.00")
    assert a.new_monthly_payment == D("127.00")


def test_hud_surplus_of_50_refunded_within_30_days():
    a = analyse("1090")
    assert a.refund == D("50.00")
    assert a.refund_due_by == date(2024, 7, 1)
    assert a.new_monthly_payment == D("130.00")


def test_small_surplus_may_be_refunded_instead():
    a = analyse("1076", refund_small_surplus=True)
    assert a.refund == D("36.00")
    assert a.new_monthly_payment == D("130.00")


def test_surplus_retained_when_borrower_not_current():
    a = analyse("1500", borrower_current=False)
    assert a.refund == 0
    assert a.retained_surplus == D("460.00")


def test_hud_shortage_under_one_month_collected_within_30_days_or_spread():
    lump = analyse("940", shortage_months=1)
    assert (lump.kind, lump.shortage) == (SHORTAGE, D("100.00"))
    assert lump.shortage_collection.installment == D("100.00")
    assert lump.shortage_collection.due_by == date(2024, 7, 1)
    assert lump.new_monthly_payment == D("130.00")
    spread = analyse("940")
    assert spread.shortage_collection.installment == D("8.33")
    assert spread.shortage_collection.final_installment == D("8.37")  # 11 x 8.33 + 8.37 = 100.00
    assert spread.new_monthly_payment == D("138.33")


def test_hud_shortage_of_240_spread_over_12_months():
    a = analyse("800")
    assert a.shortage == D("240.00")
    assert a.shortage_collection.installment == a.shortage_collection.final_installment == D("20.00")
    assert a.new_monthly_payment == D("150.00")
    assert a.lowest_projected_balance == D("20.00")  # 260 cushion - 240 shortage


def test_large_shortage_may_not_be_collected_in_under_12_months():
    with pytest.raises(ValueError, match="shortage_months"):
        analyse("800", shortage_months=6)
    assert analyse("800", shortage_months=0).shortage_collection.months == 0  # allowed to exist


def test_deficiency_with_shortage():
    a = analyse("-100", deficiency_months=2)
    assert a.kind == DEFICIENCY
    assert a.deficiency == D("100.00")
    assert a.shortage == D("1040.00")
    assert a.deficiency_collection.installment == D("50.00")
    with pytest.raises(ValueError, match="deficiency_months"):
        analyse("-200", deficiency_months=1)  # >= one month's payment: 2+ installments
    assert analyse("-200", deficiency_months=1, borrower_current=False).deficiency_collection.months == 1


def test_balanced_and_payment_change():
    a = analyse("1040", current_monthly_payment=D("125.00"))
    assert a.kind == BALANCED
    assert a.payment_change == D("5.00")


def test_no_disbursements_left_everything_is_surplus():
    a = escrow_analysis(D("300.00"), [], first_payment_date=FIRST_PAYMENT, analysis_date=FIRST_PAYMENT)
    assert (a.surplus, a.refund, a.new_monthly_payment) == (D("300.00"), D("300.00"), 0)


def test_rounding_remainder_on_the_twelfth_payment():
    payments = monthly_payments(D("1000.00"))
    assert payments[:11] == (D("83.33"),) * 11
    assert payments[11] == D("83.37")
    assert sum(payments) == D("1000.00")
    assert monthly_payments(D("0.06")) == (D("0.00"),) * 11 + (D("0.06"),)
    assert cushion_amount(D("1000.00")) == D("166.66")  # 1/6 rounded down: never above the limit


def test_month_end_first_payment_periods():
    p = escrow_projection([EscrowDisbursement(date(2024, 3, 30), D("1200"))], date(2024, 1, 31))
    assert [m.payment_date for m in p.months][:3] == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    assert p.months[1].disbursements == D("1200.00")  # March 30 is before the March 31 payment


# --- bad input --------------------------------------------------------------------------------------


def test_bad_escrow_input():
    with pytest.raises(ValueError, match="cushion_months"):
        escrow_projection(APPENDIX_E, FIRST_PAYMENT, cushion_months=3)
    with pytest.raises(ValueError, match="cushion_months"):
        escrow_projection(APPENDIX_E, FIRST_PAYMENT, cushion_months=-1)
    with pytest.raises(ValueError, match="disbursements"):
        escrow_projection([], FIRST_PAYMENT)
    with pytest.raises(ValueError, match=r"disbursements\[0\].due_date"):
        escrow_projection([EscrowDisbursement(date(2025, 7, 1), D("1"))], FIRST_PAYMENT)
    with pytest.raises(ValueError, match="amount"):
        EscrowDisbursement(date(2024, 8, 1), D("-1.00"))
    with pytest.raises(ValueError, match="amount"):
        EscrowDisbursement(date(2024, 8, 1), D("1.005"))
    with pytest.raises(ValueError, match="first_payment_date"):
        escrow_projection(APPENDIX_E, "2024-07-01")
    with pytest.raises(ValueError, match="current_balance"):
        analyse("1.234")
    with pytest.raises(ValueError, match="shortage_months"):
        analyse("900", shortage_months=-1)
    with pytest.raises(ValueError, match="current_monthly_payment"):
        analyse("900", current_monthly_payment=D("-1"))


# --- properties -------------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=1_000_000).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def escrow_years(draw):
    first = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
    span = (add_months(first, 12) - first).days
    items = [
        EscrowDisbursement(first + timedelta(days=draw(st.integers(0, span - 1))), draw(cents))
        for _ in range(draw(st.integers(min_value=1, max_value=8)))
    ]
    cushion = draw(st.sampled_from([0, 1, 2, D("1.5")]))
    return first, items, cushion


@settings(max_examples=examples(2000), deadline=None)
@given(escrow_years())
def test_projection_lowest_balance_is_exactly_the_cushion(year):
    first, items, cushion_months = year
    p = escrow_projection(items, first, cushion_months)
    balances = [m.balance for m in p.months]
    assert min(balances) == p.cushion == p.lowest_balance
    assert all(b >= p.cushion for b in balances)
    assert p.initial_deposit >= p.cushion
    assert sum(p.payments) == p.annual_disbursements == sum(i.amount for i in items)
    assert balances[-1] == p.initial_deposit  # the year's payments equal its disbursements
    assert p.cushion * 6 <= p.annual_disbursements
    assert p.monthly_payment * 12 <= p.annual_disbursements < (p.monthly_payment + D("0.01")) * 12


@settings(max_examples=examples(2000), deadline=None)
@given(escrow_years(), st.integers(min_value=-500_000, max_value=2_000_000).map(lambda c: Decimal(c).scaleb(-2)))
def test_analysis_arithmetic_reaches_the_cushion(year, balance):
    first, items, cushion_months = year
    a = escrow_analysis(
        balance,
        items,
        first_payment_date=first,
        analysis_date=first,
        cushion_months=cushion_months,
        shortage_months=12,
        deficiency_months=12,
    )
    p = escrow_projection(items, first, cushion_months)
    assert a.target_balance == p.initial_deposit
    assert a.shortage + a.deficiency - a.surplus == a.target_balance - balance
    assert a.lowest_projected_balance + a.shortage + a.deficiency - a.surplus == a.cushion
    assert min(m.balance for m in a.months) == a.lowest_projected_balance
    assert min(a.surplus, a.shortage) == 0
    assert min(a.surplus, a.deficiency) == 0
    assert a.kind == (DEFICIENCY if balance < 0 else SHORTAGE if a.shortage else SURPLUS if a.surplus else BALANCED)
    assert a.refund + a.surplus_credit.amount + a.retained_surplus == a.surplus
    assert (a.refund > 0) == (a.surplus >= 50)
    for spread in (a.surplus_credit, a.shortage_collection, a.deficiency_collection):
        if spread.months:
            assert spread.installment * (spread.months - 1) + spread.final_installment == spread.amount
            assert 0 <= spread.final_installment - spread.installment < spread.months * D("0.01")
    expected = a.base_monthly_payment - a.surplus_credit.installment
    expected += a.shortage_collection.installment + a.deficiency_collection.installment
    assert a.new_monthly_payment == expected
