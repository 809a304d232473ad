"""Borrower notices, each triggered by its real event (the services, run with their on-commit callbacks): the PDF's
text carries the exact figures, and each notice is made once however often its event is announced.

The loan is the factories' 30-year escrowed mortgage: 300,000.00 at 6.5 %, first payment 2027-01-01;
installment 1 = interest 2,600.06 + principal 271.20 + escrow 525.00 = 3,396.26 (an odd first period); later
installments 1,896.20 principal and interest + 525.00 escrow = 2,421.20; a 5 % late fee after 15 days' grace.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from servicing.models import BorrowerDocument, EscrowAnalysis, Installment, LoanFee, LoanPayoff, PendingPayment
from servicing.services import ach, notices, payments
from servicing.services.ach import BankDetails
from servicing.services.nightly.steps.ach import AchStep
from servicing.services.nightly.steps.late_fees import LateFeesStep
from servicing.services.payments import payment_post
from servicing.services.payoff import payoff_post
from tests.origination.factories import LoanProductFactory
from tests.servicing.factories import boarded_loan
from tests.servicing.factories_portal import ROUTING, borrower_loan, set_today
from tests.servicing.html import shows_money
from tests.servicing.nightly.escrow_helpers import escrow_received, escrowed_loan, installments_paid
from tests.servicing.nightly.escrow_helpers import run as escrow_run

pytestmark = pytest.mark.django_db
D = Decimal
Kind = BorrowerDocument.Kind


def pdf_text(document: BorrowerDocument) -> str:
    """The document's text with its line breaks as spaces (a sentence may wrap)."""
    with document.file.open("rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def only_notice(loan, kind) -> BorrowerDocument:
    documents = list(BorrowerDocument.objects.filter(loan=loan, kind=kind))
    assert len(documents) == 1
    return documents[0]


def _pay(loan, amount, key, when):
    return payment_post(
        loan=loan, amount=D(amount), effective_date=when, method="check", reference=key, idempotency_key=key, actor=None
    )


# --- ACH payment returned --------------------------------------------------------------------------------------

DRAFT_DAY = date(2026, 12, 31)  # installment 1 (due Fri 2027-01-01, a holiday) is drafted the business day before
SETTLE_DAY = date(2027, 1, 4)  # settled, and returned R01 by the sandbox (account ending 0001)


def _ach_run(day):
    step = AchStep()
    assert step.run_chunk(day, list(step.pending_loan_ids(day)), None).errors == []


def test_a_returned_ach_payment_leaves_one_notice_with_code_amount_fee_and_what_to_do(
    monkeypatch, django_capture_on_commit_callbacks
):
    set_today(monkeypatch, date(2026, 12, 1))
    loan = borrower_loan(product=LoanProductFactory(returned_payment_fee=D("25.00")))
    ach.autopay_enroll(
        loan=loan,
        bank=BankDetails("Nora Quinn", ROUTING, "000123450001"),
        draft_days_before=0,
        extra_principal=D("0.00"),
        actor=loan.borrower,
    )
    with django_capture_on_commit_callbacks(execute=True):
        _ach_run(DRAFT_DAY)
        set_today(monkeypatch, SETTLE_DAY)
        _ach_run(SETTLE_DAY)
    draft = PendingPayment.objects.get(loan=loan, installment__number=1)
    assert (draft.status, draft.return_code) == ("returned", "R01")
    notice = only_notice(loan, Kind.ACH_RETURNED)
    assert (notice.key, notice.document_date, notice.title) == (str(draft.pk), SETTLE_DAY, "ACH payment returned (R01)")
    text = pdf_text(notice)
    assert shows_money(text, "Payment amount $3,396.26")
    assert "R01 Insufficient funds" in text
    assert shows_money(text, "Returned-payment fee charged $25.00")
    assert shows_money(text, "Total to pay again $3,421.26")  # 3,396.26 + 25.00
    assert "Make sure enough funds are available" in text
    # The event again (the chunk called directly on the same night) makes no second notice.
    with django_capture_on_commit_callbacks(execute=True):
        AchStep().run_chunk(SETTLE_DAY, [loan.pk], None)
        notices.notice_make(kind=Kind.ACH_RETURNED, row_id=draft.pk, actor=None)
    assert BorrowerDocument.objects.filter(kind=Kind.ACH_RETURNED).count() == 1


def test_a_return_recorded_by_hand_before_settlement_leaves_a_notice_without_a_fee(
    monkeypatch, django_capture_on_commit_callbacks
):
    set_today(monkeypatch, date(2026, 12, 1))
    loan = borrower_loan()
    pending = ach.ach_payment_schedule(
        loan=loan,
        amount=D("500.00"),
        scheduled_date=date(2026, 12, 2),
        principal_only=False,
        bank=BankDetails("Nora Quinn", ROUTING, "000123456789"),
        actor=loan.borrower,
        idempotency_key="k-1",
    )
    with django_capture_on_commit_callbacks(execute=True):
        ach.ach_payment_return(pending=pending, actor=None, reason="R08 payment stopped")
        ach.ach_payment_return(pending=pending, actor=None, reason="R08 payment stopped")  # again: nothing new
    notice = only_notice(loan, Kind.ACH_RETURNED)
    assert (notice.title, notice.document_date) == ("ACH payment returned", date(2026, 12, 2))
    text = pdf_text(notice)
    assert "It was not credited to your loan." in text
    assert shows_money(text, "Payment amount $500.00")
    assert "What the bank said R08 payment stopped" in text
    assert "Returned-payment fee none charged" in text


# --- late fee ----------------------------------------------------------------------------------------------------


def _late_fee_run(day):
    step = LateFeesStep()
    return step.run_chunk(day, list(step.pending_loan_ids(day)), None)


def test_a_late_fee_leaves_one_notice_with_the_fee_and_the_due_date(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 12, 31))
    loan = boarded_loan()
    _pay(loan, Installment.objects.get(loan=loan, number=1).payment, "pay-1", date(2027, 1, 1))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert _late_fee_run(date(2027, 2, 17)).done == 1  # installment 2, due Feb 1: grace ends Feb 16
    assert len(callbacks) == 1  # one notice task enqueued for the one fee
    fee = LoanFee.objects.get()
    notice = only_notice(loan, Kind.LATE_FEE)
    assert (notice.key, notice.document_date) == (str(fee.pk), date(2027, 2, 17))
    text = pdf_text(notice)
    assert shows_money(text, "Late fee $94.81")  # 5 % of 1,896.20
    assert "Payment due date February 1, 2027 (payment 2)" in text
    assert shows_money(text, "Still owed on that payment, fee included $2,516.01 ")  # 2,421.20 + 94.81
    with django_capture_on_commit_callbacks(execute=True):
        _late_fee_run(date(2027, 2, 17))
        LateFeesStep().run_chunk(date(2027, 2, 17), [loan.pk], None)
        notices.notice_make(kind=Kind.LATE_FEE, row_id=fee.pk, actor=None)
    assert BorrowerDocument.objects.filter(kind=Kind.LATE_FEE).count() == 1


