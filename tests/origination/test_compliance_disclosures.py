"""Disclosures: the Reg Z figures of a known loan, issuing a Loan Estimate / Closing Disclosure with its PDF,
the rules on who, when and how, and recording receipt."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy_financial as npf
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from lending.core import roles
from lending.core.models import AuditEvent
from lending.finance import amortization
from origination.models import Disclosure
from origination.services import disclosures as disclosures_service
from origination.services.disclosures import disclosure_issue, disclosure_record_receipt, percent_display
from origination.services.figures import (
    DisclosureError,
    default_first_payment_date,
    disclosure_received_on,
    loan_figures,
)
from origination.services.workflow import application_transition
from tests.core.factories import user_with_role
from tests.origination.factories import ConsumerProductFactory, LoanProductFactory, complete_application
from tests.origination.factories_compliance import DisclosureFactory, ProductFeeFactory, Team, underwritten_application

pytestmark = pytest.mark.django_db
LE, CD = Disclosure.Kind.LOAN_ESTIMATE, Disclosure.Kind.CLOSING_DISCLOSURE


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def known_loan():
    """162,000 at 3.875% for 30 years, 1% origination, a $1,000 finance-charge fee and a $500 fee that is not."""
    product = LoanProductFactory(annual_rate=Decimal("3.8750"), origination_fee_percent=Decimal("1.0000"))
    ProductFeeFactory(product=product, name="Underwriting", amount=Decimal("1000.00"))
    ProductFeeFactory(
        product=product, name="Appraisal", amount=Decimal("500.00"), is_finance_charge=False, is_points_and_fees=False
    )
    return complete_application(product=product, amount_requested=Decimal("162000.00"))


def test_figures_of_a_known_loan():
    application = known_loan()
    figures = loan_figures(
        application=application, advance_date=date(2026, 12, 15), first_payment_date=date(2027, 2, 1)
    )
    assert figures.payment == Decimal("761.78")
    assert figures.origination_fee == Decimal("1620.00")
    assert figures.prepaid_finance_charges == Decimal("2620.00")
    assert figures.points_and_fees == Decimal("2620.00")
    assert figures.amount_financed == Decimal("159380.00")
    schedule = figures.schedule
    assert figures.total_of_payments == schedule.total_payments == sum(row.payment for row in schedule.rows)
    assert figures.finance_charge == figures.total_of_payments - Decimal("159380.00")
    # 16 days of interest (Dec 15 to Jan 1, 30/360) ride on the first installment.
    assert figures.first_payment == Decimal("761.78") + schedule.odd_period_interest
    assert figures.disclosed_apr == Decimal("4.008")
    assert figures.regular is True
    assert figures.disbursed_amount == Decimal("159380.00")
    assert figures.maturity_date == date(2057, 1, 1)


def test_apr_agrees_with_an_independent_annuity_solver_when_there_is_no_odd_period():
    application = known_loan()
    figures = loan_figures(application=application, advance_date=date(2027, 1, 1), first_payment_date=date(2027, 2, 1))
    # numpy-financial (floats, test only) on the level payment: the last payment's rounding moves it < 0.001.
    expected = npf.rate(360, -761.78, 159380, 0) * 12 * 100
    assert abs(float(figures.apr) - expected) < 0.001


def test_default_first_payment_is_the_first_of_the_month_after_next():
    assert default_first_payment_date(date(2026, 12, 15), "monthly") == date(2027, 2, 1)
    assert default_first_payment_date(date(2026, 11, 30), "monthly") == date(2027, 1, 1)
    assert default_first_payment_date(date(2026, 11, 2), "biweekly") == date(2026, 11, 16)


def test_consumer_loan_figures():
    application = complete_application(product=ConsumerProductFactory(), amount_requested=Decimal("12000.00"))
    figures = loan_figures(application=application, advance_date=date(2026, 11, 2), first_payment_date=date(2027, 1, 1))
    assert figures.payment == amortization.level_payment(Decimal("12000"), Decimal("11.99"), 36)
    assert len(figures.schedule.rows) == 36


def test_percent_display_never_uses_exponents():
    assert percent_display(Decimal("6.5000")) == "6.5"
    assert percent_display(Decimal("100.0000")) == "100"


def test_issue_a_loan_estimate_with_its_figures_pdf_audit_and_fresh_checks():
    team = Team()
    application = known_loan()
    disclosure = disclosure_issue(
        actor=team.loan_officer, application=application, kind=LE, issued_on=date(2026, 11, 3), delivery="mail"
    )
    assert disclosure.loan_amount == Decimal("162000.00")
    assert disclosure.monthly_payment == Decimal("761.78")
    assert disclosure.amount_financed == Decimal("159380.00")
    assert disclosure.points_and_fees == Decimal("2620.00")
    assert disclosure.apr == disclosure.apr.quantize(Decimal("0.001"))
    assert disclosure.received_on is None
    assert disclosure_received_on(disclosure) == date(2026, 11, 6)  # presumed: Wed, Thu, Fri
    with disclosure.document.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    event = AuditEvent.objects.get(verb="disclosure.loan_estimate.issued")
    assert event.after["apr"] == str(disclosure.apr)
    assert event.after["payment"] == "761.78"
    assert application.compliance_checks.get(code="le_timing").result == "pass"


def test_issue_in_person_counts_as_received_that_day():
    team = Team()
    application = complete_application()
    disclosure = disclosure_issue(
        actor=team.processor, application=application, kind=LE, issued_on=date(2026, 11, 3), delivery="in_person"
    )
    assert disclosure.received_on == date(2026, 11, 3)


def test_who_may_issue_what():
    application = complete_application()
    with pytest.raises(PermissionDenied):
        disclosure_issue(
            actor=user_with_role(roles.CLOSER),
            application=application,
            kind=LE,
            issued_on=date(2026, 11, 3),
            delivery="mail",
        )
    with pytest.raises(PermissionDenied):
        disclosure_issue(
            actor=user_with_role(roles.UNDERWRITER),
            application=application,
            kind=LE,
            issued_on=date(2026, 11, 3),
            delivery="mail",
        )
    with pytest.raises(PermissionDenied):
        disclosure_issue(
            actor=user_with_role(roles.LOAN_OFFICER),
            application=application,
            kind=CD,
            issued_on=date(2026, 11, 3),
            delivery="mail",
        )
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"issued_on": date(2026, 11, 1)}, "between the application date"),
        ({"issued_on": date(2099, 1, 1)}, "between the application date"),
        ({"delivery": "email"}, "e-consent"),
        ({"delivery": "pigeon"}, "Unknown delivery"),
        ({"received_on": date(2026, 11, 2)}, "receipt date"),
        ({"kind": "brochure"}, "Unknown disclosure"),
    ],
)
def test_bad_issue_requests_are_refused_and_change_nothing(kwargs, message):
    application = complete_application()
    arguments = {"kind": LE, "issued_on": date(2026, 11, 3), "delivery": "mail"} | kwargs
    with pytest.raises(DisclosureError, match=message):
        disclosure_issue(actor=user_with_role(roles.MANAGER), application=application, **arguments)
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(verb__startswith="disclosure.").exists()


def test_email_delivery_with_econsent_is_fine():
    application = complete_application(econsent_at=timezone.now())
    disclosure = disclosure_issue(
        actor=user_with_role(roles.MANAGER),
        application=application,
        kind=LE,
        issued_on=date(2026, 11, 3),
        delivery="email",
    )
    assert disclosure.delivery == "email"


def test_the_application_must_be_complete_for_a_loan_estimate():
    application = complete_application()
    application.application_date = None
    application.save()
    with pytest.raises(DisclosureError, match="not complete"):
        disclosure_issue(
            actor=user_with_role(roles.MANAGER),
            application=application,
            kind=LE,
            issued_on=date(2026, 11, 3),
            delivery="mail",
        )


def test_closing_disclosure_needs_an_approved_application_and_a_loan_estimate_first():
    team = Team()
    application = underwritten_application(team=team)
    with pytest.raises(DisclosureError, match="cannot be issued while the application is Underwriting"):
        disclosure_issue(
            actor=team.closer, application=application, kind=CD, issued_on=date(2026, 11, 9), delivery="mail"
        )
    application_transition(application=application, name="approve", actor=team.underwriter)
    with pytest.raises(DisclosureError, match="Loan Estimate before"):
        disclosure_issue(
            actor=team.closer, application=application, kind=CD, issued_on=date(2026, 11, 9), delivery="mail"
        )
    disclosure_issue(
        actor=team.loan_officer, application=application, kind=LE, issued_on=date(2026, 11, 3), delivery="mail"
    )
    cd = disclosure_issue(
        actor=team.closer, application=application, kind=CD, issued_on=date(2026, 11, 9), delivery="mail"
    )
    with cd.document.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_record_receipt_replaces_the_presumption_and_is_audited():
    disclosure = DisclosureFactory(application=complete_application(), issued_on=date(2026, 11, 3))
    assert disclosure_received_on(disclosure) == date(2026, 11, 6)
    actor = user_with_role(roles.PROCESSOR)
    updated = disclosure_record_receipt(actor=actor, disclosure=disclosure, received_on=date(2026, 11, 4))
    assert updated.received_on == date(2026, 11, 4)
    assert disclosure_received_on(updated) == date(2026, 11, 4)
    event = AuditEvent.objects.get(verb="disclosure.loan_estimate.received")
    assert (event.before, event.after, event.actor) == ({"received_on": None}, {"received_on": "2026-11-04"}, actor)


def test_record_receipt_refuses_dates_before_issue_and_roles_without_the_right():
    disclosure = DisclosureFactory(application=complete_application(), issued_on=date(2026, 11, 3))
    with pytest.raises(DisclosureError):
        disclosure_record_receipt(
            actor=user_with_role(roles.CLOSER), disclosure=disclosure, received_on=date(2026, 11, 2)
        )
    with pytest.raises(PermissionDenied):
        disclosure_record_receipt(
            actor=user_with_role(roles.UNDERWRITER), disclosure=disclosure, received_on=date(2026, 11, 4)
        )
    disclosure.refresh_from_db()
    assert disclosure.received_on is None


def test_a_failed_issue_leaves_no_file_behind(monkeypatch, settings):
    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(disclosures_service, "audit_record", broken)
    with pytest.raises(RuntimeError):
        disclosure_issue(
            actor=user_with_role(roles.MANAGER),
            application=complete_application(),
            kind=LE,
            issued_on=date(2026, 11, 3),
            delivery="mail",
        )
    assert not Disclosure.objects.exists()
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
