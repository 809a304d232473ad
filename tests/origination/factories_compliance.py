"""Compliance and closing test helpers: APOR rows, findings, disclosures, and applications driven through the
workflow to approved, clear to close and closed with the real services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from origination.models import AveragePrimeOfferRate, CreditReport, Disclosure, ProductFee, UnderwritingFinding
from origination.services.closing import closing_documents_generate, closing_schedule, closing_signing_record
from origination.services.disclosures import disclosure_issue
from origination.services.workflow import application_transition
from tests.core.factories import UserFactory, user_with_role
from tests.origination.factories import ApplicationFactory, LoanProductFactory, complete_application

APPLICATION_DATE = date(2026, 11, 2)  # Monday; complete_application's date
LE_ISSUED = date(2026, 11, 3)
CD_ISSUED = date(2026, 11, 9)  # Monday, in person
CLOSING_DATE = date(2026, 11, 13)  # Friday: 11/10, (11/11 Veterans Day), 11/12, 11/13 -> 3 specific business days
FIRST_PAYMENT = date(2027, 1, 1)


class AporFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AveragePrimeOfferRate
        django_get_or_create = ("effective_date", "is_fixed", "term_years")

    effective_date = date(2026, 10, 26)
    is_fixed = True
    term_years = 30
    rate = Decimal("6.2000")


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnderwritingFinding

    application = factory.SubFactory(ApplicationFactory)
    recommendation = UnderwritingFinding.Recommendation.APPROVE_ELIGIBLE
    front_dti = Decimal("24.0000")
    back_dti = Decimal("36.0000")
    ltv = Decimal("80.0000")
    credit_score = 740
    run_by = factory.SubFactory(UserFactory)


class ProductFeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductFee

    product = factory.SubFactory(LoanProductFactory)
    name = "Underwriting fee"
    amount = Decimal("995.00")
    is_finance_charge = True
    is_points_and_fees = True


class DisclosureFactory(factory.django.DjangoModelFactory):
    """A disclosure row as if issued (no PDF): for checks that only read dates and the disclosed APR."""

    class Meta:
        model = Disclosure

    application = factory.SubFactory(ApplicationFactory)
    kind = Disclosure.Kind.LOAN_ESTIMATE
    issued_on = LE_ISSUED
    delivery = Disclosure.Delivery.MAIL
    loan_amount = Decimal("300000.00")
    annual_rate = Decimal("6.5000")
    apr = Decimal("6.6000")
    finance_charge = Decimal("385000.00")
    amount_financed = Decimal("297000.00")
    total_of_payments = Decimal("682000.00")
    monthly_payment = Decimal("1896.20")
    issued_by = factory.SubFactory(UserFactory)


class Team:
    """One user per origination role, made on first use."""

    def __getattr__(self, role: str):
        user = user_with_role(role)
        setattr(self, role, user)
        return user


def underwritten_application(**kwargs):
    """A complete mortgage application in underwriting: submitted, processed, credit pulled, findings on file."""
    team = kwargs.pop("team", None) or Team()
    application = complete_application(**kwargs)
    application_transition(application=application, name="submit", actor=team.loan_officer)
    application_transition(application=application, name="start_processing", actor=team.processor)
    for borrower in application.borrowers.all():
        CreditReport.objects.create(
            application=application,
            borrower=borrower,
            bureau="sandbox",
            is_sandbox=True,
            score=740,
            pulled_by=team.processor,
        )
    FindingFactory(application=application, run_by=team.underwriter)
    application_transition(application=application, name="send_to_underwriting", actor=team.processor)
    return application


def approved_application(**kwargs):
    """An approved mortgage application, with an APOR row for its term and a Loan Estimate issued on time."""
    team = kwargs.setdefault("team", Team())
    AporFactory()
    application = underwritten_application(**kwargs)
    application_transition(application=application, name="approve", actor=team.underwriter)
    disclosure_issue(
        actor=team.loan_officer,
        application=application,
        kind=Disclosure.Kind.LOAN_ESTIMATE,
        issued_on=LE_ISSUED,
        delivery=Disclosure.Delivery.MAIL,
    )
    return application


def clear_to_close_application(**kwargs):
    team = kwargs.setdefault("team", Team())
    application = approved_application(**kwargs)
    application_transition(application=application, name="clear_to_close", actor=team.closer)
    return application


def closing_ready_application(**kwargs):
    """Clear to close, closing scheduled, Closing Disclosure received in person in time."""
    team = kwargs.setdefault("team", Team())
    application = clear_to_close_application(**kwargs)
    closing_schedule(
        actor=team.closer, application=application, closing_date=CLOSING_DATE, first_payment_date=FIRST_PAYMENT
    )
    disclosure_issue(
        actor=team.closer,
        application=application,
        kind=Disclosure.Kind.CLOSING_DISCLOSURE,
        issued_on=CD_ISSUED,
        delivery=Disclosure.Delivery.IN_PERSON,
    )
    application.refresh_from_db()
    return application


def in_closing_application(**kwargs):
    """In closing: the closing package generated and the closing started; the signing not recorded yet."""
    team = kwargs.setdefault("team", Team())
    application = closing_ready_application(**kwargs)
    closing_documents_generate(actor=team.closer, application=application)
    application_transition(application=application, name="start_closing", actor=team.closer)
    application.refresh_from_db()
    return application


def closed_application(**kwargs):
    """A consummated loan ready to fund: closing package generated, closing started, signing and closing recorded."""
    team = kwargs.setdefault("team", Team())
    application = in_closing_application(**kwargs)
    closing_signing_record(actor=team.closer, application=application, signed_on=CLOSING_DATE, location="Title Co.")
    application_transition(application=application, name="close", actor=team.closer)
    application.refresh_from_db()
    return application
