"""Document services: sniffing, size limit, SHA-256, versions, duplicates, checklist, verify and reject."""

import hashlib
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from lending.core import roles
from lending.core.models import AuditEvent
from origination.models import Condition, Document, DocumentType, DocumentVersion
from origination.selectors import documents as document_reads
from origination.services import documents as service
from origination.services.workflow import application_transition
from tests.core.factories import user_with_role
from tests.origination.factories import (
    ApplicationFactory,
    DocumentTypeFactory,
    ProductDocumentFactory,
    complete_application,
)
from tests.origination.factories_documents import (
    EXE_MAGIC,
    HEIC_MAGIC,
    HTML_BYTES,
    JPEG_MAGIC,
    PNG_MAGIC,
    TIFF_MAGIC,
    DocumentFactory,
    borrower_application,
    condition,
    pdf_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def processor():
    return user_with_role(roles.PROCESSOR)


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (pdf_bytes(), "application/pdf"),
        (PNG_MAGIC, "image/png"),
        (JPEG_MAGIC, "image/jpeg"),
        (TIFF_MAGIC, "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        (HEIC_MAGIC, "image/heic"),
    ],
)
def test_accepted_kinds_are_recognised_by_their_bytes(head, content_type):
    assert service.sniff_file_kind(head).content_type == content_type


@pytest.mark.parametrize("head", [EXE_MAGIC, HTML_BYTES, b"PK\x03\x04zipfile", b"plain text", b""])
def test_other_kinds_are_not(head):
    assert service.sniff_file_kind(head) is None


@pytest.mark.parametrize(
    ("content", "name"),
    [(EXE_MAGIC + b"\x00" * 200, "paystub.pdf"), (HTML_BYTES, "w2.pdf"), (b"%PD", "short.pdf")],
)
def test_a_renamed_executable_or_html_file_is_refused_and_nothing_is_stored(media_root, processor, content, name):
    application = ApplicationFactory()
    document_type = DocumentTypeFactory(code="pay-stub")
    with pytest.raises(service.UploadRefused, match="not a PDF, PNG, JPEG, TIFF or HEIC file"):
        service.document_upload(
            actor=processor,
            application=application,
            document_type=document_type,
            uploaded_file=upload(content, name=name, content_type="application/pdf"),
        )
    assert DocumentVersion.objects.count() == 0
    assert _stored_files(media_root) == []


def test_empty_file_is_refused(processor):
    with pytest.raises(service.UploadRefused, match="empty"):
        service.document_upload(
            actor=processor,
            application=ApplicationFactory(),
            document_type=DocumentTypeFactory(),
            uploaded_file=upload(b""),
        )


def test_size_limit_comes_from_settings(settings, media_root, processor):
    settings.LENDING_DOCUMENT_MAX_BYTES = 2048
    application, document_type = ApplicationFactory(), DocumentTypeFactory()
    with pytest.raises(service.UploadRefused, match=re.escape("larger than the 2.0\xa0KB limit")):
        service.document_upload(
            actor=processor,
            application=application,
            document_type=document_type,
            uploaded_file=upload(pdf_bytes(size=2049)),
        )
    assert DocumentVersion.objects.count() == 0
    assert _stored_files(media_root) == []
    version = service.document_upload(
        actor=processor,
        application=application,
        document_type=document_type,
        uploaded_file=upload(pdf_bytes(size=2048)),
    )
    assert version.size == 2048


def test_default_limit_is_15_mib():
    from django.conf import settings

    assert settings.LENDING_DOCUMENT_MAX_BYTES == 15 * 1024 * 1024


def test_upload_stores_hash_sniffed_type_and_a_random_name(media_root, processor):
    application = ApplicationFactory()
    document_type = DocumentTypeFactory(code="photo-id")
    content = PNG_MAGIC + b"\x00" * 500
    version = service.document_upload(
        actor=processor,
        application=application,
        document_type=document_type,
        uploaded_file=upload(content, name="../../etc/My ID.jpg", content_type="text/html"),
    )
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert version.content_type == "image/png"  # from the bytes, not the browser or the extension
    assert version.size == len(content)
    assert version.original_name == "My ID.jpg"
    assert re.fullmatch(rf"documents/{application.pk}/[0-9a-f]{{32}}", version.file.name)
    with version.file.open("rb") as stored:
        assert stored.read() == content
    assert [p.parent for p in _stored_files(media_root)] == [media_root / "documents" / str(application.pk)]
    document = version.document
    assert (document.status, version.number, version.uploaded_by) == ("uploaded", 1, processor)
    event = AuditEvent.objects.get(verb="document.uploaded")
    assert event.after["sha256"] == version.sha256
    assert event.before == {"status": "requested"}


