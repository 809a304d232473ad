"""The replay's rules pinned (issue 17: a changed comparison, order or guard in servicing/services/replay.py fails a
test): which later payments a reversal takes off (dated after it, or the same day and posted after it), the order
they go back on (by date, not by posting order), what the replay records (its audit row, its changes, its
entries' memos), and the refusals naming the payment at fault."""

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.models import AuditEvent, User
from servicing.models import AllocationLine, Installment, JournalEntry, LoanTransaction, Replay, ReplayChange
from servicing.services import payments, replay
from servicing.services.ledger import LedgerError
from servicing.services.payments import PaymentError, payment_post, payment_reverse
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan
from tests.servicing.factories_portal import pay_installments

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2027, 3, 20)  # installments 1-3 (Jan, Feb, Mar 1st) are due


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


@pytest.fixture
def loan():
    return boarded_loan()  # a level monthly mortgage: every installment's payment is the same


def _pay(loan, amount, key, when, actor=None):
    return payment_post(
        loan=loan,
        amount=D(amount),
        effective_date=when,
        method="check",
        reference=f"ref-{key}",
        idempotency_key=key,
        actor=actor,
    )


def _inst(loan, number) -> Installment:
    return Installment.objects.get(loan=loan, number=number)


def _paid_numbers(txn) -> set[int]:
    lines = txn.allocation_lines.current().select_related("installment")
    return {line.installment.number for line in lines if line.installment}


def test_a_reversal_puts_the_later_payments_back_in_date_order_not_posting_order(loan):
    payment = _inst(loan, 1).payment  # level: the same for installments 1-3
    p1 = _pay(loan, payment, "p1", date(2027, 1, 1))
    feb = _pay(loan, payment, "feb", date(2027, 2, 10))
    jan = _pay(loan, payment, "jan", date(2027, 1, 20))  # posted after feb, dated before it: feb replays
    assert (_paid_numbers(jan), _paid_numbers(feb)) == ({2}, {3})
    assert jan.pk > feb.pk

    payment_reverse(transaction=p1, reason="NSF", actor=None)

    # Oldest first: jan (Jan 20) pays installment 1 again, feb (Feb 10) installment 2.
    assert (_paid_numbers(jan), _paid_numbers(feb)) == ({1}, {2})
    assert _inst(loan, 1).paid_on == date(2027, 1, 20)
    assert _inst(loan, 2).paid_on == date(2027, 2, 10)
    assert _inst(loan, 3).paid == D("0.00")
    replay = Replay.objects.get(cause="reversal")
    assert [c.transaction_id for c in ReplayChange.objects.filter(replay=replay).order_by("id")] == [jan.pk, feb.pk]


def test_a_reversal_replays_a_same_day_payment_posted_after_it(loan):
    first = _inst(loan, 1)
    held = _pay(loan, "500.00", "a", date(2027, 1, 1))  # short of a payment: held in suspense
    rest = _pay(loan, first.payment - D("500.00"), "b", date(2027, 1, 1))  # the same day: pays installment 1
    assert _inst(loan, 1).paid == first.payment

    payment_reverse(transaction=held, reason="NSF", actor=None)

    rest.refresh_from_db()
    # Without the 500.00 the rest is short of a payment again: all of it held in suspense.
    lines = [(line.bucket, line.amount) for line in rest.allocation_lines.current()]
    assert lines == [("suspense", first.payment - D("500.00"))]
    assert _inst(loan, 1).paid == D("0.00")
    replay = Replay.objects.get()
    assert (replay.cause, replay.from_date) == ("reversal", date(2027, 1, 1))
    assert [c.transaction_id for c in ReplayChange.objects.filter(replay=replay)] == [rest.pk]


def test_a_reversal_leaves_a_same_day_payment_posted_before_it_alone(loan):
    first = _inst(loan, 1)
    before = _pay(loan, first.payment, "before", date(2027, 1, 1))  # pays installment 1
    extra = _pay(loan, "300.00", "extra", date(2027, 1, 1))  # the same day, posted after it
    entry = before.journal_entry_id

    payment_reverse(transaction=extra, reason="NSF", actor=None)

    before.refresh_from_db()
    assert before.journal_entry_id == entry  # not taken off: nothing replays
    assert _paid_numbers(before) == {1}
    assert not Replay.objects.exists()


def test_a_backdated_payment_replays_a_payment_dated_after_it_not_one_on_its_own_day(loan):
    payment = _inst(loan, 1).payment
    same_day = _pay(loan, "100.00", "same", date(2027, 1, 15))
    later = _pay(loan, payment, "later", date(2027, 1, 16))
    same_entry = same_day.journal_entry_id

    _pay(loan, payment, "back", date(2027, 1, 15))  # the same day as "same", the day before "later"

    same_day.refresh_from_db()
    assert same_day.journal_entry_id == same_entry  # same day, posted before: it stands
    replay = Replay.objects.get()
    assert [c.transaction_id for c in ReplayChange.objects.filter(replay=replay)] == [later.pk]


