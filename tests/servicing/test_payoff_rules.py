"""Payoff quotes, letters and postings pinned one rule at a time (issue 17): each refusal of a quote's dates in its
own words, at each boundary; what the letter says (lender, contact or remittance, the refund period, the
generation time) in the HTML and in the PDF; who a payoff's refund entries are posted by; unapplied funds beyond the
debt refunded with the overage; the loan row touched when it closes.

The loan is the escrowed 30-year mortgage of ``boarded_loan()``: 300,000.00 at 6.5 % (30/360), boarded on
2026-11-13 with 1,050.00 in escrow; on 2026-12-01 its payoff is 300,000.00 + 975.00 of interest (18 days of 30/360:
300,000 x 6.5 % x 18 / 360) = 300,975.00 (tests/servicing/test_payoff_figures.py).
"""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from pypdf import PdfReader

from lending.core.models import AuditEvent, User
from servicing import selectors
from servicing.models import JournalEntry, LoanAccount, LoanPayoff, LoanTransaction, PayoffQuote
from servicing.services import payments
from servicing.services import payoff as payoff_module
from servicing.services.ledger import journal_post
from servicing.services.payments import PaymentError, payment_post
from servicing.services.payoff import payoff_letter_context, payoff_letter_pdf, payoff_post, payoff_quote_issue
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")
TODAY = date(2026, 12, 1)
STAFF, PORTAL = PayoffQuote.Channel.STAFF, PayoffQuote.Channel.PORTAL


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


@pytest.fixture
def loan():
    return boarded_loan()


def _quote(loan, as_of=TODAY, good_through=TODAY, channel=STAFF):
    return payoff_quote_issue(loan=loan, as_of=as_of, good_through=good_through, actor=None, channel=channel)


def _payoff(loan, amount, *, actor=None, key="payoff-1"):
    return payoff_post(
        loan=loan,
        amount=D(amount),
        effective_date=TODAY,
        method="wire",
        reference=f"FW-{key}",
        idempotency_key=key,
        actor=actor,
    )


def _lines(entry) -> set[tuple[str, Decimal, Decimal]]:
    return {(line.account.code, line.debit, line.credit) for line in entry.lines.select_related("account")}


# --- a quote's dates -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "good_through", "channel", "message"),
    [
        (TODAY, TODAY, "fax", "channel: unknown channel 'fax'"),
        ("2026-12-01", TODAY, STAFF, "as_of: expected a date, got '2026-12-01'"),
        (TODAY, None, STAFF, "good_through: expected a date, got None"),
        (
            date(2026, 12, 2),
            date(2026, 12, 2),
            STAFF,
            "as_of: 2026-12-02 is in the future: a quote states today's balances",
        ),
        (date(2026, 11, 12), TODAY, STAFF, "as_of: 2026-11-12 is before the disbursement date 2026-11-13"),
        (TODAY, date(2026, 11, 30), STAFF, "good_through: 2026-11-30 is before the as-of date 2026-12-01"),
        # 2026-12-01 + 60 days = 2027-01-30 for staff; + 30 days = 2026-12-31 through the portal.
        (TODAY, date(2027, 1, 31), STAFF, "good_through: at most 60 days after the as-of date (2027-01-30)"),
        (TODAY, date(2027, 1, 1), PORTAL, "good_through: at most 30 days after the as-of date (2026-12-31)"),
    ],
)
def test_each_refused_quote_date_names_its_field_and_says_why_and_nothing_is_recorded(
    loan, as_of, good_through, channel, message
):
    with pytest.raises(PaymentError) as refused:
        _quote(loan, as_of, good_through, channel)
    assert str(refused.value) == message
    assert refused.value.field == message.split(":")[0]
    assert not PayoffQuote.objects.exists()


@pytest.mark.parametrize(
    ("as_of", "good_through", "channel"),
    [
        (TODAY, TODAY, STAFF),  # as of today, good through the same day
        (date(2026, 11, 13), date(2026, 11, 13), STAFF),  # as of the disbursement date (its posting's date)
        (TODAY, date(2027, 1, 30), STAFF),  # 60 days
        (TODAY, date(2026, 12, 31), PORTAL),  # 30 days
    ],
)
def test_a_quote_on_each_boundary_is_issued(loan, as_of, good_through, channel):
    quote = _quote(loan, as_of, good_through, channel)
    assert (quote.as_of, quote.good_through, quote.channel) == (as_of, good_through, channel)


