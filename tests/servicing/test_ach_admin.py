"""Admin screens for portal payments: servicers and managers list pending ACH payments (filtered by status) and
settle them with per-row results; settling again posts nothing; autopay is a read-only list; others are refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from servicing.models import AchFile, LoanTransaction, PendingPayment
from servicing.services import ach
from tests.core.factories import user_with_role
from tests.money_asserts import cell_texts
from tests.servicing.factories_portal import BANK, TODAY, borrower_loan, set_today
from tests.servicing.html import shows_money

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


def test_autopay_shows_the_ceiling_and_why_it_is_suspended_and_skipped_drafts_are_listed(client, loan):
    from datetime import date

    from servicing.models import AutopayEnrollment, AutopaySkippedDraft, Installment

    enrollment = ach.autopay_enroll(
        loan=loan, bank=BANK, draft_days_before=0, max_draft_amount=D("3000.00"), actor=loan.borrower
    )
    reason = "2 drafts returned (R01, R01); autopay stopped after 2"
    AutopayEnrollment.objects.filter(pk=enrollment.pk).update(suspended_on=date(2027, 2, 2), suspension_reason=reason)
    AutopaySkippedDraft.objects.create(
        enrollment=enrollment,
        installment=Installment.objects.get(loan=loan, number=1),
        draft_date=date(2026, 12, 31),
        amount_owed=D("3396.26"),
        reason="the installment owes $3,396.26, above the autopay ceiling of $3,000.00: pay it directly",
    )
    client.force_login(user_with_role(roles.SERVICER))
    body = client.get(reverse("admin:servicing_autopayenrollment_changelist")).content.decode()
    assert "Suspended since Feb 2, 2027" in body
    assert reason in body
    assert "$3,000.00" in cell_texts(body)
    skipped = client.get(reverse("admin:servicing_autopayskippeddraft_changelist"))
    assert skipped.status_code == 200
    assert shows_money(skipped.content.decode(), "above the autopay ceiling of $3,000.00")
    assert client.get(reverse("admin:servicing_autopayskippeddraft_add")).status_code == 403
    client.force_login(user_with_role(roles.LOAN_OFFICER, is_staff=True))
    assert client.get(reverse("admin:servicing_autopayskippeddraft_changelist")).status_code == 403


def test_the_nacha_file_action_downloads_the_selection_of_one_settlement_date(client, loan):
    first = _schedule(loan, "500.00", key="a", when=TODAY + timedelta(days=1))  # Wed Dec 2: settles Thu Dec 3
    second = _schedule(loan, "250.00", key="b", when=TODAY + timedelta(days=1))
    other_day = _schedule(loan, "100.00", key="c", when=TODAY + timedelta(days=2))  # settles Fri Dec 4
    client.force_login(user_with_role(roles.SERVICER))
    response = client.post(
        reverse(CHANGELIST), {"action": "nacha_file", "_selected_action": [first.pk, second.pk], "index": 0}
    )
    assert response.status_code == 200
    made = AchFile.objects.get()
    assert response["Content-Disposition"] == f'attachment; filename="ach-2026-12-03-{made.created_on:%Y%m%d}A.txt"'
    records = response.content.decode().split("\n")
    assert [r[:1] for r in records[:6]] == ["1", "5", "6", "6", "8", "9"]
    assert records[1][69:75] == "261203"  # effective entry date
    assert records[5][31:43] == "000000075000"  # 500.00 + 250.00 = 750.00 in cents
    mixed = client.post(
        reverse(CHANGELIST),
        {"action": "nacha_file", "_selected_action": [first.pk, other_day.pk], "index": 0},
        follow=True,
    )
    assert "Select payments of one settlement date (the selection settles on 2 different days)." in [
        str(m) for m in mixed.context["messages"]
    ]
    # The bank file is recorded as sent with its two debits; it settles and posts nothing.
    assert sorted(made.payments.values_list("pk", flat=True)) == [first.pk, second.pk]
    assert set(PendingPayment.objects.values_list("status", flat=True)) == {"pending"}
    assert LoanTransaction.objects.count() == 0


def test_the_staff_loan_page_shows_autopay_and_why_it_is_suspended(client, loan):
    from datetime import date

    from servicing.models import AutopayEnrollment

    client.force_login(user_with_role(roles.SERVICER))
    url = reverse("servicing:loan-detail", args=[loan.pk])
    assert ">not enrolled</dd>" in client.get(url).content.decode()
    enrollment = ach.autopay_enroll(
        loan=loan, bank=BANK, draft_days_before=2, max_draft_amount=D("3500.00"), actor=loan.borrower
    )
    body = client.get(url).content.decode()
    assert shows_money(body, "Active: Checking account ending 6789, 2 days before each due date, at most $3,500.00")
    reason = "the bank returned a draft: R02 Account closed; give another account"
    AutopayEnrollment.objects.filter(pk=enrollment.pk).update(suspended_on=date(2027, 1, 4), suspension_reason=reason)
    assert f"Suspended since 2027-01-04: {reason}" in client.get(url).content.decode()
