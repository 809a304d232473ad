"""The charge-off section of a loan's collections page: only managers charge off and post recoveries, a double
submit changes nothing, refusals re-render with the reason (400), exact figures, constant queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from lending.core import roles
from servicing.models import ChargeOff, JournalEntry, LoanAccount, Recovery
from servicing.services.charge_off import loan_charge_off, recovery_post
from tests.core.factories import user_with_role
from tests.money_asserts import assert_amount
from tests.servicing.collections.helpers import delinquent_loan

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2027, 3, 10))


@pytest.fixture
def loan():
    return delinquent_loan(days=150, bucket="120+")


def _charge(client, loan, **data):
    return client.post(reverse("collections:charge-off", args=[loan.pk]), {"reason": "Uncollectible", **data})


def _recovery(client, loan, key="K-1", amount="250.00"):
    data = {
        "amount": amount,
        "received_on": "2027-03-09",
        "method": "check",
        "reference": "CHK 77",
        "idempotency_key": key,
    }
    return client.post(reverse("collections:recovery", args=[loan.pk]), data)


@pytest.mark.parametrize("role", [roles.COLLECTOR, roles.SERVICER, roles.BORROWER, roles.LOAN_OFFICER])
def test_only_managers_charge_off_and_post_recoveries(client, loan, role):
    client.force_login(user_with_role(role))
    assert _charge(client, loan, confirm="on").status_code == 403
    assert _recovery(client, loan).status_code == 403
    loan.refresh_from_db()
    assert loan.status == LoanAccount.Status.ACTIVE


def test_a_collector_sees_the_section_without_the_form(client, loan):
    client.force_login(user_with_role(roles.COLLECTOR))
    page = client.get(reverse("collections:loan", args=[loan.pk])).content.decode()
    assert 'data-testid="charge-off"' in page
    assert 'data-testid="charge-off-form"' not in page
    assert "A manager charges off a loan the lender no longer expects to collect." in page


def test_a_manager_charges_off_from_the_page_and_a_double_submit_changes_nothing(client, loan):
    client.force_login(user_with_role(roles.MANAGER))
    page = client.get(reverse("collections:loan", args=[loan.pk])).content.decode()
    # The preview: 300,000.00 principal - 1,050.00 escrow held = 298,950.00.
    assert '<dt class="col-7">Loss</dt><dd class="col-5 text-end fw-semibold">$298,950.00</dd>' in page

    response = _charge(client, loan, confirm="on")
    assert response.status_code == 302
    assert response["Location"] == reverse("collections:loan", args=[loan.pk])
    loan.refresh_from_db()
    assert loan.status == LoanAccount.Status.CHARGED_OFF
    again = _charge(client, loan, confirm="on")
    assert again.status_code == 302
    assert (ChargeOff.objects.count(), JournalEntry.objects.filter(kind="charge_off").count()) == (1, 1)
    page = client.get(reverse("collections:loan", args=[loan.pk])).content.decode()
    assert f"{loan.loan_number} was already charged off on Mar 10, 2027." in page
    assert '<dd class="col-5 text-end fw-semibold" data-testid="charge-off-loss">$298,950.00</dd>' in page
    assert '<dd class="col-5 text-end" data-testid="unrecovered">$298,950.00</dd>' in page
    assert 'data-testid="charged-off-badge"' in page


def test_refusals_re_render_with_the_reason(client, loan):
    client.force_login(user_with_role(roles.MANAGER))
    unconfirmed = _charge(client, loan)
    assert unconfirmed.status_code == 400
    assert "This field is required." in unconfirmed.content.decode()
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.PAID_OFF)
    paid_off = _charge(client, loan, confirm="on")
    assert paid_off.status_code == 400
    page = paid_off.content.decode()
    assert f"{loan.loan_number} is paid off: only an active loan can be charged off." in page
    assert "The loan is paid off." in page  # the section shows no form for it
    assert ChargeOff.objects.count() == 0


def test_a_recovery_from_the_page_is_posted_once_and_shown(client, loan):
    manager = user_with_role(roles.MANAGER)
    client.force_login(manager)
    not_yet = _recovery(client, loan)
    assert not_yet.status_code == 400
    assert "is active: money on it is a payment, not a recovery." in not_yet.content.decode()
    loan_charge_off(actor=manager, loan=loan, reason="Uncollectible", as_of=date(2027, 3, 1))
    assert _recovery(client, loan).status_code == 302
    assert _recovery(client, loan).status_code == 302  # the same form twice
    assert Recovery.objects.count() == 1
    too_much = _recovery(client, loan, key="K-2", amount="298700.01")
    assert too_much.status_code == 400
    # 298,950.00 - 250.00 = 298,700.00 left.
    assert_amount(too_much.content.decode(), "Only $298,700.00 of the $298,950.00 charged off is still unrecovered")
    page = client.get(reverse("collections:loan", args=[loan.pk])).content.decode()
    assert '<tr><td>2027-03-09</td><td class="text-end">$250.00</td><td>Check</td><td>CHK 77</td></tr>' in page
    assert '<dd class="col-5 text-end" data-testid="recovered">$250.00</dd>' in page
    assert '<dd class="col-5 text-end" data-testid="unrecovered">$298,700.00</dd>' in page
    # The loan's sub-ledger page lists the recovery entry.
    ledger = client.get(reverse("servicing:loan-ledger", args=[loan.pk]))
    assert ledger.status_code == 200
    assert "Recovery (charged-off loan)" in ledger.content.decode()


def test_the_page_query_count_does_not_grow_with_recoveries(client, loan, django_assert_max_num_queries):
    manager = user_with_role(roles.MANAGER)
    client.force_login(manager)
    loan_charge_off(actor=manager, loan=loan, reason="x", as_of=date(2027, 3, 1))
    url = reverse("collections:loan", args=[loan.pk])

    def recover(key):
        recovery_post(
            actor=manager, loan=loan, amount=D("1.00"), received_on=date(2027, 3, 2), method="ach", idempotency_key=key
        )

    recover("A")
    with django_assert_max_num_queries(25) as one:
        assert client.get(url).status_code == 200
    for key in "BCD":
        recover(key)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200
