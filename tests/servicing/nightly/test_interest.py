"""Nightly interest accrual: hand-computed accruals by day count, catch-up, prepayments, payments made before the
interest is earned, daily simple interest, a payoff after accruals, idempotency, and the books proved."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import Installment, InterestAccrual, JournalEntry, JournalLine, LoanAccount
from servicing.selectors.payoff import payoff_figures
from servicing.services import payments
from servicing.services.ledger import LedgerError, journal_reverse
from servicing.services.nightly.steps.interest import InterestStep
from servicing.services.payments import payment_post
from servicing.services.payoff import payoff_post
from tests.core.factories import user_with_role
from tests.origination.factories import ConsumerProductFactory
from tests.servicing.factories import boarded_loan
from tests.servicing.html import shows_money

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")
# The factory mortgage: 300,000.00 at 6.5 %, 30/360, disbursed 2026-11-13, installments due the 1st from 2027-01-01.
# Installment 1 (odd first period, 48 days by 30/360) asks 2,600.06 of interest, installment 2 (Jan 1 -> Feb 1,
# 30 days) 1,623.53, installment 3 (Feb 1 -> Mar 1) 1,622.05.


def _night(day: date) -> int:
    step = InterestStep()
    ids = list(step.pending_loan_ids(day))
    result = step.run_chunk(day, ids, None)
    assert result.errors == []
    return len(ids)


def _nights(first: date, last: date) -> None:
    day = first
    while day <= last:
        _night(day)
        day += timedelta(days=1)


def _verify() -> None:
    out = StringIO()
    call_command("ledger_verify", stdout=out)
    assert "Ledger verified" in out.getvalue()


def _income(loan) -> Decimal:
    sums = JournalLine.objects.filter(loan=loan, account__code="interest_income").aggregate(
        debit=Sum("debit"), credit=Sum("credit")
    )
    return (sums["credit"] or ZERO) - (sums["debit"] or ZERO)


def _rows(loan, installment: int) -> list[Decimal]:
    return list(
        InterestAccrual.objects.filter(loan=loan, installment__number=installment)
        .order_by("accrual_date")
        .values_list("amount", flat=True)
    )


def test_a_30_360_period_accrued_night_by_night_earns_exactly_the_installment_interest():
    loan = boarded_loan()
    _night(date(2027, 1, 1))  # catch-up from the disbursement: the whole first period, 2,600.06
    _nights(date(2027, 1, 2), date(2027, 2, 1))
    loan.refresh_from_db()
    days = _rows(loan, 2)
    # cents(1623.53 * k / 30): Jan 2 54.12, Jan 3 108.24 (54.12), Jan 4 162.35 (54.11); Jan 31 is day 30 by
    # 30/360, so Feb 1 adds nothing and writes no row: 30 rows summing to the installment's 1,623.53.
    assert days[:3] == [D("54.12"), D("54.12"), D("54.11")]
    assert len(days) == 30
    assert sum(days) == D("1623.53")
    assert _rows(loan, 1) == [D("2600.06")]
    assert loan.interest_due == D("4223.59")  # 2,600.06 + 1,623.53, all earned and unpaid
    assert loan.interest_prepaid == ZERO
    assert _income(loan) == D("4223.59")
    assert loan.interest_accrued_through == date(2027, 2, 1)
    # An entry per loan and night: Dr interest receivable, Cr interest income.
    first = JournalEntry.objects.get(kind="accrual", effective_date=date(2027, 1, 2))
    assert first.loan_id == loan.pk
    assert [(line.account.code, line.loan_id, line.debit, line.credit) for line in first.lines.order_by("id")] == [
        ("interest_receivable", loan.pk, D("54.12"), ZERO),
        ("interest_income", loan.pk, ZERO, D("54.12")),
    ]
    _verify()


def test_an_actual_365_period_accrued_night_by_night_earns_exactly_the_installment_interest():
    loan = boarded_loan(consumer=True)  # 12,000.00 at 11.99 %, actual/365; installment 2 asks 117.12
    _night(date(2027, 1, 1))
    _nights(date(2027, 1, 2), date(2027, 2, 1))
    days = _rows(loan, 2)
    # 31 actual days: cents(117.12 * k / 31): 3.78, 7.56, 11.33 ... and Feb 1 tops up to 117.12.
    assert days[:3] == [D("3.78"), D("3.78"), D("3.77")]
    assert len(days) == 31
    assert sum(days) == D("117.12")
    loan.refresh_from_db()
    assert loan.interest_due == D("190.82") + D("117.12")
    _verify()


def test_catch_up_of_three_missed_nights_equals_three_single_nights_and_crosses_a_due_date_row_by_period():
    loan = boarded_loan()
    # Nothing ran since boarding: one run for Jan 3 accrues the first period (row dated its due date) and two
    # days of the second: cents(1623.53 * 2 / 30) = 108.24.
    _night(date(2027, 1, 3))
    assert list(
        InterestAccrual.objects.filter(loan=loan).values_list("accrual_date", "installment__number", "days", "amount")
    ) == [(date(2027, 1, 1), 1, 48, D("2600.06")), (date(2027, 1, 3), 2, 2, D("108.24"))]
    # Three missed nights, then Jan 6: cents(1623.53 * 5 / 30) = 270.59 less 108.24 = 162.35, the sum of the
    # three single nights of the other test (54.12 + 54.12 + 54.11, shifted: 54.11 + 54.12 + 54.12).
    _night(date(2027, 1, 6))
    last = InterestAccrual.objects.get(loan=loan, accrual_date=date(2027, 1, 6))
    assert (last.days, last.amount, last.period_to_date) == (3, D("162.35"), D("270.59"))
    loan.refresh_from_db()
    assert loan.interest_due == D("2870.65")  # 2,600.06 + 270.59
    _verify()


def test_a_rerun_writes_nothing():
    loan = boarded_loan()
    _night(date(2027, 1, 5))
    counts = (InterestAccrual.objects.count(), JournalEntry.objects.count(), AuditEvent.objects.count())
    step = InterestStep()
    assert list(step.pending_loan_ids(date(2027, 1, 5))) == []
    # Called directly with the loan anyway (a worker retrying a chunk): it is not pending under the lock.
    assert step.run_chunk(date(2027, 1, 5), [loan.pk], None).done == 1
    assert step.run_chunk(date(2027, 1, 4), [loan.pk], None).done == 1  # an earlier date: already accrued
    assert (InterestAccrual.objects.count(), JournalEntry.objects.count(), AuditEvent.objects.count()) == counts
    loan.refresh_from_db()
    assert loan.interest_accrued_through == date(2027, 1, 5)


def test_interest_after_a_prepayment_is_the_re_amortized_installment_interest(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2026, 12, 1))
    loan = boarded_loan()
    _night(date(2026, 11, 30))
    payment_post(
        loan=loan,
        amount=D("50000.00"),
        effective_date=date(2026, 12, 1),
        method="ach",
        reference="curtail",
        idempotency_key="curtail",
        actor=None,
        directive="principal_only",
    )
    # Installment 1's period had started: it keeps 2,600.06. Installment 2 is re-derived on the balance when it
    # starts: 250,000.00 - 271.20 (installment 1's principal) = 249,728.80; * 6.5 % / 12 = 1,352.6977 -> 1,352.70.
    assert Installment.objects.get(loan=loan, number=2).interest == D("1352.70")
    _nights(date(2027, 1, 1), date(2027, 1, 2))
    assert _rows(loan, 2) == [D("45.09")]  # cents(1352.70 / 30) = 45.09
    _night(date(2027, 2, 1))
    assert sum(_rows(loan, 2)) == D("1352.70")
    loan.refresh_from_db()
    assert loan.interest_due == D("3952.76")  # 2,600.06 + 1,352.70
    _verify()


def test_a_payment_before_the_due_date_is_paid_in_advance_until_the_accrual_earns_it(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 1, 20))
    loan = boarded_loan()
    _night(date(2027, 1, 20))  # 2,600.06 + cents(1623.53 * 19 / 30) = 1,028.24 -> 3,628.30 receivable
    loan.refresh_from_db()
    assert loan.interest_due == D("3628.30")
    # Installments 1 (3,396.26) and 2 (2,421.20) paid on Jan 20: interest 2,600.06 + 1,623.53 = 4,223.59.
    txn = payment_post(
        loan=loan,
        amount=D("5817.46"),
        effective_date=date(2027, 1, 20),
        method="ach",
        reference="early",
        idempotency_key="early",
        actor=None,
    )
    lines = [(line.account.code, line.debit, line.credit) for line in txn.journal_entry.lines.order_by("id").all()]
    # Receivable takes what was earned (3,628.30); the 595.29 not yet earned is paid in advance; principal
    # 271.20 + 272.67 = 543.87; escrow 525.00 * 2.
    assert lines == [
        ("cash", D("5817.46"), ZERO),
        ("interest_receivable", ZERO, D("3628.30")),
        ("interest_prepaid", ZERO, D("595.29")),
        ("loans_receivable", ZERO, D("543.87")),
        ("escrow_liability", ZERO, D("1050.00")),
    ]
    loan.refresh_from_db()
    assert (loan.interest_due, loan.interest_prepaid) == (ZERO, D("595.29"))
    assert _income(loan) == D("3628.30")  # income is what was earned, not what was paid
    _night(date(2027, 2, 1))  # the rest of period 2 (595.29) is earned out of paid in advance
    entry = JournalEntry.objects.get(kind="accrual", effective_date=date(2027, 2, 1))
    assert [(line.account.code, line.debit, line.credit) for line in entry.lines.order_by("id")] == [
        ("interest_prepaid", D("595.29"), ZERO),
        ("interest_income", ZERO, D("595.29")),
    ]
    _night(date(2027, 2, 2))  # installment 3: cents(1622.05 / 30) = 54.07, nothing paid for it: receivable
    loan.refresh_from_db()
    assert (loan.interest_due, loan.interest_prepaid) == (D("54.07"), ZERO)
    assert _income(loan) == D("4277.66")  # 4,223.59 + 54.07
    _verify()


def test_a_reversed_advance_payment_whose_interest_was_earned_leaves_it_receivable(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 1, 25))
    loan = boarded_loan()
    _night(date(2027, 1, 20))
    txn = payment_post(
        loan=loan,
        amount=D("5817.46"),
        effective_date=date(2027, 1, 20),
        method="ach",
        reference="nsf",
        idempotency_key="nsf",
        actor=None,
    )
    _night(date(2027, 1, 23))  # cents(1623.53 * 22 / 30) = 1,190.59: 162.35 more, out of paid in advance
    payments.payment_reverse(transaction=txn, reason="R01 insufficient funds", actor=None)
    loan.refresh_from_db()
    # The reversal takes back 3,628.30 receivable and 595.29 paid in advance; 162.35 of that was earned since,
    # so paid in advance would be -162.35: it is moved to receivable. Earned and unpaid: 2,600.06 + 1,190.59.
    assert (loan.interest_due, loan.interest_prepaid) == (D("3790.65"), ZERO)
    assert _income(loan) == D("3790.65")
    _verify()


def test_daily_simple_interest_accrues_on_the_actual_balance():
    loan = boarded_loan(consumer=True, product=ConsumerProductFactory(interest_method="daily_simple"))
    assert loan.interest_method == "daily_simple"  # snapshot from the product at signing
    _night(date(2026, 12, 13))
    # 12,000.00 * 11.99 % * 30 / 365 (actual/365, Nov 13 -> Dec 13) = 118.2575 -> 118.26
    _night(date(2026, 12, 14))  # one day: 12,000.00 * 11.99 % / 365 = 3.9419 -> 3.94
    rows = list(InterestAccrual.objects.filter(loan=loan).values_list("days", "basis", "amount", "installment"))
    assert rows == [(30, D("12000.00"), D("118.26"), None), (1, D("12000.00"), D("3.94"), None)]
    loan.refresh_from_db()
    assert loan.interest_due == D("122.20")
    _verify()


def test_a_payoff_after_accruals_settles_paid_in_advance_and_closes_every_interest_account(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 1, 20))
    loan = boarded_loan()
    _night(date(2027, 1, 20))
    payment_post(
        loan=loan,
        amount=D("5817.46"),
        effective_date=date(2027, 1, 20),
        method="ach",
        reference="early",
        idempotency_key="early",
        actor=None,
    )
    loan.refresh_from_db()
    figures = payoff_figures(loan, as_of=date(2027, 1, 20), good_through=date(2027, 1, 20))
    # Interest is paid through Feb 1: the days after Jan 20 (11 by 30/360: 30 + 1 - 20) on 299,456.13 at 6.5 % are
    # refunded: 299456.13 * 0.065 * 11 / 360 = 594.7532 -> 594.75.
    assert (figures.interest, figures.interest_refund) == (ZERO, D("594.75"))
    payoff_post(
        loan=loan,
        amount=figures.total,
        effective_date=date(2027, 1, 20),
        method="wire",
        reference="payoff",
        idempotency_key="payoff",
        actor=None,
    )
    loan.refresh_from_db()
    assert (loan.interest_due, loan.interest_prepaid, loan.status) == (ZERO, ZERO, "paid_off")
    # Income: 3,628.30 accrued + 595.29 paid in advance, settled on payoff - 594.75 refunded = 3,628.84, the
    # interest the borrower paid and kept paid (4,223.59 - 594.75).
    assert _income(loan) == D("3628.84")
    assert list(InterestStep().pending_loan_ids(date(2027, 1, 21))) == []  # a closed loan accrues nothing
    _verify()


def test_a_failing_loan_is_an_error_and_the_others_accrue(monkeypatch):
    good, bad = boarded_loan(), boarded_loan(consumer=True)
    LoanAccount.objects.filter(pk=bad.pk).update(day_count="bogus")
    step = InterestStep()
    result = step.run_chunk(date(2027, 1, 1), sorted([good.pk, bad.pk]), None)
    assert result.done == 1
    assert [error.loan_id for error in result.errors] == [bad.pk]
    assert "bogus" in result.errors[0].message
    assert list(step.pending_loan_ids(date(2027, 1, 1))) == [bad.pk]
    good.refresh_from_db()
    assert good.interest_due == D("2600.06")
    _verify()


def test_the_staff_loan_page_shows_accrued_through_and_paid_in_advance_with_the_same_query_count(
    client, django_assert_max_num_queries
):
    loan = boarded_loan()
    client.force_login(user_with_role(roles.SERVICER))
    url = reverse("servicing:loan-detail", args=[loan.pk])
    with django_assert_max_num_queries(100) as before:
        client.get(url)
    _night(date(2026, 12, 31))
    _night(date(2027, 1, 5))
    with django_assert_max_num_queries(len(before.captured_queries)):
        page = client.get(url).content.decode()
    assert "accrued through 2027-01-05" in page
    assert "Interest paid in advance" in page
    # 2,600.06 + cents(1623.53 * 4 / 30) = 216.47 -> 2,816.53 interest due, journal and running balance alike
    assert shows_money(page, "2,816.53")


def test_a_nightly_accrual_entry_is_not_reversed():
    loan = boarded_loan()
    _night(date(2027, 1, 2))
    entry = JournalEntry.objects.get(kind="accrual", effective_date=date(2027, 1, 2))
    with pytest.raises(LedgerError, match="nightly interest accrual"):
        journal_reverse(actor=None, entry=entry, reason="wrong night")
    loan.refresh_from_db()
    assert loan.interest_due == D("2654.18")  # 2,600.06 + 54.12, untouched
    _verify()
