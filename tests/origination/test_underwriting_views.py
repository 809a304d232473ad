"""Credit and underwriting pages: access on every view, the panel and workspace content, actions through the
views (redirects, 400 with field errors, 409 with the reason), the notice download, constant query counts."""

import pytest
from django.urls import reverse

from lending.core import roles
from origination.models import Condition, CreditReport, Decision, Document, UnderwritingFinding
from origination.services.credit import credit_pull
from origination.services.underwriting import underwriting_decide, underwriting_run
from tests.core.factories import user_with_role
from tests.origination.factories import BorrowerFactory, DocumentTypeFactory
from tests.origination.factories_underwriting import (
    ConditionFactory,
    CreditReportFactory,
    FindingFactory,
    underwriting_application,
)

pytestmark = pytest.mark.django_db
ORIGINATION = [roles.LOAN_OFFICER, roles.PROCESSOR, roles.UNDERWRITER, roles.CLOSER, roles.MANAGER]
OUTSIDERS = [roles.SERVICER, roles.COLLECTOR, roles.BORROWER]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def denied_application():
    application = underwriting_application()
    underwriter = user_with_role(roles.UNDERWRITER)
    credit_pull(actor=underwriter, application=application)
    underwriting_decide(
        actor=underwriter, application=application, outcome="denied", reasons=["insufficient_income"], note="no"
    )
    return application


def page_urls(pk):
    return [
        reverse("origination:underwriting-panel", args=[pk]),
        reverse("origination:underwriting-workspace", args=[pk]),
        reverse("origination:adverse-action-notice", args=[pk]),
    ]


def action_urls(pk, condition_pk):
    return [
        reverse("origination:credit-pull", args=[pk]),
        reverse("origination:underwriting-run", args=[pk]),
        reverse("origination:condition-add", args=[pk]),
        reverse("origination:condition-clear", args=[pk, condition_pk]),
        reverse("origination:condition-waive", args=[pk, condition_pk]),
        reverse("origination:underwriting-decide", args=[pk]),
    ]


# ---- access ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ORIGINATION)
def test_origination_staff_see_the_pages(client, role):
    application = denied_application()
    client.force_login(user_with_role(role))
    for url in page_urls(application.pk):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", OUTSIDERS)
