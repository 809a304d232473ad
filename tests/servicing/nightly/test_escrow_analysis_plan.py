"""The annual escrow analysis's plan (Reg X 12 CFR 1024.17), computed from rows in memory: no database.

``analysis_plan`` takes the loan, its escrow items as they stand after the night's disbursements and its
installments, and decides the new computation year, its starting balance, the surplus, shortage or deficiency and
the new escrow payment of each of the year's installments. Every figure below is worked out by hand.

The standard loan: escrow payment $525.00, property tax $4,800.00 in two payments (next 2028-06-01, payment 1 of 2)
and insurance $1,500.00 (next 2028-12-01): $6,300.00 a year, base payment 6,300.00 / 12 = 525.00, cushion
2 months = 1,050.00 (1024.17(c)(1)(ii): at most one-sixth of 6,300.00). Analysis date 2027-12-02: the first
installment due 30 days later or after is #13 (2028-01-01), so the year is 2028-01-01 to 2028-12-31. Projected
from zero, 6 x 525.00 = 3,150.00 - 2,400.00 (June) = 750.00 ... 3,375.00 + 525.00 - 3,900.00 = 0 (December):
lowest 0, so the target starting balance is the cushion, 1,050.00.
"""

from datetime import date, timedelta
from decimal import Decimal

from lending.finance.daycount import add_months
from servicing.models import EscrowItem, Installment, LoanAccount
from servicing.services.escrow_analysis import analysis_plan, installments_until

D = Decimal
ZERO = D("0.00")
ANALYSIS = date(2027, 12, 2)
FIRST_DUE = date(2027, 1, 1)  # installment n is due on the 1st, n - 1 months after


def _loan(balance, *, payment="525.00", analysis_date=ANALYSIS):
    return LoanAccount(
        loan_number="LN-1",
        escrow_balance=D(balance),
        escrow_monthly_payment=D(payment),
        escrow_analysis_date=analysis_date,
    )


def _item(description, annual, per_year, next_due, number=1):
    return EscrowItem(
        kind=EscrowItem.Kind.PROPERTY_TAX,
        description=description,
        annual_amount=D(annual),
        payments_per_year=per_year,
        next_due_date=next_due,
        next_payment_number=number,
    )


def _standard_items(*, insurance_due=date(2028, 12, 1)):
    return [
        _item("Property tax", "4800.00", 2, date(2028, 6, 1)),
        _item("Homeowner's insurance premium", "1500.00", 1, insurance_due),
    ]


def _schedule(first=12, last=25, *, paid_through=12, escrow="525.00"):
    """Installments ``first``..``last``, principal 100.00 + interest 400.00 + escrow; those up to ``paid_through``
    paid in full on their due dates."""
    rows = []
    for number in range(first, last + 1):
        due = add_months(FIRST_DUE, number - 1)
        row = Installment(number=number, due_date=due, principal=D("100.00"), interest=D("400.00"), escrow=D(escrow))
        row.payment = row.principal + row.interest + row.escrow
        if number <= paid_through:
            row.paid_principal, row.paid_interest, row.paid_escrow, row.paid_on = (
                row.principal,
                row.interest,
                row.escrow,
                due,
            )
        rows.append(row)
    return rows


def _plan(loan, items, installments, *, business_date=ANALYSIS, borrower_current=True):
    return analysis_plan(
        loan=loan,
        items=items,
        installments=installments,
        business_date=business_date,
        borrower_current=borrower_current,
    )


def _escrows(installments, numbers):
    by_number = {i.number: i for i in installments}
    for number in numbers:
        row = by_number[number]
        assert row.payment == row.principal + row.interest + row.escrow
    return [by_number[n].escrow for n in numbers]