def test_versions_increment_and_a_new_upload_reopens_review(processor):
    application = ApplicationFactory()
    document = DocumentFactory(application=application, status="rejected", rejection_reason="Blurry")
    first = service.document_upload(
        actor=processor,
        application=application,
        document_type=document.document_type,
        uploaded_file=upload(pdf_bytes("one")),
    )
    second = service.document_upload(
        actor=processor,
        application=application,
        document_type=document.document_type,
        uploaded_file=upload(pdf_bytes("two")),
    )
    assert (first.number, second.number) == (1, 2)
    document.refresh_from_db()
    assert (document.status, document.rejection_reason) == ("uploaded", "")
    assert list(document.versions.values_list("number", flat=True)) == [2, 1]


def test_the_same_file_as_the_latest_version_is_refused(media_root, processor):
    application = ApplicationFactory()
    document_type = DocumentTypeFactory()
    content = pdf_bytes("same")
    service.document_upload(
        actor=processor, application=application, document_type=document_type, uploaded_file=upload(content)
    )
    with pytest.raises(service.DuplicateUpload, match="already on file as version 1"):
        service.document_upload(
            actor=processor,
            application=application,
            document_type=document_type,
            uploaded_file=upload(content, name="renamed.pdf"),
        )
    assert DocumentVersion.objects.count() == 1
    assert len(_stored_files(media_root)) == 1


def test_borrower_uploads_only_what_was_asked_on_their_own_application():
    application = borrower_application()
    borrower = application.applicant
    asked = DocumentFactory(application=application, document_type=DocumentTypeFactory(code="w-2"))
    lender_side = DocumentFactory(
        application=application, document_type=DocumentTypeFactory(code="appraisal", borrower_provides=False)
    )
    version = service.document_upload(
        actor=borrower, application=application, document_type=asked.document_type, uploaded_file=upload(pdf_bytes())
    )
    assert version.uploaded_by == borrower
    with pytest.raises(service.DocumentError, match="not asked you"):
        service.document_upload(
            actor=borrower,
            application=application,
            document_type=DocumentTypeFactory(code="tax-return"),
            uploaded_file=upload(pdf_bytes("t")),
        )
    with pytest.raises(service.DocumentError, match="not asked you"):
        service.document_upload(
            actor=borrower,
            application=application,
            document_type=lender_side.document_type,
            uploaded_file=upload(pdf_bytes("a")),
        )
    with pytest.raises(PermissionDenied):
        service.document_upload(
            actor=user_with_role(roles.BORROWER),
            application=application,
            document_type=asked.document_type,
            uploaded_file=upload(pdf_bytes("x")),
        )
    with pytest.raises(PermissionDenied):
        service.document_upload(
            actor=user_with_role(roles.SERVICER),
            application=application,
            document_type=asked.document_type,
            uploaded_file=upload(pdf_bytes("y")),
        )


def test_borrower_cannot_replace_a_verified_document(processor):
    application = borrower_application()
    document = DocumentFactory(application=application, status="verified")
    with pytest.raises(service.DocumentError, match="already verified"):
        service.document_upload(
            actor=application.applicant,
            application=application,
            document_type=document.document_type,
            uploaded_file=upload(pdf_bytes()),
        )


def test_a_withdrawn_application_takes_no_new_files(processor):
    application = ApplicationFactory(status="withdrawn")
    with pytest.raises(service.DocumentError, match="withdrawn"):
        service.document_upload(
            actor=processor,
            application=application,
            document_type=DocumentTypeFactory(),
            uploaded_file=upload(pdf_bytes()),
        )


def test_checklist_is_requested_once_and_borrower_is_emailed(django_capture_on_commit_callbacks, processor):
    application = borrower_application()
    for code, provides in (("pay-stub", True), ("bank-statement", True), ("appraisal", False)):
        ProductDocumentFactory(
            product=application.product, document_type=DocumentTypeFactory(code=code, borrower_provides=provides)
        )
    with django_capture_on_commit_callbacks(execute=True):
        created = service.documents_request_checklist(application=application, actor=processor)
    assert sorted(d.document_type.code for d in created) == ["appraisal", "bank-statement", "pay-stub"]
    assert set(Document.objects.values_list("status", flat=True)) == {"requested"}
    assert AuditEvent.objects.get(verb="documents.requested").after == {
        "document_types": ["appraisal", "bank-statement", "pay-stub"]
    }
    [email] = mail.outbox
    assert email.to == [application.applicant.email]
    assert "Pay stubs" in email.body
    assert "Bank statements" in email.body
    assert "Appraisal" not in email.body  # the lender orders it
    with django_capture_on_commit_callbacks(execute=True):
        assert service.documents_request_checklist(application=application, actor=processor) == []
    assert Document.objects.count() == 3
    assert len(mail.outbox) == 1


def test_submitting_requests_the_checklist(django_capture_on_commit_callbacks):
    borrower = user_with_role(roles.BORROWER)
    application = complete_application(applicant=borrower)
    ProductDocumentFactory(product=application.product, document_type=DocumentTypeFactory(code="w-2"))
    with django_capture_on_commit_callbacks(execute=True):
        application_transition(application=application, name="submit", actor=borrower)
    document = Document.objects.get(application=application)
    assert (document.document_type.code, document.status) == ("w-2", "requested")
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        f"Application {application.number}: documents we need from you",
        f"Application {application.number}: submitted",
    ]


