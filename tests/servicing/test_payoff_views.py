"""Payoff pages: who reaches them (staff roles, the borrower's own loan only), what they show, quotes and the
payoff posted through them, the letter download, and query counts that do not grow with the quotes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lending.core import roles
from servicing.models import LoanAccount, LoanPayoff, PayoffQuote
from servicing.services import payments
from servicing.services.payoff import payoff_post, payoff_quote_issue
from tests.core.factories import user_with_role
from tests.money_asserts import text_by_testid
from tests.servicing.factories import boarded_loan
from tests.servicing.html import shows_money

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 12, 1)
STAFF_VIEW = [
    (roles.SERVICER, 200),
    (roles.COLLECTOR, 200),
    (roles.MANAGER, 200),
    (roles.LOAN_OFFICER, 403),
    (roles.CLOSER, 403),
    (roles.BORROWER, 403),
]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


def _borrower(loan):
    loan.borrower.groups.add(Group.objects.get_or_create(name=roles.BORROWER)[0])
    return loan.borrower


@pytest.fixture
def loan():
    loan = boarded_loan()
    _borrower(loan)
    return loan


def _quote(loan, good_through=TODAY, channel="staff"):
    return payoff_quote_issue(loan=loan, as_of=TODAY, good_through=good_through, actor=None, channel=channel)


def _urls(loan, quote):
    return {
        "staff": reverse("servicing:loan-payoff", args=[loan.pk]),
        "staff_letter": reverse("servicing:loan-payoff-letter", args=[loan.pk, quote.pk]),
        "portal": reverse("servicing_portal:loan-payoff", args=[loan.pk]),
        "portal_letter": reverse("servicing_portal:loan-payoff-letter", args=[loan.pk, quote.pk]),
    }


# --- access ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), STAFF_VIEW)
def test_the_staff_payoff_page_and_letter_are_for_servicing_roles(client, loan, role, status):
    urls = _urls(loan, _quote(loan))
    client.force_login(user_with_role(role))
    assert client.get(urls["staff"]).status_code == status
    assert client.get(urls["staff_letter"]).status_code == status


@pytest.mark.parametrize(
    ("role", "status"), [(roles.SERVICER, 302), (roles.MANAGER, 302), (roles.COLLECTOR, 403), (roles.BORROWER, 403)]
)
def test_only_servicers_and_managers_post_a_payoff(client, loan, role, status):
    client.force_login(user_with_role(role))
    response = client.post(
        reverse("servicing:loan-payoff-post", args=[loan.pk]),
        {"amount": "300975.00", "effective_date": "2026-12-01", "method": "wire", "idempotency_key": f"k-{role}"},
    )
    assert response.status_code == status
    loan.refresh_from_db()
    assert loan.status == ("paid_off" if status == 302 else "active")


def test_the_portal_page_is_for_the_borrower_of_the_loan(client, loan):
    urls = _urls(loan, _quote(loan))
    client.force_login(loan.borrower)
    assert client.get(urls["portal"]).status_code == 200
    assert client.get(urls["portal_letter"]).status_code == 200
    other = _borrower(boarded_loan())
    client.force_login(other)
    assert client.get(urls["portal"]).status_code == 404
    assert client.get(urls["portal_letter"]).status_code == 404
    assert client.post(urls["portal"], {"good_through": "2026-12-05"}).status_code == 404
    assert PayoffQuote.objects.filter(loan=loan).count() == 1  # only the quote made above
    client.force_login(user_with_role(roles.SERVICER))
    assert client.get(urls["portal"]).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, loan):
    urls = _urls(loan, _quote(loan))
    for url in (*urls.values(), reverse("servicing:loan-payoff-post", args=[loan.pk])):
        response = client.post(url) if url.endswith("/post/") else client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))
    assert PayoffQuote.objects.filter(loan=loan).count() == 1
    assert not LoanPayoff.objects.exists()
    loan.refresh_from_db()
    assert loan.status == "active"


def test_a_quote_of_another_loan_is_404(client, loan):
    other_quote = _quote(boarded_loan())
    client.force_login(user_with_role(roles.SERVICER))
    assert client.get(reverse("servicing:loan-payoff-letter", args=[loan.pk, other_quote.pk])).status_code == 404
    assert client.get(reverse("servicing:loan-payoff", args=[loan.pk]), {"quote": other_quote.pk}).status_code == 404
    client.force_login(loan.borrower)
    assert client.get(reverse("servicing_portal:loan-payoff-letter", args=[loan.pk, other_quote.pk])).status_code == 404


# --- staff page --------------------------------------------------------------------------------------------------


def test_staff_issue_a_quote_and_see_its_figures(client, loan):
    servicer = user_with_role(roles.SERVICER)
    client.force_login(servicer)
    page = client.get(reverse("servicing:loan-payoff", args=[loan.pk])).content.decode()
    assert 'value="2026-12-01"' in page
    assert 'value="2026-12-31"' in page
    assert shows_money(page, "$300,975.00")  # payoff if received today, in the posting form
    response = client.post(
        reverse("servicing:loan-payoff", args=[loan.pk]), {"as_of": "2026-12-01", "good_through": "2026-12-11"}
    )
    quote = PayoffQuote.objects.get(loan=loan)
    assert response.status_code == 302
    assert response["Location"].endswith(f"?quote={quote.pk}")
    assert (quote.channel, quote.requested_by, quote.total) == ("staff", servicer, D("301516.67"))
    body = client.get(response["Location"]).content.decode()
    figures = {testid: text_by_testid(body, testid) for testid in ("total", "interest", "per-diem", "escrow-refund")}
    assert figures == {
        "total": "$301,516.67",
        "interest": "$1,516.67",
        "per-diem": "$54.17",
        "escrow-refund": "Escrow balance $1,050.00 is refunded after payoff (not deducted).",
    }
    assert servicer.email in body
    letter = client.get(reverse("servicing:loan-payoff-letter", args=[loan.pk, quote.pk]))
    assert letter["Content-Type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF")


def test_a_refused_quote_shows_the_reason(client, loan):
    client.force_login(user_with_role(roles.COLLECTOR))
    response = client.post(
        reverse("servicing:loan-payoff", args=[loan.pk]), {"as_of": "2026-12-01", "good_through": "2027-03-01"}
    )
    assert response.status_code == 400
    assert "at most 60 days" in response.content.decode()
    assert not PayoffQuote.objects.exists()
    assert "post-form" not in response.content.decode()  # collectors quote; they do not post


def test_a_short_payoff_is_refused_on_the_page(client, loan):
    client.force_login(user_with_role(roles.SERVICER))
    response = client.post(
        reverse("servicing:loan-payoff-post", args=[loan.pk]),
        {"amount": "300000.00", "effective_date": "2026-12-01", "method": "wire", "idempotency_key": "k1"},
    )
    assert response.status_code == 400
    assert shows_money(response.content.decode(), "short of the payoff of 300975.00")
    loan.refresh_from_db()
    assert loan.status == "active"


def test_the_paid_off_loan_shows_its_payoff_and_no_forms(client, loan):
    client.force_login(user_with_role(roles.SERVICER))
    client.post(
        reverse("servicing:loan-payoff-post", args=[loan.pk]),
        {
            "amount": "301000.00",
            "effective_date": "2026-12-01",
            "method": "wire",
            "reference": "FW9",
            "idempotency_key": "k",
        },
    )
    body = client.get(reverse("servicing:loan-payoff", args=[loan.pk])).content.decode()
    assert 'data-testid="paid-off"' in body
    assert shows_money(body, "overage $25.00")
    assert shows_money(body, "escrow $1,050.00")
    assert 'data-testid="quote-form"' not in body
    assert 'data-testid="post-form"' not in body
    # 301,000.00 received - 300,975.00 payoff = 25.00 overage to refund
    payoff = LoanPayoff.objects.get(loan=loan)
    assert (payoff.amount_received, payoff.overage_refund) == (D("301000.00"), D("25.00"))
    assert payoff.transaction.reference == "FW9"
    loan.refresh_from_db()
    assert loan.status == "paid_off"


# --- portal ------------------------------------------------------------------------------------------------------


def test_the_borrower_requests_a_quote_and_downloads_the_letter(client, loan):
    client.force_login(loan.borrower)
    url = reverse("servicing_portal:loan-payoff", args=[loan.pk])
    assert 'value="2026-12-11"' in client.get(url).content.decode()  # default: funds in 10 days
    response = client.post(url, {"good_through": "2026-12-11"})
    quote = PayoffQuote.objects.get(loan=loan)
    assert response.status_code == 302
    assert (quote.channel, quote.requested_by, quote.as_of, quote.total) == (
        "portal",
        loan.borrower,
        TODAY,
        D("301516.67"),
    )
    body = client.get(response["Location"]).content.decode()
    assert shows_money(body, "$301,516.67")
    assert shows_money(body, "$54.17")
    letter = client.get(reverse("servicing_portal:loan-payoff-letter", args=[loan.pk, quote.pk]))
    assert letter.content.startswith(b"%PDF")


def test_the_borrower_cannot_quote_beyond_30_days_or_a_closed_loan(client, loan):
    client.force_login(loan.borrower)
    url = reverse("servicing_portal:loan-payoff", args=[loan.pk])
    response = client.post(url, {"good_through": (TODAY + timedelta(days=31)).isoformat()})
    assert response.status_code == 400
    assert "at most 30 days" in response.content.decode()
    LoanAccount.objects.filter(pk=loan.pk).update(status="paid_off", paid_off_on=TODAY)
    body = client.get(url).content.decode()
    assert 'data-testid="closed"' in body
    assert 'data-testid="quote-form"' not in body
    assert client.post(url, {"good_through": "2026-12-05"}).status_code == 400
    assert not PayoffQuote.objects.exists()


# --- query counts ------------------------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_the_quotes(client, loan, django_assert_max_num_queries):
    _quote(loan)
    staff, portal = (
        reverse("servicing:loan-payoff", args=[loan.pk]),
        reverse("servicing_portal:loan-payoff", args=[loan.pk]),
    )
    client.force_login(user_with_role(roles.SERVICER))
    staff_queries = _count(client, staff)
    client.force_login(loan.borrower)
    portal_queries = _count(client, portal)
    for day in range(1, 15):
        _quote(loan, TODAY + timedelta(days=day), channel="portal")
    client.force_login(user_with_role(roles.SERVICER))
    with django_assert_max_num_queries(staff_queries):
        client.get(staff)
    client.force_login(loan.borrower)
    with django_assert_max_num_queries(portal_queries):
        client.get(portal)


# --- admin -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [(roles.SERVICER, 200), (roles.MANAGER, 200), (roles.CLOSER, 403)])
def test_the_payoff_admin_is_read_only_for_servicers_and_managers(client, loan, role, status):
    quote = _quote(loan)
    payoff = payoff_post(
        loan=loan,
        amount=D("300975.00"),
        effective_date=TODAY,
        method="wire",
        reference="",
        idempotency_key="k",
        actor=None,
    ).payoff
    user = user_with_role(role, is_staff=True)  # staff flag alone does not open the payoff screens
    client.force_login(user)
    for url in (
        reverse("admin:servicing_payoffquote_changelist"),
        reverse("admin:servicing_payoffquote_change", args=[quote.pk]),
        reverse("admin:servicing_loanpayoff_changelist"),
        reverse("admin:servicing_loanpayoff_change", args=[payoff.pk]),
    ):
        assert client.get(url).status_code == status, url
    assert client.get(reverse("admin:servicing_payoffquote_add")).status_code == 403


def test_a_quote_with_interest_paid_ahead_shows_no_negative_period_and_credits_it(client, loan):
    # Installment 1 (due 2027-01-01) paid on 2026-12-01: interest is paid through 2027-01-01. A quote good through
    # 2026-12-11 owes no interest; the 20 days paid ahead (30/360), 299,728.80 x 6.5 % x 20/360 = 1,082.35, are
    # credited and refunded; the per diem starts after 2027-01-01.
    payments.payment_post(
        loan=loan,
        amount=loan.installments.get(number=1).payment,
        effective_date=TODAY,
        method="ach",
        reference="early",
        idempotency_key="early",
        actor=None,
    )
    client.force_login(loan.borrower)
    response = client.post(reverse("servicing_portal:loan-payoff", args=[loan.pk]), {"good_through": "2026-12-11"})
    page = client.get(response["Location"]).content.decode()
    assert "days)" not in page  # no accrual period at all, let alone "(-20 days)"
    quote = PayoffQuote.objects.get(loan=loan)
    assert (quote.channel, quote.good_through, quote.interest_credit) == ("portal", date(2026, 12, 11), D("1082.35"))
    assert shows_money(
        page, "Interest paid through 2027-01-01, after the payoff date: none owed; $1,082.35 paid ahead is credited"
    )
    assert 'data-testid="interest">$0.00<' in page
    assert 'data-testid="total">$299,728.80<' in page
    assert 'data-testid="per-diem-from">2027-01-01<' in page
    assert shows_money(page, "Interest paid ahead, $1,082.35, is refunded after payoff.")
