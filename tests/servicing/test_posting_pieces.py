"""The pieces a posting is made of (``servicing.services.posting``), pinned one rule at a time (issue 17): which
installments a payment is for, what a payoff records, the journal and allocation lines of an allocation, when an
installment is settled, and the guards. Pure pieces are tested on unsaved rows; the rest through the services."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError

from lending.core.models import AuditEvent, User
from servicing.models import Installment, JournalEntry, LedgerAccount, LoanAccount, LoanPayoff, LoanTransaction
from servicing.services import payments
from servicing.services.ledger import journal_post
from servicing.services.payments import PaymentError, payment_reverse
from servicing.services.payoff import payoff_post
from servicing.services.posting import dues_chosen, loan_lock
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan
from tests.servicing.test_payments import _assert_books, _lines, _pay

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
    # The entry is the loan's: its balances move with it (the payoff leaves no principal).
    assert (txn.loan_id, txn.journal_entry.loan_id) == (loan.pk, loan.pk)
    assert LoanAccount.objects.get(pk=loan.pk).principal_balance == ZERO
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


# --- locking a loan ----------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_locking_a_loan_outside_a_transaction_is_refused():
    loan = boarded_loan()
    with pytest.raises(TransactionManagementError) as refused:
        loan_lock(loan)
    assert str(refused.value) == "select_for_update cannot be used outside of a transaction."


@pytest.mark.django_db
def test_locking_a_loan_that_is_gone_names_it():
    loan = boarded_loan()
    gone = LoanAccount(pk=loan.pk + 1000)
    with transaction.atomic(), pytest.raises(LoanAccount.DoesNotExist) as refused:
        loan_lock(gone)
    assert str(refused.value) == f"no loan {loan.pk + 1000}"


# --- which installments a payment is for (the database query) ----------------------------------------------------


def _numbered(loan, *numbers) -> list[Installment]:
    return list(Installment.objects.filter(loan=loan, number__in=numbers).order_by("number"))


@pytest.mark.django_db
def test_the_next_installment_billed_is_the_next_one_not_yet_paid_not_one_paid_ahead_that_owes_a_fee():
    loan = boarded_loan(consumer=True)
    first, second, third = _numbered(loan, 1, 2, 3)
    _pay(loan, first.payment, "one")  # paid ahead of its due date
    _pay(loan, second.payment, "two")  # then the next one billed, also ahead
    assert all(i.paid_on == TODAY for i in _numbered(loan, 1, 2))
    # A 25.00 fee then charged on installment 2 (paid, not yet due): not due by the payment date, not the next
    # installment billed either (that is 3), so the next payment is for 3 alone.
    journal_post(
        actor=None,
        loan=loan,
        effective_date=TODAY,
        kind=JournalEntry.Kind.FEE,
        memo="fee",
        lines=[("fees_receivable", D("25.00"), ZERO), ("fee_income", ZERO, D("25.00"))],
    )
    Installment.objects.filter(pk=second.pk).update(fees=D("25.00"))
    txn = _pay(loan, third.payment, "third")
    assert _lines(txn) == {(3, "interest"): third.interest, (3, "principal"): third.principal}
    _assert_books()


@pytest.mark.django_db
def test_an_installment_asking_for_fifty_cents_is_the_next_due_date():
    loan = boarded_loan(consumer=True)
    first, second = _numbered(loan, 1, 2)
    Installment.objects.filter(pk=second.pk).update(principal=D("0.50"), interest=ZERO, payment=D("0.50"))
    _pay(loan, first.payment, "first")
    loan.refresh_from_db()
    assert loan.next_due_date == second.due_date


# --- an installment paid in parts --------------------------------------------------------------------------------


def _charge_fees(loan, installment, *, late_fees, fees):
    """Fees charged on ``installment``, as the nightly late-fee step and a returned payment charge them."""
    journal_post(
        actor=None,
        loan=loan,
        effective_date=TODAY,
        kind=JournalEntry.Kind.FEE,
        memo="fees",
        lines=[("fees_receivable", late_fees + fees, ZERO), ("fee_income", ZERO, late_fees + fees)],
    )
    Installment.objects.filter(pk=installment.pk).update(late_fees=late_fees, fees=fees)


@pytest.mark.django_db
def test_an_installment_paid_in_six_parts_adds_every_part_and_is_settled_by_the_last():
    loan = boarded_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(allocation_strategy="fees_interest_principal")
    loan.refresh_from_db()
    first = _numbered(loan, 1)[0]
    _charge_fees(loan, first, late_fees=D("15.00"), fees=D("25.00"))
    interest, principal, escrow = first.interest, first.principal, first.escrow
    # Late fees, other fees, interest, principal, escrow: each part ends a cent or a few dollars into the next.
    parts = [
        (D("10.00"), {(1, "late_fees"): D("10.00")}),
        (D("25.00"), {(1, "late_fees"): D("5.00"), (1, "fees"): D("20.00")}),
        (interest + 4, {(1, "fees"): D("5.00"), (1, "interest"): interest - 1}),
        (principal, {(1, "interest"): D("1.00"), (1, "principal"): principal - 1}),
        (escrow - 1, {(1, "principal"): D("1.00"), (1, "escrow"): escrow - 2}),
        (D("2.00"), {(1, "escrow"): D("2.00")}),
    ]
    for number, (amount, lines) in enumerate(parts):
        assert Installment.objects.get(pk=first.pk).paid_on is None
        assert _lines(_pay(loan, amount, f"part-{number}")) == lines
    first.refresh_from_db()
    assert (first.paid_late_fees, first.paid_fees) == (D("15.00"), D("25.00"))
    assert (first.paid_interest, first.paid_principal, first.paid_escrow) == (interest, principal, escrow)
    assert first.paid_on == TODAY
    _assert_books()


# --- journal lines -------------------------------------------------------------------------------------------------


def _entry_lines(txn) -> set[tuple[str, Decimal, Decimal]]:
    return {(line.account.code, line.debit, line.credit) for line in txn.journal_entry.lines.select_related("account")}


@pytest.mark.django_db
def test_interest_earned_is_credited_to_interest_receivable_and_the_rest_to_interest_paid_in_advance():
    loan = boarded_loan(consumer=True)
    first = _numbered(loan, 1)[0]
    # The nightly accrual has earned 40.00 of the installment's interest: that much is receivable, the rest is
    # paid in advance. Fees of 15.00 + 25.00 = 40.00 go to fees receivable.
    journal_post(
        actor=None,
        loan=loan,
        effective_date=TODAY,
        kind=JournalEntry.Kind.ACCRUAL,
        memo="accrual",
        lines=[("interest_receivable", D("40.00"), ZERO), ("interest_income", ZERO, D("40.00"))],
    )
    _charge_fees(loan, first, late_fees=D("15.00"), fees=D("25.00"))
    txn = _pay(loan, first.payment + D("40.00"), "p1")
    assert _entry_lines(txn) == {
        ("cash", first.payment + D("40.00"), ZERO),
        ("interest_receivable", ZERO, D("40.00")),
        ("interest_prepaid", ZERO, first.interest - D("40.00")),
        ("fees_receivable", ZERO, D("40.00")),
        ("loans_receivable", ZERO, first.principal),
    }
    loan.refresh_from_db()
    assert (loan.interest_due, loan.fees_due, loan.interest_prepaid) == (ZERO, ZERO, first.interest - D("40.00"))
    _assert_books()


@pytest.mark.django_db
def test_an_escrow_only_payment_credits_escrow_owed_and_the_deposit_beyond_it_to_escrow_liability():
    loan = boarded_loan()
    first = _numbered(loan, 1)[0]
    txn = _pay(loan, first.escrow + D("300.00"), "escrow", directive="escrow_only")
    assert _lines(txn) == {(1, "escrow"): first.escrow, (None, "escrow"): D("300.00")}
    assert _entry_lines(txn) == {
        ("cash", first.escrow + D("300.00"), ZERO),
        ("escrow_liability", ZERO, first.escrow + D("300.00")),
    }
    _assert_books()


@pytest.mark.django_db
def test_a_loan_whose_strategy_is_unknown_refuses_the_payment_naming_the_loan():
    loan = boarded_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(allocation_strategy="bogus")
    loan.refresh_from_db()
    with pytest.raises(PaymentError) as refused:
        _pay(loan, "100.00", "bogus")
    assert str(refused.value) == (
        f"{loan.loan_number}: the payment cannot be allocated: strategy: unknown allocation strategy 'bogus'; "
        "use one of fees_interest_principal, interest_principal_fees, mortgage_standard"
    )
    assert not LoanTransaction.objects.exists()


# --- what is due is settled before the installment not yet due ---------------------------------------------------


@pytest.mark.django_db
def test_a_late_fee_on_an_installment_past_due_is_paid_before_the_installment_not_yet_due(monkeypatch):
    loan = boarded_loan()
    first = _numbered(loan, 1)[0]
    when = first.due_date + timedelta(days=20)  # past due and past grace; the second not due until a month later
    monkeypatch.setattr(payments, "_today", lambda: when)
    _charge_fees(loan, first, late_fees=D("50.00"), fees=ZERO)
    # mortgage_standard: the first's periodic payment, then its 50.00 late fee; nothing is left for the second
    # (were it counted as due, its periodic payment would come before the late fee and the 50.00 wait in suspense).
    txn = _pay(loan, first.payment + D("50.00"), "late", when=when)
    assert _lines(txn) == {
        (1, "interest"): first.interest,
        (1, "principal"): first.principal,
        (1, "escrow"): first.escrow,
        (1, "late_fees"): D("50.00"),
    }
    _assert_books()


# --- interest paid in advance, earned, then reversed ------------------------------------------------------------


@pytest.mark.django_db
def test_a_reversal_moves_interest_earned_from_its_advance_payment_to_receivable_even_forty_cents():
    loan = boarded_loan(consumer=True)
    first = _numbered(loan, 1)[0]
    servicer = user_with_role("servicer")
    txn = _pay(loan, first.payment, "early")
    # The nightly accrual then earned 0.40 of the interest paid in advance (Dr paid in advance, Cr income).
    journal_post(
        actor=None,
        loan=loan,
        effective_date=TODAY,
        kind=JournalEntry.Kind.ACCRUAL,
        memo="accrual",
        lines=[("interest_prepaid", D("0.40"), ZERO), ("interest_income", ZERO, D("0.40"))],
    )
    payment_reverse(transaction=txn, reason="NSF", actor=servicer)
    # The reversal takes the whole interest back off interest paid in advance: 0.40 below zero, earned and now
    # unpaid, so 0.40 moves to interest receivable.
    adjustment = JournalEntry.objects.get(loan=loan, kind=JournalEntry.Kind.ADJUSTMENT)
    assert {(line.account.code, line.debit, line.credit) for line in adjustment.lines.select_related("account")} == {
        ("interest_receivable", D("0.40"), ZERO),
        ("interest_prepaid", ZERO, D("0.40")),
    }
    assert adjustment.memo == (
        f"Interest earned on {loan.loan_number} whose advance payment was reversed: now receivable"
    )
    assert (adjustment.effective_date, adjustment.created_by) == (TODAY, servicer)
    loan.refresh_from_db()
    assert (loan.interest_prepaid, loan.interest_due) == (ZERO, D("0.40"))
    _assert_books()


# --- what a replay shows -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_replay_shows_a_payments_buckets_summed_over_the_installments_it_paid():
    loan = boarded_loan(closing_date=date(2026, 8, 14), first_payment_date=date(2026, 10, 1))
    one, two = _numbered(loan, 1, 2)  # due 2026-10-01 and 2026-11-01: both past due on TODAY
    later = _pay(loan, one.payment + two.payment, "both")
    _pay(loan, D("100.00"), "backdated", when=date(2026, 11, 20))  # replays the later payment
    change = later.replay_changes.get()
    # Taken off and put back by the replay, the later payment still settles both installments on its own date.
    assert [i.paid_on for i in _numbered(loan, 1, 2)] == [TODAY, TODAY]
    # Put back after the backdated 100.00 (held in suspense: short of the third's periodic payment), it takes the
    # 100.00 out of suspense and leaves 100.00 there for the third: a net suspense change of nothing, so no line.
    assert _lines(later) == {
        (number, bucket): getattr(installment, bucket)
        for number, installment in ((1, one), (2, two))
        for bucket in ("interest", "principal", "escrow")
    }
    # Before the replay the later payment paid both installments: each bucket is the sum over the two.
    assert change.before == {
        "interest": str(one.interest + two.interest),
        "principal": str(one.principal + two.principal),
        "escrow": str(one.escrow + two.escrow),
    }
    _assert_books()


# --- a reversal takes its lines back off the installments ----------------------------------------------------------


@pytest.mark.django_db
def test_reversing_a_late_fee_payment_leaves_an_installment_settled_short_by_prepayments_settled(monkeypatch):
    loan = boarded_loan(consumer=True)
    first = _numbered(loan, 1)[0]
    _pay(loan, loan.principal_balance - first.principal, "curtail", directive="principal_only")
    # The schedule asks 10.00 more principal than the loan still owes: paying what is owed settles it short.
    Installment.objects.filter(pk=first.pk).update(principal=first.principal + 10, payment=first.payment + 10)
    _pay(loan, first.interest + first.principal, "last")
    _charge_fees(loan, first, late_fees=D("15.00"), fees=ZERO)
    monkeypatch.setattr(payments, "_today", lambda: first.due_date)
    fee_payment = _pay(loan, D("15.00"), "fee", when=first.due_date)  # the fee is due with its installment
    assert _lines(fee_payment) == {(1, "late_fees"): D("15.00")}
    payment_reverse(transaction=fee_payment, reason="NSF", actor=None)
    first.refresh_from_db()
    # Only the fee came off: the installment stays settled on the day its periodic payment was paid.
    assert (first.paid_late_fees, first.paid_principal, first.paid_on) == (ZERO, first.principal - 10, TODAY)
    _assert_books()