def test_a_replay_records_its_entries_by_the_actor_and_names_them(loan):
    servicer = user_with_role(roles.SERVICER)
    payment = _inst(loan, 1).payment
    later = _pay(loan, payment, "later", date(2027, 2, 10), actor=servicer)
    old_entry = later.journal_entry_id

    back = _pay(loan, payment, "back", date(2027, 1, 1), actor=servicer)

    replay = Replay.objects.get()
    assert (replay.created_by, replay.trigger) == (servicer, back)
    later.refresh_from_db()
    new_entry = later.journal_entry
    assert new_entry.memo == f"Payment ref-later re-applied (replay {replay.pk})"
    assert (new_entry.kind, new_entry.effective_date, new_entry.created_by) == ("payment", date(2027, 2, 10), servicer)
    reversal = JournalEntry.objects.get(reverses_id=old_entry)
    assert reversal.memo == (
        f"Reversal of JE {old_entry}: replay {replay.pk}: backdated payment ref-back on 2027-01-01"
    )
    assert reversal.created_by == servicer
    change = ReplayChange.objects.get()
    assert (change.old_entry_id, change.new_entry_id) == (old_entry, new_entry.pk)
    event = AuditEvent.objects.get(verb="loan.replayed")
    assert event.actor == servicer
    assert event.target_id == str(replay.pk)
    assert event.after == {
        "loan": loan.loan_number,
        "cause": "backdated_payment",
        "from_date": "2027-01-01",
        "trigger": back.pk,
        "changed": [later.pk],  # it paid installment 1, it now pays installment 2: a different split
        "reapplied": [later.pk],
    }


def test_a_replayed_payment_without_a_reference_is_named_by_its_key(loan):
    payment = _inst(loan, 1).payment
    later = payment_post(
        loan=loan,
        amount=payment,
        effective_date=date(2027, 2, 10),
        method="check",
        reference="",
        idempotency_key="key-later",
        actor=None,
    )
    _pay(loan, payment, "back", date(2027, 1, 1))
    later.refresh_from_db()
    replay = Replay.objects.get()
    assert later.journal_entry.memo == f"Payment key-later re-applied (replay {replay.pk})"
    assert replay.created_by is None


def test_a_replay_that_changes_nothing_lists_the_payment_as_reapplied_not_changed(loan):
    # A payment held in suspense before the backdated one is held in suspense after it: the same split.
    later = _pay(loan, "100.00", "later", date(2027, 2, 10))
    back = _pay(loan, "100.00", "back", date(2027, 1, 1))
    event = AuditEvent.objects.get(verb="loan.replayed")
    assert (event.after["changed"], event.after["reapplied"], event.after["trigger"]) == ([], [later.pk], back.pk)
    # 100.00 + 100.00 held: short of a payment either way
    lines = [(line.bucket, line.amount) for line in later.allocation_lines.current()]
    assert lines == [("suspense", D("100.00"))]
    assert AllocationLine.objects.filter(transaction=later, superseded_by__isnull=False).count() == 1
    assert LoanTransaction.objects.get(pk=later.pk).journal_entry.kind == "payment"


def test_payments_after_reads_the_payments_with_their_entries_in_one_query(loan, django_assert_num_queries):
    payment = _inst(loan, 1).payment
    first = _pay(loan, payment, "first", date(2027, 1, 1))
    second = _pay(loan, payment, "second", date(2027, 1, 1))
    third = _pay(loan, payment, "third", date(2027, 2, 1))
    with django_assert_num_queries(1):
        later = replay.payments_after(loan, effective_date=date(2027, 1, 1), after_id=first.pk)
        entries = [txn.journal_entry.pk for txn in later]
    assert [txn.pk for txn in later] == [second.pk, third.pk]
    assert entries == [second.journal_entry_id, third.journal_entry_id]
    assert [t.pk for t in replay.payments_after(loan, effective_date=date(2027, 1, 1))] == [third.pk]


def test_unwind_then_reapply_hands_back_the_replay_and_the_payments_new_entries(loan):
    payment = _inst(loan, 1).payment
    later = _pay(loan, payment, "later", date(2027, 2, 10))
    old_entry = later.journal_entry_id
    taken = replay.payments_after(loan, effective_date=date(2027, 1, 1))
    unwound = replay.replay_unwind(
        loan=loan, payments=taken, cause="backdated_payment", from_date=date(2027, 1, 1), reason="test", actor=None
    )
    assert _inst(loan, 1).paid == D("0.00")  # taken off
    assert unwound.before[later.pk][1] == old_entry

    result = replay.replay_reapply(loan=loan, unwound=unwound, trigger=later, actor=None)

    stored = LoanTransaction.objects.get(pk=later.pk)
    assert stored.journal_entry_id != old_entry
    assert taken[0].journal_entry == stored.journal_entry  # the caller's instances carry the new entry
    assert result == unwound.replay
    assert result.trigger == later  # in memory as stored
    assert Replay.objects.get(pk=result.pk).trigger == later
    assert _paid_numbers(stored) == {1}  # put back as it was
    assert ReplayChange.objects.get().changed is False


