"""Compliance and disclosure pages: access by role on every view, the panel's content, issuing and recording
receipt through the forms (field errors 400, refusals 409), PDF downloads, constant query counts."""

from datetime import date

import pytest
from django.urls import reverse

from lending.core import roles
from origination.models import ComplianceCheck, Disclosure
from origination.services.compliance import compliance_run
from origination.services.disclosures import disclosure_issue
from tests.core.factories import user_with_role
from tests.origination.factories import complete_application
from tests.origination.factories_compliance import DisclosureFactory, approved_application

pytestmark = pytest.mark.django_db
ORIGINATION = [roles.LOAN_OFFICER, roles.PROCESSOR, roles.UNDERWRITER, roles.CLOSER, roles.MANAGER]
OUTSIDERS = [roles.SERVICER, roles.COLLECTOR, roles.BORROWER]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def issued():
    """An application with a Loan Estimate issued through the service (so it has a PDF)."""
    application = complete_application()
    disclosure = disclosure_issue(
        actor=user_with_role(roles.LOAN_OFFICER),
        application=application,
        kind=Disclosure.Kind.LOAN_ESTIMATE,
        issued_on=date(2026, 11, 3),
        delivery="mail",
    )
    return application, disclosure


def _urls(application, disclosure):
    return {
        "panel": ("get", reverse("origination:compliance-panel", args=[application.pk])),
        "run": ("post", reverse("origination:compliance-run", args=[application.pk])),
        "issue": ("post", reverse("origination:disclosure-issue", args=[application.pk, "loan_estimate"])),
        "receipt": ("post", reverse("origination:disclosure-receipt", args=[disclosure.pk])),
        "pdf": ("get", reverse("origination:disclosure-download", args=[disclosure.pk])),
    }


@pytest.mark.parametrize("role", OUTSIDERS)
def test_every_view_is_forbidden_outside_origination(client, issued, role):
    client.force_login(user_with_role(role))
    for name, (method, url) in _urls(*issued).items():
        assert getattr(client, method)(url).status_code == 403, name


def test_every_view_sends_anonymous_users_to_sign_in(client, issued):
    for name, (method, url) in _urls(*issued).items():
        response = getattr(client, method)(url)
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("login")), name


