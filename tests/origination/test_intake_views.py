"""Intake in the staff workspace (new application, section entry, panel) and the borrower's panel."""

from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent, User
from origination.models import Application, Asset, Borrower, Employment
from origination.services import intake
from tests.core.factories import user_with_role
from tests.origination.factories import (
    AssetFactory,
    BorrowerFactory,
    ConsumerProductFactory,
    EmploymentFactory,
    LiabilityFactory,
    LoanProductFactory,
    PropertyFactory,
)

pytestmark = pytest.mark.django_db

SSN = "123-45-6789"
ORIGINATION_ROLES = [roles.LOAN_OFFICER, roles.PROCESSOR, roles.UNDERWRITER, roles.CLOSER, roles.MANAGER]
INTAKE_ROLES = [roles.LOAN_OFFICER, roles.PROCESSOR, roles.MANAGER]


def filled(product=None, applicant=None, *, borrowers=1, jobs=1, rows=1):
    """An application started by intake with its data entered by factories (the number stays pk-based)."""
    applicant = applicant or user_with_role(roles.BORROWER)
    product = product or LoanProductFactory()
    purpose = "purchase" if product.kind == "mortgage" else "personal"
    application = intake.application_start(actor=applicant, product=product, purpose=purpose, applicant=applicant)
    Application.objects.filter(pk=application.pk).update(amount_requested=Decimal("300000"))
    application.refresh_from_db()
    for index in range(borrowers):
        borrower = BorrowerFactory(application=application, is_primary=index == 0, ssn=SSN, ssn_last4="6789")
        for _ in range(jobs):
            EmploymentFactory(borrower=borrower)
    for _ in range(rows):
        AssetFactory(application=application)
        LiabilityFactory(application=application)
    if application.product.kind == "mortgage":
        PropertyFactory(application=application)
    return application


def panel_url(application):
    return reverse("origination:intake-panel", args=[application.pk])


def edit_url(application, section):
    return reverse("origination:intake-edit", args=[application.pk, section])


def _set_status(application, status):
    Application.objects.filter(pk=application.pk).update(status=status)
    application.refresh_from_db()


# --- the staff panel ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [*((r, 200) for r in ORIGINATION_ROLES), (roles.SERVICER, 403), (roles.COLLECTOR, 403), (roles.BORROWER, 403)],
)
def test_panel_is_for_origination_roles(client, role, status):
    application = filled()
    client.force_login(user_with_role(role))
    assert client.get(panel_url(application)).status_code == status


def test_panel_anonymous_and_missing(client):
    application = filled()
    response = client.get(panel_url(application))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    assert client.get(reverse("origination:intake-panel", args=[application.pk + 999])).status_code == 404


@pytest.mark.parametrize(
    ("role", "full"),
    [
        (roles.LOAN_OFFICER, False),
        (roles.CLOSER, False),
        (roles.PROCESSOR, True),
        (roles.UNDERWRITER, True),
        (roles.MANAGER, True),
    ],
)
def test_panel_masks_ssn_unless_the_role_needs_it(client, role, full):
    application = filled()
    client.force_login(user_with_role(role))
    body = client.get(panel_url(application)).content.decode()
    assert "Acme Widgets" in body
    assert "400 Oak Avenue" in body
    assert "First Bank" in body
    assert (SSN in body) is full
    assert "***-**-6789" in body or full


def test_panel_offers_edit_only_to_intake_roles_while_editable(client):
    application = filled()
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    assert edit_url(application, "borrower") in client.get(panel_url(application)).content.decode()
    client.force_login(user_with_role(roles.UNDERWRITER))
    assert edit_url(application, "borrower") not in client.get(panel_url(application)).content.decode()
    _set_status(application, "underwriting")
    client.force_login(user_with_role(roles.PROCESSOR))
    assert 'data-testid="intake-edit"' not in client.get(panel_url(application)).content.decode()