def test_a_quote_as_of_a_day_before_the_latest_posting_is_refused_and_on_that_day_issued(loan):
    payment_post(
        loan=loan,
        amount=D("500.00"),
        effective_date=date(2026, 11, 20),
        method="ach",
        reference="",
        idempotency_key="p-1",
        actor=None,
    )
    with pytest.raises(PaymentError) as refused:
        _quote(loan, date(2026, 11, 19), TODAY)
    assert str(refused.value) == "as_of: 2026-11-19 is before the loan's latest posting (2026-11-20)"
    assert not PayoffQuote.objects.exists()
    assert _quote(loan, date(2026, 11, 20), TODAY).as_of == date(2026, 11, 20)


def test_a_payoff_dated_before_the_latest_posting_is_refused_by_its_effective_date(loan, monkeypatch):
    payment_post(
        loan=loan,
        amount=D("500.00"),
        effective_date=date(2026, 12, 2),
        method="ach",
        reference="",
        idempotency_key="p-1",
        actor=None,
    )
    with pytest.raises(PaymentError) as refused:
        _payoff(loan, "300975.00")
    assert str(refused.value) == "effective_date: 2026-12-01 is before the loan's latest posting (2026-12-02)"
    assert not LoanPayoff.objects.exists()


# --- the letter ----------------------------------------------------------------------------------------------------


def _letter(quote) -> str:
    return render_to_string("pdf/payoff_letter.html", payoff_letter_context(quote))