def test_staff_request_one_more_document(django_capture_on_commit_callbacks, processor):
    application = borrower_application()
    document_type = DocumentTypeFactory(code="gift-letter")
    with django_capture_on_commit_callbacks(execute=True):
        document = service.document_request(actor=processor, application=application, document_type=document_type)
    assert document.status == "requested"
    assert "Gift Letter" in mail.outbox[0].body
    with pytest.raises(service.DocumentError, match="already on this application"):
        service.document_request(actor=processor, application=application, document_type=document_type)
    with pytest.raises(PermissionDenied):
        service.document_request(
            actor=user_with_role(roles.COLLECTOR), application=application, document_type=DocumentTypeFactory()
        )


def test_verify_clears_every_open_condition_tied_to_the_type(processor):
    application = ApplicationFactory()
    w2, bank = DocumentTypeFactory(code="w-2"), DocumentTypeFactory(code="bank-statement")
    version = service.document_upload(
        actor=processor, application=application, document_type=w2, uploaded_file=upload(pdf_bytes())
    )
    tied = [condition(application, w2), condition(application, w2, stage="prior_to_funding")]
    waived = condition(application, w2, status=Condition.Status.WAIVED)
    other_type = condition(application, bank)
    untyped = condition(application)
    other_application = condition(ApplicationFactory(), w2)

    document = service.document_verify(actor=processor, document=version.document)

    assert (document.status, document.reviewed_by) == ("verified", processor)
    assert document.reviewed_at is not None
    assert sorted(c.pk for c in document.cleared_conditions) == sorted(c.pk for c in tied)
    for row in tied:
        row.refresh_from_db()
        assert (row.status, row.cleared_by) == ("cleared", processor)
        assert "Cleared by verifying W-2 forms (version 1)" in row.clearing_note
    for row, status in ((waived, "waived"), (other_type, "open"), (untyped, "open"), (other_application, "open")):
        row.refresh_from_db()
        assert row.status == status
    assert AuditEvent.objects.filter(verb="condition.cleared").count() == 2
    assert AuditEvent.objects.filter(verb="document.verified").count() == 1


def test_verify_needs_an_upload_and_a_reviewer_role(processor):
    document = DocumentFactory()
    with pytest.raises(service.DocumentError, match="Only an uploaded document"):
        service.document_verify(actor=processor, document=document)
    for role in (roles.LOAN_OFFICER, roles.CLOSER, roles.BORROWER):
        with pytest.raises(PermissionDenied):
            service.document_verify(actor=user_with_role(role), document=document)


@pytest.mark.parametrize("role", [roles.PROCESSOR, roles.UNDERWRITER, roles.MANAGER])
def test_reviewer_roles_may_verify(role):
    reviewer = user_with_role(role)
    version = service.document_upload(
        actor=reviewer,
        application=ApplicationFactory(),
        document_type=DocumentTypeFactory(),
        uploaded_file=upload(pdf_bytes()),
    )
    assert service.document_verify(actor=reviewer, document=version.document).status == "verified"


def test_reject_requires_a_reason_which_the_borrower_gets(django_capture_on_commit_callbacks, processor):
    application = borrower_application()
    document = DocumentFactory(application=application, document_type=DocumentTypeFactory(code="bank-statement"))
    service.document_upload(
        actor=application.applicant,
        application=application,
        document_type=document.document_type,
        uploaded_file=upload(pdf_bytes()),
    )
    for blank in ("", "   "):
        with pytest.raises(service.DocumentError, match="Say why"):
            service.document_reject(actor=processor, document=document, reason=blank)
    document.refresh_from_db()
    assert document.status == "uploaded"
    with django_capture_on_commit_callbacks(execute=True):
        rejected = service.document_reject(actor=processor, document=document, reason="  Page 2 is missing. ")
    assert (rejected.status, rejected.rejection_reason) == ("rejected", "Page 2 is missing.")
    assert AuditEvent.objects.get(verb="document.rejected").note == "Page 2 is missing."
    [email] = mail.outbox
    assert email.to == [application.applicant.email]
    assert "Page 2 is missing." in email.body
    with pytest.raises(service.DocumentError, match="Only an uploaded document"):
        service.document_reject(actor=processor, document=document, reason="again")


def test_the_standard_document_types_are_installed():
    provided = dict(DocumentType.objects.values_list("code", "borrower_provides"))
    for code in ("pay-stub", "w-2", "bank-statement", "tax-return", "photo-id", "purchase-contract", "insurance"):
        assert provided[code] is True, code
    assert provided["appraisal"] is False
    assert provided["title"] is False


def test_still_needed_is_requested_and_rejected():
    application = ApplicationFactory()
    rows = [
        DocumentFactory(application=application, status=status, rejection_reason="why" if status == "rejected" else "")
        for status in ("requested", "uploaded", "verified", "rejected")
    ]
    needed = document_reads.documents_still_needed(rows)
    assert [d.status for d in needed] == ["requested", "rejected"]