def test_the_year_s_disbursements_are_recorded_one_by_one_with_their_item_and_payment_number():
    plan = _plan(_loan("1050.00"), _standard_items(), _schedule())
    assert plan.analysis.disbursement_detail == [
        ["2028-06-01", "2400.00", "Property tax, payment 1 of 2"],
        ["2028-12-01", "2400.00", "Property tax, payment 2 of 2"],
        ["2028-12-01", "1500.00", "Homeowner's insurance premium, payment 1 of 1"],
    ]
    # 1,050.00 is the target: balanced, nothing to change.
    analysis = plan.analysis
    assert (analysis.kind, analysis.action, analysis.spread_months, analysis.installments_updated) == (
        "balanced",
        "none",
        0,
        0,
    )
    assert (plan.refund, plan.refund_due_by, plan.installments) == (ZERO, None, [])
    assert plan.next_analysis_date == date(2028, 12, 2)  # 2029-01-01 less 30 days


def test_an_analysis_run_late_records_its_scheduled_date_and_takes_the_year_30_days_after_the_night_it_ran():
    # Scheduled 2027-12-02, run on 2027-12-05 (missed nights): the first installment due on or after 2028-01-04 is
    # #14 (2028-02-01); the year is 2028-02-01 to 2029-01-31, with the same three disbursements.
    # From zero: 5 x 525.00 - 2,400.00 (June) = 225.00; + 6 x 525.00 = 3,375.00 - 3,900.00 (December) = -525.00:
    # lowest -525.00, target 1,050.00 + 525.00 = 1,575.00.
    # #13 (2028-01-01) is unpaid: its 525.00 comes in before the year: 1,050.00 + 525.00 = 1,575.00, balanced.
    night = date(2027, 12, 5)
    plan = _plan(_loan("1050.00"), _standard_items(), _schedule(12, 26), business_date=night)
    analysis = plan.analysis
    assert (analysis.analysis_date, analysis.run_on) == (ANALYSIS, night)
    assert (analysis.year_start, analysis.effective_installment.number) == (date(2028, 2, 1), 14)
    assert (analysis.balance_on_analysis_date, analysis.current_balance, analysis.target_balance) == (
        D("1050.00"),
        D("1575.00"),
        D("1575.00"),
    )
    assert (analysis.kind, analysis.new_monthly_payment) == ("balanced", D("525.00"))
    assert plan.next_analysis_date == date(2029, 1, 2)  # 2029-02-01 less 30 days


def test_a_loan_never_scheduled_is_analysed_as_of_the_night_it_runs():
    plan = _plan(_loan("1050.00", analysis_date=None), _standard_items(), _schedule())
    assert (plan.analysis.analysis_date, plan.analysis.run_on) == (ANALYSIS, ANALYSIS)


def test_an_installment_partly_paid_keeps_its_escrow_amount():
    # Shortage 1,050.00 - 1,000.00 = 50.00, under one month's 525.00: spread over 12, 50.00 / 12 = 4.166 -> 4.16
    # x 11 = 45.76 and 4.24: 529.16 on #13-#23 and 529.24 on #24. #13 has only its interest paid, #14 only its
    # escrow, #15 only its principal: each keeps 525.00.
    installments = _schedule()
    by_number = {i.number: i for i in installments}
    by_number[13].paid_interest = D("400.00")
    by_number[14].paid_escrow = D("525.00")
    by_number[15].paid_principal = D("100.00")
    plan = _plan(_loan("1000.00"), _standard_items(), installments)
    assert _escrows(installments, range(13, 26)) == [D("525.00")] * 3 + [D("529.16")] * 8 + [D("529.24"), D("525.00")]
    assert [i.number for i in plan.installments] == list(range(16, 25))
    assert (plan.analysis.action, plan.analysis.spread_months, plan.analysis.installments_updated) == (
        "spread_12",
        12,
        9,
    )


def test_a_shortage_near_maturity_is_spread_over_the_installments_left():
    # The loan's last installment is #18 (2028-06-01): six installments in the year. Shortage 50.00 over 6:
    # 50.00 / 6 = 8.333 -> 8.33 x 5 = 41.65 and 8.35; new payment 525.00 + 8.33 = 533.33, the 6th 533.35.
    installments = _schedule(12, 18)
    plan = _plan(_loan("1000.00"), _standard_items(), installments)
    assert _escrows(installments, range(13, 19)) == [D("533.33")] * 5 + [D("533.35")]
    analysis = plan.analysis
    assert (analysis.kind, analysis.shortage, analysis.action, analysis.spread_months) == (
        "shortage",
        D("50.00"),
        "spread_12",
        6,
    )
    assert (analysis.new_monthly_payment, analysis.installments_updated) == (D("533.33"), 6)


