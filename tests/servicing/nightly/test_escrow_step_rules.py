"""The nightly escrow step's writes, pinned where the step tests left them loose: what the entries say, which audit
rows a night writes and what they hold, which loans are looked at, who is current on the analysis date (30 days,
1024.17(f)(2)(ii)), the documents enqueued after commit, and a night of zero-cent payments.

See escrow_helpers for the loan: tax $4,800.00 in two payments from 2027-06-01, insurance $1,500.00 on
2027-12-01, $525.00 a month, cushion $1,050.00, analysis 2027-12-02 (year 2028-01-01 to 2028-12-31).
"""

from datetime import date

import pytest

from lending.core import roles
from lending.core.models import AuditEvent
from servicing import tasks
from servicing.models import (
    BorrowerDocument,
    EscrowAnalysis,
    EscrowDisbursement,
    EscrowItem,
    EscrowRefund,
    Installment,
    JournalEntry,
    LoanAccount,
)
from servicing.services.nightly.steps.escrow import EscrowStep, escrow_close
from tests.core.factories import user_with_role
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
JUNE, DECEMBER, ANALYSIS = date(2027, 6, 1), date(2027, 12, 1), date(2027, 12, 2)
PAID_OUT = D("6300.00")


def _sent(monkeypatch, callbacks):
    """Run the on-commit callbacks with the tasks' ``delay`` recorded: [(task, args), ...]."""
    sent = []
    for task in (tasks.escrow_annual_statements, tasks.notices_make):
        monkeypatch.setattr(task, "delay", lambda *args, name=task.name: sent.append((name, args)))
    for callback in callbacks:
        callback()
    return sent


def test_a_night_s_disbursements_are_one_entry_named_for_each_payment_and_one_audit_row():
    loan = escrowed_loan()
    escrow_received(loan, D("5000.00"))
    tax = EscrowItem.objects.get(loan=loan, kind=EscrowItem.Kind.PROPERTY_TAX)
    insurance = EscrowItem.objects.get(loan=loan, kind=EscrowItem.Kind.HAZARD_INSURANCE)
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    run(DECEMBER)  # June's tax missed: caught up with December's tax and insurance
    entry = JournalEntry.objects.get(kind=JournalEntry.Kind.ESCROW_DISBURSEMENT)
    assert entry.memo == (
        "Escrow disbursement: Property tax due 2027-06-01; Property tax due 2027-12-01; "
        "Homeowner's insurance premium due 2027-12-01"
    )
    events = AuditEvent.objects.exclude(pk__in=before)
    assert [event.verb for event in events] == ["escrow.disbursed"]  # the entry is recorded there, not twice
    after = events.get().after
    assert (after["loan"], after["journal_entry"]) == (loan.loan_number, entry.pk)
    # 1,050.00 + 5,000.00 = 6,050.00: June 2,400.00 -> 3,650.00; December's tax 2,400.00 -> 1,250.00; insurance
    # 1,500.00: 250.00 advanced -> -250.00. Total 6,300.00.
    assert after["lines"] == [["escrow_liability", "6300.00", "0.00"], ["cash", "0.00", "6300.00"]]
    rows = list(EscrowDisbursement.objects.filter(loan=loan).order_by("due_date", "id"))
    assert after["disbursements"] == [
        {
            "id": rows[0].pk,
            "item": tax.pk,
            "due_date": "2027-06-01",
            "payment_number": 1,
            "amount": "2400.00",
            "advanced": "0.00",
            "item_next_due_date": "2028-06-01",
        },
        {
            "id": rows[1].pk,
            "item": tax.pk,
            "due_date": "2027-12-01",
            "payment_number": 2,
            "amount": "2400.00",
            "advanced": "0.00",
            "item_next_due_date": "2028-06-01",
        },
        {
            "id": rows[2].pk,
            "item": insurance.pk,
            "due_date": "2027-12-01",
            "payment_number": 1,
            "amount": "1500.00",
            "advanced": "250.00",
            "item_next_due_date": "2028-12-01",
        },
    ]
    assert all(row.journal_entry_id == entry.pk for row in rows)
    ledger_clean()


def test_payments_of_zero_cents_are_recorded_without_an_entry():
    # A monthly item of 0.11 a year: payments 1-11 are 0.11 / 12 rounded down = 0.00, the 12th 0.11.
    loan = escrowed_loan()
    EscrowItem.objects.filter(loan=loan).delete()
    item = EscrowItem.objects.create(
        loan=loan,
        kind=EscrowItem.Kind.OTHER,
        description="Water district",
        annual_amount=D("0.11"),
        payments_per_year=12,
        next_due_date=JUNE,
        next_payment_number=1,
    )
    run(JUNE)
    row = EscrowDisbursement.objects.get(loan=loan)
    assert (row.item_id, row.amount, row.advanced, row.journal_entry_id) == (item.pk, ZERO, ZERO, None)
    assert not JournalEntry.objects.filter(kind=JournalEntry.Kind.ESCROW_DISBURSEMENT).exists()
    event = AuditEvent.objects.get(verb="escrow.disbursed")
    assert (event.target_id, event.after["journal_entry"], event.after["lines"]) == (str(loan.pk), None, [])
    assert [d["amount"] for d in event.after["disbursements"]] == ["0.00"]
    item.refresh_from_db()
    assert (item.next_due_date, item.next_payment_number) == (date(2027, 7, 1), 2)
    loan.refresh_from_db()
    assert loan.escrow_balance == D("1050.00")