def test_panel_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    client.force_login(user_with_role(roles.PROCESSOR))
    small = filled()
    with django_assert_max_num_queries(20) as few:
        client.get(panel_url(small))
    big = filled(borrowers=2, jobs=5, rows=10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(panel_url(big)).content.decode()
    assert body.count("Acme Widgets") == 10


def test_workspace_loads_the_panel(client):
    application = filled()
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    body = client.get(reverse("origination:application-detail", args=[application.pk])).content.decode()
    assert panel_url(application) in body


# --- entering and correcting sections ------------------------------------------------------------------------


@pytest.mark.parametrize("role", INTAKE_ROLES)
def test_intake_roles_open_every_section(client, role):
    application = filled()
    client.force_login(user_with_role(role))
    for section in (
        "borrower",
        "co_borrower",
        "employment",
        "assets",
        "liabilities",
        "property",
        "loan",
        "declarations",
    ):
        response = client.get(edit_url(application, section))
        assert response.status_code == 200, section
        assert SSN not in response.content.decode()  # the form never shows the number on file
    assert client.get(edit_url(application, "econsent")).status_code == 404  # the borrower's own act
    assert client.get(edit_url(application, "nonsense")).status_code == 404


def test_consumer_applications_have_no_property_section(client):
    application = filled(product=ConsumerProductFactory())
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    assert client.get(edit_url(application, "property")).status_code == 404


@pytest.mark.parametrize("role", [roles.UNDERWRITER, roles.CLOSER, roles.SERVICER, roles.COLLECTOR, roles.BORROWER])
def test_other_roles_cannot_edit(client, role):
    application = filled()
    client.force_login(user_with_role(role))
    assert client.get(edit_url(application, "loan")).status_code == 403
    response = client.post(edit_url(application, "loan"), {"purpose": "purchase", "amount_requested": "100000"})
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.amount_requested == Decimal("300000.00")


def test_edit_anonymous_and_missing(client):
    application = filled()
    response = client.get(edit_url(application, "loan"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    assert client.get(reverse("origination:intake-edit", args=[application.pk + 999, "loan"])).status_code == 404


def test_loan_officer_corrects_the_borrower_keeping_the_ssn(client):
    application = filled()
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    borrower = Borrower.objects.get(application=application)
    data = {
        "first_name": "Corrected",
        "last_name": borrower.last_name,
        "date_of_birth": "1985-05-17",
        "ssn": "",
        "address_line1": "12 Elm Street",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701",
    }
    response = client.post(edit_url(application, "borrower"), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("origination:application-detail", args=[application.pk])
    borrower.refresh_from_db()
    assert (borrower.first_name, borrower.ssn) == ("Corrected", SSN)
    assert AuditEvent.objects.filter(verb="application.borrower_saved", target_id=str(application.pk)).exists()


def test_bad_input_is_a_400_with_field_errors(client):
    application = filled()
    client.force_login(user_with_role(roles.PROCESSOR))
    response = client.post(edit_url(application, "loan"), {"purpose": "purchase", "amount_requested": "-5"})
    assert response.status_code == 400
    assert "greater than or equal to 0.01" in response.content.decode()
    stored = Application.objects.get(pk=application.pk)
    assert (stored.purpose, stored.amount_requested) == (application.purpose, application.amount_requested)
    assert not AuditEvent.objects.filter(verb="application.loan_request_saved").exists()


def test_staff_edit_rows_change_and_delete(client):
    application = filled()
    client.force_login(user_with_role(roles.PROCESSOR))
    job = Employment.objects.get()
    asset = Asset.objects.get()
    data = {
        "employment-TOTAL_FORMS": "2",
        "employment-INITIAL_FORMS": "1",
        "employment-0-id": job.pk,
        "employment-0-borrower": job.borrower_id,
        "employment-0-employer_name": "Acme Widgets",
        "employment-0-monthly_base_income": "9500",
        "employment-0-is_current": "on",
        "employment-1-borrower": job.borrower_id,
        "employment-1-is_current": "on",
    }
    assert client.post(edit_url(application, "employment"), data).status_code == 302
    job.refresh_from_db()
    assert job.monthly_base_income == Decimal("9500.00")
    data = {
        "assets-TOTAL_FORMS": "1",
        "assets-INITIAL_FORMS": "1",
        "assets-0-id": asset.pk,
        "assets-0-kind": "checking",
        "assets-0-balance": "1",
        "assets-0-DELETE": "on",
    }
    assert client.post(edit_url(application, "assets"), {**data, "action": "add"})["Location"] == edit_url(
        application, "assets"
    )
    assert not Asset.objects.exists()


def test_staff_may_correct_while_processing_but_not_in_underwriting(client):
    application = filled()
    client.force_login(user_with_role(roles.PROCESSOR))
    _set_status(application, "processing")
    response = client.post(edit_url(application, "loan"), {"purpose": "refinance", "amount_requested": "250000"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.purpose, application.amount_requested) == ("refinance", Decimal("250000.00"))
    _set_status(application, "underwriting")
    response = client.get(edit_url(application, "loan"))
    assert response["Location"] == reverse("origination:application-detail", args=[application.pk])
    response = client.post(edit_url(application, "loan"), {"purpose": "purchase", "amount_requested": "200000"})
    assert response.status_code == 409
    assert "can no longer be changed" in response.content.decode()
    application.refresh_from_db()
    assert application.amount_requested == Decimal("250000.00")


# --- new application from the pipeline ------------------------------------------------------------------------


def test_pipeline_offers_new_application_to_intake_roles_only(client):
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    assert reverse("origination:intake-new") in client.get(reverse("origination:home")).content.decode()
    client.force_login(user_with_role(roles.UNDERWRITER))
    assert reverse("origination:intake-new") not in client.get(reverse("origination:home")).content.decode()


def test_loan_officer_starts_an_application_for_a_new_borrower(client):
    officer = user_with_role(roles.LOAN_OFFICER)
    client.force_login(officer)
    assert client.get(reverse("origination:intake-new")).status_code == 200
    product = LoanProductFactory()
    data = {
        "email": "New.Person@Example.test",
        "first_name": "New",
        "last_name": "Person",
        "product": product.pk,
        "purpose": "purchase",
    }
    response = client.post(reverse("origination:intake-new"), data)
    application = Application.objects.get()
    assert response["Location"] == edit_url(application, "borrower")
    borrower_user = User.objects.get(email="new.person@example.test")
    assert roles.is_borrower(borrower_user)
    assert not borrower_user.has_usable_password()
    assert (application.applicant, application.loan_officer) == (borrower_user, officer)
    assert application.borrowers.get().first_name == "New"
    assert client.get(edit_url(application, "borrower")).status_code == 200


def test_existing_borrower_account_is_reused_and_staff_emails_refused(client):
    client.force_login(user_with_role(roles.MANAGER))
    existing = user_with_role(roles.BORROWER, email="known@example.test")
    product = LoanProductFactory()
    data = {"email": "KNOWN@example.test", "first_name": "K", "last_name": "N", "product": product.pk}
    client.post(reverse("origination:intake-new"), {**data, "purpose": "purchase"})
    application = Application.objects.get()
    assert application.applicant == existing
    assert application.loan_officer is None
    user_with_role(roles.SERVICER, email="staff@example.test")
    response = client.post(
        reverse("origination:intake-new"), {**data, "email": "staff@example.test", "purpose": "purchase"}
    )
    assert response.status_code == 400
    assert "staff account" in response.content.decode()
    response = client.post(reverse("origination:intake-new"), {**data, "purpose": "personal"})
    assert response.status_code == 400
    assert "Choose a purpose offered" in response.content.decode()
    assert Application.objects.count() == 1


@pytest.mark.parametrize("role", [roles.UNDERWRITER, roles.CLOSER, roles.SERVICER, roles.BORROWER])
def test_new_application_is_for_intake_roles(client, role):
    client.force_login(user_with_role(role))
    assert client.get(reverse("origination:intake-new")).status_code == 403
    assert client.post(reverse("origination:intake-new"), {}).status_code == 403
    assert not Application.objects.exists()
    assert not AuditEvent.objects.filter(verb="application.started").exists()


def test_new_application_anonymous(client):
    response = client.get(reverse("origination:intake-new"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- the borrower's panel -----------------------------------------------------------------------------------


def test_borrower_panel_owner_other_staff_anonymous(client):
    owner = user_with_role(roles.BORROWER)
    application = filled(applicant=owner)
    url = reverse("origination_portal:intake-panel", args=[application.pk])
    client.force_login(owner)
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "***-**-6789" in body
    assert SSN not in body
    assert "Continue application" in body
    _set_status(application, "submitted")
    assert "Continue application" not in client.get(url).content.decode()
    client.force_login(user_with_role(roles.BORROWER))
    assert client.get(url).status_code == 404
    client.force_login(user_with_role(roles.MANAGER))
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url)["Location"].startswith(reverse("login"))


def test_borrower_panel_query_count_does_not_grow(client, django_assert_max_num_queries):
    owner = user_with_role(roles.BORROWER)
    small = filled(applicant=owner)
    client.force_login(owner)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("origination_portal:intake-panel", args=[small.pk]))
    big = filled(applicant=owner, borrowers=2, jobs=4, rows=8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("origination_portal:intake-panel", args=[big.pk]))


def test_portal_application_page_loads_the_panel(client):
    owner = user_with_role(roles.BORROWER)
    application = filled(applicant=owner)
    client.force_login(owner)
    body = client.get(reverse("origination_portal:application", args=[application.pk])).content.decode()
    assert reverse("origination_portal:intake-panel", args=[application.pk]) in body
