"""The first journey every user takes: from the landing page to their own home, in a real browser."""

import pytest
from playwright.sync_api import expect

from lending.core import roles
from tests.core.factories import PASSWORD, user_with_role
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_loan_officer_signs_in_from_the_landing_page_and_sees_the_workspace(page):
    user_with_role(roles.LOAN_OFFICER, email="olivia@lending.test", first_name="Olivia")
    page.goto("/")
    page.get_by_role("link", name="Sign in").first.click()
    sign_in(page, "olivia@lending.test", PASSWORD)
    expect(page.get_by_role("heading", name="Good to see you, Olivia")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Origination")).to_be_visible()
    expect(nav.get_by_role("link", name="Servicing")).to_have_count(0)
    page.get_by_role("link", name="CRM").first.click()
    expect(page.get_by_test_id("crm-home")).to_be_visible()


def test_borrower_lands_in_the_portal_and_is_refused_the_staff_workspace(page):
    user_with_role(roles.BORROWER, email="alice@example.com", first_name="Alice")
    sign_in(page, "alice@example.com", PASSWORD)
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
    response = page.goto("/staff/")
    assert response.status == 403
    expect(page.get_by_test_id("error-message")).to_have_text("You do not have access to this page.")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()


def test_wrong_password_shows_the_error_on_the_form(page):
    user_with_role(roles.SERVICER, email="sam@lending.test")
    sign_in(page, "sam@lending.test", "not-the-password")
    expect(page.get_by_text("Please enter a correct email address and password")).to_be_visible()
