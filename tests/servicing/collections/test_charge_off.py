"""Charge-off and recovery: the exact journal lines, the loan's balances mirroring them, idempotency, refusals,
roles, audit, and the nightly run leaving a charged-off loan alone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from lending.core import roles
from lending.core.models import AuditEvent
from servicing import selectors
from servicing.models import ChargeOff, JournalEntry, JournalLine, LoanAccount, NightlyRun, PromiseToPay, Recovery
from servicing.services import charge_off as service
from servicing.services.charge_off import ChargeOffError, loan_charge_off, recovery_post
from servicing.services.collections import promise_make
from servicing.services.ledger import journal_post
from servicing.services.nightly.runner import nightly_run
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")
CHARGED_ON = date(2027, 3, 1)


@pytest.fixture
def manager():
    return user_with_role(roles.MANAGER)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2027, 3, 10))


def _post(loan, day, kind, *lines):
    journal_post(actor=None, loan=loan, effective_date=day, kind=kind, memo="", lines=lines)


def _owing_loan() -> LoanAccount:
    """Principal 300,000.00; interest 2,287.50 accrued unpaid; a late fee of 120.56; 40.00 in suspense; escrow
    1,050.00 (the initial deposit, a surplus held for the borrower)."""
    loan = delinquent_loan(days=120, bucket="120+")
    _post(
        loan,
        date(2027, 2, 1),
        "accrual",
        ("interest_receivable", D("2287.50"), 0),
        ("interest_income", 0, D("2287.50")),
    )
    _post(loan, date(2027, 2, 16), "fee", ("fees_receivable", D("120.56"), 0), ("fee_income", 0, D("120.56")))
    _post(loan, date(2027, 2, 20), "payment", ("cash", D("40.00"), 0), ("suspense", 0, D("40.00")))
    loan.refresh_from_db()
    return loan


def _lines(entry) -> list[tuple[str, Decimal, Decimal]]:
    return list(JournalLine.objects.filter(entry=entry).order_by("id").values_list("account__code", "debit", "credit"))


def _ledger_verify_passes() -> None:
    out = StringIO()
    call_command("ledger_verify", stdout=out)  # raises CommandError on any difference


def test_the_charge_off_entry_writes_off_every_balance_through_the_allowance(manager):
    loan = _owing_loan()
    charge_off = loan_charge_off(actor=manager, loan=loan, reason="No payment since January", as_of=CHARGED_ON)

    # Borrower's funds applied first: 40.00 suspense + 1,050.00 escrow surplus = 1,090.00.
    # Loss: 300,000.00 + 2,287.50 + 120.56 - 1,090.00 = 301,318.06.
    assert _lines(charge_off.journal_entry) == [
        ("suspense", D("40.00"), ZERO),
        ("escrow_liability", D("1050.00"), ZERO),
        ("charge_off_loss", D("301318.06"), ZERO),
        ("allowance_loan_losses", ZERO, D("301318.06")),
        ("allowance_loan_losses", D("301318.06"), ZERO),
        ("loans_receivable", ZERO, D("300000.00")),
        ("interest_receivable", ZERO, D("2287.50")),
        ("fees_receivable", ZERO, D("120.56")),
    ]
    entry = charge_off.journal_entry
    assert (entry.kind, entry.effective_date, entry.created_by) == ("charge_off", CHARGED_ON, manager)
    assert entry.memo == f"Charge-off of {loan.loan_number}: No payment since January"
    assert (charge_off.principal, charge_off.interest, charge_off.fees) == (D("300000.00"), D("2287.50"), D("120.56"))
    assert (charge_off.escrow_advance, charge_off.borrower_funds_applied) == (ZERO, D("1090.00"))
    assert (charge_off.loss, charge_off.days_past_due, charge_off.charged_off_on) == (D("301318.06"), 120, CHARGED_ON)

    loan.refresh_from_db()
    assert loan.status == LoanAccount.Status.CHARGED_OFF
    balances = [loan.principal_balance, loan.interest_due, loan.fees_due, loan.escrow_balance, loan.suspense_balance]
    assert balances == [ZERO] * 5
    _ledger_verify_passes()
    by_code = {row.account.code: row for row in selectors.trial_balance().rows}
    assert by_code["allowance_loan_losses"].balance == ZERO
    assert by_code["charge_off_loss"].balance == D("301318.06")
    assert by_code["allowance_loan_losses"].account.number == "1150"


def test_an_escrow_advance_is_written_off_with_the_rest(manager):
    loan = delinquent_loan()
    # The servicer paid 1,500.00 of taxes out of 1,050.00 held: escrow -450.00 (advanced).
    _post(
        loan, date(2027, 2, 5), "escrow_disbursement", ("escrow_liability", D("1500.00"), 0), ("cash", 0, D("1500.00"))
    )
    loan.refresh_from_db()
    charge_off = loan_charge_off(actor=manager, loan=loan, reason="Bankruptcy discharge", as_of=CHARGED_ON)
    # Loss: 300,000.00 principal + 450.00 escrow advanced = 300,450.00.
    assert _lines(charge_off.journal_entry) == [
        ("charge_off_loss", D("300450.00"), ZERO),
        ("allowance_loan_losses", ZERO, D("300450.00")),
        ("allowance_loan_losses", D("300450.00"), ZERO),
        ("loans_receivable", ZERO, D("300000.00")),
        ("escrow_liability", ZERO, D("450.00")),
    ]
    assert (charge_off.escrow_advance, charge_off.borrower_funds_applied, charge_off.loss) == (
        D("450.00"),
        ZERO,
        D("300450.00"),
    )
    loan.refresh_from_db()
    assert loan.escrow_balance == ZERO
    _ledger_verify_passes()


def test_a_double_submit_changes_nothing_and_is_audited_once(manager):
    loan = _owing_loan()
    first = loan_charge_off(actor=manager, loan=loan, reason="Uncollectible", as_of=CHARGED_ON)
    entries, audits = JournalEntry.objects.count(), AuditEvent.objects.count()
    again = loan_charge_off(actor=manager, loan=loan, reason="Uncollectible", as_of=date(2027, 3, 2))
    assert again.pk == first.pk
    assert (JournalEntry.objects.count(), AuditEvent.objects.count()) == (entries, audits)
    event = AuditEvent.objects.get(verb="loan.charged_off", target_id=str(loan.pk))
    assert event.actor == manager
    assert event.note == "Uncollectible"
    assert event.after["loss"] == "301318.06"
    assert event.after["journal_entry"] == first.journal_entry_id


def test_only_a_manager_charges_off(manager):
    loan = _owing_loan()
    for role in (roles.COLLECTOR, roles.SERVICER):
        with pytest.raises(ChargeOffError, match=r"^Only a manager may charge off a loan\.$"):
            loan_charge_off(actor=user_with_role(role), loan=loan, reason="x", as_of=CHARGED_ON)
    assert ChargeOff.objects.count() == 0


def test_refused_for_a_paid_off_loan_without_a_reason_and_when_the_borrowers_funds_cover_it(manager):
    loan = _owing_loan()
    with pytest.raises(ChargeOffError, match=r"^Give the reason for the charge-off\.$") as refused:
        loan_charge_off(actor=manager, loan=loan, reason="  ", as_of=CHARGED_ON)
    assert refused.value.field == "reason"
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.PAID_OFF)
    with pytest.raises(ChargeOffError, match=r"is paid off: only an active loan can be charged off\.$"):
        loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    covered = delinquent_loan()
    # 300,000.00 principal against 300,000.00 in suspense + 1,050.00 escrow: nothing to lose.
    _post(covered, date(2027, 2, 20), "payment", ("cash", D("300000.00"), 0), ("suspense", 0, D("300000.00")))
    with pytest.raises(ChargeOffError, match="the borrower's funds held cover what is owed"):
        loan_charge_off(actor=manager, loan=covered, reason="x", as_of=CHARGED_ON)
    assert (ChargeOff.objects.count(), JournalEntry.objects.filter(kind="charge_off").count()) == (0, 0)


def test_the_open_promise_is_closed_as_broken(manager, monkeypatch):
    from servicing.services import collections

    monkeypatch.setattr(collections, "_today", lambda: date(2027, 2, 20))
    loan = _owing_loan()
    promise = promise_make(
        actor=user_with_role(roles.COLLECTOR), loan=loan, amount=D("500.00"), promised_date=date(2027, 3, 5)
    )
    loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    promise.refresh_from_db()
    assert (promise.status, promise.resolved_on) == (PromiseToPay.Status.BROKEN, CHARGED_ON)


def _recover(actor, loan, amount: str, key: str, day: date = date(2027, 3, 8)) -> Recovery:
    return recovery_post(
        actor=actor, loan=loan, amount=D(amount), received_on=day, method="check", reference=key, idempotency_key=key
    )


def test_a_recovery_posts_to_cash_and_the_allowance_and_releases_the_provision(manager):
    loan = _owing_loan()
    loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    recovery = _recover(manager, loan, "5000.00", "CHK-1")
    assert _lines(recovery.journal_entry) == [
        ("cash", D("5000.00"), ZERO),
        ("allowance_loan_losses", ZERO, D("5000.00")),
        ("allowance_loan_losses", D("5000.00"), ZERO),
        ("charge_off_loss", ZERO, D("5000.00")),
    ]
    entry = recovery.journal_entry
    assert (entry.kind, entry.effective_date, entry.get_kind_display()) == (
        "recovery",
        date(2027, 3, 8),
        "Recovery (charged-off loan)",
    )
    assert entry.memo == f"Recovery CHK-1 on {loan.loan_number} (check)"
    # It is in the loan's history (its sub-ledger page).
    assert entry in list(loan.journal_entries.all())
    # Net charge-off: 301,318.06 - 5,000.00 = 296,318.06.
    by_code = {row.account.code: row for row in selectors.trial_balance().rows}
    assert by_code["charge_off_loss"].balance == D("296318.06")
    assert by_code["allowance_loan_losses"].balance == ZERO
    loan.refresh_from_db()
    assert (loan.status, loan.principal_balance, loan.suspense_balance) == ("charged_off", ZERO, ZERO)
    _ledger_verify_passes()
    event = AuditEvent.objects.get(verb="loan.recovery_posted")
    assert (event.actor, event.after["amount"], event.after["unrecovered"]) == (manager, "5000.00", "296318.06")


def test_a_recovery_is_idempotent_capped_and_refused_on_an_active_loan(manager):
    loan = _owing_loan()
    with pytest.raises(ChargeOffError, match=r"is active: money on it is a payment, not a recovery\.$"):
        _recover(manager, loan, "1.00", "A-1")
    loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    first = _recover(manager, loan, "301000.00", "CHK-1")
    entries = JournalEntry.objects.count()
    assert _recover(manager, loan, "301000.00", "CHK-1").pk == first.pk  # a double submit
    assert JournalEntry.objects.count() == entries
    # 301,318.06 - 301,000.00 = 318.06 left to recover.
    with pytest.raises(ChargeOffError, match=r"^Only \$318.06 of the \$301,318.06 charged off is still unrecovered"):
        _recover(manager, loan, "318.07", "CHK-2")
    assert _recover(manager, loan, "318.06", "CHK-3").amount == D("318.06")
    with pytest.raises(ChargeOffError, match="a recovery is received after that") as early:
        _recover(manager, loan, "1.00", "CHK-4", day=date(2027, 2, 28))
    assert early.value.field == "received_on"
    with pytest.raises(ChargeOffError, match=r"^Only a manager may post a recovery\.$"):
        _recover(user_with_role(roles.COLLECTOR), loan, "1.00", "CHK-5")
    assert Recovery.objects.count() == 2


@pytest.mark.parametrize(
    ("amount", "day", "method", "field"),
    [
        ("0.00", date(2027, 3, 8), "check", "amount"),
        ("1.005", date(2027, 3, 8), "check", "amount"),
        ("1.00", date(2027, 3, 11), "check", "received_on"),  # after "today" (Mar 10)
        ("1.00", date(2027, 3, 8), "barter", "method"),
    ],
)
def test_bad_recovery_input_names_the_field(manager, amount, day, method, field):
    loan = _owing_loan()
    loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    with pytest.raises(ChargeOffError) as refused:
        recovery_post(actor=manager, loan=loan, amount=D(amount), received_on=day, method=method, idempotency_key="K")
    assert refused.value.field == field


def test_the_nightly_run_leaves_a_charged_off_loan_alone(manager, monkeypatch):
    charged, active = delinquent_loan(), delinquent_loan()
    loan_charge_off(actor=manager, loan=charged, reason="x", as_of=date(2027, 2, 26))
    entries = JournalEntry.objects.filter(loan=charged).count()
    # Friday Feb 26 2027, closed on Monday Mar 1: the active loan accrues interest, the charged-off one nothing.
    run = nightly_run(
        business_date=date(2027, 2, 26), actor=None, trigger=NightlyRun.Trigger.COMMAND, today=date(2027, 3, 1)
    )
    assert run.status == "completed"
    assert JournalEntry.objects.filter(loan=charged).count() == entries
    assert JournalEntry.objects.filter(loan=active, kind="accrual").exists()
    charged.refresh_from_db()
    assert (charged.status, charged.interest_due, charged.days_past_due) == ("charged_off", ZERO, 45)
    assert service.charge_off_figures(charged).loss == ZERO


def test_interest_paid_in_advance_is_the_borrowers_money_applied_before_the_loss(manager):
    loan = delinquent_loan()
    # 212.34 of interest paid ahead of its accrual, held for the borrower (a liability, like suspense).
    _post(loan, date(2027, 2, 20), "payment", ("cash", D("212.34"), 0), ("interest_prepaid", 0, D("212.34")))
    loan.refresh_from_db()
    charge_off = loan_charge_off(actor=manager, loan=loan, reason="Uncollectible", as_of=CHARGED_ON)
    # Borrower's funds: 212.34 prepaid + 1,050.00 escrow held = 1,262.34.
    # Loss: 300,000.00 principal - 1,262.34 = 298,737.66.
    assert _lines(charge_off.journal_entry) == [
        ("interest_prepaid", D("212.34"), ZERO),
        ("escrow_liability", D("1050.00"), ZERO),
        ("charge_off_loss", D("298737.66"), ZERO),
        ("allowance_loan_losses", ZERO, D("298737.66")),
        ("allowance_loan_losses", D("298737.66"), ZERO),
        ("loans_receivable", ZERO, D("300000.00")),
    ]
    assert (charge_off.borrower_funds_applied, charge_off.loss) == (D("1262.34"), D("298737.66"))
    loan.refresh_from_db()
    assert loan.interest_prepaid == ZERO
    _ledger_verify_passes()


def test_a_recovery_may_be_dated_today_but_not_tomorrow(manager):
    loan = _owing_loan()
    loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    # "Today" is Mar 10 2027 (the autouse fixture): received today is money in hand.
    assert _recover(manager, loan, "10.00", "CHK-TODAY", day=date(2027, 3, 10)).received_on == date(2027, 3, 10)
    with pytest.raises(ChargeOffError, match=r"^A recovery cannot be dated in the future\.$"):
        _recover(manager, loan, "10.00", "CHK-TOMORROW", day=date(2027, 3, 11))


@pytest.mark.parametrize(
    ("amount", "day", "method", "key", "message"),
    [
        (None, date(2027, 3, 8), "check", "K", "The amount must be more than $0.00."),
        ("-5.00", date(2027, 3, 8), "check", "K", "The amount must be more than $0.00."),
        ("1.005", date(2027, 3, 8), "check", "K", "The amount is in dollars and cents."),
        ("1.00", date(2027, 3, 11), "check", "K", "A recovery cannot be dated in the future."),
        ("1.00", date(2027, 3, 8), "barter", "K", "Choose how the money came."),
        ("1.00", date(2027, 3, 8), "check", "", "The form expired: open the page again."),
    ],
)
def test_each_bad_recovery_input_is_refused_in_words_and_nothing_is_written(manager, amount, day, method, key, message):
    loan = _owing_loan()
    loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    entries = JournalEntry.objects.count()
    with pytest.raises(ChargeOffError) as refused:
        recovery_post(
            actor=manager,
            loan=loan,
            amount=None if amount is None else D(amount),
            received_on=day,
            method=method,
            idempotency_key=key,
        )
    assert str(refused.value) == message
    assert (Recovery.objects.count(), JournalEntry.objects.count()) == (0, entries)


def test_the_charge_off_is_audited_with_the_status_entry_loss_funds_and_promises_closed(manager, monkeypatch):
    from servicing.services import collections

    monkeypatch.setattr(collections, "_today", lambda: date(2027, 2, 20))
    loan = _owing_loan()
    promise_make(actor=user_with_role(roles.COLLECTOR), loan=loan, amount=D("500.00"), promised_date=date(2027, 3, 5))
    charge_off = loan_charge_off(actor=manager, loan=loan, reason="  No payment since January ", as_of=CHARGED_ON)
    # The caller's own loan object says charged off too (no refresh needed).
    assert loan.status == LoanAccount.Status.CHARGED_OFF
    event = AuditEvent.objects.get(verb="loan.charged_off")
    assert (event.actor, event.target_id, event.target_type.model) == (manager, str(loan.pk), "loanaccount")
    assert event.before == {"status": "active"}
    # Loss 301,318.06 and borrower's funds 1,090.00, as the entry (test above); one open promise closed.
    assert event.after == {
        "status": "charged_off",
        "charge_off": charge_off.pk,
        "journal_entry": charge_off.journal_entry_id,
        "loss": "301318.06",
        "borrower_funds_applied": "1090.00",
        "promises_closed": 1,
    }
    # The reason is kept trimmed, on the audit row and the charge-off.
    assert (event.note, charge_off.reason) == ("No payment since January", "No payment since January")
    assert (charge_off.charged_off_by, charge_off.journal_entry.idempotency_key) == (manager, f"charge-off:{loan.pk}")


def test_a_long_reason_is_kept_to_the_255_characters_of_its_column(manager):
    loan = _owing_loan()
    reason = "x" * 300
    charge_off = loan_charge_off(actor=manager, loan=loan, reason=reason, as_of=CHARGED_ON)
    charge_off.refresh_from_db()
    assert charge_off.reason == "x" * 255


def test_without_a_date_the_charge_off_is_dated_today(manager):
    loan = _owing_loan()
    charge_off = loan_charge_off(actor=manager, loan=loan, reason="x")
    assert (charge_off.charged_off_on, charge_off.journal_entry.effective_date) == (
        date(2027, 3, 10),
        date(2027, 3, 10),
    )


def test_a_recovery_is_audited_and_its_row_written_as_received(manager):
    loan = _owing_loan()
    charge_off = loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    # Received on the charge-off day itself: allowed (only an earlier day is refused).
    recovery = recovery_post(
        actor=manager,
        loan=loan,
        amount=D("1318.06"),
        received_on=CHARGED_ON,
        method="wire",
        reference="R" * 120,
        idempotency_key="KEY-1",
    )
    recovery.refresh_from_db()
    assert (recovery.loan, recovery.amount, recovery.received_on, recovery.method) == (
        loan,
        D("1318.06"),
        CHARGED_ON,
        "wire",
    )
    assert (recovery.reference, recovery.idempotency_key, recovery.posted_by) == ("R" * 100, "KEY-1", manager)
    assert recovery.journal_entry.idempotency_key == "recovery:KEY-1"
    event = AuditEvent.objects.get(verb="loan.recovery_posted")
    assert (event.actor, event.target_id, event.before) == (manager, str(loan.pk), {})
    # 301,318.06 charged off - 1,318.06 recovered = 300,000.00 still unrecovered.
    assert event.after == {
        "recovery": recovery.pk,
        "amount": "1318.06",
        "received_on": "2027-03-01",
        "journal_entry": recovery.journal_entry_id,
        "unrecovered": "300000.00",
    }
    assert service.recoverable(charge_off) == D("300000.00")


def test_a_recovery_without_a_reference_is_named_by_its_key_in_the_memo(manager):
    loan = _owing_loan()
    loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    recovery = recovery_post(
        actor=manager, loan=loan, amount=D("10.00"), received_on=date(2027, 3, 8), method="cash", idempotency_key="K-9"
    )
    assert recovery.journal_entry.memo == f"Recovery K-9 on {loan.loan_number} (cash)"
    assert recovery.reference == ""


def test_a_recovery_key_already_used_on_another_loan_is_refused_in_words(manager):
    first, other = _owing_loan(), _owing_loan()
    for loan in (first, other):
        loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    _recover(manager, first, "10.00", "CHK-1")
    entries = JournalEntry.objects.count()
    with pytest.raises(ChargeOffError) as refused:
        _recover(manager, other, "10.00", "CHK-1")
    assert str(refused.value) == "That form was already used for another loan: open the page again."
    assert (Recovery.objects.count(), JournalEntry.objects.count()) == (1, entries)


def test_the_refusals_of_a_charge_off_name_the_loan_and_the_field(manager):
    loan = _owing_loan()
    with pytest.raises(ChargeOffError) as refused:
        loan_charge_off(actor=manager, loan=loan, reason="", as_of=CHARGED_ON)
    assert (str(refused.value), refused.value.field) == ("Give the reason for the charge-off.", "reason")
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.PAID_OFF)
    with pytest.raises(ChargeOffError) as refused:
        loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    assert str(refused.value) == f"{loan.loan_number} is paid off: only an active loan can be charged off."
    assert refused.value.field is None
    assert not AuditEvent.objects.filter(verb="loan.charged_off").exists()


def test_a_recovery_too_large_or_too_early_is_refused_in_words_on_its_field(manager):
    loan = _owing_loan()
    loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    with pytest.raises(ChargeOffError) as refused:
        _recover(manager, loan, "301318.07", "CHK-1")  # a cent more than the 301,318.06 charged off
    assert (str(refused.value), refused.value.field) == (
        "Only $301,318.06 of the $301,318.06 charged off is still unrecovered: "
        "money beyond it is the borrower's, to be refunded.",
        "amount",
    )
    with pytest.raises(ChargeOffError) as refused:
        _recover(manager, loan, "1.00", "CHK-2", day=date(2027, 2, 28))
    assert (str(refused.value), refused.value.field) == (
        "The loan was charged off on Mar 01, 2027: a recovery is received after that.",
        "received_on",
    )
    assert not Recovery.objects.exists()
    recovery = _recover(manager, loan, "5.00", "CHK-3")
    assert recovery.journal_entry.created_by == manager


def test_the_same_recovery_posted_at_the_same_moment_is_written_once(manager, monkeypatch):
    loan = _owing_loan()
    loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    real_recoverable = service.recoverable
    raced = []

    def a_second_submit_gets_in_first(charge_off):
        # Between this post's idempotency check and its insert, the same form is posted and committed.
        if not raced:
            raced.append(True)
            _recover(manager, loan, "10.00", "CHK-RACE")
        return real_recoverable(charge_off)

    monkeypatch.setattr(service, "recoverable", a_second_submit_gets_in_first)
    recovery = _recover(manager, loan, "10.00", "CHK-RACE")
    assert recovery.idempotency_key == "CHK-RACE"
    assert Recovery.objects.count() == 1
    assert AuditEvent.objects.filter(verb="loan.recovery_posted").count() == 1


def test_a_loan_whose_borrowers_funds_exactly_cover_it_has_nothing_to_write_off(manager):
    loan = delinquent_loan()
    # 298,950.00 in suspense + 1,050.00 escrow held = 300,000.00, the principal owed: a loss of exactly 0.00.
    _post(loan, date(2027, 2, 20), "payment", ("cash", D("298950.00"), 0), ("suspense", 0, D("298950.00")))
    with pytest.raises(ChargeOffError) as refused:
        loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    assert str(refused.value) == (
        f"{loan.loan_number}: the borrower's funds held cover what is owed: post them as a payoff instead."
    )
    assert not ChargeOff.objects.exists()


def test_only_this_loans_open_promise_is_closed(manager, monkeypatch):
    from servicing.services import collections

    monkeypatch.setattr(collections, "_today", lambda: date(2027, 2, 20))
    collector = user_with_role(roles.COLLECTOR)
    loan, other = _owing_loan(), delinquent_loan()
    kept = promise_make(actor=collector, loan=loan, amount=D("100.00"), promised_date=date(2027, 2, 21))
    PromiseToPay.objects.filter(pk=kept.pk).update(status=PromiseToPay.Status.KEPT, resolved_on=date(2027, 2, 21))
    open_ = promise_make(actor=collector, loan=loan, amount=D("500.00"), promised_date=date(2027, 3, 5))
    others = promise_make(actor=collector, loan=other, amount=D("500.00"), promised_date=date(2027, 3, 5))
    loan_charge_off(actor=manager, loan=loan, reason="x", as_of=CHARGED_ON)
    statuses = dict(PromiseToPay.objects.values_list("pk", "status"))
    # The kept promise stays kept; another loan's open promise stays open.
    assert statuses == {kept.pk: "kept", open_.pk: "broken", others.pk: "pending"}
    assert AuditEvent.objects.get(verb="loan.charged_off").after["promises_closed"] == 1
