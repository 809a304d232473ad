"""Documents: the per-product checklist, uploads (sniffed, size-limited, hashed, versioned), review.

Files go through Django's default storage (settings.STORAGES["default"]): the filesystem under MEDIA_ROOT by
default, any S3-compatible bucket by configuration. They are never served from MEDIA_URL: the download views
check access and stream the file.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from lending.core.roles import RequestUser
from lending.core.services import audit_record
from origination import selectors
from origination.models import (
    Application,
    Condition,
    Document,
    DocumentType,
    DocumentVersion,
    ProductDocument,
)
from origination.tasks import notify_documents_requested

REVIEW_ROLES = (roles.PROCESSOR, roles.UNDERWRITER, roles.MANAGER)
# No new files once the file is over: the record stays as it was decided.
CLOSED_TO_UPLOADS = ("withdrawn", "denied", "funded")


class DocumentError(Exception):
    """An action on a document that cannot happen as asked; the message says why, for people."""


class UploadRefused(DocumentError):
    """The file itself is not acceptable (type, size, empty)."""


class DuplicateUpload(DocumentError):
    """The file is byte-for-byte the latest version already on file."""


# --- content sniffing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileKind:
    content_type: str
    label: str


_MAGIC = (
    (b"%PDF-", FileKind("application/pdf", "PDF")),
    (b"\x89PNG\r\n\x1a\n", FileKind("image/png", "PNG image")),
    (b"\xff\xd8\xff", FileKind("image/jpeg", "JPEG image")),
    (b"II*\x00", FileKind("image/tiff", "TIFF image")),
    (b"MM\x00*", FileKind("image/tiff", "TIFF image")),
)
# HEIF/HEIC (phone photos): an ISO-BMFF "ftyp" box at offset 4 whose major brand names the codec.
_HEIF_BRANDS = {
    b"heic": FileKind("image/heic", "HEIC image"),
    b"heix": FileKind("image/heic", "HEIC image"),
    b"heim": FileKind("image/heic", "HEIC image"),
    b"heis": FileKind("image/heic", "HEIC image"),
    b"hevc": FileKind("image/heic", "HEIC image"),
    b"hevx": FileKind("image/heic", "HEIC image"),
    b"mif1": FileKind("image/heif", "HEIF image"),
}
ACCEPTED_LABEL = "PDF, PNG, JPEG, TIFF or HEIC"
SNIFF_BYTES = 16


def sniff_file_kind(head: bytes) -> FileKind | None:
    """What the file really is, from its first bytes (magic numbers); None when it is not an accepted kind."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[4:8] == b"ftyp":
        return _HEIF_BRANDS.get(head[8:12])
    return None


def _clean_original_name(name: str | None) -> str:
    # Kept for display and the download's file name only; the stored name is the content hash.
    base = PurePath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return (base or "document")[:255]


@dataclass(frozen=True)
class _Inspected:
    kind: FileKind
    sha256: str
    size: int


def _inspect(uploaded_file: UploadedFile[bytes], max_bytes: int) -> _Inspected:
    """Sniff, measure and hash the file in one streaming pass (never the whole file in memory)."""
    digest = hashlib.sha256()
    head = b""
    size = 0
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        size += len(chunk)
        if size > max_bytes:
            raise UploadRefused(f"The file is larger than the {filesizeformat(max_bytes)} limit.")
        digest.update(chunk)
    if size == 0:
        raise UploadRefused("The file is empty.")
    kind = sniff_file_kind(head)
    if kind is None:
        raise UploadRefused(
            f"This file is not a {ACCEPTED_LABEL} file (whatever its name says). Upload a scan or photo."
        )
    uploaded_file.seek(0)
    return _Inspected(kind=kind, sha256=digest.hexdigest(), size=size)


def upload_inspect(uploaded_file: UploadedFile[bytes]) -> tuple[FileKind, str, int, str]:
    """The checks ``document_upload`` makes on a file, for other uploads of a borrower's papers (servicing's loss
    mitigation documents): the declared and the real size against LENDING_DOCUMENT_MAX_BYTES, the real type,
    not empty. Returns (kind, SHA-256, size, cleaned original name); raises ``UploadRefused``."""
    max_bytes = settings.LENDING_DOCUMENT_MAX_BYTES
    if uploaded_file.size is not None and uploaded_file.size > max_bytes:
        raise UploadRefused(f"The file is larger than the {filesizeformat(max_bytes)} limit.")
    inspected = _inspect(uploaded_file, max_bytes)
    return inspected.kind, inspected.sha256, inspected.size, _clean_original_name(uploaded_file.name)


