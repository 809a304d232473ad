"""The nightly escrow step, the rules test_escrow_step_rules left open: the payee on each disbursement, payments of
several items made in due date order across the items (so the advance falls on the latest), a payment due the day
after the night left for the next night, a loan past its last analysis still paid, an analysis moving the cushion
with a new premium, a loan whose items are all gone refunded its whole balance, and a statement task that cannot be
enqueued not failing the committed night.

See escrow_helpers for the loan: tax $4,800.00 in two payments from 2027-06-01, insurance $1,500.00 on
2027-12-01, $525.00 a month, cushion $1,050.00, analysis 2027-12-02 (year 2028-01-01 to 2028-12-31).
"""

from datetime import date

import pytest

from lending.core.models import AuditEvent
from servicing import tasks
from servicing.models import (
    EscrowAnalysis,
    EscrowDisbursement,
    EscrowItem,
    EscrowRefund,
    Installment,
    JournalEntry,
    LoanAccount,
)
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
JUNE, ANALYSIS = date(2027, 6, 1), date(2027, 12, 2)


def _escrows(loan, numbers):
    rows = Installment.objects.filter(loan=loan, number__in=numbers).order_by("number")
    return [(row.escrow, row.payment - row.principal - row.interest) for row in rows]


def test_each_disbursement_is_paid_to_the_item_s_payee():
    loan = escrowed_loan()
    EscrowItem.objects.filter(loan=loan, kind=EscrowItem.Kind.PROPERTY_TAX).update(payee="Travis County Tax Office")
    run(JUNE)
    row = EscrowDisbursement.objects.get(loan=loan)
    assert (row.payee, row.amount) == ("Travis County Tax Office", D("2400.00"))


def test_a_night_pays_several_items_in_due_date_order_across_the_items_so_the_advance_falls_on_the_latest():
    # A monthly water bill (12,000.00 a year: 1,000.00 each, last paid in September) and a flood premium of 500.00
    # due 2027-11-01, both missed until 2027-12-01. Balance 1,050.00 + 1,500.00 = 2,550.00, paid in due date order:
    # water Oct 1,000.00 -> 1,550.00; water Nov 1,000.00 -> 550.00; flood Nov 500.00 -> 50.00; water Dec 1,000.00:
    # 50.00 covered, 950.00 advanced -> -950.00. (Item by item, the water's December would take the advance.)
    loan = escrowed_loan()
    EscrowItem.objects.filter(loan=loan).delete()
    water = EscrowItem.objects.create(
        loan=loan,
        kind=EscrowItem.Kind.OTHER,
        description="Water district",
        annual_amount=D("12000.00"),
        payments_per_year=12,
        next_due_date=date(2027, 10, 1),
        next_payment_number=10,
    )
    flood = EscrowItem.objects.create(
        loan=loan,
        kind=EscrowItem.Kind.FLOOD_INSURANCE,
        description="Flood insurance premium",
        annual_amount=D("500.00"),
        payments_per_year=1,
        next_due_date=date(2027, 11, 1),
        next_payment_number=1,
    )
    escrow_received(loan, D("1500.00"))
    run(date(2027, 12, 1))
    rows = EscrowDisbursement.objects.filter(loan=loan).order_by("id")
    assert [(r.item_id, r.due_date, r.payment_number, r.amount, r.advanced) for r in rows] == [
        (water.pk, date(2027, 10, 1), 10, D("1000.00"), ZERO),
        (water.pk, date(2027, 11, 1), 11, D("1000.00"), ZERO),
        (flood.pk, date(2027, 11, 1), 1, D("500.00"), ZERO),
        (water.pk, date(2027, 12, 1), 12, D("1000.00"), D("950.00")),
    ]
    assert JournalEntry.objects.get(kind=JournalEntry.Kind.ESCROW_DISBURSEMENT).memo == (
        "Escrow disbursement: Water district due 2027-10-01; Water district due 2027-11-01; "
        "Flood insurance premium due 2027-11-01; Water district due 2027-12-01"
    )
    loan.refresh_from_db()
    assert loan.escrow_balance == D("-950.00")
    water.refresh_from_db()
    flood.refresh_from_db()
    assert (water.next_due_date, water.next_payment_number) == (date(2028, 1, 1), 1)
    assert (flood.next_due_date, flood.next_payment_number) == (date(2028, 11, 1), 1)
    ledger_clean()


def test_a_payment_due_the_day_after_the_night_is_left_for_the_next_night():
    # A monthly bill of 1,200.00 a year (100.00 each) due on the 2nd, May's missed: the night of 2027-06-01 pays
    # May's; June's, due 2027-06-02, is the next night's.
    loan = escrowed_loan()
    EscrowItem.objects.filter(loan=loan).delete()
    item = EscrowItem.objects.create(
        loan=loan,
        kind=EscrowItem.Kind.OTHER,
        description="Water district",
        annual_amount=D("1200.00"),
        payments_per_year=12,
        next_due_date=date(2027, 5, 2),
        next_payment_number=5,
    )
    run(JUNE)
    rows = EscrowDisbursement.objects.filter(loan=loan)
    assert [(r.due_date, r.payment_number, r.amount, r.paid_on) for r in rows] == [
        (date(2027, 5, 2), 5, D("100.00"), JUNE)
    ]
    item.refresh_from_db()
    assert (item.next_due_date, item.next_payment_number) == (date(2027, 6, 2), 6)
    run(date(2027, 6, 2))
    assert list(EscrowDisbursement.objects.filter(loan=loan).values_list("due_date", "paid_on")) == [
        (date(2027, 5, 2), JUNE),
        (date(2027, 6, 2), date(2027, 6, 2)),
    ]


