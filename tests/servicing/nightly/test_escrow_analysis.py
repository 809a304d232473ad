"""The annual escrow analysis in the nightly escrow step (Reg X 1024.17), hand-computed.

The loan (escrow_helpers): $6,300.00 of disbursements a year (tax 2,400.00 on June 1 and December 1, insurance
1,500.00 on December 1), so the base escrow payment is 6,300.00 / 12 = 525.00 and the cushion 2 months = 1,050.00.
Analysis date 2027-12-02; the first installment due 30 days later or after is #13, due 2028-01-01: the new
computation year is 2028-01-01 to 2028-12-31, with the same three disbursements. Projected from zero the balance
runs 525 x 5 = 2,625 -> +525 - 2,400 = 750 (June) -> ... -> 3,375 + 525 - 3,900 = 0 (December): lowest 0, so the
target starting balance is the cushion, 1,050.00.

The night of 2027-12-02 first pays the year's three disbursements (June's missed, so caught up), then analyses.
"""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.core.models import AuditEvent
from servicing.models import EscrowAnalysis, EscrowDisbursement, EscrowRefund, Installment, JournalEntry, LoanAccount
from servicing.services.nightly.steps.escrow import EscrowStep
from tests.servicing.nightly.escrow_helpers import (
    ZERO,
    D,
    escrow_received,
    escrowed_loan,
    installments_paid,
    ledger_clean,
    run,
)

pytestmark = pytest.mark.django_db
ANALYSIS = date(2027, 12, 2)
PAID_OUT = D("6300.00")  # the first year's disbursements, paid by the step before the analysis


def _analysed(balance, *, paid_through=12):
    """A loan whose escrow balance is ``balance`` on the analysis date, after the year's disbursements."""
    loan = escrowed_loan()
    installments_paid(loan, paid_through)
    escrow_received(loan, balance + PAID_OUT - loan.escrow_balance)
    assert run(ANALYSIS) == [loan.pk]
    loan.refresh_from_db()
    return loan, EscrowAnalysis.objects.get(loan=loan)


def _escrows(loan, numbers):
    rows = Installment.objects.filter(loan=loan, number__in=numbers).order_by("number")
    for row in rows:
        assert row.payment == row.principal + row.interest + row.escrow
    return [row.escrow for row in rows]


def _common(loan, analysis, new_payment):
    assert (analysis.analysis_date, analysis.run_on, analysis.year_start) == (ANALYSIS, ANALYSIS, date(2028, 1, 1))
    assert analysis.effective_installment.number == 13
    assert (analysis.projected_disbursements, analysis.cushion, analysis.target_balance) == (
        D("6300.00"),
        D("1050.00"),
        D("1050.00"),
    )
    assert (analysis.previous_monthly_payment, analysis.base_monthly_payment) == (D("525.00"), D("525.00"))
    assert analysis.new_monthly_payment == new_payment
    assert (loan.escrow_monthly_payment, loan.escrow_cushion) == (new_payment, D("1050.00"))
    assert loan.escrow_analysis_date == date(2028, 12, 2)  # 2029-01-01 less 30 days' notice
    assert _escrows(loan, range(1, 13)) == [D("525.00")] * 12  # the year already billed keeps its amounts
    # After the year: the estimate from boarding stands until the next analysis (2028-12-02) rewrites that year.
    assert _escrows(loan, [25, 26, 37]) == [D("525.00")] * 3
    event = AuditEvent.objects.get(verb="loan.escrow_analyzed", target_id=str(loan.pk))
    assert event.before["escrow_monthly_payment"] == "525.00"
    assert event.after["escrow_monthly_payment"] == str(new_payment)
    ledger_clean()


