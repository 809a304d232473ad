"""Admin screens for portal payments: servicers and managers list pending ACH payments (filtered by status) and
settle them with per-row results; settling again posts nothing; autopay is a read-only list; others are refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from servicing.models import LoanTransaction, PendingPayment
from servicing.services import ach
from tests.core.factories import user_with_role
from tests.servicing.factories_portal import BANK, TODAY, borrower_loan, set_today

pytestmark = pytest.mark.django_db
D = Decimal
CHANGELIST = "admin:servicing_pendingpayment_changelist"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    set_today(monkeypatch, TODAY)


@pytest.fixture
def loan():
    return borrower_loan()


def _schedule(loan, amount="500.00", key="k", when=TODAY):
    return ach.ach_payment_schedule(
        loan=loan,
        amount=D(amount),
        scheduled_date=when,
        principal_only=False,
        bank=BANK,
        actor=loan.borrower,
        idempotency_key=key,
    )


def _settle(client, *pendings):
    return client.post(
        reverse(CHANGELIST),
        {"action": "settle_selected", "_selected_action": [p.pk for p in pendings], "index": 0},
        follow=True,
    )


@pytest.mark.parametrize("role", [roles.SERVICER, roles.MANAGER])
def test_servicers_list_pending_payments_by_status_and_autopay_read_only(client, loan, role):
    pending = _schedule(loan)
    ach.autopay_enroll(loan=loan, bank=BANK, draft_days_before=1, actor=loan.borrower)
    client.force_login(user_with_role(role))
    response = client.get(reverse(CHANGELIST), {"status__exact": "pending"})
    assert response.status_code == 200
    body = response.content.decode()
    assert loan.loan_number in body
    assert "settle_selected" in body
    assert BANK.account_number not in body
    assert client.get(reverse(CHANGELIST), {"status__exact": "settled"}).context["cl"].result_count == 0
    change = client.get(reverse("admin:servicing_pendingpayment_change", args=[pending.pk]))
    assert change.status_code == 200
    assert BANK.routing_number not in change.content.decode()
    assert client.get(reverse("admin:servicing_pendingpayment_add")).status_code == 403
    autopay = client.get(reverse("admin:servicing_autopayenrollment_changelist"))
    assert autopay.status_code == 200
    assert loan.loan_number in autopay.content.decode()
    assert client.get(reverse("admin:servicing_autopayenrollment_add")).status_code == 403


def test_settle_selected_posts_each_once_and_reports_per_row(client, loan):
    due = _schedule(loan, "500.00", key="due")
    later = _schedule(loan, "300.00", key="later", when=TODAY + timedelta(days=3))
    client.force_login(user_with_role(roles.SERVICER))
    response = _settle(client, due, later)
    texts = [str(m) for m in response.context["messages"]]
    assert any(f"ACH {due.pk}" in t and "settled, $500.00 posted" in t for t in texts), texts
    assert any(f"ACH {later.pk}" in t and "not settled" in t and "cannot settle before" in t for t in texts), texts
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == ("settled", "pending")
    txn = LoanTransaction.objects.get()
    assert (txn.method, txn.amount, txn.idempotency_key, txn.posted_by.email) == (
        "ach",
        D("500.00"),
        f"ach:{due.pk}",
        response.wsgi_request.user.email,
    )

    again = _settle(client, due)
    assert any("already settled" in str(m) for m in again.context["messages"])
    assert LoanTransaction.objects.count() == 1


def test_a_collector_or_borrower_cannot_reach_or_settle(client, loan):
    pending = _schedule(loan)
    for user in (user_with_role(roles.COLLECTOR), loan.borrower):
        client.force_login(user)
        assert client.get(reverse(CHANGELIST), follow=True).status_code == 403  # the admin's login refuses them
        assert _settle(client, pending).status_code == 403
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert not LoanTransaction.objects.exists()


def test_a_staff_user_without_the_servicer_role_is_refused(client, loan):
    _schedule(loan)
    user = user_with_role(roles.LOAN_OFFICER, is_staff=True)
    client.force_login(user)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert PendingPayment.objects.get().status == "pending"
