"""The pieces a posting is made of (``servicing.services.posting``), pinned one rule at a time (issue 17): which
installments a payment is for, what a payoff records, the journal and allocation lines of an allocation, when an
installment is settled, and the guards. Pure pieces are tested on unsaved rows; the rest through the services."""

from datetime import date
from decimal import Decimal

import pytest

from lending.core.models import AuditEvent, User
from servicing.models import Installment, LedgerAccount, LoanAccount, LoanPayoff, LoanTransaction
from servicing.services import payments
from servicing.services.payments import PaymentError
from servicing.services.payoff import payoff_post
from servicing.services.posting import dues_chosen
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

D = Decimal
ZERO = D("0.00")
TODAY = date(2026, 12, 1)
PAYOFF_TODAY = D("300975.00")  # 300,000 + 18 days (30/360) at 6.5% = 975.00: see test_payoff_figures


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


def _installment(number, due, *, paid_on=None, late_fees=ZERO, paid_late_fees=ZERO, fees=ZERO, paid_fees=ZERO):
    """An unsaved installment of 100.00 interest + 400.00 principal = 500.00."""
    return Installment(
        number=number,
        due_date=due,
        interest=D("100.00"),
        principal=D("400.00"),
        payment=D("500.00"),
        paid_on=paid_on,
        late_fees=late_fees,
        paid_late_fees=paid_late_fees,
        fees=fees,
        paid_fees=paid_fees,
    )


JAN, FEB, MAR = date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)


# --- which installments a payment held in memory (a batch) is for -----------------------------------------------


def _numbers(chosen):
    return None if chosen is None else [i.number for i in chosen]


def test_a_batch_payment_on_a_due_date_is_for_that_installment_and_the_next_one():
    unpaid = [_installment(1, JAN), _installment(2, FEB), _installment(3, MAR)]
    assert _numbers(dues_chosen(unpaid, JAN, complete=False)) == [1, 2]
    assert _numbers(dues_chosen(unpaid, date(2026, 12, 31), complete=False)) == [1]


def test_a_batch_payment_after_the_last_due_date_is_for_every_installment_when_the_list_is_complete():
    unpaid = [_installment(1, JAN), _installment(2, FEB)]
    assert _numbers(dues_chosen(unpaid, MAR, complete=True)) == [1, 2]


def test_a_batch_payment_past_the_window_loaded_asks_the_database():
    unpaid = [_installment(1, JAN), _installment(2, FEB)]
    assert dues_chosen(unpaid, MAR, complete=False) is None


def test_a_paid_installment_is_chosen_again_only_for_the_fees_still_owed_on_it():
    paid = {"paid_on": JAN}
    unpaid = [
        _installment(1, JAN, **paid),  # paid, owes nothing: not chosen
        _installment(2, JAN, **paid, late_fees=D("15.00")),  # 15.00 late fee unpaid
        _installment(3, JAN, **paid, fees=D("25.00")),  # 25.00 returned-payment fee unpaid
        _installment(4, JAN, **paid, late_fees=D("15.00"), paid_late_fees=D("15.00")),  # its late fee paid
        _installment(5, JAN, **paid, fees=D("25.00"), paid_fees=D("25.00")),  # its fee paid
        _installment(6, FEB),
    ]
    assert _numbers(dues_chosen(unpaid, JAN, complete=False)) == [2, 3, 6]


# --- what a payoff records (payment_record) ----------------------------------------------------------------------


def _payoff(loan, *, actor=None, reference="FW-1"):
    return payoff_post(
        loan=loan,
        amount=PAYOFF_TODAY,
        effective_date=TODAY,
        method="wire",
        reference=reference,
        idempotency_key="payoff-1",
        actor=actor,
    )


@pytest.mark.django_db
def test_a_payoff_records_who_posted_it_on_its_transaction_and_its_entry():
    loan = boarded_loan()
    servicer = user_with_role("servicer")
    txn = LoanTransaction.objects.get(pk=_payoff(loan, actor=servicer).pk)
    assert (txn.kind, txn.method, txn.reference, txn.idempotency_key) == ("payment", "wire", "FW-1", "payoff-1")
    assert (txn.posted_by, txn.journal_entry.created_by) == (servicer, servicer)
    assert AuditEvent.objects.get(verb="journal.posted", target_id=str(txn.journal_entry_id)).actor == servicer


@pytest.mark.django_db
def test_a_payoff_by_an_actor_not_saved_as_a_user_is_recorded_as_the_system():
    loan = boarded_loan()
    txn = LoanTransaction.objects.get(pk=_payoff(loan, actor=User(email="robot@example.com")).pk)
    assert (txn.posted_by, txn.journal_entry.created_by) == (None, None)


@pytest.mark.django_db
def test_a_payoff_reference_is_kept_to_its_first_100_characters():
    loan = boarded_loan()
    txn = LoanTransaction.objects.get(pk=_payoff(loan, reference="R" * 60 + "S" * 60).pk)
    assert txn.reference == "R" * 60 + "S" * 40


@pytest.mark.django_db
def test_a_payoff_the_ledger_refuses_is_refused_with_the_ledgers_reason_and_nothing_written():
    loan = boarded_loan()
    LedgerAccount.objects.filter(code="loans_receivable").update(is_active=False)
    with pytest.raises(PaymentError) as refused:
        _payoff(loan)
    assert str(refused.value) == "Inactive ledger account(s): loans_receivable."
    assert refused.value.field is None
    assert not LoanTransaction.objects.exists()
    assert not LoanPayoff.objects.exists()
    assert LoanAccount.objects.get(pk=loan.pk).status == LoanAccount.Status.ACTIVE