# --- who may do what ------------------------------------------------------------------------------------


def can_review_documents(user: RequestUser | None) -> bool:
    return roles.has_role(user, *REVIEW_ROLES)


def _is_applicant(user: RequestUser, application: Application) -> bool:
    return roles.is_borrower(user) and application.applicant_id == user.pk


def _require_staff(actor: User | None) -> None:
    if not selectors.can_work_applications(actor):
        raise PermissionDenied("Documents are managed by origination staff.")


def _require_reviewer(actor: User | None) -> None:
    if not can_review_documents(actor):
        raise PermissionDenied("Only a processor, underwriter or manager may review documents.")


# --- writes ---------------------------------------------------------------------------------------------


def _enqueue_documents_requested(application_id: int) -> None:
    transaction.on_commit(lambda: notify_documents_requested.delay(application_id))


@transaction.atomic
def documents_request_checklist(*, application: Application, actor: User | None) -> list[Document]:
    """Ask for every document on the product's checklist that the application does not have yet. Idempotent."""
    # Lock the application so two callers cannot both create the same rows.
    Application.objects.select_for_update().filter(pk=application.pk).values_list("pk").first()
    existing = set(Document.objects.filter(application=application).values_list("document_type_id", flat=True))
    checklist = (
        ProductDocument.objects.filter(product_id=application.product_id)
        .select_related("document_type")
        .order_by("document_type__name", "pk")
    )
    wanted = [item.document_type for item in checklist if item.document_type_id not in existing]
    if not wanted:
        return []
    created = Document.objects.bulk_create(
        [Document(application=application, document_type=dt, status=Document.Status.REQUESTED) for dt in wanted]
    )
    audit_record(
        actor=actor,
        verb="documents.requested",
        target=application,
        after={"document_types": [dt.code for dt in wanted]},
        note="Product checklist",
    )
    if any(dt.borrower_provides for dt in wanted):
        _enqueue_documents_requested(application.pk)
    return created


@transaction.atomic
def document_request(*, actor: User, application: Application, document_type: DocumentType) -> Document:
    """Staff ask for one more document beyond the product checklist."""
    _require_staff(actor)
    document, created = Document.objects.get_or_create(
        application=application, document_type=document_type, defaults={"status": Document.Status.REQUESTED}
    )
    if not created:
        raise DocumentError(f"{document_type} is already on this application ({document.get_status_display()}).")
    audit_record(
        actor=actor,
        verb="document.requested",
        target=document,
        after={"status": document.status, "document_type": document_type.code},
    )
    if document_type.borrower_provides:
        _enqueue_documents_requested(application.pk)
    return document


def _document_for_upload(*, actor: User, application: Application, document_type: DocumentType) -> Document:
    """The document row the upload goes to, locked; borrowers may only answer what was asked of them."""
    if _is_applicant(actor, application):
        document = (
            Document.objects.select_for_update()
            .select_related("document_type")
            .filter(application=application, document_type=document_type)
            .first()
        )
        if document is None or not document_type.borrower_provides:
            raise DocumentError(f"We have not asked you for {document_type}.")
        if document.status == Document.Status.VERIFIED:
            raise DocumentError(f"{document_type} is already verified; nothing more is needed.")
        return document
    _require_staff(actor)
    document, _ = Document.objects.get_or_create(
        application=application, document_type=document_type, defaults={"status": Document.Status.REQUESTED}
    )
    return Document.objects.select_for_update().select_related("document_type").get(pk=document.pk)