def test_a_late_fee_step_on_many_loans_enqueues_a_task_per_hundred_fees(
    django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(notices, "NOTICES_PER_TASK", 2)
    loans = [boarded_loan() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert _late_fee_run(date(2027, 1, 19)).done == 3  # installment 1 of each, due Jan 1
    assert len(callbacks) == 2  # 3 fees, 2 a task: a task of 2 and one of 1
    assert not BorrowerDocument.objects.exists()  # nothing rendered inside the step
    for callback in callbacks:
        callback()
    assert sorted(BorrowerDocument.objects.values_list("loan_id", flat=True)) == sorted(loan.pk for loan in loans)


def test_a_failing_notice_in_a_batch_is_logged_and_the_others_are_made(monkeypatch, caplog):
    from servicing import tasks

    loans = [boarded_loan() for _ in range(2)]
    _late_fee_run(date(2027, 1, 19))
    fees = list(LoanFee.objects.order_by("pk"))
    real = notices.notice_make

    def broken_first(*, kind, row_id, actor):
        if row_id == fees[0].pk:
            raise RuntimeError("renderer down")
        return real(kind=kind, row_id=row_id, actor=actor)

    monkeypatch.setattr(notices, "notice_make", broken_first)
    assert tasks.notices_make(Kind.LATE_FEE, [fee.pk for fee in fees]) == 1
    assert list(BorrowerDocument.objects.values_list("loan_id", flat=True)) == [loans[1].pk]
    assert f"notice late_fee for row {fees[0].pk} failed" in caplog.text


# --- escrow payment change ---------------------------------------------------------------------------------------


def test_an_escrow_analysis_changing_the_payment_leaves_one_notice(django_capture_on_commit_callbacks):
    loan = escrowed_loan()
    installments_paid(loan, 12)
    # The year's 6,300.00 paid out leaves 1,000.00: 50.00 short of the 1,050.00 cushion, spread over 12 -> 4.16;
    # new escrow 525.00 + 4.16 = 529.16 from installment 13, due 2028-01-01 (see test_escrow_analysis).
    escrow_received(loan, D("1000.00") + D("6300.00") - loan.escrow_balance)
    with django_capture_on_commit_callbacks(execute=True):
        assert escrow_run(date(2027, 12, 2)) == [loan.pk]
    analysis = EscrowAnalysis.objects.get(loan=loan)
    notice = only_notice(loan, Kind.ESCROW_CHANGE)
    assert (notice.key, notice.document_date) == (str(analysis.pk), date(2027, 12, 2))
    text = pdf_text(notice)
    assert "payment 13, due January 1, 2028" in text
    assert shows_money(text, "Principal and interest $1,896.20 $1,896.20")
    assert shows_money(text, "Escrow $525.00 $529.16")
    assert shows_money(text, "Total payment $2,421.20 $2,425.36")  # 1,896.20 + 525.00; 1,896.20 + 529.16
    assert shows_money(text, "short by $50.00, spread over 12 payments")
    with django_capture_on_commit_callbacks(execute=True):
        escrow_run(date(2027, 12, 2))
        notices.notice_make(kind=Kind.ESCROW_CHANGE, row_id=analysis.pk, actor=None)
    assert BorrowerDocument.objects.filter(kind=Kind.ESCROW_CHANGE).count() == 1


def test_an_analysis_keeping_the_payment_makes_no_notice(django_capture_on_commit_callbacks):
    loan = escrowed_loan()
    installments_paid(loan, 12)
    escrow_received(loan, D("1050.00") + D("6300.00") - loan.escrow_balance)  # exactly the cushion: 525.00 stays
    with django_capture_on_commit_callbacks(execute=True):
        escrow_run(date(2027, 12, 2))
    assert EscrowAnalysis.objects.get(loan=loan).new_monthly_payment == D("525.00")
    assert not BorrowerDocument.objects.filter(kind=Kind.ESCROW_CHANGE).exists()


# --- payoff ------------------------------------------------------------------------------------------------------


def test_a_payoff_leaves_one_paid_in_full_letter_with_the_lien_release(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(payments, "_today", lambda: date(2026, 12, 1))
    loan = boarded_loan()
    # 300,000.00 + 18 days (30/360) at 6.5 % = 975.00 interest (test_payoff_post); escrow 1,050.00 refunded.
    kwargs = {"amount": D("300975.00"), "effective_date": date(2026, 12, 1), "method": "wire", "reference": "FW-1"}
    with django_capture_on_commit_callbacks(execute=True):
        payoff_post(loan=loan, idempotency_key="payoff-1", actor=None, **kwargs)
    payoff = LoanPayoff.objects.get(loan=loan)
    notice = only_notice(loan, Kind.PAID_IN_FULL)
    assert (notice.key, notice.document_date) == (str(payoff.pk), date(2026, 12, 1))
    text = pdf_text(notice)
    assert shows_money(text, "We received $300,975.00 on December 1, 2026")
    assert shows_money(text, "Principal paid $300,000.00")
    assert shows_money(text, "Interest paid $975.00")
    assert shows_money(text, "Escrow balance refunded to you $1,050.00")
    assert "Request for release of lien" in text
    prop = loan.application.subject_property
    assert f"within the deadline {prop.state} law sets" in text
    with django_capture_on_commit_callbacks(execute=True):
        payoff_post(loan=loan, idempotency_key="payoff-1", actor=None, **kwargs)  # a repeat posts nothing
        notices.notice_make(kind=Kind.PAID_IN_FULL, row_id=payoff.pk, actor=None)
    assert BorrowerDocument.objects.filter(kind=Kind.PAID_IN_FULL).count() == 1


# --- payment received ----------------------------------------------------------------------------------------------


def test_a_payment_received_notice_only_when_the_borrower_opted_in(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 12, 31))
    loan = boarded_loan()
    with django_capture_on_commit_callbacks(execute=True):
        _pay(loan, "3396.26", "pay-1", date(2027, 1, 1))
    assert not BorrowerDocument.objects.exists()  # not asked for

    notices.payment_notice_preference_set(loan=loan, enabled=True, actor=loan.borrower)
    with django_capture_on_commit_callbacks(execute=True):
        # Installment 2 (2,421.20) and 100.00 more: the mortgage strategy holds the extra as unapplied funds.
        txn = _pay(loan, "2521.20", "pay-2", date(2027, 2, 1))
    notice = only_notice(loan, Kind.PAYMENT_RECEIVED)
    assert (notice.key, notice.document_date) == (str(txn.pk), date(2027, 2, 1))
    text = pdf_text(notice)
    assert shows_money(text, "We received $2,521.20 on February 1, 2027")
    # Installment 2: interest 1,623.53 + principal 272.67 = 1,896.20, escrow 525.00; 2,521.20 - 2,421.20 = 100.00.
    assert shows_money(text, "Interest $1,623.53 Principal $272.67 Escrow (taxes and insurance) $525.00")
    assert shows_money(text, "Held as unapplied funds $100.00 Payment $2,521.20")
    second = Installment.objects.get(loan=loan, number=2)
    assert (second.interest, second.principal) == (D("1623.53"), D("272.67"))
    with django_capture_on_commit_callbacks(execute=True):
        _pay(loan, "2521.20", "pay-2", date(2027, 2, 1))  # the same key: the first posting, nothing new
        notices.notice_make(kind=Kind.PAYMENT_RECEIVED, row_id=txn.pk, actor=None)
    assert BorrowerDocument.objects.filter(kind=Kind.PAYMENT_RECEIVED).count() == 1


def test_a_notice_whose_row_is_gone_or_not_due_makes_nothing():
    loan = boarded_loan()
    assert notices.notice_make(kind=Kind.LATE_FEE, row_id=999999, actor=None) is None
    assert notices.notice_make(kind=Kind.PAYMENT_RECEIVED, row_id=999999, actor=None) is None
    assert not BorrowerDocument.objects.filter(loan=loan).exists()


@pytest.mark.parametrize("announce", ["one", "many"])
def test_a_notice_the_broker_cannot_take_is_logged_and_the_committed_caller_goes_on(
    announce, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    """The event's transaction has committed when its notice is enqueued: a broker that is down must not turn a
    posted payment into a 500 or a committed nightly chunk into errors, nor stop the commit's other callbacks."""
    from django.db import transaction

    from servicing import tasks

    def broker_down(*args):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.notice_make, "delay", broker_down)
    monkeypatch.setattr(tasks.notices_make, "delay", broker_down)
    after: list[str] = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        if announce == "one":
            notices.notice_later(BorrowerDocument.Kind.PAYMENT_RECEIVED, 1)
        else:
            notices.notices_later(BorrowerDocument.Kind.LATE_FEE, [1, 2])
        transaction.on_commit(lambda: after.append("ran"))
    assert (len(callbacks), after) == (2, ["ran"])
    [record] = [r for r in caplog.records if "on_commit" in r.getMessage()]
    assert (record.levelname, str(record.exc_info[1])) == ("ERROR", "broker unreachable")
