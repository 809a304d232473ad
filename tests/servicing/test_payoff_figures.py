"""Payoff figures and quotes against hand-computed values: accrual from interest paid-through by the day count,
partly paid interest, interest paid ahead, suspense, fees, escrow (refunded, never netted), escrow advance."""

from datetime import date
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from lending.core.models import AuditEvent
from lending.finance import payoff as finance_payoff
from servicing.models import JournalEntry, PayoffQuote
from servicing.selectors.payoff import payoff_figures
from servicing.services import payments
from servicing.services.ledger import journal_post
from servicing.services.payments import PaymentError, payment_post
from servicing.services.payoff import payoff_letter_context, payoff_letter_pdf, payoff_quote_issue
from tests.core.factories import user_with_role
from tests.servicing.factories import CLOSING_DATE, boarded_loan
from tests.servicing.html import shows_money

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")
STAFF = PayoffQuote.Channel.STAFF


def _today(monkeypatch, day: date) -> None:
    monkeypatch.setattr(payments, "_today", lambda: day)


def _pay(loan, amount, key, when):
    return payment_post(
        loan=loan,
        amount=D(amount),
        effective_date=when,
        method="ach",
        reference=key,
        idempotency_key=key,
        actor=None,
    )


def _quote(loan, as_of, good_through, channel=STAFF, actor=None):
    return payoff_quote_issue(loan=loan, as_of=as_of, good_through=good_through, actor=actor, channel=channel)


def test_fresh_mortgage_accrues_from_disbursement_and_shows_escrow_apart(monkeypatch):
    # 300,000 at 6.5% 30/360, disbursed 2026-11-13: 11-14..12-01 is 18 days of 30/360,
    # 300,000 x 6.5% x 18/360 = 975.00; per diem 300,000 x 6.5% / 360 = 54.1666.. -> 54.17.
    _today(monkeypatch, date(2026, 12, 1))
    loan = boarded_loan()
    servicer = user_with_role("servicer")
    quote = _quote(loan, date(2026, 12, 1), date(2026, 12, 1), actor=servicer)
    assert (quote.principal, quote.accrual_days, quote.interest, quote.per_diem) == (
        D("300000.00"),
        18,
        D("975.00"),
        D("54.17"),
    )
    assert quote.total == D("300975.00")
    assert quote.escrow_refund == D("1050.00")  # the initial deposit: refunded after payoff, not deducted
    assert (quote.fees, quote.suspense_credit, quote.interest_refund, quote.escrow_advance) == (ZERO,) * 4
    assert (quote.requested_by, quote.channel, quote.loan_version) == (servicer, STAFF, loan.version)
    assert AuditEvent.objects.filter(verb="payoff.quoted", target_id=str(quote.pk)).count() == 1


def test_paid_through_a_due_date_then_ten_days_of_interest(monkeypatch):
    # Installment 1 (due 2027-01-01: principal 271.20) paid on its due date: principal 299,728.80, interest paid
    # through 2027-01-01. Good through 2027-01-11: 10 days, 299,728.80 x 6.5% x 10/360 = 541.177 -> 541.18.
    _today(monkeypatch, date(2027, 1, 11))
    loan = boarded_loan()
    first = loan.installments.get(number=1)
    _pay(loan, first.payment, "inst-1", date(2027, 1, 1))
    loan.refresh_from_db()
    assert (loan.principal_balance, loan.interest_paid_through) == (D("299728.80"), date(2027, 1, 1))
    quote = _quote(loan, date(2027, 1, 11), date(2027, 1, 11))
    assert (quote.accrual_days, quote.interest, quote.total) == (10, D("541.18"), D("300269.98"))
    assert quote.per_diem == D("54.12")  # 299,728.80 x 6.5% / 360 = 54.1177
    assert quote.escrow_refund == D("1575.00")  # 1,050 deposit + 525 paid with installment 1
    # The same accrual rule as the finance core's payoff_quote, which nets escrow (we do not).
    finance = finance_payoff.payoff_quote(
        principal_balance=loan.principal_balance,
        annual_rate=loan.annual_rate,
        day_count=loan.day_count,
        interest_paid_through=loan.interest_paid_through,
        as_of=date(2027, 1, 11),
        good_through=date(2027, 1, 11),
    )
    assert (finance.accrued_interest, finance.total, finance.per_diem) == (quote.interest, quote.total, quote.per_diem)