def test_a_deficiency_once_the_items_are_gone_is_collected_over_the_installments_left():
    # No escrow item left (the bills stopped): nothing to disburse, no cushion, target 0.00. The balance is
    # -60.00: a deficiency of 60.00 and no shortage. Six installments are left (#13-#18): 60.00 / 6 = 10.00 each
    # (1024.17(f)(4): a deficiency may be collected in 2 or more monthly payments).
    installments = _schedule(12, 18)
    plan = _plan(_loan("-60.00"), [], installments)
    analysis = plan.analysis
    assert (analysis.kind, analysis.deficiency, analysis.shortage, analysis.target_balance) == (
        "deficiency",
        D("60.00"),
        ZERO,
        ZERO,
    )
    assert (analysis.action, analysis.spread_months, analysis.new_monthly_payment) == ("spread_12", 6, D("10.00"))
    assert _escrows(installments, range(13, 19)) == [D("10.00")] * 6


def test_a_small_surplus_credited_down_to_a_zero_payment_stays_a_credit():
    # Tax 12.00 a year in two payments (June 6.00, December 6.00): base 12.00 / 12 = 1.00, cushion 2 months = 2.00;
    # from zero the balance runs 1.00 ... 5.00, June 6.00 - 6.00 = 0, ... December 0: target 2.00.
    # Balance 14.00: surplus 12.00 (< 50.00) credited over 12: 1.00 a month, payments 1.00 - 1.00 = 0.00.
    installments = _schedule(escrow="1.00")
    plan = _plan(_loan("14.00", payment="1.00"), [_item("Tax", "12.00", 2, date(2028, 6, 1))], installments)
    analysis = plan.analysis
    assert (analysis.target_balance, analysis.surplus, analysis.action, analysis.spread_months) == (
        D("2.00"),
        D("12.00"),
        "credit",
        0,
    )
    assert analysis.new_monthly_payment == ZERO
    assert (plan.refund, plan.refund_due_by) == (ZERO, None)
    assert _escrows(installments, range(13, 25)) == [ZERO] * 12


def test_a_small_surplus_that_would_take_the_payment_below_zero_is_refunded():
    # As above with a balance of 32.00: surplus 30.00, credited it would be 30.00 / 12 = 2.50 a month, more than the
    # 1.00 payment; so it is refunded (1024.17(f)(2)(i) allows refunding a surplus under $50), due within 30 days.
    installments = _schedule(escrow="1.00")
    plan = _plan(_loan("32.00", payment="1.00"), [_item("Tax", "12.00", 2, date(2028, 6, 1))], installments)
    analysis = plan.analysis
    assert (analysis.surplus, analysis.action, analysis.spread_months, analysis.new_monthly_payment) == (
        D("30.00"),
        "refund",
        0,
        D("1.00"),
    )
    assert (plan.refund, plan.refund_due_by) == (D("30.00"), date(2028, 1, 1))
    assert plan.installments == []  # 1.00 before and after
    assert _escrows(installments, range(13, 25)) == [D("1.00")] * 12


def test_a_surplus_credited_records_no_spread_months():
    # Balance 1,081.00: surplus 31.00 credited, 2.58 x 11 and 2.62: 522.42 and 522.38.
    installments = _schedule()
    plan = _plan(_loan("1081.00"), _standard_items(), installments)
    assert (plan.analysis.action, plan.analysis.spread_months) == ("credit", 0)
    assert _escrows(installments, range(13, 25)) == [D("522.42")] * 11 + [D("522.38")]