def test_a_loan_no_longer_active_handed_to_the_step_is_left_alone():
    loan = escrowed_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.PAID_OFF)
    assert escrow_close(business_date=ANALYSIS, loan_ids=[loan.pk], actor=None) == 1
    assert not EscrowDisbursement.objects.exists()
    assert not EscrowAnalysis.objects.exists()
    assert EscrowItem.objects.get(loan=loan, kind=EscrowItem.Kind.PROPERTY_TAX).next_due_date == JUNE


def _analysed(balance, *, paid_through=12, business_date=ANALYSIS):
    loan = escrowed_loan()
    installments_paid(loan, paid_through)
    LoanAccount.objects.filter(pk=loan.pk).update(escrow_analysis_date=business_date)
    escrow_received(loan, balance + PAID_OUT - loan.escrow_balance)
    return loan


def test_a_refund_s_entry_and_audit_row():
    loan = _analysed(D("1150.00"))
    run(ANALYSIS)
    refund = EscrowRefund.objects.get()
    entry = refund.journal_entry
    assert (entry.memo, entry.effective_date) == ("Escrow surplus refund, analysis of 2027-12-02", ANALYSIS)
    event = AuditEvent.objects.get(verb="escrow.refunded")
    assert event.target_id == str(refund.pk)
    assert event.after == {
        "loan": loan.loan_number,
        "amount": "100.00",
        "due_by": "2028-01-01",
        "journal_entry": entry.pk,
        "lines": [["escrow_liability", "100.00", "0.00"], ["cash", "0.00", "100.00"]],
    }


def test_the_analysis_audit_row_holds_the_loan_s_escrow_before_and_after_and_the_analysis():
    # A shortage of 50.00 spread over 12: 525.00 + 4.16 = 529.16 (see test_escrow_analysis).
    loan = _analysed(D("1000.00"))
    run(ANALYSIS)
    analysis = EscrowAnalysis.objects.get()
    event = AuditEvent.objects.get(verb="loan.escrow_analyzed")
    assert (event.target_id, event.note) == (str(loan.pk), "")
    assert event.before == {
        "escrow_monthly_payment": "525.00",
        "escrow_cushion": "1050.00",
        "escrow_analysis_date": "2027-12-02",
    }
    assert event.after == {
        "escrow_monthly_payment": "529.16",
        "escrow_cushion": "1050.00",
        "escrow_analysis_date": "2028-12-02",
        "analysis": {
            "id": analysis.pk,
            "kind": "shortage",
            "action": "spread_12",
            "year_start": "2028-01-01",
            "current_balance": "1000.00",
            "target_balance": "1050.00",
            "surplus": "0.00",
            "shortage": "50.00",
            "deficiency": "0.00",
            "new_monthly_payment": "529.16",
            "effective_installment": 13,
            "installments_updated": 12,
        },
    }


def test_a_loan_maturing_before_its_next_year_is_not_analysed_and_says_why():
    # The last installment is #12 (2027-12-01): none is due 30 days after the analysis.
    loan = _analysed(D("1050.00"))
    Installment.objects.filter(loan=loan, number__gt=12).delete()
    run(ANALYSIS)
    assert not EscrowAnalysis.objects.exists()
    event = AuditEvent.objects.get(verb="loan.escrow_analyzed")
    assert event.note == "No installment left to take a new escrow payment."
    assert event.after["analysis"] is None
    assert event.after["escrow_monthly_payment"] == "525.00"
    loan.refresh_from_db()
    assert (loan.escrow_monthly_payment, loan.escrow_analysis_date) == (D("525.00"), None)


@pytest.mark.parametrize(
    ("analysis_date", "balance", "action"),
    [
        # #11, due 2027-11-01, still unpaid. Analysed on 2027-12-01 it is 30 days late: still current, and its
        # escrow and #12's (2 x 525.00) count as coming in before the year: 100.00 + 1,050.00 = 1,150.00, a 100.00
        # surplus, refunded.
        (date(2027, 12, 1), D("100.00"), "refund"),
        # On 2027-12-02 it is 31 days late: not current, and only #12's 525.00 counts as coming in:
        # 625.00 + 525.00 = 1,150.00, a 100.00 surplus, retained (1024.17(f)(2)(ii)).
        (date(2027, 12, 2), D("625.00"), "retained"),
    ],
)
def test_a_borrower_is_current_while_no_installment_is_unpaid_more_than_30_days(analysis_date, balance, action):
    loan = _analysed(balance, paid_through=10, business_date=analysis_date)
    run(analysis_date)
    analysis = EscrowAnalysis.objects.get(loan=loan)
    assert (analysis.current_balance, analysis.surplus, analysis.action) == (D("1150.00"), D("100.00"), action)
    ledger_clean()