def test_other_roles_get_403_everywhere(client, role):
    application = denied_application()
    condition = ConditionFactory(application=application)
    client.force_login(user_with_role(role))
    for url in page_urls(application.pk):
        assert client.get(url).status_code == 403, url
    for url in action_urls(application.pk, condition.pk):
        assert client.post(url, {"note": "x"}).status_code == 403, url
    # Still the one pull and the one denial made above; the condition still open; no findings run.
    assert CreditReport.objects.filter(application=application).count() == 1
    assert list(Decision.objects.filter(application=application).values_list("outcome", flat=True)) == ["denied"]
    condition.refresh_from_db()
    assert condition.status == "open"
    assert not UnderwritingFinding.objects.filter(application=application).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    application = underwriting_application()
    condition = ConditionFactory(application=application)
    for url in page_urls(application.pk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert reverse("login") in response["Location"], url
    for url in action_urls(application.pk, condition.pk):
        response = client.post(url)
        assert response.status_code == 302, url
        assert reverse("login") in response["Location"], url
    assert not CreditReport.objects.exists()
    assert not Decision.objects.exists()
    assert not UnderwritingFinding.objects.exists()
    condition.refresh_from_db()
    assert condition.status == "open"


def test_missing_objects_are_404(client):
    application = underwriting_application()
    client.force_login(user_with_role(roles.UNDERWRITER))
    for url in page_urls(application.pk + 1000):
        assert client.get(url).status_code == 404
    # No notice yet, and a condition of another application is not reachable through this one.
    assert client.get(reverse("origination:adverse-action-notice", args=[application.pk])).status_code == 404
    foreign = ConditionFactory(application=underwriting_application())
    url = reverse("origination:condition-clear", args=[application.pk, foreign.pk])
    assert client.post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "open"


@pytest.mark.parametrize(
    ("role", "status"),
    [(roles.LOAN_OFFICER, 403), (roles.CLOSER, 403), (roles.PROCESSOR, 302), (roles.UNDERWRITER, 302)],
)
def test_credit_pull_by_role(client, role, status):
    application = underwriting_application("processing")
    client.force_login(user_with_role(role))
    assert client.post(reverse("origination:credit-pull", args=[application.pk])).status_code == status
    assert CreditReport.objects.filter(application=application).count() == (1 if status == 302 else 0)


@pytest.mark.parametrize("role", [roles.LOAN_OFFICER, roles.PROCESSOR, roles.CLOSER])
def test_condition_and_decision_actions_are_for_underwriters(client, role):
    application = underwriting_application()
    condition = ConditionFactory(application=application)
    client.force_login(user_with_role(role))
    for url in action_urls(application.pk, condition.pk)[2:]:
        response = client.post(url, {"stage": "prior_to_docs", "description": "x", "note": "x", "outcome": "suspended"})
        assert response.status_code == 403, url
    assert Condition.objects.count() == 1
    assert not Decision.objects.exists()


# ---- content -----------------------------------------------------------------------------------------------


def test_panel_shows_credit_with_the_sandbox_badge_findings_conditions_and_decision_form(client):
    application = underwriting_application()
    underwriter = user_with_role(roles.UNDERWRITER)
    credit_pull(actor=underwriter, application=application)
    underwriting_run(actor=underwriter, application=application)
    ConditionFactory(application=application, description="Explain the large deposit")
    client.force_login(underwriter)
    body = client.get(reverse("origination:underwriting-panel", args=[application.pk])).content.decode()
    assert "SANDBOX" in body
    assert 'data-testid="credit-score">740' in body
    assert "Approve/Eligible" in body
    assert "33.4384 %" in body  # the sandbox report's $588.26 a month, more than the $450 declared
    assert "26.9022 %" in body
    assert "Back-end DTI 33.44 % is within the product maximum 43.00 %" in body
    assert "Explain the large deposit" in body
    assert 'data-testid="decision-form"' in body
    assert "Approve is blocked: 1 prior-to-approval condition is open." in body
    assert "<html" not in body  # a partial


def test_the_decision_form_is_only_for_underwriters_in_a_deciding_state(client):
    application = underwriting_application("processing")
    client.force_login(user_with_role(roles.UNDERWRITER))
    body = client.get(reverse("origination:underwriting-panel", args=[application.pk])).content.decode()
    assert 'data-testid="decision-form"' not in body
    assert "Decisions are made while" in body
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    body = client.get(reverse("origination:underwriting-panel", args=[underwriting_application().pk])).content.decode()
    assert 'data-testid="decision-form"' not in body
    assert 'data-testid="condition-add-form"' not in body
    assert 'data-testid="pull-credit"' not in body


def test_workspace_shows_the_file_documents_credit_findings_and_calculations_side_by_side(client):
    application = underwriting_application()
    underwriter = user_with_role(roles.UNDERWRITER)
    Document.objects.create(
        application=application, document_type=DocumentTypeFactory(name="Pay stub"), status="verified"
    )
    credit_pull(actor=underwriter, application=application)
    underwriting_run(actor=underwriter, application=application)
    client.force_login(underwriter)
    body = client.get(reverse("origination:underwriting-workspace", args=[application.pk])).content.decode()
    for text in (
        "Acme Widgets",
        "Pay stub",
        "Verified",
        "SANDBOX",
        "Approve/Eligible",
        "Housing expense / new payment",
        "$2,421.20",
        "***-**-0240",
    ):
        assert text in body, text
    assert "123-45-0240" not in body


def test_panel_and_workspace_of_the_application_page_link_up(client):
    application = underwriting_application()
    client.force_login(user_with_role(roles.UNDERWRITER))
    body = client.get(reverse("origination:application-detail", args=[application.pk])).content.decode()
    assert reverse("origination:underwriting-panel", args=[application.pk]) in body


# ---- actions -----------------------------------------------------------------------------------------------


def test_pull_credit_and_run_aus_from_the_workspace(client):
    application = underwriting_application("processing")
    client.force_login(user_with_role(roles.PROCESSOR))
    response = client.post(reverse("origination:credit-pull", args=[application.pk]), {"return_to": "workspace"})
    assert response.status_code == 302
    assert response["Location"] == reverse("origination:underwriting-workspace", args=[application.pk])
    assert CreditReport.objects.filter(application=application).count() == 1
    response = client.post(reverse("origination:underwriting-run", args=[application.pk]), follow=True)
    assert response.redirect_chain[0][0] == reverse("origination:application-detail", args=[application.pk])
    assert "Automated underwriting: Approve/Eligible." in response.content.decode()
    assert UnderwritingFinding.objects.get(application=application).recommendation == "approve_eligible"


def test_pull_credit_without_an_ssn_is_409_with_the_reason(client):
    application = underwriting_application("processing")
    BorrowerFactory(application=application, is_primary=False, first_name="Cy", last_name="Doe", ssn="")
    client.force_login(user_with_role(roles.PROCESSOR))
    response = client.post(reverse("origination:credit-pull", args=[application.pk]))
    assert response.status_code == 409
    assert "No SSN on file for Cy Doe" in response.content.decode()
    assert not CreditReport.objects.filter(application=application).exists()


def test_run_aus_before_credit_is_400_with_the_reason(client):
    application = underwriting_application("processing")
    client.force_login(user_with_role(roles.PROCESSOR))
    response = client.post(reverse("origination:underwriting-run", args=[application.pk]))
    assert response.status_code == 400
    assert "Pull credit first" in response.content.decode()
    assert not UnderwritingFinding.objects.filter(application=application).exists()


def test_add_clear_and_waive_conditions_through_the_views(client):
    application = underwriting_application()
    client.force_login(user_with_role(roles.UNDERWRITER))
    doc_type = DocumentTypeFactory(name="Gift letter")
    response = client.post(
        reverse("origination:condition-add", args=[application.pk]),
        {"stage": "prior_to_docs", "description": "Signed gift letter", "document_type": doc_type.pk},
    )
    assert response.status_code == 302
    condition = Condition.objects.get()
    assert condition.document_type == doc_type
    response = client.post(reverse("origination:condition-waive", args=[application.pk, condition.pk]), {"note": ""})
    assert response.status_code == 400
    assert "needs a note" in response.content.decode()
    response = client.post(reverse("origination:condition-clear", args=[application.pk, condition.pk]), {"note": "ok"})
    assert response.status_code == 302
    condition.refresh_from_db()
    assert condition.status == "cleared"


def test_a_bad_condition_re_renders_with_field_errors(client):
    application = underwriting_application()
    client.force_login(user_with_role(roles.UNDERWRITER))
    response = client.post(reverse("origination:condition-add", args=[application.pk]), {"stage": "prior_to_docs"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Condition.objects.exists()


def test_deny_without_reasons_is_refused_with_a_field_error(client):
    application = underwriting_application()
    client.force_login(user_with_role(roles.UNDERWRITER))
    url = reverse("origination:underwriting-decide", args=[application.pk])
    response = client.post(url, {"outcome": "denied", "note": "no", "expected_status": "underwriting"})
    assert response.status_code == 400
    assert "A denial needs at least one principal reason" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "underwriting"
    assert not Decision.objects.exists()


def test_deny_through_the_view_and_download_the_notice(client):
    application = underwriting_application()
    client.force_login(user_with_role(roles.UNDERWRITER))
    url = reverse("origination:underwriting-decide", args=[application.pk])
    data = {
        "outcome": "denied",
        "reasons": ["insufficient_income", "limited_credit_experience"],
        "note": "Income does not support the payment",
        "expected_status": "underwriting",
        "return_to": "workspace",
    }
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Decision recorded: Denied." in body
    assert "download the PDF" in body
    application.refresh_from_db()
    assert application.status == "denied"
    download = client.get(reverse("origination:adverse-action-notice", args=[application.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_approve_blocked_by_an_open_condition_is_409(client):
    application = underwriting_application()
    FindingFactory(application=application)
    ConditionFactory(application=application)
    client.force_login(user_with_role(roles.UNDERWRITER))
    url = reverse("origination:underwriting-decide", args=[application.pk])
    response = client.post(url, {"outcome": "approved", "expected_status": "underwriting"})
    assert response.status_code == 409
    assert "Approve is blocked: 1 prior-to-approval condition is open." in response.content.decode()
    assert not Decision.objects.exists()


# ---- query counts ----------------------------------------------------------------------------------------------


def _grow(application, n):
    doc_types = [DocumentTypeFactory() for _ in range(n)]
    for i in range(n):
        borrower = BorrowerFactory(application=application, is_primary=False)
        CreditReportFactory(borrower=borrower)
        ConditionFactory(application=application, document_type=doc_types[i])
        FindingFactory(application=application)
        Document.objects.create(application=application, document_type=doc_types[i], status="uploaded")
        Decision.objects.create(application=application, outcome="suspended", decided_by=borrower.application.applicant)


# One more than before the guard phrases: a blocked approval names the open prior-to-approval conditions (one query).
@pytest.mark.parametrize(
    ("url_name", "most"), [("origination:underwriting-panel", 19), ("origination:underwriting-workspace", 25)]
)
def test_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries, url_name, most):
    application = underwriting_application()
    client.force_login(user_with_role(roles.UNDERWRITER))
    url = reverse(url_name, args=[application.pk])
    _grow(application, 2)
    client.get(url)  # warm caches (content types, roles)
    with django_assert_max_num_queries(most) as few:
        assert client.get(url).status_code == 200
    _grow(application, 15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
