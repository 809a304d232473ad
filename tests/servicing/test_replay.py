"""Replays: a backdated payment or a reversal re-runs the later payments in date order, shows before and after,
keeps the books, and writes nothing when a later payment cannot be re-applied."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent
from servicing import selectors
from servicing.models import (
    AllocationLine,
    Installment,
    JournalEntry,
    LoanAccount,
    LoanTransaction,
    Replay,
    ReplayChange,
)
from servicing.services import payments, replay
from servicing.services.payments import PaymentError, payment_post, payment_reverse
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2027, 3, 20)  # installments 1-3 (Jan, Feb, Mar 1st) are due


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


@pytest.fixture
def loan():
    return boarded_loan()


def _pay(loan, amount, key, when, directive="standard"):
    return payment_post(
        loan=loan,
        amount=D(amount),
        effective_date=when,
        method="check",
        reference=f"ref-{key}",
        idempotency_key=key,
        actor=None,
        directive=directive,
    )


def _inst(loan, number) -> Installment:
    return Installment.objects.get(loan=loan, number=number)


def _paid_numbers(txn) -> set[int]:
    return {
        line.installment.number
        for line in txn.allocation_lines.current().select_related("installment")
        if line.installment
    }


def _assert_books(loan):
    assert selectors.unbalanced_entries() == []
    assert selectors.loan_balance_mismatches() == []
    standing = LoanTransaction.objects.filter(loan=loan, kind="payment", status="posted")
    for txn in standing:  # no money created or lost: each standing payment's lines add up to it
        assert sum(line.amount for line in txn.allocation_lines.current()) == txn.amount
    for installment in Installment.objects.filter(loan=loan, number__lte=4):
        lines = AllocationLine.objects.current().filter(installment=installment, transaction__in=standing)
        assert installment.paid == sum((line.amount for line in lines), D("0.00"))


def test_a_backdated_payment_takes_the_older_installment_and_replays_the_later_one(loan):
    first, second = _inst(loan, 1), _inst(loan, 2)
    later = _pay(loan, first.payment, "b", date(2027, 2, 10))
    assert _paid_numbers(later) == {1}
    old_entry = later.journal_entry_id

    early = _pay(loan, first.payment, "a", date(2027, 1, 1))

    assert _paid_numbers(early) == {1}
    later.refresh_from_db()
    assert _paid_numbers(later) == {2}
    assert later.journal_entry_id != old_entry
    assert JournalEntry.objects.filter(reverses_id=old_entry).exists()
    assert AllocationLine.objects.filter(transaction=later, superseded_by__isnull=False).count() == 3
    run = Replay.objects.get()
    assert (run.cause, run.trigger, run.from_date) == ("backdated_payment", early, date(2027, 1, 1))
    change = ReplayChange.objects.get()
    assert change.transaction == later
    assert change.changed
    assert change.before["interest"] == str(first.interest)
    assert change.after["interest"] == str(second.interest)
    loan.refresh_from_db()
    assert loan.next_due_date == _inst(loan, 3).due_date
    assert loan.interest_paid_through == second.due_date
    assert AuditEvent.objects.filter(verb="loan.replayed").count() == 1
    _assert_books(loan)


def test_reversing_a_partial_whose_suspense_was_applied_since_replays_the_later_payment(loan):
    first = _inst(loan, 1)
    held = _pay(loan, "500.00", "a", date(2027, 1, 1))
    rest = _pay(loan, first.payment - D("500.00"), "b", date(2027, 1, 5))
    assert _inst(loan, 1).paid_on == date(2027, 1, 5)

    reversal = payment_reverse(transaction=held, reason="NSF", actor=None)

    rest.refresh_from_db()
    lines = {(line.bucket, line.amount) for line in rest.allocation_lines.current()}
    assert lines == {("suspense", first.payment - D("500.00"))}  # now short of a full payment: held
    loan.refresh_from_db()
    assert loan.suspense_balance == first.payment - D("500.00")
    assert _inst(loan, 1).paid == D("0.00")
    assert _inst(loan, 1).paid_on is None
    run = Replay.objects.get()
    assert run.cause == "reversal"
    assert run.trigger == reversal
    _assert_books(loan)


def test_reversing_a_middle_payment_moves_the_later_one_onto_the_unpaid_installment(loan):
    amounts = _inst(loan, 1).payment
    p1 = _pay(loan, amounts, "p1", date(2027, 1, 1))
    p2 = _pay(loan, _inst(loan, 2).payment, "p2", date(2027, 2, 1))
    p3 = _pay(loan, _inst(loan, 3).payment, "p3", date(2027, 3, 1))

    payment_reverse(transaction=p2, reason="returned R01", actor=None)

    p1.refresh_from_db()
    p3.refresh_from_db()
    assert _paid_numbers(p1) == {1}
    assert p3.journal_entry.kind == "payment"
    assert _inst(loan, 2).payment == _inst(loan, 3).payment  # a level payment: p3 now pays installment 2 exactly
    assert _paid_numbers(p3) == {2}
    assert [c.transaction for c in ReplayChange.objects.all()] == [p3]  # p1 applied before p2: untouched
    loan.refresh_from_db()
    assert _inst(loan, 2).paid_on == date(2027, 3, 1)
    assert loan.next_due_date == _inst(loan, 3).due_date
    _assert_books(loan)


def test_a_same_day_payment_posted_later_is_not_a_backdating(loan):
    _pay(loan, "100.00", "x", date(2027, 2, 1))
    _pay(loan, "100.00", "y", date(2027, 2, 1))
    assert not Replay.objects.exists()


def test_resubmitting_a_backdated_payment_posts_and_replays_once(loan):
    _pay(loan, _inst(loan, 1).payment, "b", date(2027, 2, 10))
    first = _pay(loan, _inst(loan, 1).payment, "a", date(2027, 1, 1))
    again = _pay(loan, _inst(loan, 1).payment, "a", date(2027, 1, 1))
    assert again == first
    assert Replay.objects.count() == 1
    _assert_books(loan)


def test_a_later_payment_that_cannot_be_reapplied_refuses_the_backdated_payment_and_writes_nothing(loan, monkeypatch):
    later = _pay(loan, _inst(loan, 1).payment, "b", date(2027, 2, 10))
    counts = (LoanTransaction.objects.count(), JournalEntry.objects.count(), AllocationLine.objects.count())
    balances = LoanAccount.objects.values("principal_balance", "escrow_balance", "version").get(pk=loan.pk)
    real = replay.payment_allocate

    def refuse_on_reapply(target, amount, effective_date, directive):
        if effective_date == later.effective_date:
            raise PaymentError("no longer fits")
        return real(target, amount, effective_date, directive)

    monkeypatch.setattr(replay, "payment_allocate", refuse_on_reapply)
    with pytest.raises(PaymentError, match="could not be re-applied: no longer fits"):
        _pay(loan, "200.00", "a", date(2027, 1, 1))
    assert (LoanTransaction.objects.count(), JournalEntry.objects.count(), AllocationLine.objects.count()) == counts
    assert LoanAccount.objects.values("principal_balance", "escrow_balance", "version").get(pk=loan.pk) == balances
    assert not Replay.objects.exists()
    assert _paid_numbers(later) == {1}


def test_a_reversal_on_a_loan_no_longer_active_is_refused(loan):
    txn = _pay(loan, "100.00", "x", date(2027, 2, 1))
    LoanAccount.objects.filter(pk=loan.pk).update(status="paid_off")
    with pytest.raises(PaymentError, match="paid off"):
        payment_reverse(transaction=txn, reason="NSF", actor=None)


# --- the page -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (roles.SERVICER, 200),
        (roles.COLLECTOR, 200),
        (roles.MANAGER, 200),
        (roles.LOAN_OFFICER, 403),
        (roles.BORROWER, 403),
    ],
)
def test_the_replay_page_shows_before_and_after_to_servicing_roles(client, loan, role, status):
    _pay(loan, _inst(loan, 1).payment, "b", date(2027, 2, 10))
    _pay(loan, _inst(loan, 1).payment, "a", date(2027, 1, 1))
    client.force_login(user_with_role(role))
    response = client.get(reverse("servicing:replay-detail", args=[Replay.objects.get().pk]))
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert "Allocation changed" in html
        assert str(_inst(loan, 1).interest) in html
        assert str(_inst(loan, 2).interest) in html


def test_the_replay_page_redirects_anonymous_users_and_404s_a_missing_replay(client):
    assert client.get(reverse("servicing:replay-detail", args=[1])).status_code == 302
    client.force_login(user_with_role(roles.SERVICER))
    assert client.get(reverse("servicing:replay-detail", args=[999])).status_code == 404


def test_the_replay_page_queries_do_not_grow_with_the_payments_replayed(client, loan, django_assert_max_num_queries):
    for number, when in enumerate([date(2027, 1, 20), date(2027, 2, 20), date(2027, 3, 15)], start=1):
        _pay(loan, _inst(loan, number).payment, f"p{number}", when)
    _pay(loan, "50.00", "early", date(2027, 1, 2))
    assert ReplayChange.objects.count() == 3
    client.force_login(user_with_role(roles.SERVICER))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("servicing:replay-detail", args=[Replay.objects.get().pk])).status_code == 200


# --- where servicers meet replays -------------------------------------------------------------------------------


def test_a_backdated_payment_posted_in_the_admin_lands_on_what_changed(client, loan):
    servicer = user_with_role(roles.SERVICER)
    client.force_login(servicer)
    _pay(loan, _inst(loan, 1).payment, "later", date(2027, 2, 10))
    url = reverse("admin:servicing_loanaccount_post_payment", args=[loan.pk])
    data = {
        "amount": str(_inst(loan, 1).payment),
        "effective_date": "2027-01-01",
        "method": "check",
        "reference": "CHK-EARLY",
        "directive": "standard",
        "idempotency_key": "admin:early",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("servicing:replay-detail", args=[Replay.objects.get().pk])


def test_a_reversal_in_the_admin_that_replays_lands_on_what_changed(client, loan):
    client.force_login(user_with_role(roles.SERVICER))
    held = _pay(loan, "500.00", "a", date(2027, 1, 1))
    _pay(loan, _inst(loan, 1).payment - D("500.00"), "b", date(2027, 1, 5))
    url = reverse("admin:servicing_loantransaction_reverse", args=[held.pk])
    response = client.post(url, {"reason": "ach_r01", "detail": "trace 7"})
    assert response.status_code == 302
    assert response["Location"] == reverse("servicing:replay-detail", args=[Replay.objects.get().pk])


def test_a_reversal_that_replays_nothing_goes_back_to_the_transaction(client, loan):
    client.force_login(user_with_role(roles.SERVICER))
    only = _pay(loan, "500.00", "a", date(2027, 1, 1))
    response = client.post(reverse("admin:servicing_loantransaction_reverse", args=[only.pk]), {"reason": "ach_r01"})
    assert response["Location"] == reverse("admin:servicing_loantransaction_change", args=[only.pk])
    assert not Replay.objects.exists()


@pytest.mark.parametrize(
    ("role", "can_post"), [(roles.SERVICER, True), (roles.MANAGER, True), (roles.COLLECTOR, False)]
)
def test_the_staff_loan_page_links_payoff_posting_and_its_replays(client, loan, role, can_post):
    _pay(loan, _inst(loan, 1).payment, "later", date(2027, 2, 10))
    _pay(loan, _inst(loan, 1).payment, "early", date(2027, 1, 1))
    client.force_login(user_with_role(role))
    html = client.get(reverse("servicing:loan-detail", args=[loan.pk])).content.decode()
    assert reverse("servicing:loan-payoff", args=[loan.pk]) in html
    assert reverse("servicing:replay-detail", args=[Replay.objects.get().pk]) in html
    post_url = reverse("admin:servicing_loanaccount_post_payment", args=[loan.pk])
    assert (post_url in html) is can_post
