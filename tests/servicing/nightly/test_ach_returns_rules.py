"""ACH returns (``ach_returns``), rule by rule (issue 17): what processing a return writes (the reversal, the
payment's fields, its audit row naming the NACHA code, the reversal and the fee entry; the fee's journal entry,
``LoanFee`` row, installment and audit row), what it refuses in words, where the fee goes, the returns received
from the processor, and when autopay is suspended (the configured count, the codes after which NACHA forbids
drafting the account again).

The loan: the factories' 30-year escrowed mortgage boarded 2026-11-13 with a 25.00 returned-payment fee;
installment 1 due 2027-01-01: interest 2,600.06 + principal 271.20 + escrow 525.00 = 3,396.26. Today is 2026-12-01:
a one-time payment of 3,396.26 scheduled and settled today pays installment 1; the return is processed on
2026-12-03.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lending.core import roles
from lending.core.models import AuditEvent, User
from servicing import tasks
from servicing.ach_processor.base import AchReturn
from servicing.models import (
    AutopayEnrollment,
    Installment,
    JournalEntry,
    LoanFee,
    LoanTransaction,
    PendingPayment,
)
from servicing.services import ach, ach_returns
from servicing.services.ach import AchError, BankDetails
from servicing.services.payments import payment_post, payment_reverse
from tests.core.factories import user_with_role
from tests.origination.factories import ConsumerProductFactory, LoanProductFactory
from tests.servicing.factories_portal import BANK, ROUTING, borrower_loan, set_today

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 12, 1)
RETURNED_ON = date(2026, 12, 3)
INSTALLMENT_1 = D("3396.26")  # 2,600.06 + 271.20 + 525.00


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    set_today(monkeypatch, TODAY)


@pytest.fixture
def staff():
    return user_with_role(roles.SERVICER)


def _loan(fee="25.00"):
    return borrower_loan(product=LoanProductFactory(returned_payment_fee=D(fee)))


def _settled(loan, amount=INSTALLMENT_1, *, key="p1", code="R01", trace="") -> PendingPayment:
    """A one-time payment scheduled and settled today, then answered with ``code`` by the bank."""
    pending = ach.ach_payment_schedule(
        loan=loan,
        amount=amount,
        scheduled_date=TODAY,
        principal_only=False,
        bank=BANK,
        actor=loan.borrower,
        idempotency_key=key,
    )
    ach.ach_payment_settle(pending=pending, actor=None, settled_on=TODAY)
    PendingPayment.objects.filter(pk=pending.pk).update(return_code=code, trace_number=trace)
    return PendingPayment.objects.get(pk=pending.pk)


def _apply(pending, actor=None) -> PendingPayment:
    return ach_returns.ach_return_apply(pending=pending, business_date=RETURNED_ON, actor=actor)


def _check(loan, amount, key, directive="standard") -> LoanTransaction:
    return payment_post(
        loan=loan,
        amount=amount,
        effective_date=TODAY,
        method="check",
        reference=key,
        idempotency_key=key,
        actor=None,
        directive=directive,
    )


def _installment(loan, number) -> Installment:
    return Installment.objects.get(loan=loan, number=number)


# --- processing a return -------------------------------------------------------------------------------------------


def test_a_return_reverses_the_payment_and_records_the_code_the_reversal_and_the_fee(staff):
    loan = _loan()
    pending = _settled(loan)
    before = timezone.now()
    assert _apply(pending, staff).pk == pending.pk
    stored = PendingPayment.objects.get(pk=pending.pk)
    reversal = LoanTransaction.objects.get(kind="reversal", reverses=stored.transaction)
    assert (reversal.amount, reversal.posted_by, reversal.note) == (
        INSTALLMENT_1,
        staff,
        "ACH return: R01 Insufficient funds",
    )
    assert (stored.status, stored.returned_on, stored.return_reason) == (
        "returned",
        RETURNED_ON,
        "R01 Insufficient funds",
    )
    assert stored.status_changed_by == staff
    assert stored.status_changed_at >= before
    fee_entry = stored.return_fee_entry
    event = AuditEvent.objects.get(verb="ach_payment.returned")
    assert (event.actor, event.target_id, event.note) == (staff, str(pending.pk), "R01 Insufficient funds")
    assert (event.before, event.after) == (
        {"status": "settled"},
        {"status": "returned", "return_code": "R01", "reversal": reversal.pk, "fee_entry": fee_entry.pk},
    )


def test_the_returned_payment_fee_is_an_entry_a_loan_fee_on_the_installment_and_an_audit_row(staff):
    loan = _loan()
    pending = _apply(_settled(loan), staff)
    entry = pending.return_fee_entry
    assert (entry.kind, entry.effective_date, entry.idempotency_key, entry.created_by) == (
        "fee",
        RETURNED_ON,
        f"ach-return-fee:{pending.pk}",
        staff,
    )
    assert entry.memo == f"Returned payment fee: ACH {pending.pk} returned R01 on {loan.loan_number}"
    lines = sorted((line.account.code, line.debit, line.credit) for line in entry.lines.all())
    assert lines == [("fee_income", D("0.00"), D("25.00")), ("fees_receivable", D("25.00"), D("0.00"))]
    fee = LoanFee.objects.get()
    first = _installment(loan, 1)  # reversed: owed again, the oldest installment owing
    assert (fee.loan_id, fee.installment_id, fee.kind, fee.amount, fee.assessed_on, fee.journal_entry_id) == (
        loan.pk,
        first.pk,
        "returned_payment",
        D("25.00"),
        RETURNED_ON,
        entry.pk,
    )
    assert fee.returned_payment_id == pending.pk
    assert first.fees == D("25.00")
    event = AuditEvent.objects.get(verb="fee.assessed")
    assert (event.actor, event.target_id) == (staff, str(fee.pk))
    assert event.after == {
        "loan": loan.loan_number,
        "kind": "returned_payment",
        "installment": 1,
        "amount": "25.00",
        "journal_entry": entry.pk,
        "returned_payment": pending.pk,
    }


def test_without_a_fee_the_return_names_no_fee_entry():
    loan = _loan(fee="0.00")
    pending = _apply(_settled(loan))
    assert pending.return_fee_entry is None
    assert AuditEvent.objects.get(verb="ach_payment.returned").after["fee_entry"] is None
    assert not LoanFee.objects.exists()
    assert not JournalEntry.objects.filter(kind="fee").exists()


def test_a_payment_processed_already_or_without_a_code_is_handed_back_untouched():
    loan = _loan()
    returned = _apply(_settled(loan))
    entries = JournalEntry.objects.count()
    again = _apply(PendingPayment.objects.get(pk=returned.pk))
    assert (again.status, JournalEntry.objects.count()) == ("returned", entries)
    assert AuditEvent.objects.filter(verb="ach_payment.returned").count() == 1
    no_code = _settled(loan, D("100.00"), key="p2", code="")
    assert _apply(no_code).status == "settled"
    assert not LoanTransaction.objects.filter(kind="reversal", reverses=no_code.transaction).exists()


def test_a_return_whose_posting_cannot_be_reversed_is_refused_in_words_and_charges_nothing():
    loan = _loan()
    pending = _settled(loan)
    payment_reverse(transaction=pending.transaction, reason="keyed twice", actor=None)
    with pytest.raises(AchError) as refused:
        _apply(pending)
    assert refused.value.message == (
        f"ACH payment {pending.pk}: its posting cannot be reversed: "
        f"transaction: transaction {pending.transaction_id} is already reversed"
    )
    assert PendingPayment.objects.get(pk=pending.pk).status == "settled"
    assert not LoanFee.objects.exists()


def test_the_borrowers_notice_is_sent_once_the_return_commits(django_capture_on_commit_callbacks, monkeypatch):
    made = []
    monkeypatch.setattr(tasks.notice_make, "delay", lambda kind, row_id: made.append((kind, row_id)))
    loan = _loan(fee="0.00")
    pending = _settled(loan)
    with django_capture_on_commit_callbacks(execute=True):
        _apply(pending)
    assert made == [("ach_returned", pending.pk)]


def _pay_installment_1_by_check(loan) -> None:
    payment_post(
        loan=loan,
        amount=INSTALLMENT_1,
        effective_date=TODAY,
        method="check",
        reference="chk",
        idempotency_key="chk",
        actor=None,
    )


def test_a_one_time_payments_fee_goes_on_the_oldest_installment_still_owing():
    # Installment 1 is paid by check; the returned one-time payment of 100.00 was for no installment in
    # particular, so its fee goes on installment 2 (due 2027-02-01), the oldest still owing.
    loan = _loan()
    _pay_installment_1_by_check(loan)
    _apply(_settled(loan, D("100.00")))
    second = _installment(loan, 2)
    assert LoanFee.objects.get().installment_id == second.pk
    assert (second.fees, _installment(loan, 1).fees) == (D("25.00"), D("0.00"))


def test_a_fee_with_nothing_owed_on_the_schedule_goes_on_no_installment():
    loan = _loan()
    pending = _settled(loan, D("100.00"))
    loan.next_due_date = None  # nothing left owing on the schedule
    assert ach_returns._fee_installment(pending, loan) is None


def test_an_autopay_drafts_fee_goes_on_its_own_installment_and_the_return_suspends_when_due(settings):
    settings.LENDING_ACH_RETURNS_BEFORE_SUSPENSION = 1
    loan = _loan()
    enrollment = ach.autopay_enroll(loan=loan, bank=BANK, draft_days_before=0, actor=loan.borrower)
    pending = _settled(loan, D("100.00"))
    second = _installment(loan, 2)
    PendingPayment.objects.filter(pk=pending.pk).update(enrollment=enrollment, installment=second)
    _apply(PendingPayment.objects.get(pk=pending.pk))
    assert LoanFee.objects.get().installment_id == second.pk
    assert _installment(loan, 1).fees == D("0.00")
    enrollment.refresh_from_db()
    assert enrollment.suspended_on == RETURNED_ON
    assert enrollment.suspension_reason == "1 drafts returned (R01); autopay stopped after 1"


def test_processing_takes_only_the_loans_asked_for_and_counts_them():
    asked, other = _loan(), _loan()
    _settled(asked, D("100.00"), key="a")
    _settled(other, D("100.00"), key="b")
    _settled(asked, D("200.00"), key="c", code="")
    assert ach_returns.ach_returns_process(business_date=RETURNED_ON, loan_ids=[asked.pk], actor=None) == 1
    assert list(PendingPayment.objects.filter(status="returned").values_list("loan_id", flat=True)) == [asked.pk]


def test_processing_returns_acts_as_the_actor_given(staff):
    loan = _loan()
    pending = _settled(loan)
    assert ach_returns.ach_returns_process(business_date=RETURNED_ON, loan_ids=[loan.pk], actor=staff) == 1
    stored = PendingPayment.objects.get(pk=pending.pk)
    reversal = LoanTransaction.objects.get(kind="reversal", reverses=stored.transaction)
    assert (stored.status, stored.status_changed_by, reversal.posted_by) == ("returned", staff, staff)
    assert AuditEvent.objects.get(verb="ach_payment.returned").actor == staff
    assert AuditEvent.objects.get(verb="fee.assessed").actor == staff


def test_a_return_by_an_unsaved_actor_records_no_one_as_its_changer():
    loan = _loan()
    pending = _apply(_settled(loan), User(email="nightly@example.com"))
    stored = PendingPayment.objects.get(pk=pending.pk)
    assert (stored.status, stored.returned_on, stored.status_changed_by) == ("returned", RETURNED_ON, None)
    assert LoanTransaction.objects.get(kind="reversal", reverses=stored.transaction).posted_by is None


def test_the_suspension_a_return_brings_is_audited_as_the_returns_actor(settings, staff):
    settings.LENDING_ACH_RETURNS_BEFORE_SUSPENSION = 1
    loan = _loan()
    enrollment = ach.autopay_enroll(loan=loan, bank=BANK, draft_days_before=0, actor=loan.borrower)
    pending = _settled(loan, D("100.00"))
    PendingPayment.objects.filter(pk=pending.pk).update(enrollment=enrollment)
    _apply(PendingPayment.objects.get(pk=pending.pk), staff)
    assert AutopayEnrollment.objects.get(pk=enrollment.pk).suspended_on == RETURNED_ON
    event = AuditEvent.objects.get(verb="autopay.suspended")
    assert (event.actor, event.target_id) == (staff, str(enrollment.pk))


@pytest.mark.parametrize("fee", ["0.01", "1.00"])
def test_a_returned_payment_fee_of_a_dollar_or_less_is_still_charged(fee):
    loan = _loan(fee=fee)
    pending = _apply(_settled(loan))
    lines = sorted((line.account.code, line.debit, line.credit) for line in pending.return_fee_entry.lines.all())
    assert lines == [("fee_income", D("0.00"), D(fee)), ("fees_receivable", D(fee), D("0.00"))]
    first = _installment(loan, 1)
    assert list(LoanFee.objects.values_list("installment_id", "amount")) == [(first.pk, D(fee))]
    assert first.fees == D(fee)


def test_a_one_time_payments_fee_goes_on_its_own_loans_installment_not_another_loans_due_the_same_day():
    # Installment 1 is paid by check, so installment 2 (due 2027-02-01) is the oldest owing; the other loan's
    # first installment, number 1, falls due the same day.
    loan = _loan()
    other = borrower_loan(
        product=LoanProductFactory(returned_payment_fee=D("25.00")), first_payment_date=date(2027, 2, 1)
    )
    assert _installment(other, 1).due_date == date(2027, 2, 1)
    _pay_installment_1_by_check(loan)
    _apply(_settled(loan, D("100.00")))
    second = _installment(loan, 2)
    assert second.due_date == date(2027, 2, 1)
    assert LoanFee.objects.get().installment_id == second.pk
    assert (second.fees, _installment(other, 1).fees) == (D("25.00"), D("0.00"))


def test_an_installment_a_prepayment_left_asking_for_under_a_dollar_still_takes_the_fee():
    # A 36-month consumer loan of 12,000.00 at 12 % (no escrow; level payment 398.51): installment 1 (469.43)
    # paid by check and 11,326.33 prepaid today leave 395.06 owed; installment 2 is re-derived to 3.95 interest
    # + 394.56 principal, installment 3 to the remaining 0.50 (its interest, half a cent, rounds to 0.00), the
    # rows after it to nothing. Installment 2 is paid by check too, so installment 3 (due 2027-03-01) is the oldest
    # owing: the fee of a returned one-time payment goes on it.
    loan = borrower_loan(consumer=True, product=ConsumerProductFactory(returned_payment_fee=D("25.00")))
    _check(loan, D("469.43"), "first")
    _check(loan, D("11326.33"), "prepaid", directive="principal_only")
    second, third = _installment(loan, 2), _installment(loan, 3)
    assert (second.interest, second.principal, second.payment) == (D("3.95"), D("394.56"), D("398.51"))
    assert (third.due_date, third.interest, third.payment) == (date(2027, 3, 1), D("0.00"), D("0.50"))
    assert _installment(loan, 4).payment == D("0.00")
    _check(loan, D("398.51"), "second")
    _apply(_settled(loan, D("0.50")))
    third.refresh_from_db()
    assert (third.paid_on, third.fees) == (None, D("25.00"))
    assert LoanFee.objects.get().installment_id == third.pk


# --- returns received after settlement -----------------------------------------------------------------------------


class _Bank:
    def __init__(self, returns):
        self._returns = returns

    def returns(self, on):
        return [r for r in self._returns if r.returned_on == on]


def test_returns_received_are_recorded_on_their_settled_payments_and_audited(staff):
    loan = _loan()
    first = _settled(loan, D("100.00"), key="a", code="", trace="011000010000001")
    answered = _settled(loan, D("100.00"), key="b", code="R01", trace="011000010000002")
    bank = _Bank(
        [
            AchReturn("011000010000001", "R08", RETURNED_ON),
            AchReturn("011000010000002", "R09", RETURNED_ON),  # answered already: kept R01
            AchReturn("999999999999999", "R01", RETURNED_ON),  # no such payment
        ]
    )
    assert ach_returns.ach_returns_receive(processor=bank, on=RETURNED_ON, actor=staff) == 1
    assert PendingPayment.objects.get(pk=first.pk).return_code == "R08"
    assert PendingPayment.objects.get(pk=answered.pk).return_code == "R01"
    event = AuditEvent.objects.get(verb="ach_payment.return_received")
    assert (event.actor, event.target_id, event.after) == (staff, str(first.pk), {"return_code": "R08"})
    assert ach_returns.ach_returns_receive(processor=bank, on=date(2026, 12, 4), actor=staff) == 0


def test_a_return_received_is_recorded_only_on_the_payment_with_its_trace_number():
    loan = _loan()
    returned = _settled(loan, D("100.00"), key="a", code="", trace="011000010000001")
    kept = _settled(loan, D("100.00"), key="b", code="", trace="011000010000002")
    untraced = _settled(loan, D("100.00"), key="c", code="")
    bank = _Bank([AchReturn("011000010000001", "R01", RETURNED_ON)])
    assert ach_returns.ach_returns_receive(processor=bank, on=RETURNED_ON, actor=None) == 1
    codes = dict(PendingPayment.objects.values_list("pk", "return_code"))
    assert codes == {returned.pk: "R01", kept.pk: "", untraced.pk: ""}
    assert list(AuditEvent.objects.filter(verb="ach_payment.return_received").values_list("target_id", flat=True)) == [
        str(returned.pk)
    ]


def test_a_return_received_for_a_payment_not_settled_changes_nothing():
    loan = _loan()
    pending = ach.ach_payment_schedule(
        loan=loan,
        amount=D("100.00"),
        scheduled_date=TODAY,
        principal_only=False,
        bank=BANK,
        actor=loan.borrower,
        idempotency_key="p",
    )
    PendingPayment.objects.filter(pk=pending.pk).update(trace_number="011000010000009")
    bank = _Bank([AchReturn("011000010000009", "R01", RETURNED_ON)])
    assert ach_returns.ach_returns_receive(processor=bank, on=RETURNED_ON, actor=None) == 0
    assert PendingPayment.objects.get(pk=pending.pk).return_code == ""


# --- suspending autopay --------------------------------------------------------------------------------------------


def _enrollment():
    loan = _loan()
    return ach.autopay_enroll(
        loan=loan, bank=BankDetails("Nora Quinn", ROUTING, "000123456789"), draft_days_before=0, actor=loan.borrower
    )


def _returned(enrollment, *codes_and_days, status="returned"):
    """Returned drafts of ``enrollment``: (code, returned_on) pairs, created in the order given."""
    for n, (code, day) in enumerate(codes_and_days):
        PendingPayment.objects.create(
            loan=enrollment.loan,
            amount=D("100.00"),
            scheduled_date=day,
            idempotency_key=f"r:{enrollment.pk}:{n}:{code}:{day}",
            created_by=enrollment.enrolled_by,
            enrollment=enrollment,
            status=status,
            return_code=code,
            returned_on=day,
            **BankDetails.from_account(enrollment).fields(),
        )


def _suspend(enrollment, actor=None) -> bool:
    return ach_returns.autopay_suspend_if_due(enrollment_id=enrollment.pk, business_date=RETURNED_ON, actor=actor)


def test_two_returns_suspend_autopay_listing_their_codes_in_the_order_returned(staff):
    enrollment = _enrollment()
    _returned(enrollment, ("R09", date(2026, 12, 2)))
    assert _suspend(enrollment) is False  # one return of the two allowed
    assert not AuditEvent.objects.filter(verb="autopay.suspended").exists()
    _returned(enrollment, ("R01", date(2026, 11, 30)))  # recorded later, returned earlier
    assert _suspend(enrollment, staff) is True
    enrollment.refresh_from_db()
    reason = "2 drafts returned (R01, R09); autopay stopped after 2"
    assert (enrollment.suspended_on, enrollment.suspension_reason) == (RETURNED_ON, reason)
    event = AuditEvent.objects.get(verb="autopay.suspended")
    assert (event.actor, event.target_id, event.note) == (staff, str(enrollment.pk), reason)
    assert (event.before, event.after) == (
        {"suspended_on": None},
        {"suspended_on": "2026-12-03", "returns": ["R01", "R09"]},
    )


def test_only_the_enrollments_own_returned_drafts_count():
    enrollment, other = _enrollment(), _enrollment()
    _returned(enrollment, ("R01", date(2026, 12, 1)))
    _returned(enrollment, ("R01", date(2026, 12, 2)), status="pending")  # not a returned draft
    _returned(other, ("R01", date(2026, 12, 1)))
    assert _suspend(enrollment) is False


@pytest.mark.parametrize(
    ("configured", "returns", "suspended", "reason"),
    [
        (3, 2, False, ""),
        (3, 3, True, "3 drafts returned (R01, R01, R01); autopay stopped after 3"),
        (1, 1, True, "1 drafts returned (R01); autopay stopped after 1"),
        (0, 1, True, "1 drafts returned (R01); autopay stopped after 1"),  # at least one: 0 means the first
    ],
)
def test_the_configured_count_of_returns_suspends_autopay(settings, configured, returns, suspended, reason):
    settings.LENDING_ACH_RETURNS_BEFORE_SUSPENSION = configured
    enrollment = _enrollment()
    _returned(enrollment, *[("R01", date(2026, 12, day)) for day in range(1, returns + 1)])
    assert _suspend(enrollment) is suspended
    enrollment.refresh_from_db()
    assert enrollment.suspension_reason == reason


@pytest.mark.parametrize("code", ["R02", "R03", "R04", "R07", "R10", "R16", "R20", "R29"])
def test_a_code_that_forbids_drafting_the_account_again_suspends_at_the_first_return(code):
    # NACHA: closed, not found, invalid, revoked, not authorized, frozen, non-transaction accounts may not be
    # re-presented.
    enrollment = _enrollment()
    _returned(enrollment, (code, date(2026, 12, 1)))
    assert _suspend(enrollment) is True
    enrollment.refresh_from_db()
    description = dict(PendingPayment._meta.get_field("return_code").choices)[code]
    assert enrollment.suspension_reason == f"the bank returned a draft: {description}; give another account"


def test_insufficient_and_uncollected_funds_may_be_drafted_again():
    enrollment = _enrollment()
    _returned(enrollment, ("R01", date(2026, 12, 1)))
    assert _suspend(enrollment) is False
    enrollment2 = _enrollment()
    _returned(enrollment2, ("R09", date(2026, 12, 1)))
    assert _suspend(enrollment2) is False


def test_the_latest_unusable_code_is_the_one_named():
    enrollment = _enrollment()
    # Returned in date order R02, R01, R03, R04 (recorded in another order): the latest unusable one is R04.
    _returned(
        enrollment,
        ("R04", date(2026, 12, 3)),
        ("R02", date(2026, 11, 30)),
        ("R01", date(2026, 12, 1)),
        ("R03", date(2026, 12, 2)),
    )
    assert _suspend(enrollment) is True
    enrollment.refresh_from_db()
    assert enrollment.suspension_reason == "the bank returned a draft: R04 Invalid account number; give another account"


def test_a_suspended_or_cancelled_enrollment_is_not_suspended_again():
    suspended = _enrollment()
    AutopayEnrollment.objects.filter(pk=suspended.pk).update(suspended_on=date(2026, 11, 20), suspension_reason="x")
    _returned(suspended, ("R02", date(2026, 12, 1)))
    assert _suspend(suspended) is False
    assert AutopayEnrollment.objects.get(pk=suspended.pk).suspended_on == date(2026, 11, 20)
    cancelled = _enrollment()
    ach.autopay_cancel(enrollment=cancelled, actor=cancelled.enrolled_by)
    _returned(cancelled, ("R02", date(2026, 12, 1)))
    assert _suspend(cancelled) is False
    assert AutopayEnrollment.objects.get(pk=cancelled.pk).suspended_on is None
    assert not AuditEvent.objects.filter(verb="autopay.suspended").exists()


def test_a_long_suspension_reason_is_kept_to_255_characters_and_whole_in_the_audit_note():
    enrollment = _enrollment()
    _returned(enrollment, *[("R01", date(2026, 10, 1) + timedelta(days=n)) for n in range(50)])
    assert _suspend(enrollment) is True
    reason = f"50 drafts returned ({', '.join(['R01'] * 50)}); autopay stopped after 2"
    assert len(reason) > 255
    assert AutopayEnrollment.objects.get(pk=enrollment.pk).suspension_reason == reason[:255]
    assert AuditEvent.objects.get(verb="autopay.suspended").note == reason


def test_a_return_code_unknown_to_the_choices_is_described_by_itself():
    assert ach_returns.return_description("R99") == "R99"
    assert ach_returns.return_description("R08") == "R08 Payment stopped"
