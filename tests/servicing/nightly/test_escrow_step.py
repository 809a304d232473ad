"""The nightly escrow step's disbursements: items due by D are paid to their payees (Dr escrow liability / Cr cash),
with an advance when the balance is short, once per item and due date; next_due_date moves on. See
escrow_helpers for the loan (tax $4,800.00 in two payments from 2027-06-01, insurance $1,500.00 on 2027-12-01)."""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.core.models import AuditEvent
from servicing.models import EscrowDisbursement, EscrowItem, JournalEntry, JournalLine, LoanAccount
from servicing.services.nightly.steps.escrow import EscrowStep
from tests.servicing.factories import boarded_loan
from tests.servicing.nightly.escrow_helpers import ZERO, D, escrow_received, escrowed_loan, ledger_clean, run

pytestmark = pytest.mark.django_db
JUNE, DECEMBER = date(2027, 6, 1), date(2027, 12, 1)


def _items(loan):
    tax = EscrowItem.objects.get(loan=loan, kind=EscrowItem.Kind.PROPERTY_TAX)
    insurance = EscrowItem.objects.get(loan=loan, kind=EscrowItem.Kind.HAZARD_INSURANCE)
    return tax, insurance


def _lines(entry):
    return [(line.account.code, line.debit, line.credit) for line in entry.lines.select_related("account")]


def test_nothing_is_pending_before_an_item_is_due():
    escrowed_loan()
    assert list(EscrowStep().pending_loan_ids(date(2027, 5, 31))) == []


def test_a_disbursement_with_enough_balance_pays_the_payee_and_advances_nothing():
    loan = escrowed_loan()
    escrow_received(loan, D("1950.00"))  # balance 1,050.00 + 1,950.00 = 3,000.00
    tax, _ = _items(loan)
    assert run(JUNE) == [loan.pk]
    row = EscrowDisbursement.objects.get(loan=loan)
    # Payment 1 of 2 of 4,800.00: 2,400.00; the balance 3,000.00 covers it: 600.00 left, nothing advanced.
    assert (row.item_id, row.due_date, row.paid_on, row.payment_number, row.amount, row.advanced) == (
        tax.pk,
        JUNE,
        JUNE,
        1,
        D("2400.00"),
        ZERO,
    )
    assert row.journal_entry.kind == JournalEntry.Kind.ESCROW_DISBURSEMENT
    assert row.journal_entry.effective_date == JUNE
    assert _lines(row.journal_entry) == [("escrow_liability", D("2400.00"), ZERO), ("cash", ZERO, D("2400.00"))]
    loan.refresh_from_db()
    assert loan.escrow_balance == D("600.00")
    tax.refresh_from_db()
    assert (tax.next_due_date, tax.next_payment_number) == (DECEMBER, 2)  # six months on, payment 2 of 2
    event = AuditEvent.objects.get(verb="escrow.disbursed")
    assert event.target_id == str(row.journal_entry_id)
    assert event.after["lines"] == [["escrow_liability", "2400.00", "0.00"], ["cash", "0.00", "2400.00"]]
    assert [(d["id"], d["amount"], d["advanced"], d["item_next_due_date"]) for d in event.after["disbursements"]] == [
        (row.pk, "2400.00", "0.00", "2027-12-01")
    ]
    ledger_clean()


def test_a_short_balance_is_advanced_and_goes_negative():
    loan = escrowed_loan()  # balance 1,050.00 (the initial deposit only)
    run(JUNE)
    row = EscrowDisbursement.objects.get(loan=loan)
    # 2,400.00 due, 1,050.00 in escrow: 1,350.00 advanced; the balance is -1,350.00.
    assert (row.amount, row.advanced) == (D("2400.00"), D("1350.00"))
    loan.refresh_from_db()
    assert loan.escrow_balance == D("-1350.00")
    ledger_clean()