def test_a_surplus_of_50_or_more_is_refunded_with_its_entry():
    loan, analysis = _analysed(D("1150.00"))
    # 1,150.00 - 1,050.00 = 100.00 surplus >= 50.00: refunded now, due by 30 days after the analysis.
    assert (analysis.kind, analysis.action, analysis.surplus, analysis.shortage, analysis.deficiency) == (
        "surplus",
        "refund",
        D("100.00"),
        ZERO,
        ZERO,
    )
    refund = EscrowRefund.objects.get(analysis=analysis)
    assert (refund.amount, refund.paid_on, refund.due_by) == (D("100.00"), ANALYSIS, date(2028, 1, 1))
    entry = refund.journal_entry
    assert (entry.kind, entry.effective_date) == (JournalEntry.Kind.ESCROW_REFUND, ANALYSIS)
    assert [(line.account.code, line.debit, line.credit) for line in entry.lines.select_related("account")] == [
        ("escrow_liability", D("100.00"), ZERO),
        ("cash", ZERO, D("100.00")),
    ]
    assert loan.escrow_balance == D("1050.00")
    assert analysis.installments_updated == 0  # 525.00 before and after
    _common(loan, analysis, D("525.00"))
    assert AuditEvent.objects.filter(verb="escrow.refunded", target_id=str(refund.pk)).count() == 1


def test_a_surplus_under_50_is_credited_against_the_year():
    loan, analysis = _analysed(D("1081.00"))
    # 31.00 surplus < 50.00: credited over 12 payments, 31.00 / 12 = 2.583 -> 2.58 x 11 = 28.38, the 12th 2.62.
    # New payment 525.00 - 2.58 = 522.42; the year's 12th 525.00 - 2.62 = 522.38.
    assert (analysis.kind, analysis.action, analysis.surplus) == ("surplus", "credit", D("31.00"))
    assert not EscrowRefund.objects.exists()
    assert not JournalEntry.objects.filter(kind=JournalEntry.Kind.ESCROW_REFUND).exists()
    assert loan.escrow_balance == D("1081.00")
    assert _escrows(loan, range(13, 25)) == [D("522.42")] * 11 + [D("522.38")]
    assert analysis.installments_updated == 12
    _common(loan, analysis, D("522.42"))


def test_a_shortage_under_one_month_is_spread_over_12_months():
    loan, analysis = _analysed(D("1000.00"))
    # 1,050.00 - 1,000.00 = 50.00 shortage (< 525.00): spread over 12, 4.16 x 11 = 45.76 and 4.24.
    # New payment 525.00 + 4.16 = 529.16; the 12th 525.00 + 4.24 = 529.24.
    assert (analysis.kind, analysis.action, analysis.spread_months, analysis.shortage) == (
        "shortage",
        "spread_12",
        12,
        D("50.00"),
    )
    assert _escrows(loan, range(13, 25)) == [D("529.16")] * 11 + [D("529.24")]
    _common(loan, analysis, D("529.16"))


def test_a_deficiency_and_its_shortage_are_spread_over_12_months():
    loan, analysis = _analysed(D("-200.00"))
    # A negative balance: deficiency 200.00, and the shortage is the whole target, 1,050.00 - 0 = 1,050.00.
    # Shortage 1,050.00 / 12 = 87.50 each; deficiency 200.00 / 12 = 16.66 x 11 = 183.26 and 16.74.
    # New payment 525.00 + 87.50 + 16.66 = 629.16; the 12th 525.00 + 87.50 + 16.74 = 629.24.
    assert (analysis.kind, analysis.action, analysis.deficiency, analysis.shortage) == (
        "deficiency",
        "spread_12",
        D("200.00"),
        D("1050.00"),
    )
    assert analysis.balance_on_analysis_date == analysis.current_balance == D("-200.00")
    assert _escrows(loan, range(13, 25)) == [D("629.16")] * 11 + [D("629.24")]
    assert loan.escrow_balance == D("-200.00")
    _common(loan, analysis, D("629.16"))


def test_the_last_payment_before_the_year_counts_as_coming_in():
    # Installment #12 (due 2027-12-01, one day ago) not yet paid: its 525.00 of escrow is expected before the year
    # starts, so the year starts at 625.00 + 525.00 = 1,150.00: a 100.00 surplus, refunded.
    loan, analysis = _analysed(D("625.00"), paid_through=11)
    assert (analysis.balance_on_analysis_date, analysis.current_balance) == (D("625.00"), D("1150.00"))
    assert (analysis.action, EscrowRefund.objects.get().amount) == ("refund", D("100.00"))
    assert loan.escrow_balance == D("525.00")
    ledger_clean()