@transaction.atomic
def document_upload(
    *, actor: User, application: Application, document_type: DocumentType, uploaded_file: UploadedFile[bytes]
) -> DocumentVersion:
    """Store a new version of a document: real type sniffed, size limited, SHA-256 recorded; status -> uploaded.

    Raises PermissionDenied (not the borrower's application, not staff), UploadRefused (type, size, empty),
    DuplicateUpload (same bytes as the latest version) or DocumentError (not asked for, already verified, closed).
    """
    if not _is_applicant(actor, application) and not selectors.can_work_applications(actor):
        raise PermissionDenied("You may not add documents to this application.")
    if application.status in CLOSED_TO_UPLOADS:
        raise DocumentError(f"This application is {application.get_status_display().lower()}; it takes no new files.")
    max_bytes = settings.LENDING_DOCUMENT_MAX_BYTES
    # The declared size is checked first so an oversized file is refused without reading it.
    if uploaded_file.size is not None and uploaded_file.size > max_bytes:
        raise UploadRefused(f"The file is larger than the {filesizeformat(max_bytes)} limit.")
    inspected = _inspect(uploaded_file, max_bytes)

    document = _document_for_upload(actor=actor, application=application, document_type=document_type)
    latest = document.versions.order_by("-number").first()
    if latest is not None and latest.sha256 == inspected.sha256:
        raise DuplicateUpload(f"This file is already on file as version {latest.number} of {document_type}.")

    version = DocumentVersion(
        document=document,
        number=(latest.number if latest else 0) + 1,
        original_name=_clean_original_name(uploaded_file.name),
        content_type=inspected.kind.content_type,
        size=inspected.size,
        sha256=inspected.sha256,
        uploaded_by=actor,
    )
    version.file.save(inspected.sha256, uploaded_file, save=False)
    try:
        version.save()
        before = {"status": document.status}
        document.status = Document.Status.UPLOADED
        document.rejection_reason = ""
        document.reviewed_by = None
        document.reviewed_at = None
        document.save(update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at"])
        audit_record(
            actor=actor,
            verb="document.uploaded",
            target=document,
            before=before,
            after={
                "status": document.status,
                "version": version.number,
                "sha256": version.sha256,
                "size": version.size,
                "content_type": version.content_type,
            },
        )
    except BaseException:
        version.file.delete(save=False)  # nothing half-applied: no stored file without its row
        raise
    return version


def _lock_for_review(document: Document) -> Document:
    return Document.objects.select_for_update().select_related("document_type").get(pk=document.pk)


@transaction.atomic
def document_verify(*, actor: User, document: Document) -> Document:
    """Accept the latest version; clear every open condition on the application tied to this document type.

    Returns the locked, updated document; its ``cleared_conditions`` lists the conditions cleared.
    """
    _require_reviewer(actor)
    document = _lock_for_review(document)
    if document.status != Document.Status.UPLOADED:
        raise DocumentError(
            f"Only an uploaded document awaiting review can be verified; {document.document_type} is "
            f"{document.get_status_display().lower()}."
        )
    latest = document.versions.order_by("-number").first()
    now = timezone.now()
    document.status = Document.Status.VERIFIED
    document.reviewed_by = actor
    document.reviewed_at = now
    document.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    audit_record(
        actor=actor,
        verb="document.verified",
        target=document,
        before={"status": Document.Status.UPLOADED},
        after={"status": document.status, "version": latest.number if latest else None},
    )
    cleared = []
    note = f"Cleared by verifying {document.document_type} (version {latest.number if latest else '-'})."
    conditions = (
        Condition.objects.filter(
            application_id=document.application_id,
            document_type_id=document.document_type_id,
            status=Condition.Status.OPEN,
        )
        .order_by("pk")
        .select_for_update()
    )
    for condition in conditions:
        condition.status = Condition.Status.CLEARED
        condition.cleared_by = actor
        condition.cleared_at = now
        condition.clearing_note = note
        condition.save(update_fields=["status", "cleared_by", "cleared_at", "clearing_note"])
        audit_record(
            actor=actor,
            verb="condition.cleared",
            target=condition,
            before={"status": Condition.Status.OPEN},
            after={"status": condition.status, "document": document.pk},
            note=note,
        )
        cleared.append(condition)
    document.cleared_conditions = cleared
    return document


@transaction.atomic
def document_reject(*, actor: User, document: Document, reason: str) -> Document:
    """Send the latest upload back with a reason the borrower sees; the borrower is told by email."""
    _require_reviewer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError("Say why the document is rejected: the borrower sees the reason.")
    document = _lock_for_review(document)
    if document.status != Document.Status.UPLOADED:
        raise DocumentError(
            f"Only an uploaded document awaiting review can be rejected; {document.document_type} is "
            f"{document.get_status_display().lower()}."
        )
    document.status = Document.Status.REJECTED
    document.rejection_reason = reason
    document.reviewed_by = actor
    document.reviewed_at = timezone.now()
    document.save(update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at"])
    audit_record(
        actor=actor,
        verb="document.rejected",
        target=document,
        before={"status": Document.Status.UPLOADED},
        after={"status": document.status},
        note=reason,
    )
    if document.document_type.borrower_provides:
        _enqueue_documents_requested(document.application_id)
    return document
