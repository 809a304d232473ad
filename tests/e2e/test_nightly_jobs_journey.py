"""A manager closes the business day from the jobs page: the run shows each step done, and the loan shows what the
night did (its interest accrued through that date); a servicer sees the same page without the start button."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from lending.core import roles
from servicing.models import InterestAccrual, NightlyRun
from servicing.services.nightly import runner
from tests.core.factories import PASSWORD, user_with_role
from tests.e2e.conftest import sign_in
from tests.servicing.factories import boarded_loan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TODAY = date(2026, 12, 4)  # a Friday: the last business day that has ended is Thursday, December 3
CLOSED = date(2026, 12, 3)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(runner, "local_today", lambda: TODAY)


def test_a_manager_runs_the_close_of_business_and_a_servicer_reads_it(page, browser, live_server):
    loan = boarded_loan()
    user_with_role(roles.MANAGER, email="morgan@lending.test", first_name="Morgan")
    sign_in(page, "morgan@lending.test", PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Jobs", exact=True).click()
    expect(page.get_by_role("heading", name="Jobs: nightly close of business")).to_be_visible()
    expect(page.get_by_label("Business date")).to_have_value("2026-12-03")

    page.get_by_role("button", name="Run the close of business").click()
    card = page.get_by_test_id("run")
    expect(card.get_by_test_id("run-status")).to_have_text("Completed")
    expect(card.locator('[data-step="interest"]').get_by_test_id("step-counts")).to_have_text("1 of 1")
    run = NightlyRun.objects.get()
    assert (run.business_date, run.status, run.trigger) == (CLOSED, "completed", "staff")
    assert InterestAccrual.objects.filter(loan=loan).latest("accrual_date").accrual_date == CLOSED

    page.goto(f"/staff/servicing/loans/{loan.pk}/")
    expect(page.get_by_text("accrued through 2026-12-03").first).to_be_visible()

    servicer_context = browser.new_context(base_url=live_server.url)
    servicer = servicer_context.new_page()
    user_with_role(roles.SERVICER, email="sam@lending.test", first_name="Sam")
    sign_in(servicer, "sam@lending.test", PASSWORD)
    servicer.goto("/staff/jobs/")
    expect(servicer.get_by_test_id("run-status")).to_have_text("Completed")
    expect(servicer.get_by_role("button", name="Run the close of business")).to_have_count(0)
    servicer_context.close()