def test_partly_paid_interest_is_credited_against_the_accrual(monkeypatch):
    # Consumer loan 12,000 at 11.99% actual/365; 100.00 paid on 2026-12-01 goes to installment 1's interest
    # (fees-interest-principal), so interest is still paid through the disbursement date.
    # Good through 2026-12-11: 28 actual days, 12,000 x 11.99% x 28/365 = 110.3737 -> 110.37, less 100.00 paid.
    _today(monkeypatch, date(2026, 12, 11))
    loan = boarded_loan(consumer=True)
    _pay(loan, "100.00", "part", date(2026, 12, 1))
    loan.refresh_from_db()
    assert loan.interest_paid_through == CLOSING_DATE
    assert loan.installments.get(number=1).paid_interest == D("100.00")
    quote = _quote(loan, date(2026, 12, 11), date(2026, 12, 11))
    assert (quote.accrual_days, quote.accrued_interest, quote.interest_credit) == (28, D("110.37"), D("100.00"))
    assert (quote.interest, quote.total, quote.per_diem) == (D("10.37"), D("12010.37"), D("3.94"))
    assert quote.escrow_refund == ZERO


def test_interest_paid_ahead_is_refunded_not_deducted(monkeypatch):
    # Installment 1 (due 2027-01-01) paid early on 2026-12-01: interest paid through 2027-01-01. A payoff good
    # through 2026-12-11 owes no interest; the 20 days (30/360) paid ahead, 299,728.80 x 6.5% x 20/360 = 1,082.35,
    # are refunded after payoff.
    _today(monkeypatch, date(2026, 12, 11))
    loan = boarded_loan()
    _pay(loan, loan.installments.get(number=1).payment, "early", date(2026, 12, 1))
    loan.refresh_from_db()
    figures = payoff_figures(loan, as_of=date(2026, 12, 11), good_through=date(2026, 12, 11))
    # No negative interest period: nothing accrues, the 20 days paid ahead are the credit, refunded.
    assert (figures.accrual_days, figures.accrued_interest, figures.interest_credit) == (0, ZERO, D("1082.35"))
    assert (figures.interest, figures.interest_refund) == (ZERO, D("1082.35"))
    assert figures.total == D("299728.80")
    assert figures.per_diem_from == date(2027, 1, 1)  # a later arrival first uses up the interest paid ahead


def test_suspense_and_fees_are_in_the_total(monkeypatch):
    _today(monkeypatch, date(2026, 12, 1))
    loan = boarded_loan()
    _pay(loan, "500.00", "partial", date(2026, 12, 1))  # mortgage_standard: held in suspense
    journal_post(
        actor=None,
        loan=loan,
        effective_date=date(2026, 12, 1),
        kind=JournalEntry.Kind.FEE,
        memo="Returned payment fee",
        lines=[("fees_receivable", D("25.00"), ZERO), ("fee_income", ZERO, D("25.00"))],
    )
    loan.refresh_from_db()
    quote = _quote(loan, date(2026, 12, 1), date(2026, 12, 1))
    assert (quote.fees, quote.suspense_credit, quote.interest) == (D("25.00"), D("500.00"), D("975.00"))
    assert quote.total == D("300000.00") + D("975.00") + D("25.00") - D("500.00")


