"""``payment_post`` and ``payment_reverse`` pinned where the session-10 mutation run (their transaction now opened
inside the body, so mutmut mutates them) left survivors: what the ``payment.posted`` audit row adds up (fees,
escrow, no re-pricing when nothing is prepaid), who the entries, replays and audit rows of a backdated payment and
of a reversal name, a reversal's directive, and the interest paid in advance a backdated replay leaves earned."""

from datetime import date
from decimal import Decimal

import pytest

from lending.core.models import AuditEvent, User
from servicing.models import Installment, JournalEntry, LedgerAccount, LoanAccount, LoanTransaction
from servicing.services import payments
from servicing.services.ledger import journal_post
from servicing.services.payments import PaymentError, payment_reverse
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan
from tests.servicing.test_payments import TODAY, _assert_books, _lines, _pay

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


def _first(loan) -> Installment:
    return Installment.objects.get(loan=loan, number=1)


def _posted_after(txn) -> dict:
    return AuditEvent.objects.get(verb="payment.posted", target_id=str(txn.pk)).after


def test_the_audit_rows_fees_are_the_late_fees_plus_the_other_fees_paid():
    loan = boarded_loan()
    first = _first(loan)
    # 40.00 of fees owed on installment 1: a 15.00 late fee and a 25.00 returned-payment fee, booked on the loan.
    journal_post(
        actor=None,
        loan=loan,
        effective_date=TODAY,
        kind="fee",
        memo="fees",
        lines=[("fees_receivable", D("40.00"), ZERO), ("fee_income", ZERO, D("40.00"))],
    )
    Installment.objects.filter(pk=first.pk).update(late_fees=D("15.00"), fees=D("25.00"))
    txn = _pay(loan, first.payment + D("40.00"), "fees")
    assert _lines(txn)[(1, "late_fees")] == D("15.00")
    assert _lines(txn)[(1, "fees")] == D("25.00")
    assert _posted_after(txn)["fees"] == "40.00"  # 15.00 + 25.00
    _assert_books()


def test_the_audit_rows_escrow_is_the_escrow_owed_plus_the_deposit_beyond_it():
    loan = boarded_loan()
    first = _first(loan)
    txn = _pay(loan, first.escrow + D("300.00"), "escrow", directive="escrow_only")
    after = _posted_after(txn)
    assert after["escrow"] == str(first.escrow + D("300.00"))  # installment 1's escrow + a 300.00 deposit
    assert (after["directive"], after["principal"], after["interest"]) == ("escrow_only", "0.00", "0.00")


def test_a_payment_that_prepays_nothing_records_no_installments_repriced():
    loan = boarded_loan()
    # 100.00 is short of a periodic payment: mortgage_standard holds it in suspense and re-prices nothing.
    txn = _pay(loan, "100.00", "short")
    assert _posted_after(txn) == {
        "loan": loan.loan_number,
        "amount": "100.00",
        "effective_date": "2026-12-01",
        "method": "ach",
        "reference": "ref-short",
        "directive": "standard",
        "strategy": "mortgage_standard",
        "interest": "0.00",
        "principal": "0.00",
        "escrow": "0.00",
        "fees": "0.00",
        "prepayment": "0.00",
        "suspense_applied": "0.00",
        "to_suspense": "100.00",
        "journal_entry": txn.journal_entry_id,
        "replay": None,
    }


def test_the_entry_of_a_backdated_payment_and_the_replay_it_starts_are_the_posters(monkeypatch):
    loan = boarded_loan()
    monkeypatch.setattr(payments, "_today", lambda: date(2026, 12, 5))
    later = _pay(loan, "500.00", "later", when=date(2026, 12, 5))
    servicer = user_with_role("servicer")
    backdated = payments.payment_post(
        loan=loan,
        amount=D("200.00"),
        effective_date=TODAY,
        method="ach",
        reference="",
        idempotency_key="early",
        actor=servicer,
    )
    entry_row = AuditEvent.objects.get(verb="journal.posted", target_id=str(backdated.journal_entry_id))
    assert entry_row.actor == servicer
    posted_row = AuditEvent.objects.get(verb="payment.posted", target_id=str(backdated.pk))
    assert (posted_row.actor, posted_row.actor_label) == (servicer, servicer.email)
    # The later payment goes back on (re-applied) in a new entry posted by the same person, who is named on the
    # replay's audit row.
    later.refresh_from_db()
    reapplied = JournalEntry.objects.get(pk=later.journal_entry_id)
    assert reapplied.memo.startswith("Payment ref-later re-applied")
    assert reapplied.created_by == servicer
    assert AuditEvent.objects.get(verb="loan.replayed").actor == servicer
    _assert_books()


def test_a_reversal_its_entry_and_the_replay_it_starts_are_the_reversers():
    loan = boarded_loan()
    first = _first(loan)
    paid = _pay(loan, first.payment, "first")
    later = _pay(loan, "100.00", "later")
    servicer = user_with_role("servicer")
    reversal = payment_reverse(transaction=paid, reason="NSF", actor=servicer)
    reversal = LoanTransaction.objects.select_related("journal_entry").get(pk=reversal.pk)
    assert reversal.journal_entry.created_by == servicer
    assert reversal.journal_entry.memo == f"Reversal of JE {paid.journal_entry_id}: NSF"
    later.refresh_from_db()
    reapplied = JournalEntry.objects.get(pk=later.journal_entry_id)
    assert reapplied.memo.startswith("Payment ref-later re-applied")
    assert reapplied.created_by == servicer
    assert AuditEvent.objects.get(verb="loan.replayed").actor == servicer
    _assert_books()


