"""The periodic statement (Reg Z 12 CFR 1026.41(d)): every item, with figures computed by hand, read back from
the PDF's text; the delinquency block from the 46th day late, not on the 44th."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from servicing.models import Installment, LoanAccount
from servicing.selectors.statements import statement_figures
from servicing.services import payments
from servicing.services.nightly.steps.late_fees import LateFeesStep
from servicing.services.payments import payment_post
from servicing.services.statements import statement_pdf
from tests.servicing.factories import boarded_loan
from tests.servicing.html import shows_money
from tests.servicing.nightly.escrow_helpers import run as escrow_run

pytestmark = pytest.mark.django_db
D = Decimal

# The factory's mortgage: 300,000.00 at 6.5 % (30/360) over 360 months, first payment 2027-01-01, escrow $525.00 a
# month (initial deposit $1,050.00), property tax $2,400.00 due 2027-06-01, 5 % late fee after 15 days' grace.
# Installment 1 carries the odd first period's interest. The schedule (interest = balance x 6.5 / 1200, rounded):
#   #1 Jan 1  P 271.20  I 2,600.06  balance 299,728.80
#   #2 Feb 1  P 272.67  I 1,623.53  (299,728.80 x .065 / 12 = 1,623.531)  balance 299,456.13
#   #3 Mar 1  P 274.15  I 1,622.05  (1,622.054)  balance 299,181.98
#   #4 Apr 1  P 275.63  I 1,620.57  (1,620.569)  balance 298,906.35
#   #5 May 1  P 277.12  I 1,619.08  (1,619.076)  balance 298,629.23
#   #6 Jun 1  P 278.63  I 1,617.57  (1,617.57499)  balance 298,350.60
#   #7 Jul 1  P 280.13  I 1,616.07  (298,350.60 x .065 / 12 = 1,616.066)
SCHEDULE = {
    1: (D("271.20"), D("2600.06")),
    5: (D("277.12"), D("1619.08")),
    6: (D("278.63"), D("1617.57")),
    7: (D("280.13"), D("1616.07")),
}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 12, 31))


def _pay(loan: LoanAccount, amount: Decimal, when: date) -> None:
    key = f"stmt-{loan.pk}-{when}-{amount}"
    payment_post(
        loan=loan, amount=amount, effective_date=when, method="check", reference=key, idempotency_key=key, actor=None
    )


def _text(loan: LoanAccount, business_date: date, **kwargs) -> str:
    figures = statement_figures(business_date=business_date, loan_ids=[loan.pk], **kwargs)[0]
    reader = PdfReader(io.BytesIO(statement_pdf(figures)))
    assert len(reader.pages) == 1  # one page, delinquency block or not
    return " ".join(reader.pages[0].extract_text().split())  # lines wrap where the layout says: compare words


@pytest.fixture
def history_loan() -> LoanAccount:
    """Installments 1-4 paid on their due dates; May's paid late on May 20 with its late fee (charged May 17);
    the June property tax paid from escrow on June 1; $1,000.00 of June's payment sent on June 5 (a partial
    payment, held in suspense)."""
    loan = boarded_loan()
    for number, (principal, interest) in SCHEDULE.items():
        installment = Installment.objects.get(loan=loan, number=number)
        assert (installment.principal, installment.interest) == (principal, interest)
    for number in (1, 2, 3, 4):
        installment = Installment.objects.get(loan=loan, number=number)
        _pay(loan, installment.payment, installment.due_date)  # 3,396.26, then 2,421.20 each
    late = LateFeesStep()
    assert late.run_chunk(date(2027, 5, 17), list(late.pending_loan_ids(date(2027, 5, 17))), None).done == 1
    _pay(loan, D("2516.01"), date(2027, 5, 20))  # 2,421.20 for May + the 94.81 late fee
    assert escrow_run(date(2027, 6, 1)) == [loan.pk]  # property tax 2,400.00
    _pay(loan, D("1000.00"), date(2027, 6, 5))  # under a periodic payment: held in suspense
    # As billing leaves it after billing June 1: the next installment to bill is July's.
    LoanAccount.objects.filter(pk=loan.pk).update(next_bill_date=date(2027, 7, 1))
    loan.refresh_from_db()
    assert (loan.suspense_balance, loan.fees_due, loan.escrow_balance) == (D("1000.00"), D("0.00"), D("1275.00"))
    return loan


def test_the_statement_shows_every_1026_41_d_item_with_its_figures(history_loan):
    # Made at the close of Jun 16, 2027: July's due date less 15 days. A first statement: its activity runs from
    # a month back, May 17 through June 16.
    text = _text(history_loan, date(2027, 6, 16))
    expected = [
        # (d)(1) amount due: July's 1,896.20 + 525.00 = 2,421.20, plus June's 2,421.20 past due = 4,842.40; the
        # late fee 5 % x 1,896.20 = 94.81 from Jul 17 (due Jul 1 + 15 days' grace + 1).
        "Payment due date: Jul 1, 2027",
        "Amount due: $4,842.40",
        "If payment is received after Jul 16, 2027, a $94.81 late fee will be charged on Jul 17, 2027.",
        # (d)(2) explanation of the amount due.
        "Principal $280.13",
        "Interest $1,616.07",
        "Escrow (taxes and insurance) $525.00",
        "Regular monthly payment $2,421.20",
        "Fees and charges due $0.00",
        "Past due amount $2,421.20",
        "Total amount due $4,842.40",
        "Fees and charges since your last statement: $94.81",
        # (d)(3) past payments. Since the last statement (May 17 - Jun 16): May 20's 2,516.01 = P 277.12 +
        # I 1,619.08 + E 525.00 + the late fee 94.81, and Jun 5's 1,000.00 held = 3,516.01.
        # Year to date: principal 271.20 + 272.67 + 274.15 + 275.63 + 277.12 = 1,370.77; interest 2,600.06 +
        # 1,623.53 + 1,622.05 + 1,620.57 + 1,619.08 = 9,085.29; escrow 5 x 525.00 = 2,625.00; fees 94.81;
        # suspense 1,000.00; total 3,396.26 + 3 x 2,421.20 + 2,516.01 + 1,000.00 = 14,175.87.
        "Paid since your last statement Principal $277.12 Interest $1,619.08 Escrow (taxes and insurance) $525.00 "
        "Fees and charges $94.81 Partial payments held (unapplied) $1,000.00 Total $3,516.01",
        "Paid year to date Principal $1,370.77 Interest $9,085.29 Escrow (taxes and insurance) $2,625.00 "
        "Fees and charges $94.81 Partial payments held (unapplied) $1,000.00 Total $14,175.87",
        # (d)(4) transaction activity since the last statement.
        "Transaction activity (May 17, 2027 to Jun 16, 2027)",
        "05/17/2027 Late fee charged $94.81",
        "05/20/2027 Payment received (Check) $2,516.01",
        "06/01/2027 Escrow disbursement: Property tax -$2,400.00",
        "06/05/2027 Payment received (Check) $1,000.00",
        # (d)(5) partial payment: 1,000.00 held; June's 2,421.20 less it leaves 1,421.20 to send.
        "Unapplied funds: $1,000.00. Partial payments are not applied to your mortgage; they are held in a separate "
        "suspense account. If you pay the balance of a partial payment ($1,421.20 more), the funds will be applied "
        "to your mortgage.",
        # (d)(6) contact information (settings).
        "Customer service (toll-free): 1-800-555-0100",
        "Mail payments to: Lending Mortgage Company, Payment Processing, PO Box 1000, Springfield, IL 62705",
        # (d)(7) account information: 300,000.00 less principal paid 1,370.77 = 298,629.23; escrow 1,050.00 +
        # 5 x 525.00 - 2,400.00 = 1,275.00.
        "Outstanding principal $298,629.23",
        "Interest rate 6.5%",
        "Date after which your rate may change: none (fixed rate).",
        "Prepayment penalty No",
        "Escrow balance $1,275.00",
        "HUD-approved housing counselors are listed at https://www.hud.gov/counseling; or call HUD at 1-800-569-4287.",
        # The coupon: amount due, and with the late fee 4,842.40 + 94.81 = 4,937.21.
        f"Account number {history_loan.loan_number}",
        "Payment due date 07/01/2027 Amount due $4,842.40 If received after 07/16/2027 $4,937.21",
    ]
    missing = [line for line in expected if not shows_money(text, line)]
    assert missing == [], text
    # 15 days late on Jun 16 (June 1's payment): no delinquency block.
    assert "Delinquency notice" not in text


def test_the_statement_row_keeps_the_figures(history_loan):
    figures = statement_figures(business_date=date(2027, 6, 16), loan_ids=[history_loan.pk])[0]
    assert (figures.amount_due, figures.past_due, figures.late_fee, figures.late_fee_date) == (
        D("4842.40"),
        D("2421.20"),
        D("94.81"),
        date(2027, 7, 17),
    )
    assert (figures.suspense, figures.suspense_shortfall, figures.days_past_due) == (D("1000.00"), D("1421.20"), 15)


def _late_loan(next_bill: date) -> LoanAccount:
    """Nothing paid: January's 3,396.26 and February's 2,421.20 unpaid; the next installment to bill is March's."""
    loan = boarded_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(next_bill_date=next_bill)
    return loan


