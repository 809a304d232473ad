"""Conversion into origination, and the lead following its application through origination's signals."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm.models import Lead, Stage
from crm.services.conversion import lead_convert
from lending.core import roles
from lending.core.models import AuditEvent, User
from origination.models import Application
from origination.signals import application_transitioned, loan_funded
from tests.core.factories import user_with_role
from tests.crm.factories import ContactFactory, LeadFactory
from tests.origination.factories import ApplicationFactory, LoanProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return LoanProductFactory(code="fixed-30")


def _qualified(officer, **kwargs):
    contact = ContactFactory(first_name="Ana", last_name="Lopez", email="Ana@Example.com", phone="555-010-0101")
    return LeadFactory(contact=contact, officer=officer, stage=Stage.QUALIFIED, **kwargs)


def test_a_qualified_lead_becomes_a_borrower_and_a_prefilled_draft_with_its_officer(officer, other_officer, product):
    lead = _qualified(officer, amount_requested=Decimal("320000.00"), purpose="purchase")
    converted = lead_convert(actor=officer, lead=lead, product=product, purpose="purchase")
    application = Application.objects.select_related("applicant", "loan_officer").get()
    assert converted.application == application
    assert converted.account_created is True
    assert (application.status, application.loan_officer, application.purpose) == ("draft", officer, "purchase")
    assert application.amount_requested == Decimal("320000.00")
    borrower = application.applicant
    assert (borrower.email, borrower.first_name, borrower.last_name) == ("ana@example.com", "Ana", "Lopez")
    assert roles.is_borrower(borrower)
    assert not borrower.has_usable_password()  # set through "forgot password"
    primary = application.borrowers.get(is_primary=True)
    assert (primary.first_name, primary.last_name, primary.email, primary.phone) == (
        "Ana",
        "Lopez",
        "ana@example.com",
        "555-010-0101",
    )
    lead.refresh_from_db()
    assert (lead.stage, lead.application, lead.contact.user) == ("application", application, borrower)
    assert lead.converted_at is not None
    assert AuditEvent.objects.get(verb="crm.lead_converted").after == {
        "application": application.number,
        "borrower": "ana@example.com",
        "account_created": True,
    }


def test_a_manager_converting_keeps_the_leads_officer_on_the_application(officer, manager, product):
    lead = _qualified(officer)
    converted = lead_convert(actor=manager, lead=lead, product=product, purpose="refinance")
    assert converted.application.loan_officer == officer
    assert converted.application.amount_requested is None  # the lead had no amount


def test_an_amount_outside_the_product_is_not_copied(officer, product):
    lead = _qualified(officer, amount_requested=Decimal("20000.00"))  # the product lends from $50,000
    converted = lead_convert(actor=officer, lead=lead, product=product, purpose="purchase")
    assert converted.application.amount_requested is None


def test_an_existing_borrower_account_is_reused(officer, product):
    existing = user_with_role(roles.BORROWER, email="ana@example.com")
    converted = lead_convert(actor=officer, lead=_qualified(officer), product=product, purpose="purchase")
    assert (converted.application.applicant, converted.account_created) == (existing, False)


def test_a_staff_email_is_refused_and_nothing_is_saved(officer, product):
    user_with_role(roles.PROCESSOR, email="ana@example.com")
    lead = _qualified(officer)
    with pytest.raises(ValidationError) as exc:
        lead_convert(actor=officer, lead=lead, product=product, purpose="purchase")
    assert exc.value.message_dict == {"email": ["This email belongs to a staff account: use the borrower's own email."]}
    assert not Application.objects.exists()
    lead.refresh_from_db()
    assert (lead.stage, lead.application_id) == ("qualified", None)


@pytest.mark.parametrize("stage", ["new", "contacted", "application"])
def test_only_a_qualified_lead_converts(officer, product, stage):
    app = ApplicationFactory() if stage == "application" else None
    lead = LeadFactory(officer=officer, stage=stage, application=app)
    with pytest.raises(ValidationError):
        lead_convert(actor=officer, lead=lead, product=product, purpose="purchase")
    assert Application.objects.count() == (1 if app else 0)


def test_another_officers_lead_cannot_be_converted(officer, other_officer, product):
    with pytest.raises(PermissionDenied):
        lead_convert(actor=other_officer, lead=_qualified(officer), product=product, purpose="purchase")
    assert User.objects.filter(email="ana@example.com").count() == 0


# --- the receivers ---------------------------------------------------------------------------------------------


def _converted_lead(officer):
    application = ApplicationFactory(loan_officer=officer)
    return LeadFactory(officer=officer, stage=Stage.APPLICATION, application=application), application


def _send_transition(application, to_status, callbacks):
    with callbacks(execute=True):
        application_transitioned.send(
            sender=Application,
            application=application,
            transition=to_status,
            from_status="underwriting",
            to_status=to_status,
            actor=None,
        )


@pytest.mark.parametrize(
    ("to_status", "reason"), [("denied", "Application denied"), ("withdrawn", "Application withdrawn")]
)
def test_a_denied_or_withdrawn_application_loses_its_lead(
    officer, to_status, reason, django_capture_on_commit_callbacks
):
    lead, application = _converted_lead(officer)
    _send_transition(application, to_status, django_capture_on_commit_callbacks)
    _send_transition(application, to_status, django_capture_on_commit_callbacks)  # delivered twice: no change
    lead.refresh_from_db()
    assert (lead.stage, lead.lost_reason) == ("lost", reason)
    assert lead.activities.filter(kind="stage").count() == 1


def test_a_funded_loan_wins_its_lead_once(officer, django_capture_on_commit_callbacks):
    lead, application = _converted_lead(officer)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            loan_funded.send(sender=Application, application=application, funding=None, actor=None)
    lead.refresh_from_db()
    assert lead.stage == "won"
    assert lead.closed_at is not None
    assert list(lead.activities.filter(kind="stage").values_list("subject", "body")) == [
        ("Stage: Application -> Won", "Loan funded")
    ]


def test_other_transitions_leave_the_lead_in_application(officer, django_capture_on_commit_callbacks):
    lead, application = _converted_lead(officer)
    _send_transition(application, "processing", django_capture_on_commit_callbacks)
    lead.refresh_from_db()
    assert lead.stage == "application"


def test_an_application_without_a_lead_is_ignored(django_capture_on_commit_callbacks):
    application = ApplicationFactory()
    _send_transition(application, "denied", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        loan_funded.send(sender=Application, application=application, funding=None, actor=None)
    assert not Lead.objects.exists()


# --- linking an application the borrower started themselves -------------------------------------------------------


@pytest.mark.parametrize(("status", "stage"), [("submitted", "application"), ("funded", "won"), ("denied", "lost")])
def test_linking_an_existing_application_puts_the_lead_where_the_application_is(officer, status, stage):
    from crm.services.conversion import lead_application_link

    application = ApplicationFactory(loan_officer=officer)
    Application.objects.filter(pk=application.pk).update(status=status)
    application.refresh_from_db()
    lead = LeadFactory(officer=officer, stage=Stage.CONTACTED)
    lead_application_link(actor=officer, lead=lead, application=application)
    lead.refresh_from_db()
    assert (lead.stage, lead.application) == (stage, application)
    assert lead.lost_reason == ("Application denied" if stage == "lost" else "")
    with pytest.raises(ValidationError) as exc:
        lead_application_link(actor=officer, lead=LeadFactory(officer=officer), application=application)
    assert exc.value.messages == [f"Application {application.number} is already linked to a lead."]


def test_an_officer_links_only_their_own_applications(officer, other_officer, manager):
    from crm.services.conversion import lead_application_link

    application = ApplicationFactory(loan_officer=other_officer)
    lead = LeadFactory(officer=officer)
    with pytest.raises(ValidationError) as exc:
        lead_application_link(actor=officer, lead=lead, application=application)
    assert exc.value.messages == [f"Application {application.number} is not one of yours."]
    lead_application_link(actor=manager, lead=lead, application=application)
    lead.refresh_from_db()
    assert lead.application == application