def test_the_annual_statement_and_the_change_notice_are_enqueued_after_commit(
    monkeypatch, django_capture_on_commit_callbacks
):
    changed = _analysed(D("1000.00"))  # shortage: 525.00 -> 529.16
    same = _analysed(D("1150.00"))  # refund: 525.00 stays
    with django_capture_on_commit_callbacks() as callbacks:
        run(ANALYSIS)
    by_loan = {a.loan_id: a.pk for a in EscrowAnalysis.objects.all()}
    assert sorted(_sent(monkeypatch, callbacks)) == [
        ("servicing.escrow_annual_statements", ([by_loan[changed.pk], by_loan[same.pk]],)),
        ("servicing.notices_make", (BorrowerDocument.Kind.ESCROW_CHANGE, [by_loan[changed.pk]])),
    ]


def test_a_night_without_analysis_enqueues_no_statement(monkeypatch, django_capture_on_commit_callbacks):
    escrowed_loan()
    with django_capture_on_commit_callbacks() as callbacks:
        run(JUNE)
    assert _sent(monkeypatch, callbacks) == []


def test_the_step_is_pending_for_a_loan_whose_analysis_falls_due_without_an_item_due():
    loan = escrowed_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(escrow_analysis_date=date(2027, 3, 1))
    assert list(EscrowStep().pending_loan_ids(date(2027, 2, 28))) == []
    assert list(EscrowStep().pending_loan_ids(date(2027, 3, 1))) == [loan.pk]


def test_a_night_run_by_a_person_is_recorded_under_that_person():
    # A surplus of 100.00 refunded on the analysis night, after the year's three disbursements: every entry and
    # every audit row names who ran the night.
    loan = _analysed(D("1150.00"))
    person = user_with_role(roles.MANAGER)
    step = EscrowStep()
    result = step.run_chunk(ANALYSIS, list(step.pending_loan_ids(ANALYSIS)), person)
    assert (result.done, result.errors) == (1, [])
    entries = JournalEntry.objects.filter(
        loan=loan, kind__in=[JournalEntry.Kind.ESCROW_DISBURSEMENT, JournalEntry.Kind.ESCROW_REFUND]
    )
    assert sorted((e.kind, e.created_by_id) for e in entries) == [
        (JournalEntry.Kind.ESCROW_DISBURSEMENT, person.pk),
        (JournalEntry.Kind.ESCROW_REFUND, person.pk),
    ]
    verbs = ["escrow.disbursed", "loan.escrow_analyzed", "escrow.refunded"]
    events = AuditEvent.objects.filter(verb__in=verbs)
    assert sorted((e.verb, e.actor_id) for e in events) == sorted((verb, person.pk) for verb in verbs)


def test_a_chunk_retried_loan_by_loan_keeps_the_person_who_ran_it():
    # The second loan's analysis fails (nothing received: a shortage of a month or more, and only 5 installments
    # after the notice, too few to spread it over 12): the chunk is retried one loan at a time, and the first
    # loan's night is still recorded under the person who ran it.
    good = _analysed(D("1150.00"))
    bad = escrowed_loan()
    installments_paid(bad, 12)
    Installment.objects.filter(loan=bad, number__gt=17).delete()
    person = user_with_role(roles.MANAGER)
    step = EscrowStep()
    result = step.run_chunk(ANALYSIS, [good.pk, bad.pk], person)
    assert (result.done, [error.loan_id for error in result.errors]) == (1, [bad.pk])
    events = AuditEvent.objects.filter(verb__in=["escrow.disbursed", "loan.escrow_analyzed", "escrow.refunded"])
    # The second loan's rows rolled back with its savepoint: the three are the first loan's.
    assert sorted((e.verb, e.actor_id) for e in events) == [
        ("escrow.disbursed", person.pk),
        ("escrow.refunded", person.pk),
        ("loan.escrow_analyzed", person.pk),
    ]
    assert events.get(verb="loan.escrow_analyzed").target_id == str(good.pk)


def test_the_analysis_lists_each_loan_s_items_in_the_order_they_fall_due():
    # Flood insurance added after the other two (a higher id) but due first among them after June's tax: the
    # year's disbursements are listed item by item in due date order (tax, flood, insurance), not in the order
    # the items were added.
    loan = _analysed(D("1050.00"))
    EscrowItem.objects.create(
        loan=loan,
        kind=EscrowItem.Kind.FLOOD_INSURANCE,
        description="Flood insurance premium",
        annual_amount=D("600.00"),
        payments_per_year=1,
        next_due_date=date(2027, 9, 1),
        next_payment_number=1,
    )
    run(ANALYSIS)
    detail = EscrowAnalysis.objects.get(loan=loan).disbursement_detail
    assert [(row[0], row[2]) for row in detail] == [
        ("2028-06-01", "Property tax, payment 1 of 2"),
        ("2028-12-01", "Property tax, payment 2 of 2"),
        ("2028-09-01", "Flood insurance premium, payment 1 of 1"),
        ("2028-12-01", "Homeowner's insurance premium, payment 1 of 1"),
    ]
