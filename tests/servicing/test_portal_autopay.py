"""Autopay pages: enroll (with an optional ceiling), see, cancel; one active enrollment per loan; the page says
when drafts are made; a suspended enrollment says why; bad input shows field errors; other borrowers 404, staff
403, anonymous to sign-in."""

from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import AutopayEnrollment, LoanAccount
from servicing.services import ach
from tests.core.factories import user_with_role
from tests.servicing.factories_portal import BANK, BANK_FORM, TODAY, borrower_loan, make_borrower, set_today
from tests.servicing.html import shows_money

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    set_today(monkeypatch, TODAY)


@pytest.fixture
def loan():
    return borrower_loan()


def _url(loan, name="loan-autopay"):
    return reverse(f"servicing_portal:{name}", args=[loan.pk])


def _form(**overrides):
    data = {**BANK_FORM, "draft_days_before": "2", "extra_principal": "25.00", **overrides}
    return {k: v for k, v in data.items() if v is not None}


def test_the_page_says_when_drafts_are_made_and_shows_the_amount(client, loan):
    client.force_login(loan.borrower)
    response = client.get(_url(loan))
    body = response.content.decode()
    assert "not running yet" not in body
    assert "Each draft is made by our nightly processing on its draft day" in body
    assert shows_money(body, f"${loan.regular_payment + loan.escrow_monthly_payment:,}")
    assert 'data-testid="autopay-form"' in body


def test_the_borrower_enrolls_sees_and_cancels(client, loan):
    client.force_login(loan.borrower)
    response = client.post(_url(loan), _form(), follow=True)
    enrollment = AutopayEnrollment.objects.get()
    assert (enrollment.loan, enrollment.active, enrollment.draft_days_before, enrollment.extra_principal) == (
        loan,
        True,
        2,
        D("25.00"),
    )
    assert enrollment.enrolled_by == loan.borrower
    body = response.content.decode()
    assert "Autopay is set up from the account ending 6789" in body
    assert 'data-testid="autopay-enrolled"' in body
    assert "2 days before each due date" in body
    assert BANK_FORM["account_number"] not in body
    detail = client.get(reverse("servicing_portal:loan-detail", args=[loan.pk])).content.decode()
    assert "Enrolled from your Checking account ending 6789" in detail

    response = client.post(_url(loan, "loan-autopay-cancel"), follow=True)
    assert "Autopay is cancelled." in response.content.decode()
    enrollment.refresh_from_db()
    assert not enrollment.active
    assert enrollment.cancelled_by == loan.borrower
    assert client.post(_url(loan, "loan-autopay-cancel")).status_code == 409  # nothing active to cancel
    assert list(AutopayEnrollment.objects.values_list("pk", "active")) == [(enrollment.pk, False)]
    assert AuditEvent.objects.filter(verb="autopay.cancelled").count() == 1  # the refused second cancel wrote none


def test_a_second_enrollment_is_refused_while_one_is_active(client, loan):
    ach.autopay_enroll(loan=loan, bank=BANK, draft_days_before=0, actor=loan.borrower)
    client.force_login(loan.borrower)
    response = client.post(_url(loan), _form(account_number="99990000"))
    assert response.status_code == 400
    assert "already has autopay" in response.content.decode()
    assert AutopayEnrollment.objects.filter(loan=loan, active=True).count() == 1


def test_cancel_without_any_enrollment_is_refused(client, loan):
    client.force_login(loan.borrower)
    response = client.post(_url(loan, "loan-autopay-cancel"))
    assert response.status_code == 409
    assert "no autopay" in response.content.decode()
    assert AutopayEnrollment.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="autopay.cancelled").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"draft_days_before": "11"}, "draft_days_before"),
        ({"extra_principal": "-1"}, "extra_principal"),
        ({"extra_principal": "99999999.00"}, "extra_principal"),
        ({"routing_number": "111111111"}, "routing_number"),
        ({"account_number": None}, "account_number"),
    ],
)
def test_bad_input_shows_field_errors(client, loan, overrides, field):
    client.force_login(loan.borrower)
    response = client.post(_url(loan), _form(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert AutopayEnrollment.objects.count() == 0


def test_a_loan_that_is_not_active_offers_no_enrollment(client, loan):
    LoanAccount.objects.filter(pk=loan.pk).update(status="paid_off")
    client.force_login(loan.borrower)
    body = client.get(_url(loan)).content.decode()
    assert "autopay is not available" in body
    assert client.post(_url(loan), _form()).status_code == 400
    assert AutopayEnrollment.objects.count() == 0


def test_other_borrowers_staff_and_anonymous(client, loan):
    ach.autopay_enroll(loan=loan, bank=BANK, draft_days_before=0, actor=loan.borrower)
    client.force_login(make_borrower(user_with_role(roles.BORROWER)))
    assert client.post(_url(loan, "loan-autopay-cancel")).status_code == 404
    assert client.post(_url(loan), _form()).status_code == 404
    client.force_login(user_with_role(roles.SERVICER))
    assert client.post(_url(loan, "loan-autopay-cancel")).status_code == 403
    client.logout()
    assert client.post(_url(loan, "loan-autopay-cancel"))["Location"].startswith(reverse("login"))
    assert AutopayEnrollment.objects.get().active


def test_the_ceiling_is_recorded_and_shown(client, loan):
    client.force_login(loan.borrower)
    response = client.post(_url(loan), _form(max_draft_amount="3000.00"), follow=True)
    assert AutopayEnrollment.objects.get().max_draft_amount == D("3000.00")
    assert shows_money(response.content.decode(), "$3,000.00")


def test_a_suspended_enrollment_says_why_on_the_autopay_and_loan_pages(client, loan):
    from datetime import date

    enrollment = ach.autopay_enroll(loan=loan, bank=BANK, draft_days_before=0, actor=loan.borrower)
    reason = "2 drafts returned (R01, R01); autopay stopped after 2"
    AutopayEnrollment.objects.filter(pk=enrollment.pk).update(suspended_on=date(2027, 2, 2), suspension_reason=reason)
    client.force_login(loan.borrower)
    body = client.get(_url(loan)).content.decode()
    assert "Autopay is suspended" in body
    assert f"Since Feb 2, 2027 <strong>nothing is drafted</strong>: {reason}." in body
    detail = client.get(reverse("servicing_portal:loan-detail", args=[loan.pk])).content.decode()
    assert f"Suspended since Feb 2, 2027: {reason}." in detail
    assert "Autopay: suspended" in detail
    # Its account is no longer offered for a one-time payment.
    assert "use_autopay_account" not in client.get(_url(loan, "loan-pay")).content.decode()
