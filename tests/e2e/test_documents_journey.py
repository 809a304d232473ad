"""A borrower reads what the lender sent, in a real browser: the night charges a late fee, the notice appears under
the loan's "Statements and notices" beside the escrow statement made at boarding, and opens as a PDF; another
borrower cannot open it; a servicer finds the same document on the staff loan's documents page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from lending.core import roles
from servicing.models import BorrowerDocument
from servicing.services.nightly.steps.late_fees import LateFeesStep
from tests.core.factories import PASSWORD, user_with_role
from tests.e2e.conftest import sign_in
from tests.servicing.factories_portal import borrower_loan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_borrower_reads_the_late_fee_notice_and_a_servicer_finds_it_on_the_loan(page, browser, live_server):
    loan = borrower_loan()
    step = LateFeesStep()
    day = date(2027, 1, 19)  # installment 1, due Jan 1, still unpaid after its 15-day grace
    assert step.run_chunk(day, list(step.pending_loan_ids(day)), None).done == 1  # notices: Celery eager
    notice = BorrowerDocument.objects.get(loan=loan, kind=BorrowerDocument.Kind.LATE_FEE)

    sign_in(page, loan.borrower.email, PASSWORD)
    page.goto("/portal/")
    page.get_by_test_id("portal-loans").get_by_role("link", name=loan.loan_number).click()
    page.get_by_test_id("documents-link").click()
    rows = page.get_by_test_id("document-row")
    # newest first: the notice, then the initial escrow statement made at boarding
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Jan 19, 2027")
    expect(rows.nth(1)).to_contain_text("Initial escrow account statement")
    with page.expect_download() as download:
        rows.nth(0).get_by_role("link", name=notice.title).click()
    pdf = download.value
    assert re.fullmatch(rf"{loan.loan_number}-late-fee-2027-01-19\.pdf", pdf.suggested_filename)
    text = PdfReader(pdf.path()).pages[0].extract_text()
    assert "A late fee was charged" in text
    assert "Payment due date January 1, 2027 (payment 1)" in text

    other = borrower_loan()
    other_context = browser.new_context(base_url=live_server.url)
    other_page = other_context.new_page()
    sign_in(other_page, other.borrower.email, PASSWORD)
    response = other_page.request.get(f"/portal/documents/{notice.pk}/")
    assert response.status == 404
    other_context.close()

    servicer_context = browser.new_context(base_url=live_server.url)
    servicer = servicer_context.new_page()
    user_with_role(roles.SERVICER, email="sam@lending.test", first_name="Sam")
    sign_in(servicer, "sam@lending.test", PASSWORD)
    servicer.goto(f"/staff/servicing/loans/{loan.pk}/documents/")
    expect(servicer.get_by_role("link", name=notice.title)).to_be_visible()
    servicer_context.close()