def test_a_loan_past_its_last_analysis_still_has_its_items_paid():
    # No analysis date (the loan matures before another computation year): its items due are still paid.
    loan = escrowed_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(escrow_analysis_date=None)
    assert run(JUNE) == [loan.pk]
    row = EscrowDisbursement.objects.get(loan=loan)
    assert (row.due_date, row.amount, row.advanced) == (JUNE, D("2400.00"), D("1350.00"))
    assert not EscrowAnalysis.objects.exists()
    assert not AuditEvent.objects.filter(verb="loan.escrow_analyzed").exists()
    loan.refresh_from_db()
    assert (loan.escrow_balance, loan.escrow_analysis_date) == (D("-1350.00"), None)


def test_a_higher_premium_raises_the_payment_and_the_cushion_written_on_the_loan():
    # The insurance premium rises from 1,500.00 to 2,100.00: the year pays out 2,400.00 + 2,400.00 + 2,100.00 =
    # 6,900.00, base 6,900.00 / 12 = 575.00, cushion 2 months = 1,150.00. Projected from zero: 5 x 575.00 =
    # 2,875.00, June +575.00 - 2,400.00 = 1,050.00, ..., December 3,925.00 + 575.00 - 4,500.00 = 0: the target is
    # the cushion, 1,150.00. The balance after the night's 6,900.00 is exactly that: balanced, nothing to settle.
    loan = escrowed_loan()
    installments_paid(loan, 12)
    EscrowItem.objects.filter(loan=loan, kind=EscrowItem.Kind.HAZARD_INSURANCE).update(annual_amount=D("2100.00"))
    escrow_received(loan, D("1150.00") + D("6900.00") - loan.escrow_balance)
    run(ANALYSIS)
    analysis = EscrowAnalysis.objects.get(loan=loan)
    assert (analysis.kind, analysis.action, analysis.current_balance, analysis.target_balance) == (
        "balanced",
        "none",
        D("1150.00"),
        D("1150.00"),
    )
    assert (analysis.cushion, analysis.new_monthly_payment, analysis.installments_updated) == (
        D("1150.00"),
        D("575.00"),
        12,
    )
    loan.refresh_from_db()
    assert (loan.escrow_monthly_payment, loan.escrow_cushion, loan.escrow_analysis_date) == (
        D("575.00"),
        D("1150.00"),
        date(2028, 12, 2),
    )
    assert _escrows(loan, [12, 13, 24, 25]) == [
        (D("525.00"), D("525.00")),
        (D("575.00"), D("575.00")),
        (D("575.00"), D("575.00")),
        (D("525.00"), D("525.00")),
    ]
    event = AuditEvent.objects.get(verb="loan.escrow_analyzed")
    assert (event.before["escrow_cushion"], event.after["escrow_cushion"]) == ("1050.00", "1150.00")
    assert not EscrowRefund.objects.exists()
    ledger_clean()


def test_a_loan_whose_items_are_all_gone_is_refunded_its_whole_balance_and_escrows_nothing():
    # Tax and insurance no longer escrowed: no disbursement in the year, so no cushion and a target of 0.00; the
    # balance of 1,050.00 is all surplus, refunded by 2028-01-01, and the year's escrow payments are 0.00.
    loan = escrowed_loan()
    installments_paid(loan, 12)
    EscrowItem.objects.filter(loan=loan).delete()
    assert run(ANALYSIS) == [loan.pk]
    analysis = EscrowAnalysis.objects.get(loan=loan)
    assert (analysis.kind, analysis.action, analysis.surplus, analysis.projected_disbursements) == (
        "surplus",
        "refund",
        D("1050.00"),
        ZERO,
    )
    assert analysis.disbursement_detail == []
    refund = EscrowRefund.objects.get(loan=loan)
    assert (refund.amount, refund.due_by, refund.paid_on) == (D("1050.00"), date(2028, 1, 1), ANALYSIS)
    loan.refresh_from_db()
    assert (loan.escrow_balance, loan.escrow_monthly_payment, loan.escrow_cushion) == (ZERO, ZERO, ZERO)
    assert _escrows(loan, [13, 24]) == [(ZERO, ZERO), (ZERO, ZERO)]
    assert not EscrowDisbursement.objects.exists()
    ledger_clean()


def test_a_statement_task_that_cannot_be_enqueued_does_not_fail_the_committed_night(
    monkeypatch, django_capture_on_commit_callbacks
):
    # A refund night (the payment stays 525.00: no change notice). The broker is down when the chunk commits: the
    # failure is logged, and the night's analysis, refund and new analysis date stay written.
    loan = escrowed_loan()
    installments_paid(loan, 12)
    escrow_received(loan, D("1150.00") + D("6300.00") - loan.escrow_balance)

    def broker_down(*args):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.escrow_annual_statements, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run(ANALYSIS)
    assert len(callbacks) == 1
    assert EscrowAnalysis.objects.get(loan=loan).action == "refund"
    assert EscrowRefund.objects.get(loan=loan).amount == D("100.00")
    loan.refresh_from_db()
    assert (loan.escrow_balance, loan.escrow_analysis_date) == (D("1050.00"), date(2028, 12, 2))
