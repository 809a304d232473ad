"""A servicer posts a payment in the admin: the waterfall preview updates live as the form changes, before
anything is posted; posting lands back on the loan with the payment and its allocation listed."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from lending.core import roles
from servicing.models import LoanTransaction
from servicing.services import payments
from tests.core.factories import PASSWORD, user_with_role
from tests.e2e.conftest import sign_in
from tests.servicing.factories import boarded_loan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TODAY = date(2026, 12, 1)  # after boarding, before the first installment is due


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


def test_a_servicer_previews_the_waterfall_then_posts_the_payment(page):
    loan = boarded_loan()
    first = loan.installments.get(number=1)
    user_with_role(roles.SERVICER, email="sam@lending.test", first_name="Sam")
    sign_in(page, "sam@lending.test", PASSWORD)
    expect(page.get_by_role("heading", name="Good to see you, Sam")).to_be_visible()

    page.goto(f"/admin/servicing/loanaccount/{loan.pk}/change/")
    page.get_by_test_id("post-payment-link").click()
    preview = page.get_by_test_id("payment-preview")
    expect(preview).to_contain_text("Enter an amount and a date")

    page.get_by_label("Amount").fill(str(first.payment))
    expect(preview.get_by_test_id("waterfall")).to_contain_text("#1 (paid in full)")
    first_row = preview.get_by_test_id("waterfall").locator("tbody tr").first
    for amount in (first.interest, first.escrow):  # each in a cell of its own, whole
        expect(first_row.get_by_role("cell", name=f"${amount:,}", exact=True)).to_have_count(1)

    page.get_by_label("Amount").fill("100.00")  # short of a periodic payment: held in suspense
    expect(preview).to_contain_text("Held in suspense")

    page.get_by_label("Directive").select_option("principal_only")
    expect(preview).to_contain_text("Principal prepayment")
    expect(preview).not_to_contain_text("Held in suspense")
    assert LoanTransaction.objects.count() == 0  # previews post nothing

    page.get_by_label("Reference").fill("CHK-7788")
    page.get_by_label("Method").select_option("check")
    page.get_by_role("button", name="Post payment").click()
    expect(page.locator(".messagelist")).to_contain_text("Payment of $100.00 posted")
    expect(page.get_by_text("CHK-7788", exact=True)).to_be_visible()  # in the transactions inline
    page.wait_for_load_state("networkidle")
    txn = LoanTransaction.objects.get()
    assert (txn.reference, txn.directive, txn.method) == ("CHK-7788", "principal_only", "check")
