"""The CRM in a real browser: a visitor asks to be contacted on the public form, the loan officer the lead is
assigned to works it from New to Qualified and converts it, and the application appears in the pipeline with that
officer as its loan officer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crm.models import Lead
from lending.core import roles
from origination.models import Application
from tests.core.factories import PASSWORD, user_with_role
from tests.e2e.conftest import sign_in
from tests.origination.factories import LoanProductFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_visitors_enquiry_becomes_an_application_with_its_officer(page, new_context):
    officer = user_with_role(roles.LOAN_OFFICER, email="olive@lending.test", first_name="Olive", last_name="Officer")
    product = LoanProductFactory(code="fixed-30", name="30-year fixed")

    page.goto("/contact/")
    form = page.locator("form").filter(has=page.locator("textarea[name=message]"))
    form.locator("input[name=name]").fill("Ana Lopez")
    form.locator("input[name=email]").fill("ana@example.com")
    form.locator("input[name=phone]").fill("217-555-0142")
    form.locator("textarea[name=message]").fill("We are buying our first home this spring.")
    form.locator("input[name=consent]").check()
    form.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Thank you")).to_be_visible()
    lead = Lead.objects.get()
    assert (lead.officer_id, lead.stage, lead.contact.email) == (officer.pk, "new", "ana@example.com")

    officer_page = new_context().new_page()
    sign_in(officer_page, "olive@lending.test", PASSWORD)
    officer_page.goto(f"/staff/crm/leads/{lead.pk}/")
    for stage in ("Contacted", "Qualified"):
        officer_page.get_by_test_id("move-form").locator("select[name=stage]").select_option(label=stage)
        officer_page.get_by_test_id("move-form").get_by_role("button", name="Move").click()
        expect(officer_page.get_by_test_id("lead-stage")).to_have_text(stage)
    convert = officer_page.get_by_test_id("convert-form")
    convert.get_by_label("Product").select_option(label="30-year fixed")
    convert.get_by_label("Purpose").select_option("purchase")
    convert.get_by_role("button", name="Convert").click()
    application = Application.objects.get()
    expect(officer_page.get_by_text(f"Application {application.number} opened for Ana Lopez.")).to_be_visible()
    assert (application.loan_officer_id, application.product_id) == (officer.pk, product.pk)
    lead.refresh_from_db()
    assert (lead.stage, lead.application_id) == ("application", application.pk)

    officer_page.goto("/staff/origination/")
    row = officer_page.get_by_test_id("pipeline").locator("tbody tr").filter(has_text=application.number)
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell", name="Olive Officer", exact=True)).to_have_count(1)
