"""Closing and funding pages: access by role on every view, scheduling, the closing package, the signing,
funding (once, by wire, ACH or check) through the forms, document downloads, constant query counts."""

import hashlib
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lending.core import roles
from origination.models import Application, ClosingDocument, ClosingSignature, Funding
from origination.services.closing import closing_documents_generate, closing_schedule, closing_signing_record
from tests.core.factories import UserFactory, user_with_role
from tests.origination.factories import complete_application
from tests.origination.factories_compliance import (
    CLOSING_DATE,
    FIRST_PAYMENT,
    Team,
    approved_application,
    clear_to_close_application,
    closed_application,
    closing_ready_application,
    in_closing_application,
)

pytestmark = pytest.mark.django_db
ORIGINATION = [roles.LOAN_OFFICER, roles.PROCESSOR, roles.UNDERWRITER, roles.CLOSER, roles.MANAGER]
OUTSIDERS = [roles.SERVICER, roles.COLLECTOR, roles.BORROWER]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def package():
    """A closed loan with its closing package generated."""
    team = Team()
    application = closed_application(team=team)
    return application, application.closing_documents.order_by("id").first(), team


def _urls(application, document):
    return {
        "panel": ("get", reverse("origination:closing-panel", args=[application.pk])),
        "schedule": ("post", reverse("origination:closing-schedule", args=[application.pk])),
        "generate": ("post", reverse("origination:closing-documents-generate", args=[application.pk])),
        "signing": ("post", reverse("origination:closing-signing-record", args=[application.pk])),
        "fund": ("post", reverse("origination:loan-fund", args=[application.pk])),
        "pdf": ("get", reverse("origination:closing-document-download", args=[document.pk])),
    }


def _fake_document(application):
    return ClosingDocument.objects.create(
        application=application,
        kind="promissory_note",
        title="Note",
        file="closing/x.pdf",
        sha256="0" * 64,
        generated_by=UserFactory(),
    )


@pytest.mark.parametrize("role", OUTSIDERS)
def test_every_view_is_forbidden_outside_origination(client, role):
    application = complete_application()
    client.force_login(user_with_role(role))
    for name, (method, url) in _urls(application, _fake_document(application)).items():
        assert getattr(client, method)(url).status_code == 403, name


@pytest.mark.parametrize("role", [roles.LOAN_OFFICER, roles.PROCESSOR, roles.UNDERWRITER])
def test_closing_actions_are_for_closers_and_managers(client, role):
    application = complete_application()
    client.force_login(user_with_role(role))
    urls = _urls(application, _fake_document(application))
    for name in ("schedule", "generate", "signing", "fund"):
        assert client.post(urls[name][1]).status_code == 403, name
    assert client.get(urls["panel"][1]).status_code == 200
    stored = Application.objects.get(pk=application.pk)
    assert (stored.status, stored.closing_date) == (application.status, application.closing_date)
    assert ClosingDocument.objects.filter(application=application).count() == 1  # the one made above
    assert not ClosingSignature.objects.exists()
    assert not Funding.objects.exists()


def test_every_view_sends_anonymous_users_to_sign_in(client):
    application = complete_application()
    for name, (method, url) in _urls(application, _fake_document(application)).items():
        response = getattr(client, method)(url)
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("login")), name


def test_missing_objects_are_404(client):
    client.force_login(user_with_role(roles.CLOSER))
    assert client.get(reverse("origination:closing-panel", args=[999999])).status_code == 404
    assert client.post(reverse("origination:loan-fund", args=[999999])).status_code == 404
    assert client.post(reverse("origination:closing-signing-record", args=[999999])).status_code == 404
    assert not ClosingSignature.objects.exists()
    assert not Funding.objects.exists()
    assert client.get(reverse("origination:closing-document-download", args=[999999])).status_code == 404