def test_46_days_late_carries_the_delinquency_block():
    loan = _late_loan(date(2027, 3, 1))
    # Feb 16, 2027 is 46 days after Jan 1.
    text = _text(loan, date(2027, 2, 16))
    expected = [
        "Delinquency notice",
        "As of Feb 16, 2027 you are 46 days delinquent on your mortgage loan, since Jan 1, 2027.",
        "Failure to bring your loan current may result in fees and foreclosure",
        # Six months' history: the installments due Aug 17, 2026 - Feb 16, 2027 (January's and February's).
        "Jan 1, 2027 $3,396.26 $0.00 $0.00 $0.00 Unpaid balance $3,396.26",
        "Feb 1, 2027 $2,421.20 $0.00 $0.00 $0.00 Unpaid balance $2,421.20",
        # 3,396.26 + 2,421.20 = 5,817.46 past due, no fees charged.
        "Total to bring your loan current: $5,817.46.",
        "you have not agreed to a loss mitigation program",
        "we have not made the first notice or filing required to start a foreclosure",
        "HUD-approved housing counselors",
    ]
    missing = [line for line in expected if not shows_money(text, line)]
    assert missing == [], text


def test_44_days_late_does_not():
    loan = _late_loan(date(2027, 3, 1))
    text = _text(loan, date(2027, 2, 14))  # 44 days after Jan 1
    assert shows_money(text, "Past due amount $5,817.46")
    assert "Delinquency notice" not in text
    assert "bring your loan current" not in text


