"""ACH services, rule by rule (issue 17): what each write records (the row, its fields, its audit row), each
refusal in its own words and field, the boundaries of the key, the date window, the bank details and autopay's
draft days, and the ABA routing prefixes.

The loan: the factories' 30-year escrowed mortgage of 300,000.00 boarded 2026-11-13, installment 1 due 2027-01-01:
interest 2,600.06 + principal 271.20 + escrow 525.00 = 3,396.26. Today is 2026-12-01.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lending.core import roles
from lending.core.models import AuditEvent, User
from servicing import tasks
from servicing.models import AutopayEnrollment, LoanAccount, LoanTransaction, PendingPayment
from servicing.services import ach
from servicing.services.ach import AchError, BankDetails, routing_number_valid
from servicing.services.payments import payment_reverse
from tests.core.factories import user_with_role
from tests.servicing.factories_portal import BANK, ROUTING, TODAY, borrower_loan, set_today
from tests.servicing.factories_portal import ach_schedule as _schedule

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    set_today(monkeypatch, TODAY)


@pytest.fixture
def loan():
    return borrower_loan()


def _refused(call, *args, **kwargs) -> AchError:
    with pytest.raises(AchError) as refused:
        call(*args, **kwargs)
    return refused.value


def _event(verb: str) -> AuditEvent:
    return AuditEvent.objects.get(verb=verb)


# --- scheduling ------------------------------------------------------------------------------------------------


def test_a_scheduled_payment_records_the_bank_account_as_typed_and_its_audit_row(loan):
    bank = BankDetails("  Nora Quinn ", "0110 00015", "0001 2345 6789", "savings")
    pending = _schedule(loan, "1500.00", "form-1", when=TODAY + timedelta(days=3), principal_only=True, bank=bank)
    stored = PendingPayment.objects.get(pk=pending.pk)
    assert (stored.account_holder, stored.routing_number, stored.account_number, stored.account_type) == (
        "Nora Quinn",
        "011000015",
        "000123456789",
        "savings",
    )
    assert (stored.amount, stored.scheduled_date, stored.directive, stored.idempotency_key) == (
        D("1500.00"),
        TODAY + timedelta(days=3),
        "principal_only",
        "form-1",
    )
    assert (stored.loan_id, stored.created_by, stored.status, stored.account_last4) == (
        loan.pk,
        loan.borrower,
        "pending",
        "6789",
    )
    event = _event("ach_payment.scheduled")
    assert (event.actor, event.target_id, event.before) == (loan.borrower, str(pending.pk), {})
    assert event.after == {
        "loan": loan.loan_number,
        "amount": "1500.00",
        "scheduled_date": "2026-12-04",
        "directive": "principal_only",
        "account_last4": "6789",
    }


def test_a_key_of_100_characters_is_taken_and_a_longer_or_empty_one_refused_in_words(loan):
    assert _schedule(loan, key="k" * 100).idempotency_key == "k" * 100
    for key in ("k" * 101, ""):
        refused = _refused(_schedule, loan, key=key)
        assert (refused.field, refused.message) == ("idempotency_key", "missing or too long; reload the page")
    assert PendingPayment.objects.count() == 1


def test_a_double_submit_is_answered_with_the_first_record_even_when_the_repeat_no_longer_passes(loan, monkeypatch):
    first = _schedule(loan, key="double", when=TODAY)
    set_today(monkeypatch, TODAY + timedelta(days=1))  # the repeat arrives the next day: its date is now past
    again = _schedule(loan, "0", key="double", when=TODAY, bank=None)
    assert again.pk == first.pk
    assert PendingPayment.objects.count() == 1
    assert AuditEvent.objects.filter(verb="ach_payment.scheduled").count() == 1


def test_a_key_used_on_another_loan_is_refused_in_words(loan):
    _schedule(loan, key="shared")
    refused = _refused(_schedule, borrower_loan(consumer=True), key="shared")
    assert refused.message == "this form was already used for another loan; reload the page"
    assert PendingPayment.objects.count() == 1


def test_a_key_recorded_concurrently_after_the_checks_answers_with_that_record(loan, monkeypatch):
    # Another request records the same key between this one's checks and its insert: the insert fails on the
    # unique key, and the record the other request made is the answer.
    other = _schedule(loan, "250.00", key="race")
    real = ach._existing_pending
    calls = []

    def not_yet(key, for_loan):
        calls.append(key)
        return None if len(calls) <= 2 else real(key, for_loan)

    monkeypatch.setattr(ach, "_existing_pending", not_yet)
    answer = _schedule(loan, "300.00", key="race")
    assert (answer.pk, answer.amount, len(calls)) == (other.pk, D("250.00"), 3)
    assert PendingPayment.objects.count() == 1
    assert AuditEvent.objects.filter(verb="ach_payment.scheduled").count() == 1


def test_a_key_recorded_while_waiting_for_the_loan_is_answered_before_the_ceiling_is_checked(loan, monkeypatch):
    # Another request records the key, for the whole ceiling (303,125.06), while this one waits for the loan's
    # lock: once it holds the lock the key is looked up again and answered with that record, not refused for
    # an amount above what is left (nothing).
    other = _schedule(loan, "303125.06", key="race")
    real = ach._existing_pending
    calls = []

    def first_misses(key, for_loan):
        calls.append(key)
        return None if len(calls) == 1 else real(key, for_loan)

    monkeypatch.setattr(ach, "_existing_pending", first_misses)
    assert _schedule(loan, "100.00", key="race").pk == other.pk
    assert calls == ["race", "race"]
    assert PendingPayment.objects.count() == 1


def test_an_insert_failing_for_another_reason_is_not_answered_with_a_record(loan, monkeypatch):
    monkeypatch.setattr(ach, "_existing_pending", lambda key, for_loan: None)
    _schedule(loan, key="race")
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        _schedule(loan, key="race")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "must be greater than zero, got 0.00"),
        ("-5.00", "must be greater than zero, got -5.00"),
        ("10.005", "10.005 is not a whole number of cents"),
    ],
)
def test_an_amount_is_refused_in_words(loan, amount, message):
    refused = _refused(_schedule, loan, amount)
    assert (refused.field, refused.message) == ("amount", message)
    assert str(refused) == f"amount: {message}"


def test_the_date_window_is_today_to_30_days_ahead_each_refusal_in_words(loan):
    assert _schedule(loan, key="today", when=TODAY).scheduled_date == TODAY
    assert _schedule(loan, key="last", when=TODAY + timedelta(days=30)).scheduled_date == TODAY + timedelta(days=30)
    past = _refused(_schedule, loan, key="past", when=TODAY - timedelta(days=1))
    assert (past.field, past.message) == ("scheduled_date", "choose today (2026-12-01) or a later day")
    late = _refused(_schedule, loan, key="late", when=TODAY + timedelta(days=31))
    assert (late.field, late.message) == ("scheduled_date", "at most 30 days ahead (by 2026-12-31)")
    not_a_date = _refused(_schedule, loan, key="text", when="2026-12-02")
    assert not_a_date.field == "scheduled_date"
    assert PendingPayment.objects.count() == 2


def test_the_ceiling_is_refused_in_words_and_its_exact_amount_taken(loan):
    # 300,000.00 principal + 2,600.06 interest + 525.00 escrow of installment 1 = 303,125.06
    refused = _refused(_schedule, loan, "303125.07")
    assert (refused.field, refused.message) == (
        "amount",
        "at most $303,125.06 on this loan (what you owe, less payments already scheduled); "
        "for a larger amount, request a payoff quote",
    )
    assert _schedule(loan, "303125.06").amount == D("303125.06")


def test_the_principal_only_ceiling_is_the_principal_not_billed_next(loan):
    # 300,000.00 - installment 1's 271.20 of principal = 299,728.80
    refused = _refused(_schedule, loan, "299728.81", principal_only=True)
    assert refused.message.startswith("at most $299,728.80 on this loan")
    assert _schedule(loan, "299728.80", principal_only=True).directive == "principal_only"


def test_a_loan_not_active_is_refused_in_words(loan):
    LoanAccount.objects.filter(pk=loan.pk).update(status="charged_off")
    refused = _refused(_schedule, loan)
    assert (refused.field, refused.message) == (None, f"loan {loan.loan_number} is charged off; it takes no payments")
    assert str(refused) == refused.message


# --- bank details ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bank", "field", "message"),
    [
        (None, "account_number", "give the bank account to draft"),
        (BankDetails("", ROUTING, "000123456789"), "account_holder", None),
        (BankDetails("   ", ROUTING, "000123456789"), "account_holder", None),
        (BankDetails("N" * 121, ROUTING, "000123456789"), "account_holder", None),
        (BankDetails("Nora Quinn", "011000016", "000123456789"), "routing_number", None),
        (BankDetails("Nora Quinn", ROUTING, "123"), "account_number", None),
        (BankDetails("Nora Quinn", ROUTING, "1" * 18), "account_number", None),
        (BankDetails("Nora Quinn", ROUTING, "12a45"), "account_number", None),
        (BankDetails("Nora Quinn", ROUTING, "000123456789", "money_market"), "account_type", None),
    ],
)
def test_bank_details_are_refused_by_field_in_words(loan, bank, field, message):
    words = {
        "account_holder": "the name on the account is required (at most 120 characters)",
        "routing_number": "not a valid 9-digit ABA routing number",
        "account_number": "an account number has 4 to 17 digits",
        "account_type": "choose checking or savings",
    }
    refused = _refused(_schedule, loan, bank=bank)
    assert (refused.field, refused.message) == (field, message or words[field])
    assert PendingPayment.objects.count() == 0


def test_the_longest_name_and_the_shortest_and_longest_account_numbers_are_taken(loan):
    longest = _schedule(loan, key="a", bank=BankDetails("N" * 120, ROUTING, "1234"))
    assert (longest.account_holder, longest.account_number) == ("N" * 120, "1234")
    assert _schedule(loan, key="b", bank=BankDetails("Nora Quinn", ROUTING, "1" * 17)).account_number == "1" * 17


def test_bank_details_give_the_fields_of_an_account():
    assert BankDetails("Nora Quinn", ROUTING, "000123456789", "savings").fields() == {
        "account_holder": "Nora Quinn",
        "routing_number": ROUTING,
        "account_number": "000123456789",
        "account_type": "savings",
        "account_last4": "6789",
    }


def test_bank_details_are_read_back_from_a_stored_account(loan):
    enrollment = ach.autopay_enroll(
        loan=loan,
        bank=BankDetails("Nora Quinn", ROUTING, "000123456789", "savings"),
        draft_days_before=0,
        actor=loan.borrower,
    )
    stored = AutopayEnrollment.objects.get(pk=enrollment.pk)
    assert BankDetails.from_account(stored) == BankDetails("Nora Quinn", ROUTING, "000123456789", "savings")


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        # Real routing numbers whose every weight (3, 7, 1) meets non-zero digits: 3*(d1+d4+d7) + 7*(d2+d5+d8)
        # + (d3+d6+d9). 121000358: 3*(1+0+3) + 7*(2+0+5) + (1+0+8) = 12 + 49 + 9 = 70.
        ("121000358", True),
        # 322271627: 3*(3+2+6) + 7*(2+7+2) + (2+1+7) = 33 + 77 + 10 = 120.
        ("322271627", True),
        ("322271628", False),  # 121: the checksum is off by one
        ("32227162", False),  # eight digits
        ("3222716270", False),  # ten digits
        # Each prefix range at its edges, each number with a valid checksum (3*(d1+d4+d7) + 7*(d2+d5+d8)
        # + (d3+d6+d9) a multiple of 10): 00 government; 01-12 banks; 21-32 thrifts; 61-72 electronic; 80.
        ("001000012", True),
        ("121000015", True),
        ("131000018", False),
        ("201000016", False),
        ("211000019", True),
        ("321000019", True),
        ("331000012", False),
        ("601000014", False),
        ("611000017", True),
        ("721000017", True),
        ("731000010", False),
        ("801000018", True),
        ("811000011", False),
    ],
)
def test_a_routing_number_needs_an_issued_prefix_and_the_aba_checksum(number, valid):
    assert routing_number_valid(number) is valid


# --- settling, cancelling, returning -------------------------------------------------------------------------------


@pytest.fixture
def staff():
    return user_with_role(roles.SERVICER)


def test_settling_posts_on_today_by_default_with_its_reference_and_records_who(loan, staff, monkeypatch):
    pending = _schedule(loan, "3396.26")
    before = timezone.now()
    txn = ach.ach_payment_settle(pending=pending, actor=staff)
    assert (txn.effective_date, txn.reference, txn.posted_by) == (
        TODAY,
        f"ACH {pending.pk} account ending 6789",
        staff,
    )
    assert (pending.status, pending.transaction_id, pending.settled_on) == ("settled", txn.pk, TODAY)
    stored = PendingPayment.objects.get(pk=pending.pk)
    assert (stored.status, stored.settled_on, stored.status_changed_by) == ("settled", TODAY, staff)
    assert stored.status_changed_at >= before
    event = _event("ach_payment.settled")
    assert (event.actor, event.target_id) == (staff, str(pending.pk))
    assert (event.before, event.after) == (
        {"status": "pending"},
        {"status": "settled", "transaction": txn.pk, "settled_on": "2026-12-01"},
    )


def test_it_settles_on_its_scheduled_day_and_not_the_day_before(loan):
    later = _schedule(loan, when=TODAY + timedelta(days=2))
    refused = _refused(ach.ach_payment_settle, pending=later, actor=None, settled_on=TODAY + timedelta(days=1))
    assert (refused.field, refused.message) == ("settled_on", "scheduled for 2026-12-03: it cannot settle before")
    assert ach.ach_payment_settle(pending=later, actor=None, settled_on=TODAY + timedelta(days=2)).amount == D(
        "1000.00"
    )


def test_settling_a_settled_payment_hands_back_its_posting_on_the_callers_copy(loan):
    pending = _schedule(loan)
    txn = ach.ach_payment_settle(pending=PendingPayment.objects.get(pk=pending.pk), actor=None)
    assert pending.status == "pending"  # a stale copy
    assert ach.ach_payment_settle(pending=pending, actor=None).pk == txn.pk
    assert (pending.status, pending.transaction_id) == ("settled", txn.pk)


def test_a_cancelled_payment_cannot_settle_in_words(loan):
    pending = _schedule(loan)
    ach.ach_payment_cancel(pending=pending, actor=loan.borrower)
    refused = _refused(ach.ach_payment_settle, pending=pending, actor=None)
    assert (refused.field, refused.message) == ("status", f"ACH payment {pending.pk} is cancelled; it cannot settle")


def test_a_posting_the_poster_refuses_is_named_on_its_settlement_day(loan):
    pending = _schedule(loan)
    LoanAccount.objects.filter(pk=loan.pk).update(status="charged_off")
    refused = _refused(ach.ach_payment_settle, pending=pending, actor=None)
    assert refused.field == "settled_on"
    assert refused.message.startswith(f"ACH payment {pending.pk} cannot post: ")
    assert PendingPayment.objects.get(pk=pending.pk).status == "pending"


def test_a_settlement_by_the_system_records_no_changer(loan):
    pending = _schedule(loan)
    ach.ach_payment_settle(pending=pending, actor=None)
    assert PendingPayment.objects.get(pk=pending.pk).status_changed_by is None
    unsaved = User(email="nobody@example.com")  # an actor never saved (no pk) is no changer either
    other = _schedule(loan, key="k2")
    ach.ach_payment_cancel(pending=other, actor=unsaved)
    assert PendingPayment.objects.get(pk=other.pk).status_changed_by is None


def test_cancelling_records_who_and_when_and_its_audit_row(loan):
    pending = _schedule(loan)
    before = timezone.now()
    assert ach.ach_payment_cancel(pending=pending, actor=loan.borrower) is pending
    stored = PendingPayment.objects.get(pk=pending.pk)
    assert (stored.status, stored.status_changed_by) == ("cancelled", loan.borrower)
    assert stored.status_changed_at >= before
    assert pending.status_changed_at == stored.status_changed_at
    event = _event("ach_payment.cancelled")
    assert (event.actor, event.target_id, event.before, event.after) == (
        loan.borrower,
        str(pending.pk),
        {"status": "pending"},
        {"status": "cancelled"},
    )
    refused = _refused(ach.ach_payment_cancel, pending=pending, actor=loan.borrower)
    assert refused.field is None
    assert refused.message == "this payment is cancelled; only a pending payment can be cancelled"


@pytest.fixture
def notices(monkeypatch):
    made: list[tuple[str, int]] = []
    monkeypatch.setattr(tasks.notice_make, "delay", lambda kind, row_id: made.append((kind, row_id)))
    return made


def test_a_return_before_settling_keeps_the_reason_audits_it_and_sends_the_notice(
    loan, staff, notices, django_capture_on_commit_callbacks
):
    pending = _schedule(loan)
    with django_capture_on_commit_callbacks(execute=True):
        assert ach.ach_payment_return(pending=pending, actor=staff, reason="  R08 payment stopped ") is pending
    stored = PendingPayment.objects.get(pk=pending.pk)
    assert (stored.status, stored.return_reason, stored.status_changed_by) == ("returned", "R08 payment stopped", staff)
    assert pending.return_reason == "R08 payment stopped"
    event = _event("ach_payment.returned")
    assert (event.actor, event.target_id, event.note) == (staff, str(pending.pk), "R08 payment stopped")
    assert (event.before, event.after) == ({"status": "pending"}, {"status": "returned", "reversal": None})
    assert notices == [("ach_returned", pending.pk)]


def test_a_return_after_settling_reverses_with_the_reason_and_audits_the_reversal(loan, staff):
    pending = _schedule(loan, "3396.26")
    txn = ach.ach_payment_settle(pending=pending, actor=None)
    ach.ach_payment_return(pending=pending, actor=staff, reason="R02 account closed")
    reversal = LoanTransaction.objects.get(kind="reversal", reverses=txn)
    assert (reversal.posted_by, reversal.note) == (staff, "ACH return: R02 account closed")
    event = _event("ach_payment.returned")
    assert (event.before, event.after) == ({"status": "settled"}, {"status": "returned", "reversal": reversal.pk})


def test_a_return_reason_is_kept_to_255_characters(loan):
    pending = _schedule(loan)
    ach.ach_payment_return(pending=pending, actor=None, reason="R" * 300)
    assert PendingPayment.objects.get(pk=pending.pk).return_reason == "R" * 255
    assert _event("ach_payment.returned").note == "R" * 300


def test_a_return_without_a_reason_or_of_a_cancelled_payment_is_refused_in_words(loan):
    pending = _schedule(loan)
    blank = _refused(ach.ach_payment_return, pending=pending, actor=None, reason=None)
    assert (blank.field, blank.message) == ("reason", "give the return reason (e.g. R01 insufficient funds)")
    ach.ach_payment_cancel(pending=pending, actor=loan.borrower)
    cancelled = _refused(ach.ach_payment_return, pending=pending, actor=None, reason="R01")
    assert (cancelled.field, cancelled.message) == (
        "status",
        f"ACH payment {pending.pk} was cancelled; there is nothing to return",
    )
    assert not AuditEvent.objects.filter(verb="ach_payment.returned").exists()


def test_a_returned_payment_returned_again_is_handed_back_unchanged(loan):
    pending = _schedule(loan)
    ach.ach_payment_return(pending=pending, actor=None, reason="R01")
    again = ach.ach_payment_return(pending=pending, actor=None, reason="R09")
    assert (again.pk, again.status, again.return_reason) == (pending.pk, "returned", "R01")


def test_a_return_whose_posting_cannot_be_reversed_is_refused_in_words_and_changes_nothing(loan):
    pending = _schedule(loan)
    txn = ach.ach_payment_settle(pending=pending, actor=None)
    payment_reverse(transaction=txn, reason="keyed twice", actor=None)
    refused = _refused(ach.ach_payment_return, pending=pending, actor=None, reason="R01")
    assert refused.message == (
        f"ACH payment {pending.pk}: its posting cannot be reversed: "
        f"transaction: transaction {txn.pk} is already reversed"
    )
    assert PendingPayment.objects.get(pk=pending.pk).status == "settled"


# --- autopay -------------------------------------------------------------------------------------------------------


def _enroll(loan, **kwargs):
    kwargs.setdefault("draft_days_before", 3)
    return ach.autopay_enroll(loan=loan, bank=kwargs.pop("bank", BANK), actor=loan.borrower, **kwargs)


def test_an_enrollment_records_its_instruction_and_its_audit_row(loan):
    bank = BankDetails(" Nora Quinn ", "011 000 015", "0001-2345-6789".replace("-", " "), "savings")
    enrollment = _enroll(loan, bank=bank, draft_days_before=10, extra_principal=D("50.00"), max_draft_amount="4000")
    stored = AutopayEnrollment.objects.get(pk=enrollment.pk)
    assert (stored.loan_id, stored.draft_days_before, stored.extra_principal, stored.max_draft_amount) == (
        loan.pk,
        10,
        D("50.00"),
        D("4000.00"),
    )
    assert (stored.account_holder, stored.routing_number, stored.account_number, stored.account_type) == (
        "Nora Quinn",
        "011000015",
        "000123456789",
        "savings",
    )
    assert (stored.enrolled_by, stored.active, stored.account_last4) == (loan.borrower, True, "6789")
    event = _event("autopay.enrolled")
    assert (event.actor, event.target_id) == (loan.borrower, str(enrollment.pk))
    assert event.after == {
        "loan": loan.loan_number,
        "draft_days_before": 10,
        "extra_principal": "50.00",
        "max_draft_amount": "4000.00",
        "account_last4": "6789",
    }


def test_an_enrollment_without_extra_principal_or_ceiling_drafts_the_installment_alone(loan):
    enrollment = _enroll(loan, draft_days_before=0, extra_principal=None)
    assert (enrollment.draft_days_before, enrollment.extra_principal, enrollment.max_draft_amount) == (
        0,
        D("0.00"),
        None,
    )
    assert _event("autopay.enrolled").after["max_draft_amount"] is None


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"draft_days_before": True}, "draft_days_before", "choose the draft day"),
        ({"draft_days_before": "3"}, "draft_days_before", "choose the draft day"),
        ({"draft_days_before": 11}, "draft_days_before", "from 0 to 10 days before the due date"),
        ({"draft_days_before": -1}, "draft_days_before", "from 0 to 10 days before the due date"),
        ({"extra_principal": D("-0.01")}, "extra_principal", "must be greater than zero, got -0.01"),
        ({"max_draft_amount": D("0")}, "max_draft_amount", "must be greater than zero, got 0.00"),
        ({"max_draft_amount": D("10.001")}, "max_draft_amount", "10.001 is not a whole number of cents"),
        # 300,000.00 of principal unpaid: a cent more of extra principal is refused
        ({"extra_principal": D("300000.01")}, "extra_principal", "at most the unpaid principal ($300,000.00)"),
    ],
)
def test_autopay_input_is_refused_in_words_and_records_nothing(loan, kwargs, field, message):
    refused = _refused(_enroll, loan, **kwargs)
    assert (refused.field, refused.message) == (field, message)
    assert AutopayEnrollment.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="autopay.enrolled").exists()


def test_extra_principal_of_the_whole_unpaid_principal_is_taken(loan):
    assert _enroll(loan, extra_principal=D("300000.00")).extra_principal == D("300000.00")


def test_a_second_enrollment_is_refused_in_words(loan):
    _enroll(loan)
    refused = _refused(_enroll, loan)
    assert (refused.field, refused.message) == (
        None,
        "this loan already has autopay; cancel it before enrolling another account",
    )
    assert AutopayEnrollment.objects.count() == 1


def test_autopay_on_another_loan_does_not_stop_this_loans_enrollment(loan):
    other = borrower_loan(consumer=True)
    _enroll(other)
    assert _enroll(loan).active
    assert AutopayEnrollment.objects.filter(active=True).count() == 2


def test_an_enrollment_made_concurrently_after_the_check_is_refused_in_words(loan, monkeypatch):
    # Another request enrolls the loan between this one's check and its insert: the one-active-enrollment
    # constraint refuses the insert, and the borrower reads the same words as when the check sees it.
    _enroll(loan)
    monkeypatch.setattr(AutopayEnrollment.objects, "filter", lambda **kwargs: AutopayEnrollment.objects.none())
    refused = _refused(_enroll, loan)
    assert (refused.field, refused.message) == (
        None,
        "this loan already has autopay; cancel it before enrolling another account",
    )
    assert AutopayEnrollment.objects.count() == 1


def test_an_enrollment_on_a_loan_not_active_is_refused_in_words(loan):
    LoanAccount.objects.filter(pk=loan.pk).update(status="paid_off")
    refused = _refused(_enroll, loan)
    assert refused.message == f"loan {loan.loan_number} is paid off; it takes no payments"


def test_cancelling_autopay_records_who_and_when_on_the_row_and_the_callers_copy(loan, staff):
    enrollment = _enroll(loan)
    before = timezone.now()
    assert ach.autopay_cancel(enrollment=enrollment, actor=staff) is enrollment
    stored = AutopayEnrollment.objects.get(pk=enrollment.pk)
    assert (stored.active, stored.cancelled_by) == (False, staff)
    assert isinstance(stored.cancelled_at, datetime)
    assert stored.cancelled_at >= before
    assert (enrollment.active, enrollment.cancelled_by, enrollment.cancelled_at) == (
        False,
        staff,
        stored.cancelled_at,
    )
    event = _event("autopay.cancelled")
    assert (event.actor, event.target_id, event.before, event.after) == (
        staff,
        str(enrollment.pk),
        {"active": True},
        {"active": False},
    )
    refused = _refused(ach.autopay_cancel, enrollment=enrollment, actor=staff)
    assert (refused.field, refused.message) == (None, "autopay on this account is already cancelled")
