"""A collector works the queue in a real browser: finds the late loan in the queue, opens it, logs a right-party
call, takes a promise to pay (the loan leaves the queue while it is open) and spreads the arrears over a repayment
plan; a borrower cannot reach the workbench."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lending.core import roles
from servicing.models import ContactAttempt, PromiseToPay, RepaymentPlan
from servicing.services import collections, plans
from tests.core.factories import PASSWORD, user_with_role
from tests.e2e.conftest import sign_in
from tests.servicing.collections.helpers import delinquent_loan
from tests.servicing.factories_portal import borrower_loan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_collector_logs_a_call_takes_a_promise_and_sets_up_a_plan(page, browser, live_server, monkeypatch):
    today = date(2027, 2, 16)  # the factory loan's Jan 1 and Feb 1 payments are unpaid: 45 days past due
    monkeypatch.setattr(collections, "_today", lambda: today)
    monkeypatch.setattr(plans, "_today", lambda: today)
    loan = delinquent_loan(days=45, aged_on=today)
    collector = user_with_role(roles.COLLECTOR, email="cora@lending.test", first_name="Cora")

    sign_in(page, "cora@lending.test", PASSWORD)
    page.get_by_role("link", name="Collections").first.click()
    row = page.get_by_test_id("queue-row").filter(has_text=loan.loan_number)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=loan.loan_number).click()
    expect(page.get_by_test_id("dpd")).to_have_text(f"45 (30-59) as of {today:%Y-%m-%d}")

    # Yesterday 11:00 in the servicer's zone is within the borrower's calling hours (Illinois, an hour behind).
    yesterday = timezone.localdate() - timedelta(days=1)
    form = page.get_by_test_id("contact-form")
    form.get_by_label("Channel").select_option("call")
    form.get_by_label("Outcome").select_option("promise")
    form.get_by_label("When").fill(f"{yesterday:%Y-%m-%d}T11:00")
    form.get_by_label("Right-party contact").check()
    form.get_by_label("Note").fill("Borrower will pay Friday")
    form.get_by_role("button", name="Log contact").click()
    contacts = page.get_by_test_id("contacts").locator("tbody tr")
    expect(contacts).to_have_count(1)
    expect(contacts.first.get_by_role("cell", name="Promise to pay", exact=True)).to_have_count(1)
    contact = ContactAttempt.objects.get(loan=loan)
    assert (contact.collector_id, contact.right_party_contact, contact.note) == (
        collector.pk,
        True,
        "Borrower will pay Friday",
    )

    promised = today + timedelta(days=7)
    promise_form = page.get_by_test_id("promise-form")
    promise_form.get_by_label("Amount").fill("3396.26")
    promise_form.get_by_label("Promised by").fill(f"{promised:%Y-%m-%d}")
    promise_form.get_by_role("button", name="Record promise").click()
    promises = page.get_by_test_id("promises").locator("tbody tr")
    expect(promises).to_have_count(1)
    expect(promises.first.get_by_role("cell", name="$3,396.26", exact=True)).to_have_count(1)
    expect(promises.first.get_by_role("cell", name="Pending", exact=True)).to_have_count(1)
    promise = PromiseToPay.objects.get(loan=loan)
    assert (promise.amount, promise.promised_date, promise.status) == (Decimal("3396.26"), promised, "pending")
    expect(page.get_by_test_id("promise-form")).to_have_count(0)  # one open promise at a time

    # The arrears, 3,396.26 (Jan 1) + 2,421.20 (Feb 1) = 5,817.46, spread over the next three installments:
    # 1,939.15 twice and 1,939.16 (the remainder cent last), on top of the regular 2,421.20.
    repayment = page.get_by_test_id("repayment-form")
    repayment.get_by_label("Months").fill("3")
    repayment.get_by_role("button", name="Spread the arrears").click()
    plan = page.get_by_test_id("open-repayment-plan")
    expect(plan).to_contain_text("arrears $5,817.46 over 3 months, 0 kept.")
    months = plan.locator("tbody tr")
    expect(months).to_have_count(3)
    for row, (due, extra, total) in zip(
        (months.nth(0), months.nth(1), months.nth(2)),
        (
            ("2027-03-01", "$1,939.15", "$4,360.35"),
            ("2027-04-01", "$1,939.15", "$4,360.35"),
            ("2027-05-01", "$1,939.16", "$4,360.36"),
        ),
        strict=True,
    ):
        expect(row.get_by_role("cell")).to_have_text([due, "$2,421.20", extra, total])
    assert RepaymentPlan.objects.get(loan=loan).arrears == Decimal("5817.46")

    # While the promise is open the loan waits for its date: it is not in the queue.
    page.get_by_role("link", name="Queue").click()
    expect(page.get_by_test_id("queue-row").filter(has_text=loan.loan_number)).to_have_count(0)


def test_a_borrower_cannot_reach_the_workbench(page, live_server):
    loan = borrower_loan()
    sign_in(page, loan.borrower.email, PASSWORD)
    expect(page.get_by_role("link", name="Collections")).to_have_count(0)
    response = page.goto("/staff/collections/")
    assert response.status == 403
