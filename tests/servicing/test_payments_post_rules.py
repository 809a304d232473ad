"""``payment_post`` and ``payment_reverse`` pinned one rule at a time (issue 17): each refusal's exact words and
field, what a posting and a reversal write (the rows, their memo, reference and key, who posted them, the audit
rows), the caller's loan instance after a posting, and what is sent once the posting commits."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from lending.core.models import AuditEvent, User
from servicing.models import Installment, JournalEntry, LedgerAccount, LoanAccount, LoanTransaction, Replay
from servicing.services import payments
from servicing.services.ledger import journal_post
from servicing.services.payments import PaymentError, payment_reverse
from servicing.services.payoff import payoff_post
from servicing.signals import payment_posted
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan
from tests.servicing.test_payments import TODAY, _assert_books, _lines, _pay

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")
# Boarded on 2026-11-13 (tests.servicing.factories.CLOSING_DATE), paid on TODAY = 2026-12-01.


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


def _first(loan) -> Installment:
    return Installment.objects.get(loan=loan, number=1)


# --- refusals ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "10.005"}, "amount: 10.005 is not a whole number of cents"),
        ({"amount": "-5.00"}, "amount: must be greater than zero, got -5.00"),
        ({"method": "bitcoin"}, "method: unknown method 'bitcoin'; use one of ach, check, wire, cash, card, lockbox"),
        (
            {"directive": "whatever"},
            "directive: unknown directive 'whatever'; use one of standard, principal_only, escrow_only, payoff",
        ),
        (
            {"directive": "payoff"},
            "directive: a payoff is posted through the payoff screen (payoff_post), not as a payment",
        ),
        ({"when": "2026-12-01"}, "effective_date: expected a date, got '2026-12-01'"),
        (
            {"when": date(2026, 11, 12)},
            "effective_date: 2026-11-12 is before the loan's disbursement date 2026-11-13",
        ),
        (  # TODAY + 5 days = 2026-12-06 is the latest
            {"when": date(2026, 12, 7)},
            "effective_date: 2026-12-07 is more than 5 days in the future (latest 2026-12-06)",
        ),
        ({"key": ""}, "idempotency_key: required, at most 100 characters"),
    ],
)
def test_each_refusal_names_its_field_and_says_why_and_nothing_is_written(changes, message):
    loan = boarded_loan()
    entries = JournalEntry.objects.count()
    args = {"amount": "100.00", "key": "bad", **changes}
    with pytest.raises(PaymentError) as refused:
        _pay(loan, args.pop("amount"), args.pop("key"), **args)
    assert str(refused.value) == message
    assert refused.value.field == message.split(":")[0]
    assert not LoanTransaction.objects.exists()
    assert JournalEntry.objects.count() == entries


# --- what a posting writes -----------------------------------------------------------------------------------------


def test_a_payment_records_its_reference_memo_and_who_posted_it():
    loan = boarded_loan()
    servicer = user_with_role("servicer")
    reference = "R" * 60 + "S" * 60  # 120 characters: the transaction keeps the first 100
    txn = payments.payment_post(
        loan=loan,
        amount=D("100.00"),
        effective_date=TODAY,
        method="check",
        reference=reference,
        idempotency_key="memo",
        actor=servicer,
    )
    txn = LoanTransaction.objects.select_related("journal_entry").get(pk=txn.pk)
    assert txn.reference == "R" * 60 + "S" * 40
    assert (txn.posted_by, txn.journal_entry.created_by) == (servicer, servicer)
    assert txn.journal_entry.memo == f"Payment {reference} on {loan.loan_number} (check)"


def test_a_payment_without_a_reference_is_named_by_its_key_and_an_unsaved_actor_is_the_system():
    loan = boarded_loan()
    txn = payments.payment_post(
        loan=loan,
        amount=D("100.00"),
        effective_date=TODAY,
        method="cash",
        reference="",
        idempotency_key="key-7",
        actor=User(email="robot@example.com"),
    )
    txn = LoanTransaction.objects.select_related("journal_entry").get(pk=txn.pk)
    assert txn.journal_entry.memo == f"Payment key-7 on {loan.loan_number} (cash)"
    assert (txn.posted_by, txn.journal_entry.created_by) == (None, None)


def test_the_payment_posted_audit_row_records_the_split_and_the_installments_repriced():
    loan = boarded_loan()
    first = _first(loan)
    servicer = user_with_role("servicer")
    txn = payments.payment_post(
        loan=loan,
        amount=first.payment + D("1000.00"),
        effective_date=TODAY,
        method="ach",
        reference="ref-split",
        idempotency_key="split",
        actor=servicer,
    )
    event = AuditEvent.objects.get(verb="payment.posted")
    assert (event.actor, event.target_id) == (servicer, str(txn.pk))
    # The 1,000.00 beyond the first installment prepays principal and re-prices installments 2-360 (359 rows).
    assert event.after == {
        "loan": loan.loan_number,
        "amount": str(first.payment + D("1000.00")),
        "effective_date": "2026-12-01",
        "method": "ach",
        "reference": "ref-split",
        "directive": "standard",
        "strategy": "mortgage_standard",
        "interest": str(first.interest),
        "principal": str(first.principal),
        "escrow": str(first.escrow),
        "fees": "0.00",
        "prepayment": "1000.00",
        "suspense_applied": "0.00",
        "to_suspense": "0.00",
        "journal_entry": txn.journal_entry_id,
        "replay": None,
        "installments_repriced": 359,
    }
    entry_events = AuditEvent.objects.filter(verb="journal.posted", target_id=str(txn.journal_entry_id))
    assert entry_events.count() == 1


def test_a_backdated_payment_names_its_replay_in_the_audit_row_after_the_entrys_row(monkeypatch):
    loan = boarded_loan()
    monkeypatch.setattr(payments, "_today", lambda: date(2026, 12, 5))
    servicer = user_with_role("servicer")
    later = _pay(loan, "500.00", "later", when=date(2026, 12, 5))
    backdated = payments.payment_post(
        loan=loan,
        amount=D("200.00"),
        effective_date=TODAY,
        method="ach",
        reference="ref-early",
        idempotency_key="early",
        actor=servicer,
    )
    replay = Replay.objects.get()
    assert (replay.cause, replay.from_date, replay.created_by) == (Replay.Cause.BACKDATED_PAYMENT, TODAY, servicer)
    # The later payment's entry is reversed (and posted again) for the replay, with the replay's reason.
    taken_off = JournalEntry.objects.get(reverses=later.journal_entry_id)
    assert taken_off.memo == (
        f"Reversal of JE {later.journal_entry_id}: replay {replay.pk}: backdated payment ref-early on 2026-12-01"
    )
    posted = AuditEvent.objects.get(verb="payment.posted", target_id=str(backdated.pk))
    assert posted.after["replay"] == replay.pk
    entry_row = AuditEvent.objects.get(verb="journal.posted", target_id=str(backdated.journal_entry_id))
    assert entry_row.pk < posted.pk
    assert later.pk != backdated.pk
    _assert_books()


STATE = (  # what a posting moves on the loan row
    "principal_balance",
    "interest_due",
    "fees_due",
    "escrow_balance",
    "suspense_balance",
    "interest_prepaid",
    "version",
    "next_due_date",
    "interest_paid_through",
)


def test_the_callers_loan_instance_carries_the_balances_and_dates_the_posting_left():
    loan = boarded_loan()
    first = _first(loan)
    _pay(loan, "500.00", "partial")  # held in suspense (mortgage_standard: short of a periodic payment)
    for kind, lines in (
        (JournalEntry.Kind.ACCRUAL, [("interest_receivable", D("40.00"), ZERO), ("interest_income", ZERO, D("40.00"))]),
        (JournalEntry.Kind.FEE, [("fees_receivable", D("15.00"), ZERO), ("fee_income", ZERO, D("15.00"))]),
    ):
        journal_post(actor=None, loan=loan, effective_date=TODAY, kind=kind, memo=kind, lines=lines)
    Installment.objects.filter(pk=first.pk).update(late_fees=D("15.00"))
    caller = LoanAccount.objects.get(pk=loan.pk)
    before = {name: getattr(caller, name) for name in STATE}
    # 500.00 in suspense + 15.00 late fee + the periodic payment: every balance and date moves.
    _pay(caller, first.payment - D("500.00") + D("15.00"), "rest")
    fresh = LoanAccount.objects.get(pk=loan.pk)
    for name in STATE:
        assert getattr(caller, name) == getattr(fresh, name), name
        assert getattr(caller, name) != before[name], name
    assert (caller.suspense_balance, caller.interest_due, caller.fees_due) == (ZERO, ZERO, ZERO)


def test_payment_posted_is_sent_once_committed_and_the_receipt_notice_only_when_asked(
    monkeypatch, django_capture_on_commit_callbacks
):
    loan = boarded_loan()
    servicer = user_with_role("servicer")
    notices, sent = [], []
    monkeypatch.setattr(payments, "notice_later", lambda kind, row_id: notices.append((kind, row_id)))

    def receiver(sender, loan, transaction, actor, **kwargs):
        sent.append((sender, loan.pk, transaction.pk, actor))

    payment_posted.connect(receiver, dispatch_uid="test_payments_post_rules")
    try:
        LoanAccount.objects.filter(pk=loan.pk).update(notify_payment_received=False)
        with django_capture_on_commit_callbacks(execute=True):
            quiet = payments.payment_post(
                loan=LoanAccount.objects.get(pk=loan.pk),
                amount=D("100.00"),
                effective_date=TODAY,
                method="ach",
                reference="",
                idempotency_key="quiet",
                actor=servicer,
            )
            assert sent == []  # not before commit
        assert sent == [(LoanTransaction, loan.pk, quiet.pk, servicer)]
        assert notices == []
        LoanAccount.objects.filter(pk=loan.pk).update(notify_payment_received=True)
        told = _pay(LoanAccount.objects.get(pk=loan.pk), "100.00", "told")
        assert notices == [("payment_received", told.pk)]
    finally:
        payment_posted.disconnect(dispatch_uid="test_payments_post_rules")


def test_a_receiver_of_payment_posted_from_payments_only_hears_of_each_committed_posting(
    django_capture_on_commit_callbacks,
):
    loan = boarded_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(notify_payment_received=False)
    sent = []

    def receiver(sender, loan, transaction, actor, **kwargs):
        sent.append((sender, loan.pk, transaction.pk))

    payment_posted.connect(receiver, sender=LoanTransaction, dispatch_uid="test_payments_post_rules_sender")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            txn = _pay(LoanAccount.objects.get(pk=loan.pk), "100.00", "heard")
    finally:
        payment_posted.disconnect(sender=LoanTransaction, dispatch_uid="test_payments_post_rules_sender")
    assert sent == [(LoanTransaction, loan.pk, txn.pk)]


def test_a_payment_with_no_receiver_of_payment_posted_leaves_nothing_to_run_on_commit(
    monkeypatch, django_capture_on_commit_callbacks
):
    loan = boarded_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(notify_payment_received=False)
    monkeypatch.setattr(payment_posted, "receivers", [])  # whatever another app connected
    monkeypatch.setattr(payment_posted, "sender_receivers_cache", {})
    with django_capture_on_commit_callbacks() as callbacks:
        txn = _pay(LoanAccount.objects.get(pk=loan.pk), "100.00", "unheard")
    assert callbacks == []
    assert LoanTransaction.objects.filter(pk=txn.pk, amount=D("100.00")).count() == 1


# --- reversals -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_reversal_without_a_reason_is_refused(reason):
    loan = boarded_loan()
    txn = _pay(loan, "900.00", "p")
    with pytest.raises(PaymentError) as refused:
        payment_reverse(transaction=txn, reason=reason, actor=None)
    assert str(refused.value) == "reason: give the reason for the reversal"
    assert LoanTransaction.objects.get(pk=txn.pk).status == "posted"


def test_a_reversal_cannot_itself_be_reversed():
    loan = boarded_loan()
    reversal = payment_reverse(transaction=_pay(loan, "900.00", "p"), reason="NSF", actor=None)
    with pytest.raises(PaymentError) as refused:
        payment_reverse(transaction=reversal, reason="again", actor=None)
    assert str(refused.value) == f"transaction: transaction {reversal.pk} is a reversal; it cannot be reversed"
    assert LoanTransaction.objects.filter(kind="reversal").count() == 1


def test_a_payoff_is_not_reversed_as_a_payment():
    loan = boarded_loan()
    txn = payoff_post(
        loan=loan,
        amount=D("300975.00"),  # 300,000 + 18 days (30/360) at 6.5%: see test_payoff_figures
        effective_date=TODAY,
        method="wire",
        reference="FW",
        idempotency_key="payoff",
        actor=None,
    )
    with pytest.raises(PaymentError) as refused:
        payment_reverse(transaction=txn, reason="returned", actor=None)
    assert str(refused.value) == "transaction: a payoff is reversed by reopening the loan, not as a payment"


def test_a_reversal_on_a_charged_off_loan_names_the_transaction_field():
    loan = boarded_loan()
    txn = _pay(loan, "900.00", "p")
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.CHARGED_OFF)
    with pytest.raises(PaymentError) as refused:
        payment_reverse(transaction=txn, reason="NSF", actor=None)
    assert str(refused.value) == f"transaction: {loan.loan_number} is charged off"


def test_a_reversal_the_ledger_refuses_says_why_and_writes_nothing():
    loan = boarded_loan()
    txn = _pay(loan, "900.00", "p")
    LedgerAccount.objects.filter(code="cash").update(is_active=False)
    entries = JournalEntry.objects.count()
    with pytest.raises(PaymentError) as refused:
        payment_reverse(transaction=txn, reason="NSF", actor=None)
    assert str(refused.value) == (
        f"transaction {txn.pk} cannot be reversed as it stands: Inactive ledger account(s): cash."
    )
    assert refused.value.field is None
    assert JournalEntry.objects.count() == entries
    assert LoanTransaction.objects.get(pk=txn.pk).status == "posted"


def test_a_reversal_row_mirrors_the_payment_and_its_audit_row_records_why():
    loan = boarded_loan()
    servicer = user_with_role("servicer")
    key = "k" * 100
    txn = _pay(loan, "900.00", key, method="check")
    reason = "returned: " + "x" * 290  # 300 characters: the note keeps 255, the audit row all of them
    reversal = payment_reverse(transaction=txn, reason=f"  {reason} ", actor=servicer)
    assert txn.status == "reversed"  # the caller's instance too
    reversal = LoanTransaction.objects.get(pk=reversal.pk)
    assert (reversal.kind, reversal.amount, reversal.method, reversal.reference, reversal.directive) == (
        "reversal",
        D("900.00"),
        "check",
        "ref-" + "k" * 96,  # the payment's reference, kept to 100 characters
        "standard",
    )
    assert reversal.idempotency_key == "k" * 91 + ":reversal"  # the last 100 characters of key + ":reversal"
    assert (reversal.note, reversal.posted_by, reversal.reverses_id) == (reason[:255], servicer, txn.pk)
    assert reversal.effective_date == reversal.journal_entry.effective_date == TODAY
    assert reversal.journal_entry.reverses_id == txn.journal_entry_id
    event = AuditEvent.objects.get(verb="payment.reversed")
    assert (event.actor, event.target_id, event.note) == (servicer, str(txn.pk), reason)
    assert event.before == {"status": "posted"}
    assert event.after == {
        "status": "reversed",
        "reversal": reversal.pk,
        "journal_entry": reversal.journal_entry_id,
        "replay": None,
    }


def test_reversing_a_prepayment_reprices_the_installments_and_says_how_many():
    loan = boarded_loan()
    first, second = Installment.objects.filter(loan=loan, number__in=(1, 2)).order_by("number")
    txn = _pay(loan, first.payment + D("10000.00"), "prepay")
    assert Installment.objects.get(pk=second.pk).interest < second.interest  # re-priced on the lower balance
    payment_reverse(transaction=txn, reason="NSF", actor=None)
    # The balance is back at 300,000.00: installments 2-360 (359 rows) are priced as they were.
    assert Installment.objects.get(pk=second.pk).interest == second.interest
    assert AuditEvent.objects.get(verb="payment.reversed").after["installments_repriced"] == 359
    _assert_books()


def test_reversing_a_payment_replays_the_later_one_and_names_the_reversal_as_the_cause():
    loan = boarded_loan()
    first = _first(loan)
    paid = _pay(loan, first.payment, "first")
    later = _pay(loan, "100.00", "later")
    servicer = user_with_role("servicer")
    payment_reverse(transaction=paid, reason="NSF", actor=servicer)
    replay = Replay.objects.get()
    assert (replay.cause, replay.from_date, replay.created_by) == (Replay.Cause.REVERSAL, TODAY, servicer)
    taken_off = JournalEntry.objects.get(reverses=later.journal_entry_id)
    assert taken_off.memo == (
        f"Reversal of JE {later.journal_entry_id}: replay {replay.pk}: reversal of payment {paid.pk} (NSF)"
    )
    assert AuditEvent.objects.get(verb="payment.reversed").after["replay"] == replay.pk
    # The later 100.00 is short of a periodic payment: after the replay it waits in suspense.
    assert _lines(later) == {(None, "suspense"): D("100.00")}
    assert LoanTransaction.objects.get(pk=later.pk).effective_date == TODAY
    _assert_books()


def test_a_payment_dated_the_day_after_another_is_not_a_backdating(monkeypatch):
    loan = boarded_loan()
    monkeypatch.setattr(payments, "_today", lambda: TODAY + timedelta(days=1))
    _pay(loan, "100.00", "a", when=TODAY)
    _pay(loan, "100.00", "b", when=TODAY + timedelta(days=1))
    assert not Replay.objects.exists()


def test_a_retry_after_the_loan_closed_still_answers_with_the_first_posting():
    loan = boarded_loan()
    first = _pay(loan, "900.00", "retry")
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.PAID_OFF)
    entries = JournalEntry.objects.count()
    assert _pay(LoanAccount.objects.get(pk=loan.pk), "900.00", "retry").pk == first.pk
    assert (LoanTransaction.objects.count(), JournalEntry.objects.count()) == (1, entries)


def test_a_key_taken_on_another_loan_unseen_at_the_look_up_is_refused_at_the_write_and_writes_nothing(monkeypatch):
    theirs_loan, ours = boarded_loan(), boarded_loan()
    theirs = _pay(theirs_loan, "100.00", "shared")
    before = (ours.principal_balance, ours.version, JournalEntry.objects.filter(loan=ours).count())
    # As if the other loan's payment committed between our look-up and our write: the look-up finds nothing, the
    # write hits the key's unique constraint; ours rolls back and the key is refused, naming their posting.
    monkeypatch.setattr(payments, "_existing_and_later", lambda key, loan, effective_date: (None, []))
    with pytest.raises(PaymentError) as refused:
        _pay(ours, "100.00", "shared")
    assert str(refused.value) == f"idempotency_key: 'shared' was already used for another transaction ({theirs.pk})"
    assert LoanTransaction.objects.filter(loan=ours).count() == 0
    ours.refresh_from_db()
    assert (ours.principal_balance, ours.version, JournalEntry.objects.filter(loan=ours).count()) == before