def test_an_escrow_advance_is_owed_and_nothing_is_refunded(monkeypatch):
    _today(monkeypatch, date(2026, 12, 1))
    loan = boarded_loan()
    journal_post(
        actor=None,
        loan=loan,
        effective_date=date(2026, 12, 1),
        kind=JournalEntry.Kind.ESCROW_DISBURSEMENT,
        memo="County tax",
        lines=[("escrow_liability", D("1500.00"), ZERO), ("cash", ZERO, D("1500.00"))],
    )
    loan.refresh_from_db()
    assert loan.escrow_balance == D("-450.00")
    quote = _quote(loan, date(2026, 12, 1), date(2026, 12, 1))
    assert (quote.escrow_advance, quote.escrow_refund, quote.total) == (D("450.00"), ZERO, D("301425.00"))


@pytest.mark.parametrize(
    ("as_of", "good_through", "field"),
    [
        (date(2026, 12, 2), date(2026, 12, 5), "as_of"),  # in the future
        (date(2026, 11, 1), date(2026, 12, 5), "as_of"),  # before disbursement
        (date(2026, 11, 30), date(2026, 11, 29), "good_through"),  # before as_of
        (date(2026, 12, 1), date(2027, 1, 31), "good_through"),  # more than 60 days out
    ],
)
def test_quote_dates_are_checked(monkeypatch, as_of, good_through, field):
    _today(monkeypatch, date(2026, 12, 1))
    loan = boarded_loan()
    with pytest.raises(PaymentError) as refused:
        _quote(loan, as_of, good_through)
    assert refused.value.field == field
    assert PayoffQuote.objects.count() == 0


def test_a_quote_cannot_state_balances_before_the_latest_posting(monkeypatch):
    _today(monkeypatch, date(2026, 12, 5))
    loan = boarded_loan()
    _pay(loan, "500.00", "partial", date(2026, 12, 3))
    with pytest.raises(PaymentError, match="latest posting"):
        _quote(loan, date(2026, 12, 2), date(2026, 12, 10))


def test_the_portal_quote_is_good_through_at_most_30_days(monkeypatch):
    _today(monkeypatch, date(2026, 12, 1))
    loan = boarded_loan()
    assert _quote(loan, date(2026, 12, 1), date(2026, 12, 31), channel=PayoffQuote.Channel.PORTAL).pk
    with pytest.raises(PaymentError, match="at most 30 days"):
        _quote(loan, date(2026, 12, 1), date(2027, 1, 1), channel=PayoffQuote.Channel.PORTAL)


def test_the_letter_shows_the_figures_and_renders_as_pdf(monkeypatch):
    _today(monkeypatch, date(2026, 12, 1))
    loan = boarded_loan()
    quote = _quote(loan, date(2026, 12, 1), date(2026, 12, 11))  # 28 days: 1,516.67 of interest
    html = render_to_string("pdf/payoff_letter.html", payoff_letter_context(quote))
    for text in (
        loan.loan_number,
        "$300,000.00",
        "$1,516.67",
        "$301,516.67",
        "$54.17",
        "Dec 11, 2026",
        "$1,050.00",
        "1024.34(b)",
        "1026.36(c)(3)",
        "Lending Mortgage Company",
    ):
        assert shows_money(html, text) if text.startswith("$") else text in html, text
    assert payoff_letter_pdf(quote).startswith(b"%PDF")


def test_the_letter_of_a_loan_paid_ahead_shows_no_negative_period(monkeypatch):
    _today(monkeypatch, date(2026, 12, 11))
    loan = boarded_loan()
    _pay(loan, loan.installments.get(number=1).payment, "early", date(2026, 12, 1))
    quote = _quote(loan, date(2026, 12, 11), date(2026, 12, 11))
    html = render_to_string("pdf/payoff_letter.html", payoff_letter_context(quote))
    assert "days)" not in html
    assert shows_money(
        html, "Interest paid through Jan 1, 2027, after the payoff date: none owed; $1,082.35 paid ahead is credited"
    )
    assert "For each day after Jan 1, 2027, the date interest is paid through, add <strong>$" in html
