"""The borrower's one-time payment form and cancel: a valid form records one pending ACH payment (a double submit
too) and posts nothing; bad input shows field errors and records nothing; another borrower's loan is 404."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import Installment, LoanAccount, LoanTransaction, PendingPayment
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


def _pay_url(loan):
    return reverse("servicing_portal:loan-pay", args=[loan.pk])


def _form(**overrides):
    data = {"amount": "1200.00", "scheduled_date": TODAY.isoformat(), "idempotency_key": "form-1", **BANK_FORM}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_form_shows_what_is_due_the_ceiling_and_the_date_window(client, loan):
    client.force_login(loan.borrower)
    response = client.get(_pay_url(loan))
    body = response.content.decode()
    form = response.context["form"]
    assert len(form.initial["idempotency_key"]) == 32
    assert f'min="{TODAY.isoformat()}"' in body
    assert f'max="{(TODAY + timedelta(days=ach.MAX_SCHEDULE_DAYS)).isoformat()}"' in body
    first = Installment.objects.get(loan=loan, number=1)
    assert shows_money(body, f"${first.payment:,}")
    assert 'data-testid="ceiling"' in body
    assert "use_autopay_account" not in form.fields


def test_a_valid_payment_is_recorded_pending_and_not_posted(client, loan):
    client.force_login(loan.borrower)
    response = client.post(_pay_url(loan), _form(principal_only="on"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("servicing_portal:loan-detail", args=[loan.pk])
    pending = PendingPayment.objects.get()
    assert (pending.loan, pending.amount, pending.scheduled_date, pending.directive, pending.status) == (
        loan,
        D("1200.00"),
        TODAY,
        "principal_only",
        "pending",
    )
    assert pending.created_by == loan.borrower
    assert LoanTransaction.objects.count() == 0
    body = response.content.decode()
    assert "scheduled for December 1, 2026" in body
    assert "posts to your loan when the bank transfer settles" in body
    assert 'data-testid="pending-row"' in body


def test_a_double_submit_records_one_payment(client, loan):
    client.force_login(loan.borrower)
    assert client.post(_pay_url(loan), _form()).status_code == 302
    assert client.post(_pay_url(loan), _form()).status_code == 302
    assert PendingPayment.objects.count() == 1
    assert AuditEvent.objects.filter(verb="ach_payment.scheduled").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-10.00"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "99999999.00"}, "amount"),
        ({"scheduled_date": (TODAY - timedelta(days=1)).isoformat()}, "scheduled_date"),
        ({"scheduled_date": (TODAY + timedelta(days=ach.MAX_SCHEDULE_DAYS + 1)).isoformat()}, "scheduled_date"),
        ({"scheduled_date": "not a date"}, "scheduled_date"),
        ({"routing_number": "123456789"}, "routing_number"),
        ({"routing_number": None}, "routing_number"),
        ({"account_number": "12"}, "account_number"),
        ({"account_holder": None}, "account_holder"),
    ],
)
def test_bad_input_shows_field_errors_and_records_nothing(client, loan, overrides, field):
    client.force_login(loan.borrower)
    response = client.post(_pay_url(loan), _form(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "is-invalid" in response.content.decode()
    assert PendingPayment.objects.count() == 0


def test_more_than_the_ceiling_is_refused_with_the_figure(client, loan):
    client.force_login(loan.borrower)
    response = client.post(_pay_url(loan), _form(amount="400000.00"))
    assert response.status_code == 400
    [error] = response.context["form"].errors["amount"]
    assert "at most $" in error
    assert "payoff" in error
    assert PendingPayment.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="ach_payment.scheduled").exists()


def test_a_loan_that_is_not_active_takes_no_payment(client, loan):
    LoanAccount.objects.filter(pk=loan.pk).update(status="paid_off")
    client.force_login(loan.borrower)
    assert client.get(_pay_url(loan)).status_code == 409
    response = client.post(_pay_url(loan), _form())
    assert response.status_code == 400
    assert "paid off" in str(response.context["form"].non_field_errors())
    assert PendingPayment.objects.count() == 0


def test_another_borrower_cannot_schedule_on_the_loan(client, loan):
    client.force_login(make_borrower(user_with_role(roles.BORROWER)))
    assert client.post(_pay_url(loan), _form()).status_code == 404
    assert PendingPayment.objects.count() == 0


def test_staff_cannot_schedule_for_a_borrower(client, loan):
    client.force_login(user_with_role(roles.SERVICER))
    assert client.post(_pay_url(loan), _form()).status_code == 403
    assert PendingPayment.objects.count() == 0


def test_paying_from_the_autopay_account(client, loan):
    enrollment = ach.autopay_enroll(loan=loan, bank=BANK, draft_days_before=0, actor=loan.borrower)
    client.force_login(loan.borrower)
    form = client.get(_pay_url(loan)).context["form"]
    assert "ending 6789" in form.fields["use_autopay_account"].label
    data = _form(use_autopay_account="on", account_holder=None, routing_number=None, account_number=None)
    assert client.post(_pay_url(loan), data).status_code == 302
    pending = PendingPayment.objects.get()
    assert (pending.routing_number, pending.account_number) == (enrollment.routing_number, enrollment.account_number)


# --- cancel ----------------------------------------------------------------------------------------------------


def _schedule(loan, key="k"):
    return ach.ach_payment_schedule(
        loan=loan,
        amount=D("300.00"),
        scheduled_date=TODAY,
        principal_only=False,
        bank=BANK,
        actor=loan.borrower,
        idempotency_key=key,
    )


def _cancel_url(loan, pending):
    return reverse("servicing_portal:loan-pay-cancel", args=[loan.pk, pending.pk])


def test_the_borrower_cancels_a_pending_payment(client, loan):
    pending = _schedule(loan)
    client.force_login(loan.borrower)
    response = client.post(_cancel_url(loan, pending), follow=True)
    assert "is cancelled" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == "cancelled"
    assert response.context["pending"] == []


def test_a_settled_payment_cannot_be_cancelled(client, loan):
    pending = _schedule(loan)
    ach.ach_payment_settle(pending=pending, actor=None)
    client.force_login(loan.borrower)
    response = client.post(_cancel_url(loan, pending))
    assert response.status_code == 409
    assert "settled" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == "settled"


def test_a_payment_of_another_loan_is_404_under_this_loan(client, loan):
    mine_too = borrower_loan(consumer=True)
    LoanAccount.objects.filter(pk=mine_too.pk).update(borrower=loan.borrower)
    other_pending = _schedule(mine_too)
    client.force_login(loan.borrower)
    assert client.post(_cancel_url(loan, other_pending)).status_code == 404
    other_pending.refresh_from_db()
    assert other_pending.status == "pending"
    assert not AuditEvent.objects.filter(verb="ach_payment.cancelled").exists()


def test_cancel_is_post_only_and_anonymous_goes_to_sign_in(client, loan):
    pending = _schedule(loan)
    response = client.post(_cancel_url(loan, pending))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(loan.borrower)
    assert client.get(_cancel_url(loan, pending)).status_code == 405
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert not AuditEvent.objects.filter(verb="ach_payment.cancelled").exists()