def test_a_reversal_by_an_unsaved_actor_is_posted_by_the_system():
    loan = boarded_loan()
    txn = _pay(loan, "900.00", "p")
    reversal = payment_reverse(transaction=txn, reason="NSF", actor=User(email="robot@example.com"))
    reversal = LoanTransaction.objects.select_related("journal_entry").get(pk=reversal.pk)
    assert (reversal.posted_by, reversal.journal_entry.created_by) == (None, None)
    assert LoanTransaction.objects.get(pk=txn.pk).status == "reversed"


def test_interest_a_backdated_prepayment_takes_off_a_later_payment_becomes_receivable_on_the_backdated_date(
    monkeypatch,
):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 1, 2))
    loan = boarded_loan()
    first, second = Installment.objects.filter(loan=loan, number__in=(1, 2)).order_by("number")
    assert (first.principal, second.interest, second.payment) == (D("271.20"), D("1623.53"), D("2421.20"))
    _pay(loan, first.payment, "p1", when=TODAY)
    # 2027-01-02: installment 2 (due 2027-02-01) paid early; its 1,623.53 of interest is paid in advance.
    _pay(LoanAccount.objects.get(pk=loan.pk), second.payment, "p2", when=date(2027, 1, 2))
    loan.refresh_from_db()
    earned = loan.interest_prepaid  # 2,600.06 + 1,623.53: say the accrual has earned all of it
    journal_post(
        actor=None,
        loan=loan,
        effective_date=date(2027, 1, 2),
        kind=JournalEntry.Kind.ACCRUAL,
        memo="accrual",
        lines=[("interest_prepaid", earned, ZERO), ("interest_income", ZERO, earned)],
    )
    servicer = user_with_role("servicer")
    payments.payment_post(
        loan=LoanAccount.objects.get(pk=loan.pk),
        amount=D("100000.00"),
        effective_date=date(2026, 12, 15),
        method="wire",
        reference="",
        idempotency_key="curtail",
        actor=servicer,
        directive="principal_only",
    )
    # The 100,000.00 curtailment dated 2026-12-15 re-prices installment 2 (its period starts 2027-01-01) on
    # 299,728.80 - 100,000.00 = 199,728.80: 199,728.80 x 6.5 % / 12 = 1,081.86 instead of 1,623.53. The replayed
    # payment now pays 541.67 less interest in advance than the accrual earned: that 541.67 is receivable.
    assert Installment.objects.get(pk=second.pk).interest == D("1081.86")
    adjustment = JournalEntry.objects.get(loan=loan, kind=JournalEntry.Kind.ADJUSTMENT)
    assert {(line.account.code, line.debit, line.credit) for line in adjustment.lines.select_related("account")} == {
        ("interest_receivable", D("541.67"), ZERO),
        ("interest_prepaid", ZERO, D("541.67")),
    }
    assert (adjustment.effective_date, adjustment.created_by) == (date(2026, 12, 15), servicer)
    loan.refresh_from_db()
    assert (loan.interest_prepaid, loan.interest_due) == (ZERO, D("541.67"))
    _assert_books()


def test_the_reversal_of_a_principal_only_payment_keeps_its_directive_and_prices_the_schedule_back():
    loan = boarded_loan()
    second = Installment.objects.get(loan=loan, number=2)
    txn = _pay(loan, "1000.00", "curtail", directive="principal_only")
    assert _lines(txn) == {(None, "prepayment"): D("1000.00")}  # a prepayment line and nothing else
    # Installment 2 re-priced on 299,728.80 - 1,000.00: 298,728.80 x 6.5 % / 12 = 1,618.11 (was 1,623.53).
    assert Installment.objects.get(pk=second.pk).interest == D("1618.11")
    reversal = payment_reverse(transaction=txn, reason="NSF", actor=None)
    reversal = LoanTransaction.objects.get(pk=reversal.pk)
    assert (reversal.kind, reversal.directive, reversal.amount) == ("reversal", "principal_only", D("1000.00"))
    loan.refresh_from_db()
    assert loan.principal_balance == D("300000.00")  # the 1,000.00 curtailment is back on the balance
    assert Installment.objects.get(pk=second.pk).interest == D("1623.53")  # and installment 2 priced on it
    assert AuditEvent.objects.get(verb="payment.reversed").after["installments_repriced"] == 359  # 2-360


def test_a_payment_the_ledger_refuses_is_refused_with_the_ledgers_reason_and_nothing_written():
    loan = boarded_loan()
    LedgerAccount.objects.filter(code="cash").update(is_active=False)
    entries = JournalEntry.objects.count()
    with pytest.raises(PaymentError) as refused:
        _pay(loan, "900.00", "refused")
    assert str(refused.value) == "Inactive ledger account(s): cash."
    assert refused.value.field is None
    assert not LoanTransaction.objects.exists()
    assert JournalEntry.objects.count() == entries
    assert LoanAccount.objects.get(pk=loan.pk).suspense_balance == ZERO
