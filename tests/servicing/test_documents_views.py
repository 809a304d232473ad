"""Documents pages: the borrower's list and download in the portal (own loans only, 404 otherwise), the staff list
and download (servicing roles), the admin (read-only, "Resend", print batch files), the "payment received" choice;
constant query counts."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import BorrowerDocument
from servicing.services.documents import document_store
from servicing.services.print_batches import print_batch_run
from tests.core.factories import user_with_role
from tests.servicing.factories_portal import borrower_loan

pytestmark = pytest.mark.django_db
STAFF_ROLES_ALLOWED = (roles.SERVICER, roles.COLLECTOR, roles.MANAGER)
STAFF_ROLES_REFUSED = (roles.LOAN_OFFICER, roles.PROCESSOR, roles.UNDERWRITER, roles.CLOSER)


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = _pdf()


def store(loan, n: int, kind=BorrowerDocument.Kind.LATE_FEE) -> BorrowerDocument:
    return document_store(
        loan=loan,
        kind=kind,
        key=str(n),
        title=f"Notice {n}",
        document_date=date(2027, 1, 1) + timedelta(days=n),
        pdf=PDF,
        actor=None,
    )


@pytest.fixture
def loan():
    return borrower_loan()


@pytest.fixture
def document(loan):
    return store(loan, 1)


def portal_list(loan):
    return reverse("servicing_portal:loan-documents", args=[loan.pk])


def staff_list(loan):
    return reverse("servicing:loan-documents", args=[loan.pk])


# --- portal ------------------------------------------------------------------------------------------------------


def test_the_borrower_lists_every_kind_newest_first_and_the_loan_page_links_it(client, loan):
    store(loan, 1)
    store(loan, 3, kind=BorrowerDocument.Kind.STATEMENT)
    store(loan, 2, kind=BorrowerDocument.Kind.FORM_1098)
    client.force_login(loan.borrower)
    body = client.get(portal_list(loan)).content.decode()
    assert body.index("Notice 3") < body.index("Notice 2") < body.index("Notice 1")
    assert "Periodic statement" in body
    assert "Form 1098 mortgage interest statement" in body
    detail = client.get(reverse("servicing_portal:loan-detail", args=[loan.pk])).content.decode()
    assert f'href="{portal_list(loan)}"' in detail
    assert 'name="notify_payment_received"' in detail


def test_the_list_is_paginated_with_constant_queries(client, django_assert_max_num_queries):
    few, many = borrower_loan(), borrower_loan()
    store(few, 1)
    for n in range(25):
        store(many, n)
    counts = []
    for loan in (few, many):
        client.force_login(loan.borrower)
        with django_assert_max_num_queries(8) as captured:
            response = client.get(portal_list(loan))
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    assert response.content.decode().count('data-testid="document-row"') == 20
    assert "Page 1 of 2" in response.content.decode()
    assert client.get(portal_list(many), {"page": 2}).content.decode().count('data-testid="document-row"') == 5


def test_the_borrower_downloads_the_stored_bytes_not_cached(client, loan, document, django_assert_max_num_queries):
    client.force_login(loan.borrower)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("portal-document", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{loan.loan_number}-late-fee-2027-01-02.pdf"'
    assert "no-store" in response["Cache-Control"]


def test_another_borrower_gets_404_for_the_list_and_the_document(client, loan, document):
    other = borrower_loan()
    client.force_login(other.borrower)
    assert client.get(portal_list(loan)).status_code == 404
    assert client.get(reverse("portal-document", args=[document.pk])).status_code == 404
    assert client.get(reverse("portal-document", args=[999999])).status_code == 404


def test_staff_get_403_and_anonymous_the_sign_in_page_in_the_portal(client, loan, document):
    for url in (portal_list(loan), reverse("portal-document", args=[document.pk])):
        response = client.get(url)
        assert (response.status_code, response["Location"].startswith(reverse("login"))) == (302, True)
    client.force_login(user_with_role(roles.SERVICER))
    assert client.get(portal_list(loan)).status_code == 403
    assert client.get(reverse("portal-document", args=[document.pk])).status_code == 403


# --- the payment notice choice ---------------------------------------------------------------------------------


def test_the_borrower_turns_payment_notices_on_and_off_audited(client, loan):
    url = reverse("servicing_portal:loan-payment-notices", args=[loan.pk])
    client.force_login(loan.borrower)
    response = client.post(url, {"notify_payment_received": "on"})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.notify_payment_received is True
    client.post(url, {"notify_payment_received": "on"})  # unchanged: no second audit row
    client.post(url, {})
    loan.refresh_from_db()
    assert loan.notify_payment_received is False
    events = AuditEvent.objects.filter(verb="loan.payment_notice_preference").order_by("pk")
    assert [e.after["notify_payment_received"] for e in events] == [True, False]
    assert events[0].actor == loan.borrower
    detail = client.get(reverse("servicing_portal:loan-detail", args=[loan.pk])).content.decode()
    assert 'id="notify-payment-received">' in detail  # unchecked


def test_another_borrower_cannot_set_the_choice(client, loan):
    client.force_login(borrower_loan().borrower)
    response = client.post(reverse("servicing_portal:loan-payment-notices", args=[loan.pk]), {"x": "on"})
    assert response.status_code == 404
    loan.refresh_from_db()
    assert loan.notify_payment_received is False


# --- staff -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF_ROLES_ALLOWED)
def test_servicing_roles_list_and_download(client, loan, document, role):
    client.force_login(user_with_role(role))
    body = client.get(staff_list(loan)).content.decode()
    download = reverse("servicing:document-download", args=[document.pk])
    assert f'href="{download}"' in body
    response = client.get(download)
    assert (response.status_code, b"".join(response.streaming_content)) == (200, PDF)
    assert "no-store" in response["Cache-Control"]
    detail = client.get(reverse("servicing:loan-detail", args=[loan.pk])).content.decode()
    assert f'href="{staff_list(loan)}"' in detail


@pytest.mark.parametrize("role", [*STAFF_ROLES_REFUSED, roles.BORROWER])
def test_other_roles_get_403_on_staff_pages(client, loan, document, role):
    client.force_login(user_with_role(role))
    assert client.get(staff_list(loan)).status_code == 403
    assert client.get(reverse("servicing:document-download", args=[document.pk])).status_code == 403


def test_the_staff_download_has_a_fixed_query_count(client, document, django_assert_max_num_queries):
    client.force_login(user_with_role(roles.SERVICER))
    with django_assert_max_num_queries(6):
        response = client.get(reverse("servicing:document-download", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(f'attachment; filename="{document.loan.loan_number}-late-fee-')


def test_staff_anonymous_is_sent_to_sign_in_and_missing_rows_are_404(client, loan, document):
    assert client.get(staff_list(loan)).status_code == 302
    client.force_login(user_with_role(roles.SERVICER))
    assert client.get(reverse("servicing:loan-documents", args=[999999])).status_code == 404
    assert client.get(reverse("servicing:document-download", args=[999999])).status_code == 404


def test_the_staff_list_has_constant_queries(client, django_assert_max_num_queries):
    few, many = borrower_loan(), borrower_loan()
    store(few, 1)
    for n in range(25):
        store(many, n)
    client.force_login(user_with_role(roles.SERVICER))
    counts = []
    for loan in (few, many):
        with django_assert_max_num_queries(8) as captured:
            assert client.get(staff_list(loan)).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# --- admin -------------------------------------------------------------------------------------------------------

DOC_CHANGELIST = "admin:servicing_borrowerdocument_changelist"


def _econsent(loan):
    loan.application.econsent_at = timezone.now()
    loan.application.save(update_fields=["econsent_at"])


@pytest.mark.parametrize("role", [roles.SERVICER, roles.MANAGER])
def test_servicers_resend_from_the_admin(client, loan, role, django_capture_on_commit_callbacks):
    _econsent(loan)
    with django_capture_on_commit_callbacks(execute=True):
        document = store(loan, 1)
    assert len(mail.outbox) == 1
    user = user_with_role(role)
    client.force_login(user)
    response = client.get(reverse(DOC_CHANGELIST))
    assert response.status_code == 200
    assert "resend_documents" in response.content.decode()
    response = client.post(
        reverse(DOC_CHANGELIST),
        {"action": "resend_documents", "_selected_action": [document.pk], "index": 0},
        follow=True,
    )
    assert "1 document resent." in response.content.decode()
    assert len(mail.outbox) == 2
    assert AuditEvent.objects.get(verb="document.resent").actor == user
    change = client.get(reverse("admin:servicing_borrowerdocument_change", args=[document.pk]))
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()  # read-only: a stored document never changes


@pytest.mark.parametrize("role", [roles.COLLECTOR, roles.LOAN_OFFICER, roles.BORROWER])
def test_roles_outside_the_admin_cannot_resend(client, loan, document, role):
    client.force_login(user_with_role(role))
    assert client.get(reverse(DOC_CHANGELIST)).status_code == 302  # the admin's sign-in: not admin staff
    client.post(reverse(DOC_CHANGELIST), {"action": "resend_documents", "_selected_action": [document.pk]})
    assert not AuditEvent.objects.filter(verb="document.resent").exists()


def test_print_batch_admin_downloads_its_files(client, loan, document):
    batch = print_batch_run(business_date=date(2027, 2, 18), actor=None)
    client.force_login(user_with_role(roles.SERVICER))
    body = client.get(reverse("admin:servicing_printbatch_changelist")).content.decode()
    assert "print-2027-02-18.pdf" in body
    assert "manifest-2027-02-18.csv" in body
    pdf = client.get(reverse("admin:servicing_printbatch_file", args=[batch.pk, "pdf"]))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    manifest = client.get(reverse("admin:servicing_printbatch_file", args=[batch.pk, "csv"]))
    assert b"".join(manifest.streaming_content).startswith(b"document_id,loan_number,borrower_name")
    assert client.get(reverse("admin:servicing_printbatch_file", args=[batch.pk, "zip"])).status_code == 404
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    assert client.get(reverse("admin:servicing_printbatch_file", args=[batch.pk, "pdf"])).status_code in (302, 403)
