"""Document test helpers: files with real magic bytes, requested documents, conditions."""

from __future__ import annotations

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from lending.core import roles
from origination.models import Condition, Document
from tests.core.factories import UserFactory, user_with_role
from tests.origination.factories import ApplicationFactory, DocumentTypeFactory

PDF_MAGIC = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG_MAGIC = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
TIFF_MAGIC = b"II*\x00\x08\x00\x00\x00"
HEIC_MAGIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"
EXE_MAGIC = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
HTML_BYTES = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def pdf_bytes(tag: str = "page", size: int = 0) -> bytes:
    body = PDF_MAGIC + f"1 0 obj << /Title ({tag}) >> endobj\n".encode()
    return body + b"0" * max(0, size - len(body) - 6) + b"%%EOF\n"


def upload(content: bytes, name: str = "statement.pdf", content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def borrower_application(**kwargs):
    """A submitted-looking application owned by a borrower account."""
    return ApplicationFactory(applicant=kwargs.pop("applicant", None) or user_with_role(roles.BORROWER), **kwargs)


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    application = factory.SubFactory(ApplicationFactory)
    document_type = factory.SubFactory(DocumentTypeFactory)
    status = Document.Status.REQUESTED


def condition(application, document_type=None, *, status=Condition.Status.OPEN, stage="prior_to_approval"):
    return Condition.objects.create(
        application=application,
        document_type=document_type,
        stage=stage,
        description=f"Provide {document_type or 'something'}",
        status=status,
        created_by=UserFactory(),
    )
