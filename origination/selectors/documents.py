"""Reads for the documents pages (selectors): every query a documents panel or download needs."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from lending.core.models import User
from origination.models import (
    AdverseActionNotice,
    Application,
    Document,
    DocumentType,
    DocumentVersion,
)


def documents_for_staff(*, application: Application) -> list[Document]:
    """Checklist with every version and who uploaded it: three queries whatever the number of rows."""
    versions = DocumentVersion.objects.select_related("uploaded_by").order_by("-number")
    return list(
        Document.objects.filter(application=application)
        .select_related("document_type", "reviewed_by")
        .prefetch_related(Prefetch("versions", queryset=versions))
        .order_by("document_type__name", "pk")
    )


def documents_for_borrower(*, application: Application, user: User) -> list[Document]:
    """What the borrower is asked for, with the files they uploaded themselves (``own_versions``)."""
    own = DocumentVersion.objects.filter(uploaded_by=user).order_by("-number")
    return list(
        Document.objects.filter(application=application, document_type__borrower_provides=True)
        .select_related("document_type")
        .prefetch_related(Prefetch("versions", queryset=own, to_attr="own_versions"))
        .order_by("document_type__name", "pk")
    )


def documents_still_needed(documents: list[Document]) -> list[Document]:
    return [d for d in documents if d.status in (Document.Status.REQUESTED, Document.Status.REJECTED)]


def document_types_requestable(*, application: Application) -> QuerySet[DocumentType]:
    return DocumentType.objects.exclude(pk__in=application.documents.values("document_type_id")).order_by("name")


def document_for_application(*, application: Application, pk: int) -> Document:
    try:
        return Document.objects.select_related("document_type").get(application=application, pk=pk)
    except Document.DoesNotExist as exc:
        raise Http404("No such document") from exc


def document_version_for_staff(*, application: Application, pk: int) -> DocumentVersion:
    try:
        return DocumentVersion.objects.select_related("document").get(document__application=application, pk=pk)
    except DocumentVersion.DoesNotExist as exc:
        raise Http404("No such file") from exc


def document_version_for_borrower(*, application: Application, user: User, pk: int) -> DocumentVersion:
    """Only files this borrower uploaded to their own application; anything else is 404."""
    try:
        return DocumentVersion.objects.select_related("document").get(
            document__application=application, document__application__applicant=user, uploaded_by=user, pk=pk
        )
    except DocumentVersion.DoesNotExist as exc:
        raise Http404("No such file") from exc


def adverse_action_notice_for(*, application: Application) -> AdverseActionNotice | None:
    """The notice of action taken sent after a denial (Reg B 1002.9), if there is one: one query."""
    return AdverseActionNotice.objects.filter(application=application).first()
