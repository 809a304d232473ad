"""The one-entry write a payment uses (servicing.services.ledger_entry) and the loan save after it
(servicing.services.posting_write), pinned directly (issue 17): checked as journal_post checks, the balances moved
in memory by exactly the lines, the entry and lines written as journal_post writes them, the audit row it would
record, and only the moved balances saved with the loan's next version and its derived dates."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from lending.core import roles
from lending.core.models import AuditEvent, User
from lending.core.services import audit_event, audit_record_many
from servicing.models import JournalEntry, JournalLine, LedgerAccount, LoanAccount, LoanTransaction
from servicing.services import ledger_entry, payments
from servicing.services.ledger import LedgerError
from servicing.services.ledger_entry import journal_audit_event, journal_entry_write, posting_prepare_one
from servicing.services.posting_write import loan_save_posted
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")
DAY = date(2027, 1, 5)


@pytest.fixture
def loan():
    return boarded_loan(consumer=True)  # principal 12,000.00, nothing else owed


def _prepare(loan, lines, *, kind="payment", memo="pay"):
    return posting_prepare_one(loan=loan, effective_date=DAY, kind=kind, memo=memo, lines=lines)


def _refusal(loan, lines, **kwargs) -> str:
    with pytest.raises(LedgerError) as refused:
        _prepare(loan, lines, **kwargs)
    return str(refused.value)


def test_prepare_refuses_an_unknown_kind_unknown_accounts_and_a_balance_below_zero(loan):
    version = loan.version
    assert _refusal(loan, [("cash", D("1.00"), ZERO), ("suspense", ZERO, D("1.00"))], kind="gift") == (
        "Unknown journal entry kind 'gift'."
    )
    assert _refusal(loan, [("zz", D("1.00"), ZERO), ("cash", ZERO, D("1.00")), ("aa", ZERO, ZERO)]) == (
        "Line 3 (aa): exactly one of debit and credit must be non-zero."
    )
    assert _refusal(loan, [("zz", D("1.00"), ZERO), ("cash", ZERO, D("1.00")), ("aa", D("1.00"), ZERO)]) == (
        "The entry does not balance: debits 2.00 != credits 1.00."
    )
    assert _refusal(loan, [("zz", D("1.00"), ZERO), ("aa", ZERO, D("1.00"))]) == "Unknown ledger account(s): aa, zz."
    # fees due 0.00 - 5.00 = -5.00
    assert _refusal(loan, [("fee_income", D("5.00"), ZERO), ("fees_receivable", ZERO, D("5.00"))]) == (
        f"{loan.loan_number}: the entry would take fees due below zero (0.00 -5.00)."
    )
    assert (loan.fees_due, loan.version) == (ZERO, version)  # nothing moved


def test_prepare_moves_the_balances_in_memory_by_the_lines(loan):
    version = loan.version
    # principal (debit-normal) 12,000.00 - 300.00 = 11,700.00; interest paid ahead (credit-normal) +20.00
    posting = _prepare(
        loan,
        [("cash", D("320.00"), ZERO), ("loans_receivable", ZERO, D("300.00")), ("interest_prepaid", ZERO, D("20.00"))],
        memo="m" * 300,
    )
    assert (loan.principal_balance, loan.interest_prepaid, loan.version) == (D("11700.00"), D("20.00"), version + 1)
    assert posting.moved == {"principal_balance": D("-300.00"), "interest_prepaid": D("20.00")}
    assert (posting.kind, posting.effective_date, posting.memo) == ("payment", DAY, "m" * 255)
    assert LoanAccount.objects.get(pk=loan.pk).principal_balance == D("12000.00")  # nothing written


def test_prepare_of_lines_moving_no_balance_moves_nothing(loan):
    version = loan.version
    posting = _prepare(loan, [("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))], kind="adjustment")
    assert posting.moved == {}
    assert loan.version == version


def test_an_account_added_after_the_sides_were_read_is_found(loan, monkeypatch):
    monkeypatch.setattr(ledger_entry, "_SIDES", {})  # a fresh process: nothing read yet
    _prepare(loan, [("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))], kind="adjustment")
    assert "lockbox" not in ledger_entry._SIDES
    LedgerAccount.objects.create(code="lockbox", number="1010", name="Lockbox", kind="asset", normal_side="debit")
    posting = _prepare(loan, [("lockbox", D("2.00"), ZERO), ("suspense", ZERO, D("2.00"))])
    assert posting.moved == {"suspense_balance": D("2.00")}


def test_write_stores_the_entry_and_its_lines_in_order_for_the_loan(loan):
    servicer = user_with_role(roles.SERVICER)
    posting = _prepare(loan, [("cash", D("60.00"), ZERO), ("suspense", ZERO, D("60.00"))], memo="Payment x")
    entry = journal_entry_write(actor=servicer, posting=posting)
    assert posting.entry is entry
    stored = JournalEntry.objects.get(pk=entry.pk)
    assert (stored.loan_id, stored.effective_date, stored.kind, stored.memo) == (loan.pk, DAY, "payment", "Payment x")
    assert stored.created_by == servicer
    lines = JournalLine.objects.filter(entry=entry).order_by("id").select_related("account")
    assert [(line.account.code, line.loan_id, line.debit, line.credit) for line in lines] == [
        ("cash", loan.pk, D("60.00"), ZERO),
        ("suspense", loan.pk, ZERO, D("60.00")),
    ]
    assert LoanAccount.objects.get(pk=loan.pk).suspense_balance == ZERO  # the caller saves the balances


def test_write_by_no_one_or_an_unsaved_user_records_no_creator(loan):
    for actor in (None, User(email="nobody@example.com")):
        posting = _prepare(loan, [("cash", D("1.00"), ZERO), ("suspense", ZERO, D("1.00"))])
        entry = journal_entry_write(actor=actor, posting=posting)
        assert JournalEntry.objects.get(pk=entry.pk).created_by_id is None


def test_write_refuses_an_inactive_account_by_name(loan):
    posting = _prepare(loan, [("cash", D("1.00"), ZERO), ("suspense", ZERO, D("1.00"))])
    LedgerAccount.objects.filter(code__in=["suspense", "cash"]).update(is_active=False)
    entries = JournalEntry.objects.count()
    # In the caller's transaction, as payment_post calls it: PostgreSQL has inserted the entry when the line count
    # tells, and the refusal rolls it back.
    with pytest.raises(LedgerError) as refused, transaction.atomic():
        journal_entry_write(actor=None, posting=posting)
    assert str(refused.value) == "Inactive ledger account(s): cash, suspense."
    assert JournalEntry.objects.count() == entries


def test_the_audit_event_is_what_journal_post_records(loan):
    servicer = user_with_role(roles.SERVICER)
    posting = _prepare(loan, [("cash", D("60.00"), ZERO), ("suspense", ZERO, D("60.00"))])
    entry = journal_entry_write(actor=servicer, posting=posting)
    event = journal_audit_event(actor=servicer, posting=posting)
    event.save()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.verb, stored.target_id, stored.actor) == ("journal.posted", str(entry.pk), servicer)
    assert stored.after == {
        "kind": "payment",
        "effective_date": "2027-01-05",
        "loan": loan.loan_number,
        "lines": [["cash", "60.00", "0.00"], ["suspense", "0.00", "60.00"]],
        "idempotency_key": None,
        "reverses": None,
    }


def test_saving_a_posting_writes_only_the_moved_balances_with_the_next_version(loan):
    version = loan.version
    posting = _prepare(loan, [("cash", D("60.00"), ZERO), ("suspense", ZERO, D("60.00"))])
    # A balance the posting did not move, changed on the instance only: not saved.
    loan.fees_due = D("99.00")
    loan_save_posted(loan, posting)
    stored = LoanAccount.objects.get(pk=loan.pk)
    assert (stored.suspense_balance, stored.fees_due, stored.version) == (D("60.00"), ZERO, version + 1)
    assert stored.updated_at == loan.updated_at
    # The derived dates come back from the row: nothing paid yet, the first installment is next.
    first_due = loan.installments.order_by("number").first().due_date
    assert (loan.next_due_date, loan.interest_paid_through) == (first_due, loan.disbursement_date)


def test_saving_a_posting_with_its_audit_rows_writes_them_in_order_beside_the_balances(loan):
    version = loan.version
    posting = _prepare(loan, [("cash", D("60.00"), ZERO), ("suspense", ZERO, D("60.00"))])
    journal_entry_write(actor=None, posting=posting)
    first = journal_audit_event(actor=None, posting=posting)
    second = audit_event(actor=None, verb="payment.posted", target=loan, after={"amount": D("60.00")})
    loan_save_posted(loan, posting, audit=[first, second])
    stored = LoanAccount.objects.get(pk=loan.pk)
    assert (stored.suspense_balance, stored.version) == (D("60.00"), version + 1)
    rows = list(AuditEvent.objects.filter(pk__in=[first.pk, second.pk]).order_by("id"))
    assert [(row.pk, row.verb, row.after) for row in rows] == [
        (first.pk, "journal.posted", first.after),
        (second.pk, "payment.posted", {"amount": "60.00"}),
    ]
    assert first.pk < second.pk
    assert (first._state.adding, second._state.adding) == (False, False)


def test_an_audit_row_whose_record_was_replaced_after_it_was_made_writes_the_new_record(loan):
    event = audit_event(actor=None, verb="payment.posted", target=loan, after={"amount": D("1.00")})
    event.after = {"amount": "2.00"}
    audit_record_many([event])
    assert AuditEvent.objects.get(pk=event.pk).after == {"amount": "2.00"}


def test_saving_a_posting_that_moved_nothing_keeps_the_version_and_refreshes_the_dates(loan):
    version, updated = loan.version, LoanAccount.objects.get(pk=loan.pk).updated_at
    posting = _prepare(loan, [("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))], kind="adjustment")
    loan.next_due_date = None
    loan_save_posted(loan, posting)
    stored = LoanAccount.objects.get(pk=loan.pk)
    assert (stored.version, stored.updated_at) == (version, updated)
    assert loan.next_due_date == loan.installments.order_by("number").first().due_date


def test_a_posted_payment_is_handed_back_as_its_stored_row(loan, monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2026, 12, 1))
    txn = payments.payment_post(
        loan=loan,
        amount=D("100.00"),
        effective_date=date(2026, 12, 1),
        method="ach",
        reference="r-1",
        idempotency_key="k-1",
        actor=None,
    )
    # As the stored row, its own idempotency key is no duplicate (a form or full_clean over it passes).
    txn.validate_unique()
    assert LoanTransaction.objects.get(pk=txn.pk).idempotency_key == "k-1"
