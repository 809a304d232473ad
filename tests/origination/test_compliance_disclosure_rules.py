"""Disclosures follow the product: a mortgage gets the Loan Estimate and Closing Disclosure (TRID), another
consumer loan the Truth in Lending disclosure of 1026.18 before consummation, a business-purpose loan none; the
checks, the closing guards, the closing package and funding follow."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from origination.models import ComplianceCheck, Disclosure, Funding
from origination.services.closing import closing_documents_generate, closing_schedule, closing_signing_record, loan_fund
from origination.services.compliance import check_context
from origination.services.compliance.pricing import apr_tolerance
from origination.services.compliance.timing import til_timing
from origination.services.disclosures import disclosure_issue
from origination.services.figures import DisclosureError, loan_figures
from origination.services.workflow import application_transition
from origination.workflow import closing_disclosure_issued, truth_in_lending_disclosure_given
from tests.core.factories import user_with_role
from tests.origination.factories import ConsumerProductFactory, LoanProductFactory
from tests.origination.factories_compliance import (
    CLOSING_DATE,
    FIRST_PAYMENT,
    DisclosureFactory,
    Team,
    underwritten_application,
)

pytestmark = pytest.mark.django_db
LE, CD, TIL = Disclosure.Kind.LOAN_ESTIMATE, Disclosure.Kind.CLOSING_DISCLOSURE, Disclosure.Kind.TRUTH_IN_LENDING
IN_PERSON = Disclosure.Delivery.IN_PERSON


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def business_product():
    return LoanProductFactory(
        kind="business",
        annual_rate=Decimal("9.5000"),
        term_periods=60,
        min_amount=Decimal("10000.00"),
        max_amount=Decimal("500000.00"),
        max_ltv=None,
        max_cltv=None,
        escrow_required=False,
    )


def approved(product, amount="15000.00", team=None, **kwargs):
    team = team or Team()
    application = underwritten_application(team=team, product=product, amount_requested=Decimal(amount), **kwargs)
    application_transition(application=application, name="approve", actor=team.underwriter)
    return application


def issue(application, kind, actor, issued_on=date(2026, 11, 9)):
    return disclosure_issue(actor=actor, application=application, kind=kind, issued_on=issued_on, delivery=IN_PERSON)


# --- which disclosures ------------------------------------------------------------------------------------


def test_a_consumer_loan_gets_the_truth_in_lending_disclosure_not_a_loan_estimate():
    team = Team()
    application = approved(ConsumerProductFactory(), team=team)
    with pytest.raises(DisclosureError) as refused:
        issue(application, LE, team.loan_officer)
    assert str(refused.value) == (
        "A Loan Estimate is for mortgages (TRID); a consumer installment loan gets the Truth in Lending disclosure "
        "(1026.18)."
    )
    disclosure = issue(application, TIL, team.loan_officer)
    figures = loan_figures(application=application, advance_date=date(2026, 11, 9), first_payment_date=date(2027, 1, 1))
    assert (disclosure.kind, disclosure.apr, disclosure.finance_charge, disclosure.amount_financed) == (
        TIL,
        figures.disclosed_apr,
        figures.finance_charge,
        figures.amount_financed,
    )
    assert disclosure.total_of_payments == figures.total_of_payments
    with disclosure.document.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_a_business_loan_gets_no_regulation_z_disclosure_and_a_mortgage_no_truth_in_lending_one():
    team = Team()
    business = approved(business_product(), amount="85000.00", team=team)
    manager = user_with_role(roles.MANAGER)
    for kind in (LE, CD, TIL):
        with pytest.raises(DisclosureError, match="business-purpose credit is exempt from Regulation Z"):
            issue(business, kind, manager)
    mortgage = approved(LoanProductFactory(), amount="300000.00", team=team)
    with pytest.raises(DisclosureError) as refused:
        issue(mortgage, TIL, team.closer)
    assert str(refused.value) == (
        "A Truth in Lending disclosure is for consumer loans other than mortgages; a mortgage gets a Loan Estimate "
        "and Closing Disclosure."
    )
    assert not Disclosure.objects.exists()


# --- the checks -------------------------------------------------------------------------------------------


def test_til_timing_is_due_before_consummation_for_consumer_loans_only():
    application = approved(ConsumerProductFactory())
    application.closing_date = date(2026, 11, 13)
    application.save()
    pending = til_timing(check_context(application, date(2026, 11, 12)))
    assert (pending.result, pending.explanation) == (
        "n/a",
        "Truth in Lending disclosure not given yet: it is due before the consummation on 2026-11-13.",
    )
    late = til_timing(check_context(application, date(2026, 11, 16)))
    assert (late.result, late.explanation) == (
        "fail",
        "No Truth in Lending disclosure was given before the consummation on 2026-11-13.",
    )
    DisclosureFactory(application=application, kind=TIL, issued_on=date(2026, 11, 13), delivery=IN_PERSON)
    given = til_timing(check_context(application, date(2026, 11, 16)))
    assert (given.result, given.explanation) == (
        "pass",
        "Truth in Lending disclosure given 2026-11-13, before the consummation on 2026-11-13.",
    )


def test_business_loans_are_exempt_from_the_apr_and_disclosure_checks():
    application = approved(business_product(), amount="85000.00")
    ctx = check_context(application, date(2026, 11, 12))
    for check in (til_timing, apr_tolerance):
        outcome = check(ctx)
        assert (outcome.result, outcome.explanation) == (
            "n/a",
            "Business-purpose credit is exempt from Regulation Z (1026.3(a)); this is a small business term loan loan.",
        )


# --- guards, closing package, funding ---------------------------------------------------------------------


def test_closing_guards_ask_each_product_for_its_own_disclosure():
    team = Team()
    consumer = approved(ConsumerProductFactory(), team=team)
    assert closing_disclosure_issued(consumer) is True  # no CD for a consumer loan
    assert truth_in_lending_disclosure_given(consumer) is False
    issue(consumer, TIL, team.closer)
    assert truth_in_lending_disclosure_given(consumer) is True
    business = approved(business_product(), amount="85000.00", team=team)
    assert (closing_disclosure_issued(business), truth_in_lending_disclosure_given(business)) == (True, True)
    mortgage = approved(LoanProductFactory(), amount="300000.00", team=team)
    assert (closing_disclosure_issued(mortgage), truth_in_lending_disclosure_given(mortgage)) == (False, True)


def close_and_fund(application, team):
    application_transition(application=application, name="clear_to_close", actor=team.closer)
    closing_schedule(
        actor=team.closer, application=application, closing_date=CLOSING_DATE, first_payment_date=FIRST_PAYMENT
    )
    application.refresh_from_db()
    documents = closing_documents_generate(actor=team.closer, application=application)
    application_transition(application=application, name="start_closing", actor=team.closer)
    closing_signing_record(actor=team.closer, application=application, signed_on=CLOSING_DATE)
    application_transition(application=application, name="close", actor=team.closer)
    funding = loan_fund(actor=team.closer, application=application, funded_on=CLOSING_DATE, wire_reference="W-1")
    return {d.kind for d in documents}, funding


def test_a_consumer_loan_closes_and_funds_on_its_truth_in_lending_disclosure():
    team = Team()
    application = approved(ConsumerProductFactory(), team=team)
    til = issue(application, TIL, team.closer)
    kinds, funding = close_and_fund(application, team)
    assert kinds == {"promissory_note", "truth_in_lending", "first_payment_letter", "amortization_schedule"}
    til.refresh_from_db()
    assert (funding.loan_amount, funding.disbursed_amount) == (Decimal("15000.00"), til.amount_financed)
    assert not ComplianceCheck.objects.filter(application=application, result="fail").exists()


def test_a_business_loan_closes_and_funds_on_its_note_alone():
    team = Team()
    application = approved(business_product(), amount="85000.00", team=team)
    kinds, funding = close_and_fund(application, team)
    assert kinds == {"promissory_note", "first_payment_letter", "amortization_schedule"}
    figures = loan_figures(application=application, advance_date=CLOSING_DATE, first_payment_date=FIRST_PAYMENT)
    assert (funding.loan_amount, funding.disbursed_amount) == (Decimal("85000.00"), figures.amount_financed)
    assert Funding.objects.get().application == application
    assert not Disclosure.objects.exists()


def test_the_truth_in_lending_disclosure_is_issued_from_the_panel_and_listed_in_the_portal(client):
    team = Team()
    borrower = user_with_role(roles.BORROWER)
    application = approved(ConsumerProductFactory(), team=team, applicant=borrower)
    client.force_login(team.closer)
    panel = client.get(reverse("origination:compliance-panel", args=[application.pk])).content.decode()
    assert 'data-testid="issue-til"' in panel
    assert 'data-testid="issue-le"' not in panel
    assert "This product's loans get: Truth in Lending disclosure (1026.18)." in panel
    url = reverse("origination:disclosure-issue", args=[application.pk, "truth_in_lending"])
    response = client.post(url, {"til-issued_on": "2026-11-09", "til-delivery": "in_person"})
    assert response.status_code == 302
    assert Disclosure.objects.get().kind == TIL
    client.force_login(borrower)
    portal = client.get(reverse("origination_portal:disclosures-panel", args=[application.pk])).content.decode()
    assert "<strong>Truth in Lending disclosure</strong> of Nov 9, 2026" in portal