def test_two_items_due_the_same_day_and_the_rounding_remainder_on_the_last_payment_of_the_year():
    loan = escrowed_loan()
    tax, insurance = _items(loan)
    EscrowItem.objects.filter(pk=tax.pk).update(annual_amount=D("4800.01"))  # a new tax bill with an odd cent
    escrow_received(loan, D("5000.00"))  # 6,050.00
    run(JUNE)  # payment 1 of 2: 4,800.01 / 2 rounded down = 2,400.00 -> 3,650.00
    run(DECEMBER)
    rows = list(EscrowDisbursement.objects.filter(loan=loan, due_date=DECEMBER).order_by("id"))
    # Same day, item order: tax payment 2 carries the remainder, 4,800.01 - 2,400.00 = 2,400.01 -> 1,249.99 left;
    # then insurance 1,500.00: 1,249.99 covered, 250.01 advanced -> -250.01.
    assert [(r.item_id, r.payment_number, r.amount, r.advanced) for r in rows] == [
        (tax.pk, 2, D("2400.01"), ZERO),
        (insurance.pk, 1, D("1500.00"), D("250.01")),
    ]
    # One entry for the loan's night: 2,400.01 + 1,500.00 = 3,900.01.
    assert rows[0].journal_entry_id == rows[1].journal_entry_id
    assert _lines(rows[0].journal_entry) == [("escrow_liability", D("3900.01"), ZERO), ("cash", ZERO, D("3900.01"))]
    loan.refresh_from_db()
    assert loan.escrow_balance == D("-250.01")
    tax.refresh_from_db()
    insurance.refresh_from_db()
    assert (tax.next_due_date, tax.next_payment_number) == (date(2028, 6, 1), 1)
    assert (insurance.next_due_date, insurance.next_payment_number) == (date(2028, 12, 1), 1)
    ledger_clean()


def test_a_missed_night_is_caught_up_in_due_date_order():
    loan = escrowed_loan()
    escrow_received(loan, D("3000.00"))  # 4,050.00
    run(date(2027, 12, 1))  # June's payment was never made: June, then December's two
    rows = list(EscrowDisbursement.objects.filter(loan=loan).order_by("due_date", "id"))
    # 4,050.00 - 2,400.00 (June) = 1,650.00 - 2,400.00 (Dec tax: 750.00 advanced) = -750.00 - 1,500.00 (all advanced)
    assert [(r.due_date, r.amount, r.advanced) for r in rows] == [
        (JUNE, D("2400.00"), ZERO),
        (DECEMBER, D("2400.00"), D("750.00")),
        (DECEMBER, D("1500.00"), D("1500.00")),
    ]
    assert all(r.paid_on == DECEMBER for r in rows)
    loan.refresh_from_db()
    assert loan.escrow_balance == D("-2250.00")
    ledger_clean()


def test_a_rerun_pays_nothing_twice():
    loan = escrowed_loan()
    run(JUNE)
    counts = (EscrowDisbursement.objects.count(), JournalEntry.objects.count(), JournalLine.objects.count())
    audits = AuditEvent.objects.count()
    assert run(JUNE) == []  # nothing pending
    # Called directly anyway: the item is past D, nothing is paid.
    assert EscrowStep().run_chunk(JUNE, [loan.pk], None).done == 1
    # The item put back on a date already paid (a servicer's slip): the paid date is skipped, not paid twice.
    EscrowItem.objects.filter(loan=loan, kind=EscrowItem.Kind.PROPERTY_TAX).update(
        next_due_date=JUNE, next_payment_number=1
    )
    assert run(JUNE) == [loan.pk]
    assert (EscrowDisbursement.objects.count(), JournalEntry.objects.count(), JournalLine.objects.count()) == counts
    assert AuditEvent.objects.count() == audits
    assert EscrowItem.objects.get(loan=loan, kind=EscrowItem.Kind.PROPERTY_TAX).next_due_date == DECEMBER
    loan.refresh_from_db()
    assert loan.escrow_balance == D("-1350.00")
    ledger_clean()


def test_a_loan_not_active_is_not_paid_for():
    loan = escrowed_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.PAID_OFF)
    assert run(JUNE) == []


def _queries_for(count, business_date):
    step = EscrowStep()
    ids = list(step.pending_loan_ids(business_date))
    assert len(ids) == count
    with CaptureQueriesContext(connection) as captured:
        result = step.run_chunk(business_date, ids, None)
    assert (result.done, result.errors) == (count, [])
    return len(captured)


def test_a_chunk_costs_the_same_queries_for_one_loan_as_for_three():
    ContentType.objects.get_for_models(EscrowDisbursement, JournalEntry)  # the audit rows' types, cached once
    escrowed_loan()
    one = _queries_for(1, DECEMBER)  # June's tax, December's tax and insurance
    for _ in range(3):
        escrowed_loan()
    assert _queries_for(3, DECEMBER) == one  # the first loan is done: only the three new ones are pending
    assert EscrowDisbursement.objects.count() == 12  # 4 loans x 3 payments
    ledger_clean()


def test_a_loan_without_escrow_has_no_analysis_date_and_is_never_pending():
    loan = boarded_loan(consumer=True)
    assert loan.escrow_analysis_date is None
    assert list(EscrowStep().pending_loan_ids(date(2030, 1, 1))) == []
