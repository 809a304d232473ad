"""Document pages: access on every view, uploads through the form, review buttons, downloads, query counts."""

import pytest
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent
from origination.models import Document, DocumentVersion
from origination.services import documents as service
from tests.core.factories import user_with_role
from tests.origination.factories import ApplicationFactory, DocumentTypeFactory
from tests.origination.factories_documents import (
    EXE_MAGIC,
    PNG_MAGIC,
    DocumentFactory,
    borrower_application,
    condition,
    pdf_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

STAFF_ACCESS = [
    (roles.LOAN_OFFICER, 200),
    (roles.PROCESSOR, 200),
    (roles.UNDERWRITER, 200),
    (roles.CLOSER, 200),
    (roles.MANAGER, 200),
    (roles.SERVICER, 403),
    (roles.COLLECTOR, 403),
    (roles.BORROWER, 403),
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _uploaded(application, actor=None, content=None, document_type=None):
    actor = actor or user_with_role(roles.PROCESSOR)
    document_type = document_type or DocumentTypeFactory()
    return service.document_upload(
        actor=actor,
        application=application,
        document_type=document_type,
        uploaded_file=upload(content or pdf_bytes(str(actor.pk)), name="Pay stub March.pdf"),
    )


def _login_url(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


# --- staff -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), STAFF_ACCESS)
def test_staff_panel_and_download_are_for_origination_roles(client, role, status):
    application = ApplicationFactory()
    version = _uploaded(application)
    client.force_login(user_with_role(role))
    assert client.get(reverse("origination:documents-panel", args=[application.pk])).status_code == status
    response = client.get(reverse("origination:document-download", args=[application.pk, version.pk]))
    assert response.status_code == status


def test_staff_views_send_anonymous_users_to_sign_in(client):
    application = ApplicationFactory()
    document = DocumentFactory(application=application)
    for name, args, method in (
        ("origination:documents-panel", [application.pk], client.get),
        ("origination:documents-upload", [application.pk], client.post),
        ("origination:documents-request", [application.pk], client.post),
        ("origination:document-verify", [application.pk, document.pk], client.post),
        ("origination:document-reject", [application.pk, document.pk], client.post),
        ("origination:document-download", [application.pk, 1], client.get),
    ):
        assert _login_url(method(reverse(name, args=args))), name


def test_staff_panel_shows_checklist_versions_and_review_buttons(client):
    application = ApplicationFactory()
    version = _uploaded(application, document_type=DocumentTypeFactory(code="w-2"))
    DocumentFactory(application=application, document_type=DocumentTypeFactory(code="bank-statement"))
    DocumentFactory(
        application=application,
        document_type=DocumentTypeFactory(code="tax-return"),
        status="rejected",
        rejection_reason="Unsigned",
    )
    client.force_login(user_with_role(roles.PROCESSOR))
    body = client.get(reverse("origination:documents-panel", args=[application.pk])).content.decode()
    assert "<html" not in body  # a partial for htmx
    assert "Pay stub March.pdf" in body
    assert version.sha256[:12] in body
    assert reverse("origination:document-download", args=[application.pk, version.pk]) in body
    assert reverse("origination:document-verify", args=[application.pk, version.document_id]) in body
    assert "Unsigned" in body
    assert "/media/" not in body
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    body = client.get(reverse("origination:documents-panel", args=[application.pk])).content.decode()
    assert "Verify" not in body  # loan officers do not review


def test_staff_upload_through_the_form(client):
    application = ApplicationFactory()
    document_type = DocumentTypeFactory(code="purchase-contract")
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    url = reverse("origination:documents-upload", args=[application.pk])
    response = client.post(url, {"document_type": document_type.pk, "file": upload(pdf_bytes("contract"))})
    assert response.status_code == 302
    assert response.url == reverse("origination:application-detail", args=[application.pk])
    assert Document.objects.get().status == "uploaded"


def test_staff_upload_of_a_renamed_executable_shows_the_error(client):
    application = ApplicationFactory()
    document_type = DocumentTypeFactory()
    client.force_login(user_with_role(roles.PROCESSOR))
    url = reverse("origination:documents-upload", args=[application.pk])
    response = client.post(url, {"document_type": document_type.pk, "file": upload(EXE_MAGIC * 10, name="w2.pdf")})
    assert response.status_code == 400
    assert "is not a PDF, PNG, JPEG, TIFF or HEIC file" in response.content.decode()
    assert not Document.objects.filter(versions__isnull=False).exists()


def test_staff_upload_of_the_same_file_twice_is_409(client):
    application = ApplicationFactory()
    document_type = DocumentTypeFactory()
    client.force_login(user_with_role(roles.PROCESSOR))
    url = reverse("origination:documents-upload", args=[application.pk])
    content = pdf_bytes("twice")
    assert client.post(url, {"document_type": document_type.pk, "file": upload(content)}).status_code == 302
    response = client.post(url, {"document_type": document_type.pk, "file": upload(content)})
    assert response.status_code == 409
    assert "already on file as version 1" in response.content.decode()
    assert DocumentVersion.objects.filter(document__application=application).count() == 1


def test_staff_upload_without_a_file_is_400(client):
    application = ApplicationFactory()
    client.force_login(user_with_role(roles.PROCESSOR))
    response = client.post(reverse("origination:documents-upload", args=[application.pk]), {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not DocumentVersion.objects.exists()
    assert not AuditEvent.objects.filter(verb="document.uploaded").exists()


def test_staff_request_an_extra_document(client):
    application = ApplicationFactory()
    document_type = DocumentTypeFactory(code="gift-letter")
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    url = reverse("origination:documents-request", args=[application.pk])
    assert client.post(url, {"document_type": document_type.pk}).status_code == 302
    assert Document.objects.get().document_type == document_type
    # Already on the application: no longer a choice.
    assert client.post(url, {"document_type": document_type.pk}).status_code == 400
    assert Document.objects.filter(application=application).count() == 1
    assert AuditEvent.objects.filter(verb="document.requested").count() == 1


@pytest.mark.parametrize(("role", "status"), [(roles.PROCESSOR, 302), (roles.LOAN_OFFICER, 403), (roles.CLOSER, 403)])
def test_verify_is_for_reviewers_and_clears_conditions(client, role, status):
    application = ApplicationFactory()
    version = _uploaded(application)
    tied = condition(application, version.document.document_type)
    client.force_login(user_with_role(role))
    response = client.post(reverse("origination:document-verify", args=[application.pk, version.document_id]))
    assert response.status_code == status
    tied.refresh_from_db()
    assert tied.status == ("cleared" if status == 302 else "open")


def test_verify_twice_is_409_with_the_reason(client):
    application = ApplicationFactory()
    version = _uploaded(application)
    client.force_login(user_with_role(roles.UNDERWRITER))
    url = reverse("origination:document-verify", args=[application.pk, version.document_id])
    assert client.post(url).status_code == 302
    response = client.post(url)
    assert response.status_code == 409
    assert "Only an uploaded document awaiting review can be verified" in response.content.decode()
    assert Document.objects.get(pk=version.document_id).status == "verified"
    assert AuditEvent.objects.filter(verb="document.verified").count() == 1  # the refused second one wrote none


def test_review_of_a_document_on_another_application_is_404(client):
    application = ApplicationFactory()
    version = _uploaded(ApplicationFactory())
    client.force_login(user_with_role(roles.PROCESSOR))
    url = reverse("origination:document-verify", args=[application.pk, version.document_id])
    assert client.post(url).status_code == 404
    assert Document.objects.get(pk=version.document_id).status == "uploaded"
    assert not AuditEvent.objects.filter(verb="document.verified").exists()
    url = reverse("origination:document-download", args=[application.pk, version.pk])
    assert client.get(url).status_code == 404


def test_reject_needs_a_reason_and_the_borrower_sees_it(client):
    application = borrower_application()
    document = DocumentFactory(application=application)
    _uploaded(application, actor=application.applicant, document_type=document.document_type)
    client.force_login(user_with_role(roles.PROCESSOR))
    url = reverse("origination:document-reject", args=[application.pk, document.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert "needs a reason" in response.content.decode()
    document.refresh_from_db()
    assert (document.status, document.rejection_reason) == ("uploaded", "")
    assert client.post(url, {"reason": "The statement is cut off at the bottom."}).status_code == 302
    document.refresh_from_db()
    assert (document.status, document.rejection_reason) == ("rejected", "The statement is cut off at the bottom.")
    client.force_login(application.applicant)
    body = client.get(reverse("origination_portal:documents-panel", args=[application.pk])).content.decode()
    assert "The statement is cut off at the bottom." in body


def test_staff_download_streams_the_file_as_an_attachment(client):
    application = ApplicationFactory()
    content = PNG_MAGIC + b"\x01" * 300
    version = _uploaded(application, content=content)
    client.force_login(user_with_role(roles.UNDERWRITER))
    response = client.get(reverse("origination:document-download", args=[application.pk, version.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Pay stub March.pdf" in response["Content-Disposition"]


def test_staff_panel_queries_do_not_grow_with_documents(client, django_assert_max_num_queries):
    application = ApplicationFactory()
    processor = user_with_role(roles.PROCESSOR)
    client.force_login(processor)
    url = reverse("origination:documents-panel", args=[application.pk])
    _uploaded(application, actor=processor)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(6):
        version = _uploaded(application, actor=user_with_role(roles.PROCESSOR), content=pdf_bytes(f"v{n}"))
        _uploaded(
            application,
            actor=user_with_role(roles.LOAN_OFFICER),
            content=pdf_bytes(f"w{n}"),
            document_type=version.document.document_type,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


# --- borrower --------------------------------------------------------------------------------------------


def test_borrower_panel_access(client):
    application = borrower_application()
    client.force_login(application.applicant)
    assert client.get(reverse("origination_portal:documents-panel", args=[application.pk])).status_code == 200
    other = borrower_application()
    assert client.get(reverse("origination_portal:documents-panel", args=[other.pk])).status_code == 404
    client.force_login(user_with_role(roles.PROCESSOR))
    assert client.get(reverse("origination_portal:documents-panel", args=[application.pk])).status_code == 403
    client.logout()
    assert _login_url(client.get(reverse("origination_portal:documents-panel", args=[application.pk])))
    assert _login_url(client.post(reverse("origination_portal:documents-upload", args=[application.pk])))
    assert not DocumentVersion.objects.exists()
    assert _login_url(client.get(reverse("origination_portal:document-download", args=[application.pk, 1])))


def test_borrower_panel_lists_what_is_still_needed(client):
    application = borrower_application()
    DocumentFactory(application=application, document_type=DocumentTypeFactory(code="pay-stub"))
    DocumentFactory(
        application=application,
        document_type=DocumentTypeFactory(code="photo-id"),
        status="rejected",
        rejection_reason="Expired licence",
    )
    DocumentFactory(application=application, document_type=DocumentTypeFactory(code="w-2"), status="verified")
    DocumentFactory(application=application, document_type=DocumentTypeFactory(code="title", borrower_provides=False))
    client.force_login(application.applicant)
    body = client.get(reverse("origination_portal:documents-panel", args=[application.pk])).content.decode()
    needed = body.split('data-testid="documents-needed"')[1].split("</ul>")[0]
    assert "Pay stubs" in needed
    assert "Photo ID" in needed
    assert "W-2 forms" not in needed
    assert "W-2 forms" in body  # verified: listed, no longer needed
    assert "Expired licence" in needed
    assert "Title commitment" not in body  # ordered by the lender, not asked of the borrower


def test_borrower_uploads_and_downloads_their_own_file(client):
    application = borrower_application()
    document = DocumentFactory(application=application)
    client.force_login(application.applicant)
    content = pdf_bytes("mine")
    response = client.post(
        reverse("origination_portal:documents-upload", args=[application.pk]),
        {"document_type": document.document_type_id, "file": upload(content, name="my stub.pdf")},
    )
    assert response.status_code == 302
    assert response.url == reverse("origination_portal:application", args=[application.pk])
    version = document.versions.get()
    assert (version.number, version.original_name, version.size, version.uploaded_by) == (
        1,
        "my stub.pdf",
        len(content),
        application.applicant,
    )
    document.refresh_from_db()
    assert document.status == "uploaded"
    body = client.get(reverse("origination_portal:documents-panel", args=[application.pk])).content.decode()
    url = reverse("origination_portal:document-download", args=[application.pk, version.pk])
    assert url in body
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content


def test_borrower_upload_errors_rerender_the_page(client):
    application = borrower_application()
    document = DocumentFactory(application=application)
    client.force_login(application.applicant)
    url = reverse("origination_portal:documents-upload", args=[application.pk])
    html = b"<html><script>steal()</script></html>"
    response = client.post(url, {"document_type": document.document_type_id, "file": upload(html, name="a.pdf")})
    assert response.status_code == 400
    assert "is not a PDF, PNG, JPEG, TIFF or HEIC file" in response.content.decode()
    assert not DocumentVersion.objects.exists()
    content = pdf_bytes("dup")
    client.post(url, {"document_type": document.document_type_id, "file": upload(content)})
    response = client.post(url, {"document_type": document.document_type_id, "file": upload(content)})
    assert response.status_code == 409
    # A type that was not asked for is not a choice.
    response = client.post(url, {"document_type": DocumentTypeFactory().pk, "file": upload(pdf_bytes("z"))})
    assert response.status_code == 400
    assert list(DocumentVersion.objects.values_list("document", flat=True)) == [document.pk]  # the first "dup" only


def test_borrower_cannot_download_another_borrowers_file(client):
    mine = borrower_application()
    theirs = borrower_application()
    their_document = DocumentFactory(application=theirs)
    their_version = _uploaded(theirs, actor=theirs.applicant, document_type=their_document.document_type)
    client.force_login(mine.applicant)
    for pk in (mine.pk, theirs.pk):
        url = reverse("origination_portal:document-download", args=[pk, their_version.pk])
        assert client.get(url).status_code == 404


def test_borrower_cannot_download_files_staff_uploaded(client):
    application = borrower_application()
    staff_version = _uploaded(application)
    client.force_login(application.applicant)
    url = reverse("origination_portal:document-download", args=[application.pk, staff_version.pk])
    assert client.get(url).status_code == 404


def test_borrower_panel_queries_do_not_grow_with_documents(client, django_assert_max_num_queries):
    application = borrower_application()
    borrower = application.applicant
    client.force_login(borrower)
    url = reverse("origination_portal:documents-panel", args=[application.pk])
    document = DocumentFactory(application=application)
    _uploaded(application, actor=borrower, document_type=document.document_type)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(6):
        document = DocumentFactory(application=application)
        _uploaded(application, actor=borrower, document_type=document.document_type, content=pdf_bytes(f"b{n}"))
        DocumentFactory(application=application, status="rejected", rejection_reason=f"Reason {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