def test_the_letter_names_the_lender_the_loan_the_refund_period_and_when_it_was_made(loan):
    html = _letter(_quote(loan))
    assert f"<title>Payoff statement · {loan.loan_number}</title>" in html  # the document's reference
    assert f'<td data-testid="loan-number">{loan.loan_number}</td>' in html
    assert "<p>Lending Mortgage Company<br>100 Main Street, Springfield, IL 62701</p>" in html
    # 1,050.00 in escrow is refunded within 20 business days (Reg X 1024.34(b)).
    assert "refunded to you within 20 business days (Regulation X, 12 CFR 1024.34(b))" in html
    assert re.search(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d \w+ by Lending\.", html)


def test_the_letter_without_remittance_instructions_says_whom_to_contact(loan, settings):
    if hasattr(settings, "LENDING_PAYOFF_REMITTANCE"):
        del settings.LENDING_PAYOFF_REMITTANCE
    html = _letter(_quote(loan))
    assert "<p>Contact us at loans@lending.test for wire or remittance instructions" in html
    assert "XXXX" not in html


def test_the_letter_with_remittance_instructions_shows_them_line_by_line(loan, settings):
    settings.LENDING_PAYOFF_REMITTANCE = "Wire to First Bank\nABA 123456789"
    html = _letter(_quote(loan))
    assert "<p>Wire to First Bank<br>ABA 123456789</p>" in html
    assert "Contact us at" not in html


def test_the_letter_as_pdf_states_the_loan_and_the_payoff(loan):
    quote = _quote(loan, TODAY, date(2026, 12, 11))  # 28 days: 300,000 x 6.5 % x 28 / 360 = 1,516.67
    reader = PdfReader(io.BytesIO(payoff_letter_pdf(quote)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert f"Loan number {loan.loan_number}" in text
    assert "Total payoff amount $301,516.67" in text
    assert "within 20 business days" in text


# --- posting the payoff --------------------------------------------------------------------------------------------


def test_the_refund_entries_are_posted_by_whoever_posted_the_payoff(loan):
    servicer = user_with_role("servicer")
    txn = _payoff(loan, "301000.00", actor=servicer)  # 25.00 over the 300,975.00
    payoff = LoanPayoff.objects.get(transaction=txn)
    assert _lines(payoff.escrow_refund_entry) == {
        ("escrow_liability", D("1050.00"), ZERO),
        ("cash", ZERO, D("1050.00")),
    }
    assert _lines(payoff.refund_entry) == {("suspense", D("25.00"), ZERO), ("cash", ZERO, D("25.00"))}
    assert (txn.journal_entry.created_by, payoff.escrow_refund_entry.created_by, payoff.refund_entry.created_by) == (
        servicer,
        servicer,
        servicer,
    )


def test_unapplied_funds_beyond_the_debt_are_refunded_with_the_overage(loan):
    # 301,000.00 of unapplied funds against a payoff of 300,975.00: 300,975.00 is credited (the total due is 0.00)
    # and 25.00 is left over; a token 1.00 received is all overage: 1.00 + 25.00 = 26.00 refunded.
    journal_post(
        actor=None,
        loan=loan,
        effective_date=TODAY,
        kind=JournalEntry.Kind.ADJUSTMENT,
        memo="funds received ahead of the payoff",
        lines=[("cash", D("301000.00"), ZERO), ("suspense", ZERO, D("301000.00"))],
    )
    txn = _payoff(loan, "1.00")
    payoff = LoanPayoff.objects.get(transaction=txn)
    assert (payoff.total, payoff.suspense_credit, payoff.suspense_refund, payoff.overage_refund) == (
        ZERO,
        D("300975.00"),
        D("25.00"),
        D("1.00"),
    )
    assert payoff.refund_entry.memo == (
        f"Refund after payoff of {loan.loan_number}: overage 1.00, unapplied funds 25.00, interest paid ahead 0.00"
    )
    assert _lines(payoff.refund_entry) == {("suspense", D("26.00"), ZERO), ("cash", ZERO, D("26.00"))}
    loan.refresh_from_db()
    assert (loan.status, loan.suspense_balance, loan.principal_balance) == ("paid_off", ZERO, ZERO)
    assert selectors.unbalanced_entries() == []
    assert selectors.loan_balance_mismatches() == []


def test_the_loan_row_is_marked_updated_when_it_closes(loan):
    before = LoanAccount.objects.get(pk=loan.pk).updated_at
    txn = _payoff(loan, "300975.00")
    payoff = LoanPayoff.objects.get(transaction=txn)
    after = LoanAccount.objects.get(pk=loan.pk)
    assert after.status == "paid_off"
    # Its last change is the close itself, after the payoff row was recorded, not the payoff entries' balances.
    assert after.updated_at >= payoff.posted_at > before


def test_the_callers_loan_instance_shows_the_closed_loan(loan):
    _payoff(loan, "300975.00")
    assert (loan.status, loan.paid_off_on, loan.next_due_date, loan.interest_paid_through) == (
        "paid_off",
        TODAY,
        None,
        TODAY,
    )
    assert (loan.principal_balance, loan.interest_due, loan.escrow_balance, loan.suspense_balance) == (
        ZERO,
        ZERO,
        ZERO,
        ZERO,
    )
    assert loan.version == LoanAccount.objects.get(pk=loan.pk).version


def test_a_quote_good_through_one_day_later_adds_one_day_of_interest(loan):
    # Per diem 300,000 x 6.5 % / 360 = 54.1666.. : 18 days = 975.00, 19 days = 1,029.17.
    assert _quote(loan, TODAY, TODAY).total == D("300975.00")
    assert _quote(loan, TODAY, TODAY + timedelta(days=1)).total == D("301029.17")


def test_a_quote_is_audited_as_its_requester_with_the_loan_and_every_figure(loan):
    servicer = user_with_role("servicer")
    quote = payoff_quote_issue(loan=loan, as_of=TODAY, good_through=TODAY, actor=servicer, channel=STAFF)
    event = AuditEvent.objects.get(verb="payoff.quoted")
    assert (event.actor, event.target_id) == (servicer, str(quote.pk))
    # 300,000.00 at 6.5 % from the disbursement (2026-11-13) to 2026-12-01: 18 days of 30/360, 975.00 of interest,
    # 54.17 a day; the 1,050.00 escrow deposit is refunded after payoff, not deducted; nothing else is owed.
    assert event.after == {
        "loan": loan.loan_number,
        "as_of": "2026-12-01",
        "good_through": "2026-12-01",
        "interest_paid_through": "2026-11-13",
        "accrual_days": 18,
        "principal": "300000.00",
        "accrued_interest": "975.00",
        "interest_credit": "0.00",
        "interest": "975.00",
        "interest_refund": "0.00",
        "fees": "0.00",
        "escrow_advance": "0.00",
        "suspense_credit": "0.00",
        "suspense_refund": "0.00",
        "total": "300975.00",
        "per_diem": "54.17",
        "escrow_refund": "1050.00",
    }


def test_a_quote_asked_by_an_unsaved_user_is_recorded_as_asked_by_no_one(loan):
    quote = payoff_quote_issue(
        loan=loan, as_of=TODAY, good_through=TODAY, actor=User(email="nobody@example.com"), channel=PORTAL
    )
    quote.refresh_from_db()
    assert (quote.requested_by, quote.channel, quote.loan_version) == (None, PORTAL, loan.version)


def test_the_payoff_is_recorded_and_audited_as_its_poster_with_its_entries_and_figures(loan):
    servicer = user_with_role("servicer")
    txn = _payoff(loan, "301000.00", actor=servicer)  # 25.00 over the 300,975.00
    payoff = LoanPayoff.objects.get(transaction=txn)
    assert (payoff.posted_by, payoff.amount_received, payoff.overage_refund) == (
        servicer,
        D("301000.00"),
        D("25.00"),
    )
    assert txn.journal_entry.memo == f"Payoff FW-payoff-1 of {loan.loan_number} (wire)"
    event = AuditEvent.objects.get(verb="loan.paid_off")
    assert (event.actor, event.target_id) == (servicer, str(loan.pk))
    assert event.before == {"status": "active", "principal_balance": "300000.00"}
    assert event.after == {
        "status": "paid_off",
        "paid_off_on": "2026-12-01",
        "transaction": txn.pk,
        "payoff": payoff.pk,
        "amount": "301000.00",
        "method": "wire",
        "reference": "FW-payoff-1",
        "overage_refund": "25.00",
        # The payoff's entry, then the escrow refund's (1,050.00), then the overage's (25.00).
        "journal_entries": [txn.journal_entry_id, payoff.escrow_refund_entry_id, payoff.refund_entry_id],
        # The figures of the quote as of 2026-12-01 (test_a_quote_is_audited_as_its_requester_...).
        "as_of": "2026-12-01",
        "good_through": "2026-12-01",
        "interest_paid_through": "2026-11-13",
        "accrual_days": 18,
        "principal": "300000.00",
        "accrued_interest": "975.00",
        "interest_credit": "0.00",
        "interest": "975.00",
        "interest_refund": "0.00",
        "fees": "0.00",
        "escrow_advance": "0.00",
        "suspense_credit": "0.00",
        "suspense_refund": "0.00",
        "total": "300975.00",
        "per_diem": "54.17",
        "escrow_refund": "1050.00",
    }


def test_a_payoff_without_a_reference_is_named_by_its_key_and_by_an_unsaved_user_posted_by_no_one(loan):
    txn = payoff_post(
        loan=loan,
        amount=D("300975.00"),
        effective_date=TODAY,
        method="check",
        reference="",
        idempotency_key="payoff-key-7",
        actor=User(email="nobody@example.com"),
    )
    assert txn.journal_entry.memo == f"Payoff payoff-key-7 of {loan.loan_number} (check)"
    assert LoanPayoff.objects.get(transaction=txn).posted_by is None


def test_a_repeated_payoff_is_answered_from_its_key_without_waiting_for_the_loans_lock(loan, monkeypatch):
    txn = _payoff(loan, "300975.00")
    locked = []
    monkeypatch.setattr(payoff_module, "_lock", lambda loan: locked.append(loan.pk))
    assert _payoff(loan, "300975.00") == txn  # the retry: the first posting, nothing written
    assert locked == []  # answered before the lock: a retry never queues behind a posting on the loan
    assert LoanPayoff.objects.count() == 1


def test_a_payoff_posted_by_someone_else_while_waiting_for_the_lock_is_answered_with_theirs(loan, monkeypatch):
    real_lock = payoff_module._lock
    theirs = []
    calls = []

    def lock_after_the_other_posting(locking):
        calls.append(locking.pk)
        if len(calls) == 1:  # the other caller, holding the lock, posts the same key first (its own lock: call 2)
            theirs.append(_payoff(loan, "300975.00"))
        return real_lock(locking)

    monkeypatch.setattr(payoff_module, "_lock", lock_after_the_other_posting)
    # Ours then finds their posting under the lock and answers with it, not refused for a loan already closed.
    assert _payoff(loan, "300975.00") == theirs[0]
    assert LoanPayoff.objects.count() == 1
    loan.refresh_from_db()
    assert loan.status == "paid_off"


def test_a_payoff_whose_key_is_taken_at_the_write_is_answered_with_the_posting_that_took_it(loan, monkeypatch):
    real_record = payoff_module.payment_record
    theirs = []

    def record_after_the_other_posting(**kwargs):
        if not theirs:  # between our checks and our write, another caller posts the same key and commits
            theirs.append(None)  # first: the other posting's own write comes through here too
            theirs[0] = _payoff(loan, "300975.00")
        return real_record(**kwargs)  # ours then hits the key's unique constraint (IntegrityError)

    monkeypatch.setattr(payoff_module, "payment_record", record_after_the_other_posting)
    assert _payoff(loan, "300975.00") == theirs[0]  # their posting stands; ours wrote nothing
    assert (LoanPayoff.objects.count(), LoanTransaction.objects.filter(idempotency_key="payoff-1").count()) == (1, 1)
    loan.refresh_from_db()
    assert (loan.status, loan.principal_balance) == ("paid_off", ZERO)