def test_an_item_due_on_the_year_s_first_day_is_paid_out_of_that_year():
    # Insurance due 2028-01-01, the year's first day: period 1 pays it. From zero: 525.00 - 1,500.00 = -975.00 in
    # January, ... June 1,650.00 - 2,400.00 = -750.00, ... December 2,400.00 - 2,400.00 = 0: lowest -975.00,
    # target 1,050.00 + 975.00 = 2,025.00. The balance 2,025.00 is the target: balanced.
    plan = _plan(_loan("2025.00"), _standard_items(insurance_due=date(2028, 1, 1)), _schedule())
    analysis = plan.analysis
    assert (analysis.projected_disbursements, analysis.current_balance, analysis.target_balance) == (
        D("6300.00"),
        D("2025.00"),
        D("2025.00"),
    )
    assert analysis.kind == "balanced"
    assert analysis.disbursement_detail[-1] == [
        "2028-01-01",
        "1500.00",
        "Homeowner's insurance premium, payment 1 of 1",
    ]


def test_an_item_due_between_the_analysis_and_the_year_is_taken_from_the_starting_balance():
    # Insurance due 2027-12-15, after the analysis and before the year: the 2,550.00 balance will have paid it,
    # so the year starts with 2,550.00 - 1,500.00 = 1,050.00, the target: balanced. Its next payment (2028-12-15)
    # falls in the year, with December's tax: the same 6,300.00 year as the standard loan.
    plan = _plan(_loan("2550.00"), _standard_items(insurance_due=date(2027, 12, 15)), _schedule())
    analysis = plan.analysis
    assert (analysis.balance_on_analysis_date, analysis.current_balance) == (D("2550.00"), D("1050.00"))
    assert (analysis.projected_disbursements, analysis.target_balance, analysis.kind) == (
        D("6300.00"),
        D("1050.00"),
        "balanced",
    )
    assert [row[0] for row in analysis.disbursement_detail] == ["2028-06-01", "2028-12-01", "2028-12-15"]


def test_every_item_payment_due_before_the_year_is_taken_from_the_starting_balance():
    # Insurance 1,500.00 due 2027-12-15 and flood insurance 600.00 due 2027-12-20: 3,250.00 - 1,500.00 - 600.00
    # = 1,150.00 to start the year. The year then pays June's tax 2,400.00 and in December 2,400.00 + 1,500.00
    # + 600.00 = 4,500.00: 6,900.00, base 6,900.00 / 12 = 575.00, cushion 2 x 575.00 = 1,150.00. From zero:
    # 6 x 575.00 - 2,400.00 = 1,050.00 (June), + 6 x 575.00 = 4,500.00 - 4,500.00 = 0 (December): lowest 0, target
    # the cushion, 1,150.00: balanced.
    items = [
        *_standard_items(insurance_due=date(2027, 12, 15)),
        _item("Flood insurance", "600.00", 1, date(2027, 12, 20)),
    ]
    analysis = _plan(_loan("3250.00"), items, _schedule()).analysis
    assert (analysis.current_balance, analysis.projected_disbursements, analysis.target_balance) == (
        D("1150.00"),
        D("6900.00"),
        D("1150.00"),
    )
    assert (analysis.kind, analysis.base_monthly_payment, analysis.cushion) == ("balanced", D("575.00"), D("1150.00"))


def test_a_loan_maturing_before_the_year_starts_has_no_analysis():
    # Its last installment, #13 (2028-01-01), is due 30 days after the analysis, but #12 is the last one here.
    loan = _loan("1050.00")
    plan = _plan(loan, _standard_items(), _schedule(11, 12))
    assert plan.loan is loan
    assert (plan.analysis, plan.next_analysis_date, plan.installments, plan.refund) == (None, None, [], ZERO)


def test_the_installments_read_for_an_analysis_reach_past_its_whole_year():
    # Whatever the night, the computation year starts with the first installment due 30 days after it and holds
    # the 11 after that: the installments read (due before ``installments_until``) must include them all.
    # Mortgages fall due on the 1st: e.g. on 2029-01-31 the year starts 2029-04-01 and its last is 2030-03-01.
    dues = [add_months(FIRST_DUE, k) for k in range(80)]
    for night in (date(2027, 1, 1) + timedelta(days=n) for n in range(4 * 366)):
        start = next(due for due in dues if due >= night + timedelta(days=30))
        assert installments_until(night) > add_months(start, 11), night
