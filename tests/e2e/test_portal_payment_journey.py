"""A borrower pays a loan from the portal, in a real browser: signs in, opens the loan from the portal home,
schedules a one-time bank payment (shown as scheduled, not posted); a servicer settles it (the service the admin
action calls); the borrower's payment history then shows the payment and where its money went."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lending.core import roles
from servicing.models import Installment, PendingPayment
from servicing.services.ach import ach_payment_settle
from tests.core.factories import PASSWORD, user_with_role
from tests.e2e.conftest import sign_in
from tests.servicing.factories_portal import BANK_FORM, borrower_loan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_borrower_schedules_a_payment_and_sees_its_waterfall_once_settled(page, live_server):
    loan = borrower_loan()
    first = Installment.objects.get(loan=loan, number=1)
    servicer = user_with_role(roles.SERVICER)

    sign_in(page, loan.borrower.email, PASSWORD)
    page.goto("/portal/")
    page.get_by_test_id("portal-loans").get_by_role("link", name=loan.loan_number).click()
    expect(page.get_by_role("heading", name=re.compile(f"Loan {loan.loan_number}"))).to_be_visible()
    expect(page.get_by_test_id("next-total")).to_have_text(f"${first.payment:,}")
    expect(page.get_by_test_id("payment-history")).to_contain_text("No payments yet.")

    page.get_by_role("link", name="Make a payment").click()
    page.get_by_role("spinbutton", name="Amount").fill(str(first.payment))
    page.get_by_label("Name on the account").fill(BANK_FORM["account_holder"])
    page.get_by_label("Routing number").fill(BANK_FORM["routing_number"])
    page.get_by_label("Account number").fill(BANK_FORM["account_number"])
    page.get_by_role("button", name="Schedule payment").click()
    expect(
        page.get_by_role("alert").filter(has_text="It posts to your loan when the bank transfer settles")
    ).to_be_visible()
    expect(page.get_by_test_id("pending-row")).to_contain_text("account ending 6789")
    expect(page.get_by_test_id("payment-history")).to_contain_text("No payments yet.")
    page.wait_for_load_state("networkidle")  # on in-memory SQLite the live server shares the test's connection

    pending = PendingPayment.objects.get(loan=loan)
    assert pending.status == "pending"
    ach_payment_settle(pending=pending, actor=servicer)

    page.reload()
    expect(page.get_by_test_id("pending-payments")).to_have_count(0)
    row = page.get_by_test_id("payment-row")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell", name=f"${first.payment:,}", exact=True)).to_have_count(1)
    expect(row).to_contain_text("installment #1")
    for amount in (first.interest, first.principal, first.escrow):  # each in a cell of its own, whole
        expect(row.get_by_role("cell", name=f"{amount:,}", exact=True)).to_have_count(1)
    expect(row).to_contain_text("Posted")

    page.get_by_role("link", name="All payments").first.click()
    expect(page.get_by_role("heading", name="Payment history")).to_be_visible()
    history_row = page.get_by_test_id("payment-row")
    expect(history_row.get_by_role("cell", name=f"{first.interest:,}", exact=True)).to_have_count(1)