def test_a_replay_by_an_unsaved_user_records_no_creator(loan):
    nobody = User(email="nobody@example.com")  # a placeholder caller, never saved
    payment = _inst(loan, 1).payment
    _pay(loan, payment, "later", date(2027, 2, 10), actor=nobody)
    _pay(loan, payment, "back", date(2027, 1, 1), actor=nobody)
    assert Replay.objects.get().created_by_id is None


def test_taking_a_prepayment_off_prices_the_installments_back_until_it_is_put_back(monkeypatch):
    # Figures of tests/servicing/test_reamortization.py: $200,000 at 6.5 % over 360 months, installments 1-3 paid;
    # 10,000.00 prepaid on March 1 prices installment 4 on 189,454.63: interest 1,026.21, principal 237.93;
    # without it, on 199,454.63: 199,454.63 x 0.065 / 12 = 1,080.379... -> interest 1,080.38, principal 183.76.
    loan = boarded_loan(amount=D("200000.00"))
    pay_installments(monkeypatch, loan, 3)
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 3, 1))
    loan.refresh_from_db()
    prepaid = payment_post(
        loan=loan,
        amount=D("10000.00"),
        effective_date=date(2027, 3, 1),
        method="check",
        reference="extra",
        idempotency_key="extra",
        actor=None,
        directive="principal_only",
    )
    assert (_inst(loan, 4).interest, _inst(loan, 4).principal) == (D("1026.21"), D("237.93"))
    loan.refresh_from_db()

    unwound = replay.replay_unwind(
        loan=loan, payments=[prepaid], cause="reversal", from_date=date(2027, 3, 1), reason="test", actor=None
    )

    assert (_inst(loan, 4).interest, _inst(loan, 4).principal) == (D("1080.38"), D("183.76"))
    replay.replay_reapply(loan=loan, unwound=unwound, trigger=prepaid, actor=None)
    assert (_inst(loan, 4).interest, _inst(loan, 4).principal) == (D("1026.21"), D("237.93"))


def test_a_payment_that_cannot_be_taken_off_refuses_the_replay_naming_it(loan, monkeypatch):
    payment = _inst(loan, 1).payment
    later = _pay(loan, payment, "later", date(2027, 2, 10))
    counts = (LoanTransaction.objects.count(), JournalEntry.objects.count(), Replay.objects.count())

    def refuse(**kwargs):
        raise LedgerError("the books are closed")

    monkeypatch.setattr(replay, "journal_reverse", refuse)
    with pytest.raises(PaymentError) as refused:
        _pay(loan, payment, "back", date(2027, 1, 1))
    assert str(refused.value) == f"payment {later.pk} cannot be taken off for the replay: the books are closed"
    assert (LoanTransaction.objects.count(), JournalEntry.objects.count(), Replay.objects.count()) == counts


def test_a_reversal_does_not_replay_an_earlier_dated_payment_posted_after_it(loan):
    payment = _inst(loan, 1).payment
    feb = _pay(loan, payment, "feb", date(2027, 2, 10))
    jan = _pay(loan, payment, "jan", date(2027, 1, 5))  # posted after feb, dated before it (feb replayed)
    jan_entry = jan.journal_entry_id
    assert jan.pk > feb.pk

    payment_reverse(transaction=feb, reason="NSF", actor=None)

    jan.refresh_from_db()
    assert jan.journal_entry_id == jan_entry  # dated before feb: it stands, nothing replays
    assert not Replay.objects.filter(cause="reversal").exists()
    assert _paid_numbers(jan) == {1}


def test_a_backdated_payment_replays_neither_a_reversed_payment_nor_its_reversal(loan):
    payment = _inst(loan, 1).payment
    returned = _pay(loan, payment, "returned", date(2027, 2, 10))
    payment_reverse(transaction=returned, reason="NSF", actor=None)  # reversed, and a reversal dated Feb 10

    back = _pay(loan, payment, "back", date(2027, 1, 1))

    assert not Replay.objects.exists()  # nothing standing after Jan 1
    assert _paid_numbers(back) == {1}


def test_a_backdated_payment_replays_only_its_own_loans_payments(loan):
    other = boarded_loan()
    others = _pay(other, _inst(other, 1).payment, "others", date(2027, 2, 10))
    entry = others.journal_entry_id

    _pay(loan, _inst(loan, 1).payment, "back", date(2027, 1, 1))

    others.refresh_from_db()
    assert others.journal_entry_id == entry
    assert not Replay.objects.exists()