@pytest.mark.parametrize("role", ORIGINATION)
def test_panel_and_document_download_for_origination_roles(client, package, role):
    application, document, _ = package
    client.force_login(user_with_role(role))
    response = client.get(reverse("origination:closing-panel", args=[application.pk]))
    assert response.status_code == 200
    assert "Promissory note" in response.content.decode()
    pdf = client.get(reverse("origination:closing-document-download", args=[document.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    content = b"".join(pdf.streaming_content)
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == document.sha256


def test_panel_shows_the_forms_for_the_status_and_role(client):
    application = approved_application()
    client.force_login(user_with_role(roles.CLOSER))
    body = client.get(reverse("origination:closing-panel", args=[application.pk])).content.decode()
    assert "Schedule closing" in body
    assert "Generate closing documents" not in body
    assert "Fund the loan" not in body
    client.force_login(user_with_role(roles.UNDERWRITER))
    body = client.get(reverse("origination:closing-panel", args=[application.pk])).content.decode()
    assert "Schedule closing" not in body
    assert "Closers and managers schedule closings" in body


def test_schedule_from_the_form(client):
    application = clear_to_close_application()
    client.force_login(user_with_role(roles.CLOSER))
    url = reverse("origination:closing-schedule", args=[application.pk])
    bad = client.post(url, {"schedule-closing_date": "2026-11-13", "schedule-first_payment_date": "2026-11-13"})
    assert bad.status_code == 400
    assert "origination/closing/page.html" in [t.name for t in bad.templates]
    assert "The first payment must be after the closing date." in bad.content.decode()
    refused = client.post(url, {"schedule-closing_date": "2026-10-01", "schedule-first_payment_date": "2027-01-01"})
    assert refused.status_code == 409
    assert "before the application date" in refused.content.decode()
    response = client.post(url, {"schedule-closing_date": "2026-11-13", "schedule-first_payment_date": "2027-01-01"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert str(application.closing_date) == "2026-11-13"


def test_generate_from_the_panel_button(client):
    application = clear_to_close_application()
    client.force_login(user_with_role(roles.CLOSER))
    url = reverse("origination:closing-documents-generate", args=[application.pk])
    refused = client.post(url)
    assert refused.status_code == 409
    assert "Schedule the closing" in refused.content.decode()
    ready = closing_ready_application()
    response = client.post(reverse("origination:closing-documents-generate", args=[ready.pk]))
    assert response.status_code == 302
    assert ClosingDocument.objects.filter(application=ready).count() == 6
    body = client.get(reverse("origination:closing-panel", args=[ready.pk])).content.decode()
    for title in ("Loan Estimate issued", "Initial escrow account disclosure", "Amortization schedule (360 payments)"):
        assert title in body


def test_fund_from_the_form_once(client, package):
    application, _, team = package
    client.force_login(team.closer)
    url = reverse("origination:loan-fund", args=[application.pk])
    form = {"fund-funded_on": "2026-11-13", "fund-method": "wire", "fund-wire_reference": "FW-9"}
    assert client.post(url, {**form, "fund-wire_reference": ""}).status_code == 400  # no reference
    early = client.post(url, {**form, "fund-funded_on": "2026-11-12"})
    assert early.status_code == 409
    assert "before the closing" in early.content.decode()
    response = client.post(url, form, follow=True)
    assert response.redirect_chain[-1][0] == reverse("origination:application-detail", args=[application.pk])
    assert "disbursed by wire (reference FW-9)" in response.content.decode()
    assert Application.objects.get(pk=application.pk).status == "funded"
    again = client.post(url, {**form, "fund-wire_reference": "FW-10"})
    assert again.status_code == 409
    assert "already funded" in again.content.decode()
    assert Funding.objects.get().wire_reference == "FW-9"
    body = client.get(reverse("origination:closing-panel", args=[application.pk])).content.decode()
    assert f"Funded {CLOSING_DATE:%Y-%m-%d}" in body
    assert "Fund the loan" not in body


def test_fund_by_check_stores_and_shows_the_method(client, package):
    application, _, team = package
    client.force_login(team.closer)
    url = reverse("origination:loan-fund", args=[application.pk])
    form = {"fund-funded_on": "2026-11-13", "fund-method": "cash", "fund-wire_reference": "CHK 1042"}
    bad = client.post(url, form)
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode()
    panel = client.get(reverse("origination:closing-panel", args=[application.pk])).content.decode()
    assert 'value="wire" selected' in panel  # wire unless chosen otherwise
    response = client.post(url, {**form, "fund-method": "check"}, follow=True)
    assert "disbursed by check (reference CHK 1042)" in response.content.decode()
    assert Funding.objects.get().method == "check"
    panel = client.get(reverse("origination:closing-panel", args=[application.pk])).content.decode()
    assert '<span data-testid="funding-method">Check</span>, reference CHK 1042' in panel


def test_the_signing_is_recorded_from_the_panel_and_then_the_closing(client):
    team = Team()
    application = in_closing_application(team=team)
    client.force_login(team.closer)
    detail = reverse("origination:application-detail", args=[application.pk])
    body = client.get(detail).content.decode()
    signing_missing = "the signing on the scheduled closing date has not been recorded"
    assert f'data-testid="blocked-close"><li>{signing_missing}</li></ul>' in body
    transition = reverse("origination:application-transition", args=[application.pk])
    blocked = client.post(transition, {"transition": "close"})
    assert blocked.status_code == 409
    assert f"Record closing (consummation) is blocked: {signing_missing}." in blocked.content.decode()
    panel = client.get(reverse("origination:closing-panel", args=[application.pk])).content.decode()
    assert 'data-testid="signing-missing"' in panel
    assert 'data-testid="signing-form"' in panel
    assert f'value="{CLOSING_DATE:%Y-%m-%d}"' in panel  # the scheduled closing date, filled in

    url = reverse("origination:closing-signing-record", args=[application.pk])
    bad = client.post(url, {"signing-signed_on": "not a date"})
    assert bad.status_code == 400
    assert "Enter a valid date." in bad.content.decode()
    mismatch = client.post(url, {"signing-signed_on": "2026-11-12"})
    assert mismatch.status_code == 409
    assert "The signing date 2026-11-12 is not the scheduled closing date 2026-11-13" in mismatch.content.decode()
    assert not ClosingSignature.objects.exists()

    form = {"signing-signed_on": "2026-11-13", "signing-location": "Prairie Title", "signing-notary": "D. Whitfield"}
    response = client.post(url, form, follow=True)
    assert response.redirect_chain[-1][0] == detail
    assert "Signing recorded (2026-11-13)." in response.content.decode()
    panel = client.get(reverse("origination:closing-panel", args=[application.pk])).content.decode()
    assert "Signed 2026-11-13</strong> at Prairie Title, before D. Whitfield" in panel
    assert "Correct the signing" in panel
    assert client.post(transition, {"transition": "close"}).status_code == 302
    assert Application.objects.get(pk=application.pk).status == "closed"
    panel = client.get(reverse("origination:closing-panel", args=[application.pk])).content.decode()
    assert 'data-testid="signing-form"' not in panel
    assert 'data-testid="signing-summary"' in panel


def test_a_manager_may_record_the_signing_but_not_outside_closing(client):
    application = in_closing_application()
    manager = user_with_role(roles.MANAGER)
    client.force_login(manager)
    url = reverse("origination:closing-signing-record", args=[application.pk])
    assert client.post(url, {"signing-signed_on": "2026-11-13"}).status_code == 302
    assert ClosingSignature.objects.get().recorded_by == manager
    ready = closing_ready_application()
    refused = client.post(
        reverse("origination:closing-signing-record", args=[ready.pk]), {"signing-signed_on": "2026-11-13"}
    )
    assert refused.status_code == 409
    assert "not while Clear to close" in refused.content.decode()
    assert list(ClosingSignature.objects.values_list("application", flat=True)) == [application.pk]
    assert Application.objects.get(pk=ready.pk).status == ready.status


def test_panel_query_count_does_not_grow_with_documents(client, django_assert_max_num_queries):
    team = Team()
    application = closing_ready_application(team=team)
    closing_documents_generate(actor=team.closer, application=application)
    client.force_login(team.closer)
    url = reverse("origination:closing-panel", args=[application.pk])
    with django_assert_max_num_queries(10) as few:
        client.get(url)
    for _ in range(5):
        _fake_document(application)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(url).content.decode()
    assert "superseded" in body


# --- what the forms offer (issue 9, item 8) ---------------------------------------------------------------


def _date_input(panel: str, name: str) -> str:
    """The rendered <input> of a date field of the panel."""
    start = panel.index(f'name="{name}"')
    return panel[panel.rindex("<input", 0, start) : panel.index(">", start) + 1]


def test_funding_a_refinance_offers_the_first_day_after_the_right_to_rescind(client):
    team = Team()
    application = closed_application(team=team, purpose="refinance")  # closed Fri 11/13, rescission to Tue 11/17
    client.force_login(team.closer)
    panel = client.get(reverse("origination:closing-panel", args=[application.pk])).content.decode()
    assert 'value="2026-11-18"' in _date_input(panel, "fund-funded_on")
    response = client.post(
        reverse("origination:loan-fund", args=[application.pk]),
        {"fund-funded_on": "2026-11-18", "fund-method": "wire", "fund-wire_reference": "FED1"},
    )
    assert response.status_code == 302
    assert Funding.objects.get().funded_on.isoformat() == "2026-11-18"


def test_funding_a_purchase_offers_the_closing_date(client):
    team = Team()
    application = closed_application(team=team)
    client.force_login(team.closer)
    panel = client.get(reverse("origination:closing-panel", args=[application.pk])).content.decode()
    assert f'value="{CLOSING_DATE.isoformat()}"' in _date_input(panel, "fund-funded_on")


def test_correcting_the_signing_after_a_reschedule_offers_the_new_closing_date(client):
    team = Team()
    application = in_closing_application(team=team)
    closing_signing_record(actor=team.closer, application=application, signed_on=CLOSING_DATE)
    closing_schedule(
        actor=team.closer, application=application, closing_date=date(2026, 11, 16), first_payment_date=FIRST_PAYMENT
    )
    client.force_login(team.closer)
    panel = client.get(reverse("origination:closing-panel", args=[application.pk])).content.decode()
    assert "Correct the signing" in panel
    assert 'value="2026-11-16"' in _date_input(panel, "signing-signed_on")


def test_a_signing_is_not_offered_a_closing_date_still_to_come(client):
    team = Team()
    application = in_closing_application(team=team)
    Application.objects.filter(pk=application.pk).update(closing_date=timezone.localdate() + timedelta(days=7))
    client.force_login(team.closer)
    panel = client.get(reverse("origination:closing-panel", args=[application.pk])).content.decode()
    assert "value=" not in _date_input(panel, "signing-signed_on")
