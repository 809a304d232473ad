"""Autopay drafting (``ach_drafts.autopay_drafts_create``), rule by rule (issue 17): what a draft and a skipped
draft record (the row, the account copied from the enrollment, the audit rows), which enrollments and
installments draft on a day (the window's both edges, each loan's own days before, the loans asked for, an
inactive loan, an overdue installment never drafted), a rerun drafting only what is not decided yet, a new
enrollment deciding afresh what its cancelled predecessor drafted or skipped, and the actor on the audit rows.

The loan: the factories' 30-year escrowed mortgage boarded 2026-11-13, installments due on the 1st from
2027-01-01 (a Friday, New Year's Day). Installment 1: interest 2,600.06 + principal 271.20 + escrow 525.00 =
3,396.26.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import AutopayEnrollment, AutopaySkippedDraft, Installment, LoanAccount, PendingPayment
from servicing.services import ach, ach_drafts, ach_nightly
from servicing.services.ach import BankDetails
from tests.core.factories import user_with_role
from tests.servicing.factories_portal import ROUTING, borrower_loan, set_today

pytestmark = pytest.mark.django_db
D = Decimal
INSTALLMENT_1 = D("3396.26")  # 2,600.06 + 271.20 + 525.00


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    set_today(monkeypatch, date(2026, 12, 1))


def _enroll(loan, *, days_before=0, ceiling=None, account_type="checking") -> AutopayEnrollment:
    return ach.autopay_enroll(
        loan=loan,
        bank=BankDetails("Nora Quinn", ROUTING, "000123456789", account_type),
        draft_days_before=days_before,
        max_draft_amount=None if ceiling is None else D(ceiling),
        actor=loan.borrower,
    )


def _create(day: date, *loans) -> int:
    return ach_drafts.autopay_drafts_create(business_date=day, loan_ids=[loan.pk for loan in loans], actor=None)


def _installment(loan, number) -> Installment:
    return Installment.objects.get(loan=loan, number=number)


def test_a_draft_copies_the_enrollments_account_and_is_audited_with_its_amount_and_day():
    loan = borrower_loan()
    enrollment = _enroll(loan, account_type="savings")
    assert _create(date(2026, 12, 31), loan) == 1
    draft = PendingPayment.objects.get()
    first = _installment(loan, 1)
    assert (draft.loan_id, draft.enrollment_id, draft.installment_id) == (loan.pk, enrollment.pk, first.pk)
    assert (draft.amount, draft.scheduled_date, draft.status, draft.directive) == (
        INSTALLMENT_1,
        date(2026, 12, 31),
        "pending",
        "standard",
    )
    assert (draft.account_holder, draft.account_type, draft.routing_number, draft.account_number) == (
        "Nora Quinn",
        "savings",
        ROUTING,
        "000123456789",
    )
    assert (draft.account_last4, draft.created_by, draft.idempotency_key) == (
        "6789",
        loan.borrower,
        f"autopay:{enrollment.pk}:{first.pk}",
    )
    event = AuditEvent.objects.get(verb="autopay.drafted")
    assert (event.actor, event.actor_label, event.target_id) == (None, "system", str(draft.pk))
    assert event.after == {
        "loan": loan.pk,
        "installment": 1,
        "amount": "3396.26",
        "scheduled_date": "2026-12-31",
        "account_last4": "6789",
    }


def test_a_skipped_draft_records_why_and_is_audited_on_the_enrollment():
    loan = borrower_loan()
    enrollment = _enroll(loan, ceiling="3000.00")
    assert _create(date(2026, 12, 31), loan) == 0  # no draft made
    skip = AutopaySkippedDraft.objects.get()
    reason = "the installment owes $3,396.26, above the autopay ceiling of $3,000.00: pay it directly"
    assert (skip.enrollment_id, skip.installment_id, skip.draft_date, skip.amount_owed, skip.reason) == (
        enrollment.pk,
        _installment(loan, 1).pk,
        date(2026, 12, 31),
        INSTALLMENT_1,
        reason,
    )
    event = AuditEvent.objects.get(verb="autopay.draft_skipped")
    assert (event.actor, event.target_id, event.note) == (None, str(enrollment.pk), reason)
    assert event.after == {"installment": 1, "amount_owed": "3396.26"}
    assert not PendingPayment.objects.exists()
    assert not AuditEvent.objects.filter(verb="autopay.drafted").exists()


def test_an_installment_due_the_day_after_the_window_is_not_drafted_a_day_early():
    # One day before: due Fri 2027-01-01 less 1 = Thu 2026-12-31, a business day. On Wed 2026-12-30 the window of
    # 1 day before is due dates [2026-12-31, 2027-01-01): the installment due 2027-01-01 is not in it.
    loan = borrower_loan()
    _enroll(loan, days_before=1)
    assert list(ach_drafts.enrollments_to_draft(date(2026, 12, 30))) == []
    assert _create(date(2026, 12, 30), loan) == 0
    assert _create(date(2026, 12, 31), loan) == 1
    assert PendingPayment.objects.get().scheduled_date == date(2026, 12, 31)


def test_each_loan_drafts_on_its_own_days_before_in_one_chunk():
    # Tue 2026-12-29: 3 days before 2027-01-01 (Fri). The loan drafting on the due date waits until Thu 12-31.
    on_the_day, three_before = borrower_loan(), borrower_loan()
    _enroll(on_the_day, days_before=0)
    early = _enroll(three_before, days_before=3)
    assert _create(date(2026, 12, 29), on_the_day, three_before) == 1
    assert list(PendingPayment.objects.values_list("enrollment_id", flat=True)) == [early.pk]
    assert _create(date(2026, 12, 31), on_the_day, three_before) == 1
    assert PendingPayment.objects.filter(loan=on_the_day).count() == 1


def test_only_the_loans_asked_for_are_drafted():
    asked, other = borrower_loan(), borrower_loan()
    _enroll(asked)
    _enroll(other)
    assert _create(date(2026, 12, 31), asked) == 1
    assert list(PendingPayment.objects.values_list("loan_id", flat=True)) == [asked.pk]


def test_an_enrollment_on_a_loan_no_longer_active_drafts_nothing():
    loan = borrower_loan()
    _enroll(loan)
    LoanAccount.objects.filter(pk=loan.pk).update(status="paid_off")
    assert list(ach_drafts.enrollments_to_draft(date(2026, 12, 31))) == []
    assert _create(date(2026, 12, 31), loan) == 0
    assert not PendingPayment.objects.exists()


def test_a_rerun_drafts_only_the_installment_not_yet_drafted_or_skipped():
    # Installment 1 is drafted on Thu 2026-12-31; then installments 2 and 3 are moved into the same window (due
    # Sat 2027-01-02 and Sun 2027-01-03, both drafted the business day before them). The rerun drafts 2 and 3,
    # not 1 again, and keeps going past the installment already drafted.
    loan = borrower_loan()
    enrollment = _enroll(loan)
    assert _create(date(2026, 12, 31), loan) == 1
    Installment.objects.filter(loan=loan, number=2).update(due_date=date(2027, 1, 2))
    Installment.objects.filter(loan=loan, number=3).update(due_date=date(2027, 1, 3))
    assert _create(date(2026, 12, 31), loan) == 2
    drafted = PendingPayment.objects.filter(enrollment=enrollment).order_by("installment__number")
    assert [d.installment.number for d in drafted] == [1, 2, 3]
    assert AuditEvent.objects.filter(verb="autopay.drafted").count() == 3


def test_a_rerun_does_not_draft_an_installment_skipped_before():
    loan = borrower_loan()
    enrollment = _enroll(loan, ceiling="3396.26")
    Installment.objects.filter(loan=loan, number=1).update(escrow=D("600.00"))  # now owes 3,471.26: skipped
    assert _create(date(2026, 12, 31), loan) == 0
    Installment.objects.filter(loan=loan, number=1).update(escrow=D("525.00"))
    Installment.objects.filter(loan=loan, number=2).update(due_date=date(2027, 1, 2))
    assert _create(date(2026, 12, 31), loan) == 1
    assert [d.installment.number for d in PendingPayment.objects.filter(enrollment=enrollment)] == [2]
    assert AutopaySkippedDraft.objects.count() == 1


def test_an_installment_skipped_above_the_ceiling_does_not_stop_the_next_one_in_the_window():
    # Installment 2 (2,421.20 = 1,623.53 + 272.67 + 525.00) moved to Sat 2027-01-02: both draft on Thu 12-31.
    # Installment 1 owes 3,396.26, above the 3,000.00 ceiling: skipped; installment 2 is drafted in full.
    loan = borrower_loan()
    enrollment = _enroll(loan, ceiling="3000.00")
    Installment.objects.filter(loan=loan, number=2).update(due_date=date(2027, 1, 2))
    assert _create(date(2026, 12, 31), loan) == 1
    assert [(s.installment.number, s.amount_owed) for s in AutopaySkippedDraft.objects.all()] == [(1, INSTALLMENT_1)]
    draft = PendingPayment.objects.get(enrollment=enrollment)
    assert (draft.installment.number, draft.amount) == (2, D("2421.20"))
    assert AuditEvent.objects.filter(verb="autopay.draft_skipped").count() == 1
    assert AuditEvent.objects.filter(verb="autopay.drafted").count() == 1


def test_a_paid_installment_in_the_window_is_neither_drafted_nor_skipped():
    loan = borrower_loan()
    enrollment = _enroll(loan)
    Installment.objects.filter(loan=loan, number=1).update(paid_on=date(2026, 12, 20))
    # Only installment 1 falls in Thursday's window, and it is paid: nothing to draft, the enrollment not pending.
    assert list(ach_drafts.enrollments_to_draft(date(2026, 12, 31))) == []
    Installment.objects.filter(loan=loan, number=2).update(due_date=date(2027, 1, 2))
    assert list(ach_drafts.enrollments_to_draft(date(2026, 12, 31))) == [enrollment]
    assert _create(date(2026, 12, 31), loan) == 1
    assert [d.installment.number for d in PendingPayment.objects.all()] == [2]
    assert not AutopaySkippedDraft.objects.exists()


def test_an_enrollment_whose_installment_is_drafted_or_skipped_is_no_longer_pending_that_day():
    drafted, skipped = borrower_loan(), borrower_loan()
    _enroll(drafted)
    _enroll(skipped, ceiling="3000.00")
    day = date(2026, 12, 31)
    assert len(ach_drafts.enrollments_to_draft(day)) == 2
    assert _create(day, drafted, skipped) == 1
    assert list(ach_drafts.enrollments_to_draft(day)) == []


def test_a_suspended_or_cancelled_enrollment_drafts_nothing():
    suspended, cancelled = borrower_loan(), borrower_loan()
    AutopayEnrollment.objects.filter(pk=_enroll(suspended).pk).update(suspended_on=date(2026, 12, 1))
    ach.autopay_cancel(enrollment=_enroll(cancelled), actor=cancelled.borrower)
    assert list(ach_drafts.enrollments_to_draft(date(2026, 12, 31))) == []
    assert _create(date(2026, 12, 31), suspended, cancelled) == 0
    assert not PendingPayment.objects.exists()
    assert not AutopaySkippedDraft.objects.exists()


def test_an_overdue_installment_never_drafted_does_not_put_the_loan_in_the_days_ach_work():
    # Enrolled, but no draft was made for installment 1 (due Fri 2027-01-01, drafted Thu 12-31). On Mon 2027-01-04
    # the window of 0 days before is due dates [2027-01-04, 2027-01-05): nothing is due in it.
    loan = borrower_loan()
    _enroll(loan)
    assert list(ach_drafts.enrollments_to_draft(date(2027, 1, 4))) == []
    assert list(ach_nightly.ach_pending_loan_ids(date(2027, 1, 4))) == []
    assert _create(date(2027, 1, 4), loan) == 0
    assert not PendingPayment.objects.exists()


def test_an_overdue_installment_never_drafted_is_not_drafted_with_the_next_one():
    # Installment 1 (due 2027-01-01) was never drafted and is unpaid. On Mon 2027-02-01 only installment 2 (due
    # that day: 1,623.53 + 272.67 + 525.00 = 2,421.20) is drafted; the overdue one is the borrower's to pay.
    loan = borrower_loan()
    enrollment = _enroll(loan)
    assert _create(date(2027, 2, 1), loan) == 1
    draft = PendingPayment.objects.get()
    assert (draft.enrollment_id, draft.installment_id, draft.amount, draft.scheduled_date) == (
        enrollment.pk,
        _installment(loan, 2).pk,
        D("2421.20"),
        date(2027, 2, 1),
    )
    assert not AutopaySkippedDraft.objects.exists()


def test_a_new_enrollment_drafts_an_installment_whose_draft_by_the_cancelled_one_was_cancelled():
    # Drafting 3 days before, installment 1 is drafted on Tue 2026-12-29; the borrower cancels that draft and the
    # enrollment, and enrolls again drafting on the due date: on Thu 12-31 the new enrollment drafts installment 1.
    loan = borrower_loan()
    first = _enroll(loan, days_before=3)
    assert _create(date(2026, 12, 29), loan) == 1
    ach.ach_payment_cancel(pending=PendingPayment.objects.get(), actor=loan.borrower)
    ach.autopay_cancel(enrollment=first, actor=loan.borrower)
    second = _enroll(loan, days_before=0)
    assert list(ach_drafts.enrollments_to_draft(date(2026, 12, 31))) == [second]
    assert _create(date(2026, 12, 31), loan) == 1
    draft = PendingPayment.objects.get(enrollment=second)
    assert (draft.installment_id, draft.amount, draft.scheduled_date, draft.status) == (
        _installment(loan, 1).pk,
        INSTALLMENT_1,
        date(2026, 12, 31),
        "pending",
    )
    assert PendingPayment.objects.get(enrollment=first).status == "cancelled"


def test_a_new_enrollment_drafts_an_installment_the_cancelled_one_skipped_above_its_ceiling():
    # The first enrollment (3 days before, ceiling 3,000.00) skips installment 1 (3,396.26) on Tue 2026-12-29; the
    # borrower enrolls again without a ceiling, drafting on the due date: on Thu 12-31 it drafts 3,396.26.
    loan = borrower_loan()
    first = _enroll(loan, days_before=3, ceiling="3000.00")
    assert _create(date(2026, 12, 29), loan) == 0
    ach.autopay_cancel(enrollment=first, actor=loan.borrower)
    second = _enroll(loan, days_before=0)
    assert list(ach_drafts.enrollments_to_draft(date(2026, 12, 31))) == [second]
    assert _create(date(2026, 12, 31), loan) == 1
    draft = PendingPayment.objects.get()
    assert (draft.enrollment_id, draft.installment_id, draft.amount) == (
        second.pk,
        _installment(loan, 1).pk,
        INSTALLMENT_1,
    )
    assert list(AutopaySkippedDraft.objects.values_list("enrollment_id", flat=True)) == [first.pk]


def test_the_draft_and_the_skip_are_audited_as_the_user_who_ran_the_step():
    drafted, skipped = borrower_loan(), borrower_loan()
    _enroll(drafted)
    _enroll(skipped, ceiling="3000.00")
    operator = user_with_role(roles.SERVICER)
    day = date(2026, 12, 31)
    assert ach_drafts.autopay_drafts_create(business_date=day, loan_ids=[drafted.pk, skipped.pk], actor=operator) == 1
    assert list(AuditEvent.objects.filter(verb="autopay.drafted").values_list("actor", flat=True)) == [operator.pk]
    assert list(AuditEvent.objects.filter(verb="autopay.draft_skipped").values_list("actor", flat=True)) == [
        operator.pk
    ]


def test_a_new_enrollment_does_not_draft_an_installment_the_cancelled_ones_draft_still_has_pending():
    # Drafting 3 days before, installment 1 is drafted on Tue 2026-12-29 and stays pending (it settles on 12-31,
    # after that night's drafts). The borrower cancels autopay, not the draft, and enrolls again drafting on the due
    # date: on Thu 12-31 the new enrollment must not draft installment 1 a second time (the account would be
    # debited twice); it drafts again only once the first draft is cancelled or returned.
    loan = borrower_loan()
    first = _enroll(loan, days_before=3)
    assert _create(date(2026, 12, 29), loan) == 1
    ach.autopay_cancel(enrollment=first, actor=loan.borrower)
    second = _enroll(loan, days_before=0)
    assert list(ach_drafts.enrollments_to_draft(date(2026, 12, 31))) == []
    assert _create(date(2026, 12, 31), loan) == 0
    assert list(PendingPayment.objects.values_list("enrollment_id", "status")) == [(first.pk, "pending")]
    assert AutopaySkippedDraft.objects.count() == 0
    ach.ach_payment_cancel(pending=PendingPayment.objects.get(), actor=loan.borrower)
    assert list(ach_drafts.enrollments_to_draft(date(2026, 12, 31))) == [second]
    assert _create(date(2026, 12, 31), loan) == 1
    assert PendingPayment.objects.get(enrollment=second).amount == INSTALLMENT_1


def test_an_installment_whose_own_draft_was_cancelled_is_not_drafted_again_by_the_same_enrollment():
    # One draft per enrollment and installment: the borrower cancelled this enrollment's draft of installment 1 (made
    # Tue 2026-12-29, 3 days before); the enrollment stays active, and the next day it has no ACH work for the loan.
    loan = borrower_loan()
    enrollment = _enroll(loan, days_before=3)
    assert _create(date(2026, 12, 29), loan) == 1
    ach.ach_payment_cancel(pending=PendingPayment.objects.get(), actor=loan.borrower)
    assert list(ach_drafts.enrollments_to_draft(date(2026, 12, 29))) == []
    assert _create(date(2026, 12, 29), loan) == 0
    assert list(PendingPayment.objects.values_list("enrollment_id", "status")) == [(enrollment.pk, "cancelled")]