def test_missing_objects_are_404(client):
    client.force_login(user_with_role(roles.MANAGER))
    assert client.get(reverse("origination:compliance-panel", args=[999999])).status_code == 404
    assert client.get(reverse("origination:disclosure-download", args=[999999])).status_code == 404
    assert client.post(reverse("origination:disclosure-receipt", args=[999999])).status_code == 404
    application = complete_application()
    url = reverse("origination:disclosure-issue", args=[application.pk, "brochure"])
    assert client.post(url).status_code == 404
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("role", ORIGINATION)
def test_panel_and_pdf_for_origination_roles(client, issued, role):
    application, disclosure = issued
    client.force_login(user_with_role(role))
    response = client.get(reverse("origination:compliance-panel", args=[application.pk]))
    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "origination/compliance/panel.html"
    pdf = client.get(reverse("origination:disclosure-download", args=[disclosure.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")


def test_panel_shows_each_check_with_its_result_and_explanation_and_the_disclosures(client):
    application = approved_application()
    client.force_login(user_with_role(roles.UNDERWRITER))
    body = client.get(reverse("origination:compliance-panel", args=[application.pk])).content.decode()
    assert "Loan Estimate delivered within 3 business days" in body
    assert "PASS" in body
    assert "N/A" in body
    assert "by the deadline 2026-11-05" in body
    assert "Loan Estimate" in body
    assert reverse("origination:disclosure-download", args=[application.disclosures.get().pk]) in body
    # Underwriters neither issue disclosures nor record receipts.
    assert "Issue Loan Estimate" not in body
    assert "Issue Closing Disclosure" not in body


def test_panel_shows_failures_and_the_forms_for_the_role_and_status(client):
    application = complete_application()
    compliance_run(application=application, today=date(2026, 12, 1))
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    body = client.get(reverse("origination:compliance-panel", args=[application.pk])).content.decode()
    assert "FAIL" in body
    assert "No Loan Estimate was issued by 2026-11-05" in body
    assert "Issue Loan Estimate" in body
    assert "Issue Closing Disclosure" not in body
    closer = user_with_role(roles.CLOSER)
    client.force_login(closer)
    body = client.get(reverse("origination:compliance-panel", args=[application.pk])).content.decode()
    assert "Issue Closing Disclosure" not in body  # a draft gets no Closing Disclosure
    assert "Issue Loan Estimate" not in body
    approved = approved_application()
    body = client.get(reverse("origination:compliance-panel", args=[approved.pk])).content.decode()
    assert "Issue Closing Disclosure" in body
    assert "2026-11-06 (presumed)" in body  # the LE mailed Tue 11/3: Wed, Thu, Fri


def test_run_checks_button_stores_results_and_redirects(client):
    application = complete_application()
    client.force_login(user_with_role(roles.PROCESSOR))
    response = client.post(reverse("origination:compliance-run", args=[application.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("origination:application-detail", args=[application.pk])
    assert ComplianceCheck.objects.filter(application=application).count() == 8
    assert "Compliance checks run" in response.content.decode()


def test_issue_a_loan_estimate_from_the_form(client):
    application = complete_application()
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    url = reverse("origination:disclosure-issue", args=[application.pk, "loan_estimate"])
    response = client.post(url, {"le-issued_on": "2026-11-04", "le-delivery": "mail"})
    assert response.status_code == 302
    disclosure = Disclosure.objects.get(application=application)
    assert (disclosure.kind, disclosure.issued_on, disclosure.delivery) == ("loan_estimate", date(2026, 11, 4), "mail")


def test_issue_form_errors_are_shown_with_400(client):
    application = complete_application()
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    url = reverse("origination:disclosure-issue", args=[application.pk, "loan_estimate"])
    response = client.post(url, {"le-issued_on": "2026-11-04", "le-delivery": "mail", "le-received_on": "2026-11-01"})
    assert response.status_code == 400
    assert "origination/compliance/page.html" in [t.name for t in response.templates]
    assert "Receipt cannot be before the issue date." in response.content.decode()
    assert client.post(url, {"le-delivery": "mail"}).status_code == 400
    assert not Disclosure.objects.exists()


def test_issue_refused_by_the_rules_is_409_with_the_reason(client):
    application = complete_application()
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    url = reverse("origination:disclosure-issue", args=[application.pk, "loan_estimate"])
    response = client.post(url, {"le-issued_on": "2026-11-04", "le-delivery": "email"})
    assert response.status_code == 409
    assert "e-consent" in response.content.decode()
    assert not Disclosure.objects.exists()


def test_issue_by_a_role_that_may_not_is_403(client):
    application = complete_application()
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    url = reverse("origination:disclosure-issue", args=[application.pk, "closing_disclosure"])
    assert client.post(url, {"cd-issued_on": "2026-11-04", "cd-delivery": "mail"}).status_code == 403
    assert not Disclosure.objects.exists()


def test_record_receipt_from_the_form(client, issued):
    _application, disclosure = issued
    client.force_login(user_with_role(roles.PROCESSOR))
    url = reverse("origination:disclosure-receipt", args=[disclosure.pk])
    bad = client.post(url, {f"receipt-{disclosure.pk}-received_on": ""})
    assert bad.status_code == 400
    refused = client.post(url, {f"receipt-{disclosure.pk}-received_on": "2026-11-01"})
    assert refused.status_code == 409
    assert "receipt date" in refused.content.decode()
    response = client.post(url, {f"receipt-{disclosure.pk}-received_on": "2026-11-05"})
    assert response.status_code == 302
    disclosure.refresh_from_db()
    assert disclosure.received_on == date(2026, 11, 5)


def test_panel_query_count_does_not_grow_with_disclosures(client, django_assert_max_num_queries):
    application = complete_application()
    compliance_run(application=application, today=date(2026, 11, 20))
    DisclosureFactory(application=application)
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    url = reverse("origination:compliance-panel", args=[application.pk])
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for _ in range(15):
        DisclosureFactory(application=application)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


# --- borrower portal -------------------------------------------------------------------------------------


@pytest.fixture
def borrower_issued():
    borrower = user_with_role(roles.BORROWER)
    application = complete_application(applicant=borrower)
    disclosure = disclosure_issue(
        actor=user_with_role(roles.LOAN_OFFICER),
        application=application,
        kind=Disclosure.Kind.LOAN_ESTIMATE,
        issued_on=date(2026, 11, 3),
        delivery="mail",
    )
    return borrower, application, disclosure


def _portal_urls(application, disclosure):
    return (
        reverse("origination_portal:disclosures-panel", args=[application.pk]),
        reverse("origination_portal:disclosure-download", args=[application.pk, disclosure.pk]),
    )


def test_borrower_sees_and_downloads_their_own_disclosures(client, borrower_issued):
    borrower, application, disclosure = borrower_issued
    client.force_login(borrower)
    panel_url, pdf_url = _portal_urls(application, disclosure)
    body = client.get(panel_url).content.decode()
    assert "Loan Estimate" in body
    assert pdf_url in body
    pdf = client.get(pdf_url)
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")


def test_borrower_panel_before_any_disclosure(client):
    borrower = user_with_role(roles.BORROWER)
    application = complete_application(applicant=borrower)
    client.force_login(borrower)
    body = client.get(reverse("origination_portal:disclosures-panel", args=[application.pk])).content.decode()
    assert "will appear here" in body


def test_other_borrowers_get_404_staff_403_and_anonymous_sign_in(client, borrower_issued):
    _, application, disclosure = borrower_issued
    urls = _portal_urls(application, disclosure)
    client.force_login(user_with_role(roles.BORROWER))
    assert [client.get(url).status_code for url in urls] == [404, 404]
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    assert [client.get(url).status_code for url in urls] == [403, 403]
    client.logout()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_a_borrower_cannot_reach_another_applications_disclosure_through_their_own(client, borrower_issued):
    borrower, application, _ = borrower_issued
    other = DisclosureFactory(application=complete_application())
    client.force_login(borrower)
    url = reverse("origination_portal:disclosure-download", args=[application.pk, other.pk])
    assert client.get(url).status_code == 404
