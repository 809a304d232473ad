"""Posting and reversing payments in the admin: the live preview (writes nothing), the idempotent post, field
errors from PaymentError, refused reversals, and who may do it."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from servicing.models import LoanAccount, LoanTransaction
from servicing.services import payments
from servicing.services.payments import payment_post
from tests.core.factories import user_with_role
from tests.money_asserts import assert_amount, table_rows
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)
D = Decimal


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


@pytest.fixture
def loan():
    return boarded_loan()


@pytest.fixture
def servicer(client):
    user = user_with_role(roles.SERVICER)
    client.force_login(user)
    return user


def post_url(loan):
    return reverse("admin:servicing_loanaccount_post_payment", args=[loan.pk])


def preview_url(loan):
    return reverse("admin:servicing_loanaccount_payment_preview", args=[loan.pk])


def form_data(**changes):
    return {
        "amount": "100.00",
        "effective_date": TODAY.isoformat(),
        "method": "check",
        "reference": "CHK-1001",
        "directive": "standard",
        "idempotency_key": "admin:test-key",
        **changes,
    }


def test_the_form_carries_a_fresh_idempotency_key(client, servicer, loan):
    first = client.get(post_url(loan))
    second = client.get(post_url(loan))
    assert first.status_code == 200
    keys = [r.context["form"].initial["idempotency_key"] for r in (first, second)]
    assert keys[0] != keys[1]
    assert keys[0] in first.content.decode()
    assert 'hx-post="' + preview_url(loan) in first.content.decode()


def test_the_preview_shows_the_split_per_installment_and_bucket_and_writes_nothing(client, servicer, loan):
    first = loan.installments.get(number=1)
    response = client.post(preview_url(loan), form_data(amount=str(first.payment + D("250.00"))))
    assert response.status_code == 200
    html = response.content.decode()
    assert "#1 (paid in full)" in html
    for amount in (first.interest, first.principal, first.escrow):
        assert f"<td>${amount:,}</td>" in html
    assert "Principal prepayment" in html
    # The 250.00 beyond installment 1 is a principal prepayment: its own row, in the Prepayment column only.
    prepayment = ["Principal prepayment (beyond the schedule)", "", "", "", "", "", "$250.00", "", "", "$250.00"]
    assert prepayment in table_rows(html)
    assert LoanTransaction.objects.count() == 0
    loan.refresh_from_db()
    assert loan.version == LoanAccount.objects.get(pk=loan.pk).version


def test_a_partial_payment_preview_shows_it_held_in_suspense(client, servicer, loan):
    html = client.post(preview_url(loan), form_data(amount="100.00")).content.decode()
    assert "Held in suspense" in html
    assert LoanTransaction.objects.count() == 0  # a preview posts nothing


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"amount": "0"}, "Must be greater than zero."),
        ({"amount": "1.234"}, "Ensure that there are no more than 2 decimal places."),
        ({"effective_date": "2020-01-01"}, "Before the loan&#x27;s disbursement date"),
        ({"effective_date": "2027-01-01"}, "More than 5 days ahead"),
    ],
)
def test_the_preview_reports_bad_input(client, servicer, loan, changes, text):
    response = client.post(preview_url(loan), form_data(**changes))
    assert response.status_code == 200
    assert text in response.content.decode()
    assert LoanTransaction.objects.count() == 0


def test_the_preview_shows_a_hint_until_amount_and_date_are_given(client, servicer, loan):
    html = client.post(preview_url(loan), form_data(amount="")).content.decode()
    assert "Enter an amount and a date" in html
    html = client.post(preview_url(loan), form_data(reference="", method="")).content.decode()
    assert 'data-testid="waterfall"' in html  # the split needs no reference or method yet
    assert LoanTransaction.objects.count() == 0


def test_posting_redirects_to_the_loan_and_a_double_submit_posts_once(client, servicer, loan):
    response = client.post(post_url(loan), form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:servicing_loanaccount_change", args=[loan.pk])
    again = client.post(post_url(loan), form_data(), follow=True)
    assert again.status_code == 200
    txn = LoanTransaction.objects.get()
    assert (txn.amount, txn.method, txn.reference, txn.posted_by) == (D("100.00"), "check", "CHK-1001", servicer)
    assert_amount(again.content.decode(), "Payment of $100.00 posted")


def test_a_payment_error_is_a_field_error_and_a_400(client, servicer, loan):
    LoanAccount.objects.filter(pk=loan.pk).update(status="paid_off")
    response = client.post(post_url(loan), form_data())
    assert response.status_code == 400
    assert "is paid off" in response.content.decode()
    response = client.post(post_url(loan), form_data(amount="-5"))
    assert response.status_code == 400
    assert response.context["form"].errors["amount"] == ["Must be greater than zero."]
    assert LoanTransaction.objects.count() == 0


def test_a_key_reused_for_another_loan_is_refused_on_the_form(client, servicer, loan):
    other = boarded_loan(consumer=True)
    client.post(post_url(other), form_data())
    response = client.post(post_url(loan), form_data())
    assert response.status_code == 400
    assert "was already used for another transaction" in response.content.decode()
    assert LoanTransaction.objects.count() == 1


def test_a_preview_of_a_paid_off_loan_says_so(client, servicer, loan):
    LoanAccount.objects.filter(pk=loan.pk).update(status="paid_off")
    assert "takes no payments" in client.post(preview_url(loan), form_data()).content.decode()
    assert LoanTransaction.objects.count() == 0
    assert LoanAccount.objects.get(pk=loan.pk).status == "paid_off"


# --- reversal ---------------------------------------------------------------------------------------------------


def _payment(loan, key="p1"):
    return payment_post(
        loan=loan,
        amount=D("100.00"),
        effective_date=TODAY,
        method="ach",
        reference=key,
        idempotency_key=key,
        actor=None,
    )


def reverse_url(txn):
    return reverse("admin:servicing_loantransaction_reverse", args=[txn.pk])


def test_reversing_a_payment_with_a_reason(client, servicer, loan):
    txn = _payment(loan)
    assert client.get(reverse_url(txn)).status_code == 200
    response = client.post(reverse_url(txn), {"reason": "ach_r01", "detail": "trace 0001"})
    assert response.status_code == 302
    txn.refresh_from_db()
    assert txn.status == "reversed"
    assert txn.reversed_by.note == "ACH return R01: insufficient funds: trace 0001"
    assert txn.reversed_by.posted_by == servicer


def test_a_reason_is_required_and_posted_in_error_needs_the_detail(client, servicer, loan):
    txn = _payment(loan)
    assert client.post(reverse_url(txn), {"reason": ""}).status_code == 400
    response = client.post(reverse_url(txn), {"reason": "posted_in_error"})
    assert response.status_code == 400
    assert response.context["form"].errors["detail"] == ["Say what was posted in error."]
    txn.refresh_from_db()
    assert txn.status == "posted"


def test_a_reversed_payment_or_a_reversal_cannot_be_reversed(client, servicer, loan):
    txn = _payment(loan)
    client.post(reverse_url(txn), {"reason": "nsf"})
    again = client.post(reverse_url(txn), {"reason": "nsf"})
    assert again.status_code == 409
    assert "cannot be reversed" in again.content.decode()
    reversal = LoanTransaction.objects.get(kind="reversal")
    assert client.get(reverse_url(reversal)).status_code == 409
    assert LoanTransaction.objects.filter(kind="reversal").count() == 1


def test_a_reversal_refused_by_the_service_shows_its_message(client, servicer, loan, monkeypatch):
    txn = _payment(loan)

    def refuse(**kwargs):
        raise payments.PaymentError("its suspense has since been applied", "transaction")

    monkeypatch.setattr("servicing.admin.views.payment_reverse", refuse)
    response = client.post(reverse_url(txn), {"reason": "stop_payment"})
    assert response.status_code == 409
    assert "its suspense has since been applied" in response.content.decode()
    txn.refresh_from_db()
    assert txn.status == "posted"
    assert not LoanTransaction.objects.filter(kind="reversal").exists()


# --- who may ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [(roles.SERVICER, 200), (roles.MANAGER, 200)])
def test_servicers_and_managers_may_post_and_reverse(client, loan, role, status):
    client.force_login(user_with_role(role))
    txn = _payment(loan)
    assert client.get(post_url(loan)).status_code == status
    assert client.post(preview_url(loan), form_data()).status_code == status
    assert client.get(reverse_url(txn)).status_code == status
    assert list(LoanTransaction.objects.values_list("pk", flat=True)) == [txn.pk]  # the preview posted nothing


def test_a_collector_in_the_admin_may_not_post_or_reverse(client, loan):
    collector = user_with_role(roles.COLLECTOR)
    collector.is_staff = True  # even if let into the admin
    collector.save(update_fields=["is_staff"])
    client.force_login(collector)
    txn = _payment(loan)
    assert client.get(post_url(loan)).status_code == 403
    assert client.post(post_url(loan), form_data()).status_code == 403
    assert client.post(preview_url(loan), form_data()).status_code == 403
    assert client.post(reverse_url(txn), {"reason": "nsf"}).status_code == 403
    assert LoanTransaction.objects.count() == 1


@pytest.mark.parametrize("role", [roles.COLLECTOR, roles.BORROWER, roles.LOAN_OFFICER])
def test_other_roles_are_refused(client, loan, role):
    client.force_login(user_with_role(role))
    txn = _payment(loan)
    assert client.get(post_url(loan), follow=True).status_code == 403
    assert client.get(reverse_url(txn), follow=True).status_code == 403


def test_anonymous_visitors_go_to_the_admin_sign_in(client, loan):
    txn = _payment(loan)
    for url in (post_url(loan), reverse_url(txn)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