def test_a_history_month_paid_in_full_shows_the_day_it_was_paid():
    loan = _late_loan(date(2027, 4, 1))
    first = Installment.objects.get(loan=loan, number=1)
    _pay(loan, first.payment, date(2027, 1, 5))
    # February's and March's unpaid: 48 days late on Mar 21, 2027 (Feb 1 + 48).
    text = _text(loan, date(2027, 3, 21))
    assert shows_money(text, "Jan 1, 2027 $3,396.26 $271.20 $2,600.06 $525.00 Fully paid on Jan 5, 2027")
    assert "48 days delinquent on your mortgage loan, since Feb 1, 2027" in text


def test_a_payment_made_ahead_leaves_nothing_due_and_no_late_fee():
    loan = _late_loan(date(2027, 1, 1))  # January's installment not billed yet
    first = Installment.objects.get(loan=loan, number=1)
    _pay(loan, first.payment, date(2026, 12, 10))  # 3,396.26, before its statement
    text = _text(loan, date(2026, 12, 17))
    assert shows_money(text, "Payment due date: Jan 1, 2027 Amount due: $0.00")
    assert "This payment has been received: nothing more is due on Jan 1, 2027." in text
    assert "late fee" not in text
    paid = "Paid since your last statement Principal $271.20 Interest $2,600.06 Escrow (taxes and insurance) $525.00"
    assert paid in text


def test_the_delinquency_block_states_the_plan_and_the_foreclosure_referral(monkeypatch):
    # 1026.41(d)(8)(iv)-(v): the loss mitigation program the borrower agreed to, and whether the first notice or
    # filing for foreclosure has been made. Jan 1 and Feb 1 unpaid; on Feb 16 the next two installments (Mar 1,
    # Apr 1) are suspended by a forbearance, and the loan was referred to an attorney on Feb 10 (a row as the
    # referral service leaves it: its 120-day rule is that service's own test).
    from lending.core import roles
    from servicing.models import ForeclosureReferral
    from servicing.services import plans
    from tests.core.factories import user_with_role

    loan = _late_loan(date(2027, 3, 1))
    monkeypatch.setattr(plans, "_today", lambda: date(2027, 2, 16))
    collector = user_with_role(roles.COLLECTOR)
    plans.forbearance_create(actor=collector, loan=loan, months=2, reduced_payment=D("0"))
    ForeclosureReferral.objects.create(
        loan=loan, referred_on=date(2027, 2, 10), attorney="Doe & Roe LLP", referred_by=collector, days_past_due=40
    )
    text = _text(loan, date(2027, 2, 16))
    assert shows_money(
        text,
        "Loss mitigation: you are in a loss mitigation program: reduced payment (forbearance) $0.00 due Mar 1, 2027.",
    )
    assert (
        "Foreclosure: we referred your loan to a foreclosure attorney on Feb 10, 2027 to make the first notice or "
        "filing required to start a foreclosure." in text
    )
    assert "you have not agreed to a loss mitigation program" not in text
