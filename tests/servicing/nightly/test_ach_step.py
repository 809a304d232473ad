"""The nightly ACH step: autopay drafts (once per enrollment and installment, business-day aware, never above
the ceiling), settlement through the sandbox processor and the batch poster (once), returns (reversal, the
returned-payment fee, autopay suspended after two), error isolation, and the books clean after each run.

The loan: the factories' 30-year escrowed mortgage boarded 2026-11-13, installments due on the 1st from
2027-01-01. 2027-01-01 is New Year's Day (a Friday), so an on-the-due-date draft is made Thursday 2026-12-31,
and with the default lag of 1 business day it settles Monday 2027-01-04 (Jan 1 holiday, Jan 2-3 weekend).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from lending.core.models import AuditEvent
from servicing.models import (
    AutopayEnrollment,
    AutopaySkippedDraft,
    Installment,
    JournalEntry,
    LoanAccount,
    LoanTransaction,
    PendingPayment,
)
from servicing.services import ach, ach_drafts, ach_nightly, ach_returns
from servicing.services.ach import BankDetails
from servicing.services.nightly.steps.ach import AchStep
from tests.origination.factories import LoanProductFactory
from tests.servicing.factories_portal import ROUTING, borrower_loan, set_today

pytestmark = pytest.mark.django_db
D = Decimal
DRAFT_DAY = date(2026, 12, 31)  # installment 1 (due Fri 2027-01-01, a holiday) is drafted the business day before
SETTLE_DAY = date(2027, 1, 4)  # 2026-12-31 + 1 business day
NSF_ACCOUNT = "000123450001"  # the sandbox answers R01 for an account ending 0001
GOOD_ACCOUNT = "000123456789"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    set_today(monkeypatch, date(2026, 12, 1))


def _loan(fee: str = "25.00") -> LoanAccount:
    return borrower_loan(product=LoanProductFactory(returned_payment_fee=D(fee)))


def _enroll(loan, account=GOOD_ACCOUNT, *, days_before=0, extra="0.00", ceiling=None) -> AutopayEnrollment:
    enrollment = ach.autopay_enroll(
        loan=loan,
        bank=BankDetails("Nora Quinn", ROUTING, account),
        draft_days_before=days_before,
        extra_principal=D(extra),
        actor=loan.borrower,
    )
    if ceiling is not None:
        AutopayEnrollment.objects.filter(pk=enrollment.pk).update(max_draft_amount=D(ceiling))
    return enrollment


def _run(day: date) -> tuple[list[int], object]:
    step = AchStep()
    ids = list(step.pending_loan_ids(day))
    return ids, step.run_chunk(day, ids, None)


def _ledger_clean() -> None:
    out = StringIO()
    call_command("ledger_verify", stdout=out)  # raises CommandError on any problem
    assert "Ledger verified" in out.getvalue()


def _first(loan) -> Installment:
    return Installment.objects.get(loan=loan, number=1)


def _counts() -> tuple[int, int, int, int, int]:
    return (
        PendingPayment.objects.count(),
        AutopaySkippedDraft.objects.count(),
        LoanTransaction.objects.count(),
        JournalEntry.objects.count(),
        AuditEvent.objects.count(),
    )


# --- dates ---------------------------------------------------------------------------------------------------


def test_draft_and_settlement_dates_are_business_day_aware(settings):
    assert ach_drafts.draft_date(date(2027, 1, 1), 0) == date(2026, 12, 31)  # New Year's Day -> Thursday
    assert ach_drafts.draft_date(date(2027, 2, 1), 2) == date(2027, 1, 29)  # Sat Jan 30 -> Friday
    assert ach_nightly.ach_settlement_date(date(2027, 1, 29)) == date(2027, 2, 1)  # Fri + 1 -> Mon
    # Monday settles what was scheduled Friday, Saturday and Sunday (each + 1 business day = Monday).
    assert ach_nightly.latest_scheduled_settling_by(date(2027, 2, 1)) == date(2027, 1, 31)
    settings.LENDING_ACH_SETTLEMENT_DAYS = 2
    assert ach_nightly.ach_settlement_date(date(2027, 1, 28)) == date(2027, 2, 1)  # Thu + 2 = Fri, Mon -> Mon
    assert ach_nightly.latest_scheduled_settling_by(date(2027, 2, 1)) == date(2027, 1, 28)
    settings.LENDING_ACH_SETTLEMENT_DAYS = 0
    assert ach_nightly.latest_scheduled_settling_by(date(2027, 2, 1)) == date(2027, 2, 1)
    assert ach_nightly.latest_scheduled_settling_by(date(2027, 1, 30)) == date(2027, 1, 29)  # Saturday: Friday's


# --- drafts --------------------------------------------------------------------------------------------------


def test_a_draft_is_made_once_per_enrollment_and_installment_on_its_draft_date():
    loan = _loan()
    enrollment = _enroll(loan, extra="100.00")
    assert list(AchStep().pending_loan_ids(date(2026, 12, 30))) == []  # the day before: nothing to draft
    ids, result = _run(DRAFT_DAY)
    assert ids == [loan.pk]
    assert (result.done, result.errors) == (1, [])
    draft = PendingPayment.objects.get(enrollment=enrollment)
    first = _first(loan)
    # Installment 1 as billed, nothing paid yet: principal 271.20 + interest 2,600.06 (the odd first period from
    # 2026-11-13) + escrow 525.00 = 3,396.26; plus 100.00 extra principal = 3,496.26.
    assert (first.principal, first.interest, first.escrow) == (D("271.20"), D("2600.06"), D("525.00"))
    assert draft.amount == D("3496.26")
    assert (draft.installment_id, draft.scheduled_date, draft.status) == (first.pk, DRAFT_DAY, "pending")
    assert (draft.account_last4, draft.account_number, draft.routing_number) == ("6789", GOOD_ACCOUNT, ROUTING)
    assert draft.idempotency_key == f"autopay:{enrollment.pk}:{first.pk}"
    assert AuditEvent.objects.filter(verb="autopay.drafted", target_id=str(draft.pk)).count() == 1
    # A rerun finds nothing and, called directly anyway, writes nothing.
    assert list(AchStep().pending_loan_ids(DRAFT_DAY)) == []
    before = _counts()
    assert AchStep().run_chunk(DRAFT_DAY, [loan.pk], None).done == 1
    assert _counts() == before
    _ledger_clean()


def test_the_draft_never_exceeds_the_ceiling():
    loan = _loan()
    # A ceiling of 3,446.26 (the installment's 3,396.26 + 50.00): the 100.00 extra principal is cut to 50.00.
    enrollment = _enroll(loan, extra="100.00", ceiling="3446.26")
    _run(DRAFT_DAY)
    assert PendingPayment.objects.get(enrollment=enrollment).amount == D("3446.26")


def test_an_installment_above_the_ceiling_is_not_drafted_and_the_reason_is_recorded():
    loan = _loan()
    owed = D("3396.26")  # installment 1: 271.20 + 2,600.06 + 525.00
    enrollment = _enroll(loan, ceiling="3396.25")  # one cent short
    ids, result = _run(DRAFT_DAY)
    assert (ids, result.errors) == ([loan.pk], [])
    assert not PendingPayment.objects.filter(enrollment=enrollment).exists()
    skip = AutopaySkippedDraft.objects.get(enrollment=enrollment)
    assert (skip.installment_id, skip.draft_date, skip.amount_owed) == (_first(loan).pk, DRAFT_DAY, owed)
    assert skip.reason == "the installment owes $3,396.26, above the autopay ceiling of $3,396.25: pay it directly"
    assert AuditEvent.objects.filter(verb="autopay.draft_skipped").count() == 1
    assert list(AchStep().pending_loan_ids(DRAFT_DAY)) == []  # decided: a rerun does nothing
    before = _counts()
    AchStep().run_chunk(DRAFT_DAY, [loan.pk], None)
    assert _counts() == before


def test_draft_days_before_and_suspended_or_cancelled_enrollments():
    loan = _loan()
    enrollment = _enroll(loan, days_before=3)  # due Fri 2027-01-01, less 3 days = Tue 2026-12-29
    assert list(AchStep().pending_loan_ids(date(2026, 12, 28))) == []
    assert list(AchStep().pending_loan_ids(date(2026, 12, 29))) == [loan.pk]
    AutopayEnrollment.objects.filter(pk=enrollment.pk).update(suspended_on=date(2026, 12, 1))
    assert list(AchStep().pending_loan_ids(date(2026, 12, 29))) == []
    AutopayEnrollment.objects.filter(pk=enrollment.pk).update(suspended_on=None)
    ach.autopay_cancel(enrollment=enrollment, actor=loan.borrower)
    assert list(AchStep().pending_loan_ids(date(2026, 12, 29))) == []


# --- settlement ----------------------------------------------------------------------------------------------


def test_settlement_posts_each_payment_exactly_once(monkeypatch):
    loan = _loan()
    enrollment = _enroll(loan)
    set_today(monkeypatch, date(2026, 12, 20))
    portal = ach.ach_payment_schedule(  # a one-time portal payment scheduled Sat 2027-01-02: settles Monday too
        loan=loan,
        amount=D("500.00"),
        scheduled_date=date(2027, 1, 2),
        principal_only=True,
        bank=BankDetails("Nora Quinn", ROUTING, GOOD_ACCOUNT),
        actor=loan.borrower,
        idempotency_key="portal-1",
    )
    _run(DRAFT_DAY)
    draft = PendingPayment.objects.get(enrollment=enrollment)
    set_today(monkeypatch, SETTLE_DAY)
    assert list(AchStep().pending_loan_ids(date(2026, 12, 31))) == []  # nothing settles before Monday
    ids, result = _run(SETTLE_DAY)
    assert (ids, result.done, result.errors) == ([loan.pk], 1, [])
    draft.refresh_from_db()
    portal.refresh_from_db()
    for pending in (draft, portal):
        assert (pending.status, pending.settled_on) == ("settled", SETTLE_DAY)
        assert (pending.processor, pending.is_sandbox) == ("Sandbox ACH processor (test data)", True)
        assert pending.trace_number == f"01100001{pending.pk:07d}"  # ODFI 011000015's 8 digits + 7-digit id
        txn = pending.transaction
        assert (txn.amount, txn.effective_date, txn.method, txn.status) == (pending.amount, SETTLE_DAY, "ach", "posted")
        assert txn.idempotency_key == f"ach:{pending.pk}"
    assert _first(loan).paid_on == SETTLE_DAY  # the draft paid installment 1 in full
    assert LoanTransaction.objects.filter(loan=loan).count() == 2
    _ledger_clean()
    assert list(AchStep().pending_loan_ids(SETTLE_DAY)) == []
    before = _counts()
    AchStep().run_chunk(SETTLE_DAY, [loan.pk], None)
    assert _counts() == before


# --- returns -------------------------------------------------------------------------------------------------


def test_r01_reverses_the_payment_charges_the_fee_and_two_returns_suspend_autopay(monkeypatch):
    loan = _loan(fee="25.00")
    enrollment = _enroll(loan, NSF_ACCOUNT)
    _run(DRAFT_DAY)
    set_today(monkeypatch, SETTLE_DAY)
    _run(SETTLE_DAY)
    draft = PendingPayment.objects.get(enrollment=enrollment)
    assert (draft.status, draft.return_code, draft.returned_on) == ("returned", "R01", SETTLE_DAY)
    assert draft.return_reason == "R01 Insufficient funds"
    payment = draft.transaction
    assert payment.status == "reversed"
    assert draft.amount == D("3396.26")
    assert LoanTransaction.objects.get(reverses=payment).amount == D("3396.26")
    fee = draft.return_fee_entry
    assert (fee.kind, fee.effective_date, fee.idempotency_key) == ("fee", SETTLE_DAY, f"ach-return-fee:{draft.pk}")
    lines = sorted((line.account.code, line.debit, line.credit) for line in fee.lines.all())
    assert lines == [("fee_income", D("0.00"), D("25.00")), ("fees_receivable", D("25.00"), D("0.00"))]
    loan.refresh_from_db()
    assert loan.fees_due == D("25.00")
    assert _first(loan).paid_on is None  # the installment is owed again
    enrollment.refresh_from_db()
    assert enrollment.suspended_on is None  # one return of two allowed
    _ledger_clean()
    before = _counts()
    assert list(AchStep().pending_loan_ids(SETTLE_DAY)) == []
    AchStep().run_chunk(SETTLE_DAY, [loan.pk], None)
    assert _counts() == before  # the return is processed once: one reversal, one fee

    # Installment 2 is due Mon 2027-02-01: drafted that day, settles (and is returned) Tue 2027-02-02.
    set_today(monkeypatch, date(2027, 2, 2))
    _run(date(2027, 2, 1))
    _run(date(2027, 2, 2))
    second = PendingPayment.objects.get(enrollment=enrollment, installment__number=2)
    assert (second.status, second.return_code) == ("returned", "R01")
    loan.refresh_from_db()
    assert loan.fees_due == D("50.00")  # 25.00 + 25.00
    enrollment.refresh_from_db()
    assert enrollment.suspended_on == date(2027, 2, 2)
    assert enrollment.suspension_reason == "2 drafts returned (R01, R01); autopay stopped after 2"
    assert str(enrollment).startswith(f"Autopay {loan.pk} (suspended")
    assert AuditEvent.objects.filter(verb="autopay.suspended", target_id=str(enrollment.pk)).count() == 1
    _ledger_clean()
    # Suspended: installment 3 (due Mon 2027-03-01) is not drafted.
    assert list(AchStep().pending_loan_ids(date(2027, 3, 1))) == []


def test_a_closed_account_suspends_autopay_at_the_first_return_and_no_fee_without_one(monkeypatch):
    loan = _loan(fee="0.00")
    enrollment = _enroll(loan, "000123450002")  # the sandbox answers R02 account closed
    _run(DRAFT_DAY)
    set_today(monkeypatch, SETTLE_DAY)
    _run(SETTLE_DAY)
    draft = PendingPayment.objects.get(enrollment=enrollment)
    assert (draft.status, draft.return_code, draft.return_fee_entry) == ("returned", "R02", None)
    loan.refresh_from_db()
    assert loan.fees_due == D("0.00")
    enrollment.refresh_from_db()
    assert enrollment.suspended_on == SETTLE_DAY
    assert enrollment.suspension_reason == "the bank returned a draft: R02 Account closed; give another account"
    _ledger_clean()


class _LateReturns:
    """A processor whose bank reports a return after settlement, in its return file."""

    name = "Test bank"
    is_sandbox = False
    later: list = []

    def submit(self, settlement_date, entries):
        from servicing.ach_processor.base import AchResult

        return [AchResult(e.entry_id, e.trace_number) for e in entries]

    def returns(self, on):
        return list(self.later)


def test_a_return_received_days_after_settlement_is_processed_by_the_next_run(monkeypatch, settings):
    from servicing.ach_processor.base import AchReturn

    settings.LENDING_ACH_PROCESSOR = f"{__name__}._LateReturns"
    loan = _loan(fee="15.00")
    enrollment = _enroll(loan)
    _run(DRAFT_DAY)
    set_today(monkeypatch, SETTLE_DAY)
    _run(SETTLE_DAY)
    draft = PendingPayment.objects.get(enrollment=enrollment)
    assert (draft.status, draft.processor, draft.is_sandbox) == ("settled", "Test bank", False)
    _LateReturns.later = [AchReturn(draft.trace_number, "R08", date(2027, 1, 6)), AchReturn("999", "R01", SETTLE_DAY)]
    try:
        recorded = ach_returns.ach_returns_receive(processor=_LateReturns(), on=date(2027, 1, 6), actor=None)
        again = ach_returns.ach_returns_receive(processor=_LateReturns(), on=date(2027, 1, 6), actor=None)
    finally:
        _LateReturns.later = []
    assert (recorded, again) == (1, 0)  # an unknown trace number and a repeat change nothing
    set_today(monkeypatch, date(2027, 1, 6))
    ids, result = _run(date(2027, 1, 6))
    assert (ids, result.errors) == ([loan.pk], [])
    draft.refresh_from_db()
    assert (draft.status, draft.return_code, draft.returned_on) == ("returned", "R08", date(2027, 1, 6))
    loan.refresh_from_db()
    assert loan.fees_due == D("15.00")
    _ledger_clean()


# --- isolation -----------------------------------------------------------------------------------------------


def test_a_bad_loan_is_an_error_and_the_others_settle(monkeypatch):
    good, bad = _loan(), _loan()
    good_draft = _enroll(good)
    _enroll(bad)
    _run(DRAFT_DAY)
    # The bad loan is paid off meanwhile: its draft cannot post.
    LoanAccount.objects.filter(pk=bad.pk).update(status="paid_off")
    set_today(monkeypatch, SETTLE_DAY)
    ids, result = _run(SETTLE_DAY)
    assert ids == sorted([good.pk, bad.pk])
    assert result.done == 1
    assert [e.loan_id for e in result.errors] == [bad.pk]
    assert "cannot post" in result.errors[0].message
    assert PendingPayment.objects.get(enrollment=good_draft).status == "settled"
    assert PendingPayment.objects.get(loan=bad).status == "pending"  # nothing of the bad loan was written
    assert not LoanTransaction.objects.filter(loan=bad).exists()
    assert list(AchStep().pending_loan_ids(SETTLE_DAY)) == [bad.pk]  # still pending: the rerun retries it
    LoanAccount.objects.filter(pk=bad.pk).update(status="active")
    _ledger_clean()


# --- set-based -----------------------------------------------------------------------------------------------


def _queries(day: date, ids: list[int]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = AchStep().run_chunk(day, ids, None)
    assert result.errors == []
    return len(captured.captured_queries)


def test_a_chunk_costs_the_same_queries_for_one_loan_as_for_three(monkeypatch):
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.get_for_models(PendingPayment, LoanTransaction, JournalEntry)  # audit rows: cached once
    one = [_loan()]
    three = [_loan(), _loan(), _loan()]
    for loan in one + three:
        _enroll(loan)
    drafts = (_queries(DRAFT_DAY, [one[0].pk]), _queries(DRAFT_DAY, [loan.pk for loan in three]))
    assert drafts[0] == drafts[1]
    set_today(monkeypatch, SETTLE_DAY)
    settles = (_queries(SETTLE_DAY, [one[0].pk]), _queries(SETTLE_DAY, [loan.pk for loan in three]))
    assert settles[0] == settles[1]
    assert PendingPayment.objects.filter(status="settled").count() == 4
    _ledger_clean()


def test_the_ach_returns_command_records_the_processors_returns(monkeypatch, settings):
    from servicing.ach_processor.base import AchReturn

    settings.LENDING_ACH_PROCESSOR = f"{__name__}._LateReturns"
    loan = _loan()
    enrollment = _enroll(loan)
    _run(DRAFT_DAY)
    set_today(monkeypatch, SETTLE_DAY)
    _run(SETTLE_DAY)
    draft = PendingPayment.objects.get(enrollment=enrollment)
    _LateReturns.later = [AchReturn(draft.trace_number, "R01", date(2027, 1, 6))]
    try:
        out = StringIO()
        call_command("ach_returns", "--date", "2027-01-06", stdout=out)
    finally:
        _LateReturns.later = []
    assert out.getvalue() == "Test bank: 1 return(s) recorded for 2027-01-06.\n"
    draft.refresh_from_db()
    assert (draft.status, draft.return_code) == ("settled", "R01")  # reversed by the next nightly run
    assert list(AchStep().pending_loan_ids(date(2027, 1, 6))) == [loan.pk]