def test_a_borrower_not_current_keeps_the_surplus_in_escrow():
    # Installment #10 (due 2027-10-01) more than 30 days unpaid: the 100.00 surplus is retained (1024.17(f)(2)(ii)).
    loan = escrowed_loan()
    installments_paid(loan, 12)
    Installment.objects.filter(loan=loan, number=10).update(paid_escrow=ZERO, paid_on=None)
    escrow_received(loan, D("1150.00") + PAID_OUT - loan.escrow_balance)
    run(ANALYSIS)
    analysis = EscrowAnalysis.objects.get(loan=loan)
    assert (analysis.kind, analysis.action, analysis.surplus) == ("surplus", "retained", D("100.00"))
    assert not EscrowRefund.objects.exists()
    ledger_clean()


def test_a_rerun_writes_no_second_analysis():
    loan, _analysis = _analysed(D("1150.00"))
    counts = (EscrowAnalysis.objects.count(), EscrowRefund.objects.count(), JournalEntry.objects.count())
    assert run(ANALYSIS) == []
    assert EscrowStep().run_chunk(ANALYSIS, [loan.pk], None).done == 1  # called directly: the date has moved on
    assert (EscrowAnalysis.objects.count(), EscrowRefund.objects.count(), JournalEntry.objects.count()) == counts
    loan.refresh_from_db()
    assert (loan.escrow_balance, loan.escrow_analysis_date) == (D("1050.00"), date(2028, 12, 2))


def test_installments_already_paid_on_keep_their_escrow():
    loan = escrowed_loan()
    installments_paid(loan, 13)  # #13 paid ahead
    escrow_received(loan, D("1000.00") + PAID_OUT - loan.escrow_balance)
    run(ANALYSIS)
    # Shortage 50.00 as above: #13 keeps 525.00; #14-#23 take 529.16 and #24 529.24 (the spread's 12th part).
    assert _escrows(loan, [13, 14, 23, 24, 25]) == [D("525.00"), D("529.16"), D("529.16"), D("529.24"), D("525.00")]
    assert EscrowAnalysis.objects.get(loan=loan).installments_updated == 11
    ledger_clean()


def test_an_analysis_failing_on_one_loan_leaves_the_others_done():
    good, bad = escrowed_loan(), escrowed_loan()
    installments_paid(good, 12)
    installments_paid(bad, 12)
    escrow_received(good, D("1150.00") + PAID_OUT - good.escrow_balance)
    # bad: nothing received, 1,050.00 - 6,300.00 = -5,250.00 (shortage 1,050.00 >= one month's 525.00), and only
    # 5 installments after the notice: Reg X allows no spread of a month or more over fewer than 12 months.
    Installment.objects.filter(loan=bad, number__gt=17).delete()
    step = EscrowStep()
    ids = list(step.pending_loan_ids(ANALYSIS))
    assert ids == [good.pk, bad.pk]
    result = step.run_chunk(ANALYSIS, ids, None)
    assert result.done == 1
    assert [error.loan_id for error in result.errors] == [bad.pk]
    assert "shortage_months" in result.errors[0].message
    assert EscrowAnalysis.objects.get().loan_id == good.pk
    # Nothing of the bad loan stays written (its disbursements roll back with it): it is still pending.
    assert not bad.escrow_disbursements.exists()
    assert list(step.pending_loan_ids(ANALYSIS)) == [bad.pk]
    ledger_clean()


def _night_queries(loans):
    step = EscrowStep()
    ids = list(step.pending_loan_ids(ANALYSIS))
    assert ids == [loan.pk for loan in loans]
    with CaptureQueriesContext(connection) as captured:
        result = step.run_chunk(ANALYSIS, ids, None)
    assert (result.done, result.errors) == (len(loans), [])
    return len(captured)


def _surplus_loan():
    loan = escrowed_loan()
    installments_paid(loan, 12)
    escrow_received(loan, D("1150.00") + PAID_OUT - loan.escrow_balance)
    return loan


def test_an_analysis_night_costs_the_same_queries_for_one_loan_as_for_three():
    ContentType.objects.get_for_models(EscrowDisbursement, EscrowRefund, JournalEntry, LoanAccount)
    one = _night_queries([_surplus_loan()])
    assert _night_queries([_surplus_loan() for _ in range(3)]) == one
    assert EscrowRefund.objects.count() == 4  # each 100.00
    ledger_clean()
