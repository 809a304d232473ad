"""A mortgage from the online application to funding, in a real browser, as each person involved sees it:
the borrower applies and uploads documents in the portal; the processor, underwriter, loan officer and closer
each sign in (their own browser context) and move the loan on from the staff pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lending.core import calendar, roles
from origination import demo
from origination.models import Application, Disclosure
from tests.core.factories import PASSWORD, user_with_role
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BORROWER_EMAIL = "nora.quinn@example.com"
REQUIRED_DOCUMENTS = {  # code -> name, as on the 30-year fixed mortgage's checklist
    "pay-stub": "Pay stubs",
    "w-2": "W-2 forms",
    "bank-statement": "Bank statements",
    "photo-id": "Photo ID",
    "purchase-contract": "Purchase contract",
}


@pytest.fixture
def team(settings, tmp_path):
    """What the data migrations made is flushed between transactional tests: products (with their document
    checklists), the APOR table and one user per origination role are made here."""
    settings.MEDIA_ROOT = tmp_path / "media"
    demo.products_seed()
    demo.apor_seed()
    return {
        role: user_with_role(role, email=f"{role}@lending.test", first_name=role.replace("_", " ").title())
        for role in (roles.LOAN_OFFICER, roles.PROCESSOR, roles.UNDERWRITER, roles.CLOSER)
    }


def staff_page(new_context, email: str):
    context = new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name=re.compile("Good to see you"))).to_be_visible()
    return page


def expect_message(page, text: str) -> None:
    expect(page.get_by_role("alert").filter(has_text=text)).to_be_visible()


def expect_status(page, label: str) -> None:
    expect(page.get_by_test_id("status").first).to_have_text(label)


def open_application(page, application: Application) -> None:
    page.goto(f"/staff/origination/applications/{application.pk}/")
    for panel in ("documents-panel", "underwriting-panel", "compliance-panel", "closing-panel"):
        expect(page.get_by_test_id(panel)).to_be_visible()  # the htmx panels have loaded


def settle(*pages) -> None:
    """Let the pages finish loading before the test itself reads or writes the database (on in-memory SQLite
    the live server shares the test's connection)."""
    for page in pages:
        page.wait_for_load_state("networkidle")


def act(page, label: str) -> None:
    """Fire a workflow action from the "Next steps" card."""
    page.get_by_test_id("actions").get_by_role("button", name=label, exact=True).click()
    expect_message(page, f"{label}: done.")


def apply_online(page, tmp_path) -> None:
    page.goto("/apply/")
    page.get_by_label("30-year fixed mortgage").check()
    page.get_by_label("What is it for?").select_option("purchase")
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("Quinn")
    page.get_by_label("Email").fill(BORROWER_EMAIL)
    page.get_by_label(re.compile(r"^\W*Password\W*$")).fill(PASSWORD)  # not "Password again"
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Start my application").click()
    # Sign-up signs nobody in (it must not tell whether the email had an account): sign in to go on.
    expect(page.get_by_test_id("apply-check-email")).to_have_text("Check your email")
    page.get_by_test_id("apply-sign-in").click()
    page.get_by_label("Email address").fill(BORROWER_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    def step(title: str) -> None:
        expect(page.get_by_test_id("step-title")).to_have_text(title)

    def save_and_continue() -> None:
        page.get_by_role("button", name="Save and continue").click()

    step("Borrower")
    expect(page.get_by_label("First name")).to_have_value("Nora")
    page.get_by_label("Phone").fill("217-555-0199")
    page.get_by_label("Date of birth").fill("1987-02-14")
    page.get_by_label("Social Security number").fill("401-55-0270")  # the sandbox bureau scores it 770
    page.get_by_label("Marital status").select_option("unmarried")
    page.get_by_label("Current address").fill("31 Linden Street")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("State").select_option("IL")
    page.get_by_label("ZIP code").fill("62701")
    page.get_by_label("Years at this address").fill("3")
    page.get_by_label("Monthly rent or housing payment").fill("1500")
    save_and_continue()

    step("Co-borrower")
    save_and_continue()  # applying alone

    step("Employment and income")
    page.get_by_label("Employer or income source").fill("Lincoln Library")
    page.get_by_label("Position or title").fill("Archivist")
    page.get_by_label("Start date").fill("2016-09-01")
    page.get_by_label("Monthly base income").fill("11000")
    save_and_continue()

    step("Assets")
    page.get_by_label("Type").select_option("checking")
    page.get_by_label("Bank or institution").fill("First Springfield Bank")
    page.get_by_label("Balance or value").fill("120000")
    save_and_continue()

    step("Liabilities")
    save_and_continue()  # no debts

    step("Property")
    page.get_by_label("Property address").fill("77 Prairie View Road")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("State").select_option("IL")
    page.get_by_label("ZIP code").fill("62704")
    page.get_by_label("Property type").select_option("single_family")
    page.get_by_label("Occupancy").select_option("primary")
    page.get_by_label("Estimated value").fill("380000")
    page.get_by_label("Purchase price").fill("380000")
    page.get_by_label("Annual property taxes").fill("4600")
    page.get_by_label("Annual homeowner's insurance").fill("1400")
    save_and_continue()

    step("Loan request")
    page.get_by_label("Amount you want to borrow").fill("304000")
    save_and_continue()

    step("Declarations")
    for group in page.get_by_test_id("step-form").get_by_role("group").all():
        name = group.locator("legend").inner_text()
        if "Citizenship" in name:
            group.get_by_label("U.S. citizen").check()
        else:
            group.get_by_label("Yes" if "primary residence" in name else "No", exact=True).check()
    save_and_continue()

    step("Demographic information")
    expect(page.get_by_test_id("demographics-notice")).to_be_visible()
    page.get_by_label("Not Hispanic or Latino", exact=True).check()
    page.get_by_label("White", exact=True).check()
    page.get_by_label("I do not wish to provide this information").nth(2).check()  # sex: declined
    save_and_continue()

    step("E-consent")
    expect(page.get_by_test_id("esign-disclosure")).to_be_visible()
    page.get_by_label("I have read the disclosure above").check()
    save_and_continue()

    expect(page.get_by_role("heading", name="Review and submit")).to_be_visible()
    expect(page.get_by_test_id("submit-blocked")).to_have_count(0)
    page.get_by_role("button", name="Submit application").click()
    expect_message(page, "is submitted. We will be in touch soon.")
    expect_status(page, "Submitted")

    # The product's checklist is asked for on submission: upload each required document from the portal.
    for number, (code, name) in enumerate(REQUIRED_DOCUMENTS.items()):
        panel = page.get_by_test_id("borrower-documents-panel")
        expect(panel.get_by_test_id("documents-needed")).to_contain_text(name)
        path = tmp_path / f"{code}.pdf"
        path.write_bytes(demo.demo_pdf(name, "Nora Quinn", f"page {number + 1}"))
        form = panel.get_by_test_id("borrower-upload-form")
        form.get_by_label("Document").select_option(label=name)
        form.get_by_label("File").set_input_files(path)
        form.get_by_role("button", name="Upload").click()
        expect_message(page, f"Thank you: we received your {name}.")


def test_a_borrower_applies_online_and_the_team_takes_the_loan_to_funded(page, new_context, team, tmp_path):
    apply_online(page, tmp_path)
    settle(page)
    application = Application.objects.get(applicant__email=BORROWER_EMAIL)
    assert application.status == "submitted"
    today = timezone.localdate()

    # Processor: processing, documents, credit, automated underwriting, then underwriting.
    processor = staff_page(new_context, "processor@lending.test")
    open_application(processor, application)
    expect_status(processor, "Submitted")
    act(processor, "Start processing")
    expect_status(processor, "Processing")
    blocked = processor.get_by_test_id("blocked-send_to_underwriting")
    expect(blocked).to_contain_text("documents not verified: Bank statements, Pay stubs, Photo ID, Purchase contract")
    expect(blocked).to_contain_text("credit not pulled for: Nora Quinn")
    expect(blocked).to_contain_text("no automated underwriting findings are on file")
    for code, name in REQUIRED_DOCUMENTS.items():
        expect(processor.get_by_test_id("documents-panel")).to_be_visible()
        processor.get_by_test_id(f"document-{code}").get_by_role("button", name="Verify").click()
        expect_message(processor, f"{name} verified.")
    expect(processor.get_by_test_id("underwriting-panel")).to_be_visible()
    processor.get_by_test_id("pull-credit").click()
    expect_message(processor, "Credit pulled (sandbox test data): Nora Quinn 770.")
    expect(processor.get_by_test_id("underwriting-panel")).to_be_visible()
    processor.get_by_test_id("run-aus").click()
    expect_message(processor, "Automated underwriting: Approve/Eligible.")
    expect(processor.get_by_test_id("blocked-send_to_underwriting")).to_have_count(0)
    act(processor, "Send to underwriting")
    expect_status(processor, "Underwriting")

    # Underwriter, in the underwriting workspace: a condition added and cleared, then the approval.
    underwriter = staff_page(new_context, "underwriter@lending.test")
    underwriter.goto(f"/staff/origination/applications/{application.pk}/underwriting/")
    expect(underwriter.get_by_test_id("underwriting-workspace")).to_be_visible()
    expect_status(underwriter, "Underwriting")
    add = underwriter.get_by_test_id("condition-add-form")
    add.get_by_label("Stage").select_option("prior_to_approval")
    add.get_by_label("Description").fill("Gift letter for the earnest money deposit")
    add.get_by_role("button", name="Add condition").click()
    expect_message(underwriter, "Condition added (prior to approval).")
    expect(underwriter.get_by_test_id("decision-blocked-approve")).to_contain_text(
        "Approve is blocked: 1 prior-to-approval condition is open."
    )
    conditions = underwriter.get_by_test_id("conditions")
    conditions.get_by_label("Note for clearing this condition").fill("Gift letter received and signed.")
    conditions.get_by_role("button", name="Clear").click()
    expect_message(underwriter, "Condition cleared.")
    decision = underwriter.get_by_test_id("decision-form")
    decision.get_by_label("Approved", exact=True).check()
    decision.get_by_label("Note").fill("Strong reserves; DTI well within limits.")
    decision.get_by_role("button", name="Record decision").click()
    expect_message(underwriter, "Decision recorded: Approved.")
    expect_status(underwriter, "Approved")

    # Loan officer: the Loan Estimate, e-mailed (the borrower consented to electronic delivery).
    officer = staff_page(new_context, "loan_officer@lending.test")
    open_application(officer, application)
    expect_status(officer, "Approved")
    issue_le = officer.get_by_test_id("issue-le")
    issue_le.get_by_label("Issued (delivered or mailed) on").fill(today.isoformat())
    issue_le.get_by_label("Delivery").select_option("email")
    issue_le.get_by_role("button", name="Issue Loan Estimate").click()
    expect_message(officer, "Loan Estimate issued: APR")

    # Closer: clear to close, schedule the closing for today, the Closing Disclosure in person, the package.
    closer = staff_page(new_context, "closer@lending.test")
    open_application(closer, application)
    act(closer, "Clear to close")
    expect_status(closer, "Clear to close")
    schedule = closer.get_by_test_id("schedule-form")
    schedule.get_by_label("Closing (consummation) date").fill(today.isoformat())
    first_payment = (today.replace(day=1) + timedelta(days=62)).replace(day=1)
    schedule.get_by_label("First payment date").fill(first_payment.isoformat())
    schedule.get_by_role("button", name="Save dates").click()
    expect_message(closer, f"Closing scheduled for {today.isoformat()}.")
    expect(closer.get_by_test_id("compliance-panel")).to_be_visible()
    issue_cd = closer.get_by_test_id("issue-cd")
    issue_cd.get_by_label("Issued (delivered or mailed) on").fill(today.isoformat())
    issue_cd.get_by_label("Delivery").select_option("in_person")
    issue_cd.get_by_role("button", name="Issue Closing Disclosure").click()
    expect_message(closer, "Closing Disclosure issued: APR")
    expect(closer.get_by_test_id("closing-panel")).to_be_visible()
    closer.get_by_role("button", name="Generate closing documents").click()
    expect_message(closer, "Closing package generated: 6 documents.")
    act(closer, "Start closing")
    expect_status(closer, "Closing")

    # Consummation today is blocked: the CD was received today, not 3 business days before (Reg Z 1026.19(f)),
    # and the signing is not recorded yet.
    expect(closer.get_by_test_id("blocked-close")).to_contain_text(
        f"the Closing Disclosure was received {today:%b} {today.day}, {today.year}: closing allowed from"
    )
    signing_missing = "the signing on the scheduled closing date has not been recorded"
    expect(closer.get_by_test_id("blocked-close")).to_contain_text(signing_missing)
    signing = closer.get_by_test_id("signing-form")
    expect(signing.get_by_label("Signed on")).to_have_value(today.isoformat())
    signing.get_by_label("Signed at").fill("Prairie Title Company")
    signing.get_by_label("Notary or settlement agent").fill("Dana Whitfield")
    signing.get_by_role("button", name="Record signing").click()
    expect_message(closer, f"Signing recorded ({today.isoformat()}).")
    expect(closer.get_by_test_id("signing-summary")).to_contain_text("at Prairie Title Company")
    expect(closer.get_by_test_id("blocked-close")).not_to_contain_text(signing_missing)
    # A same-day journey cannot wait three business days, so the history is moved back with the ORM, as if the
    # borrower had applied two weeks ago and received the CD in person a week ago (the product code is unchanged).
    settle(processor, underwriter, officer, closer)
    applied = calendar.add_business_days(today, -10, calendar.GENERAL)
    cd_received = calendar.add_business_days(today, -5, calendar.GENERAL)
    Application.objects.filter(pk=application.pk).update(application_date=applied)
    Disclosure.objects.filter(application=application, kind="loan_estimate").update(
        issued_on=calendar.add_business_days(applied, 1, calendar.GENERAL)
    )
    Disclosure.objects.filter(application=application, kind="closing_disclosure").update(
        issued_on=cd_received, received_on=cd_received
    )
    open_application(closer, application)
    expect(closer.get_by_test_id("blocked-close")).to_contain_text("compliance checks fail: ")  # stored results
    closer.get_by_test_id("compliance-panel").get_by_role("button", name="Run checks").click()
    expect_message(closer, "Compliance checks run: nothing fails.")
    expect(closer.get_by_test_id("blocked-close")).to_have_count(0)
    act(closer, "Record closing (consummation)")
    expect_status(closer, "Closed")

    # Funding: a purchase has no right of rescission, so it funds the day it closes.
    fund = closer.get_by_test_id("fund-form")
    expect(fund.get_by_label("Funded on")).to_have_value(today.isoformat())
    expect(fund.get_by_label("Disbursed by")).to_have_value("wire")
    fund.get_by_label("Reference").fill("FED-E2E-0001")
    fund.get_by_role("button", name="Fund").click()
    expect_message(closer, "disbursed by wire (reference FED-E2E-0001)")
    expect_status(closer, "Funded")
    expect(closer.get_by_test_id("funding-summary")).to_contain_text("Funded")
    expect(closer.get_by_test_id("funding-method")).to_have_text("Wire")
    settle(closer)
    application.refresh_from_db()
    assert application.status == "funded"
    assert (application.funding.method, application.funding.wire_reference) == ("wire", "FED-E2E-0001")
    assert application.closing_signature.location == "Prairie Title Company"

    # The borrower sees the loan funded in the portal.
    page.goto(f"/portal/applications/{application.pk}/")
    expect_status(page, "Funded")
    page.goto("/portal/")
    expect(page.get_by_text(application.number)).to_be_visible()
