"""Closing reads: the closing documents, the signing and the funding, for the workspace panel."""

from __future__ import annotations

from origination.models import Application, ClosingDocument, ClosingSignature, Funding


def closing_documents_for(application: Application) -> list[ClosingDocument]:
    """The application's closing documents, newest first, with who generated them (one query). The newest of
    each kind is marked ``is_current``; older ones were superseded by a later generation."""
    documents = list(application.closing_documents.select_related("generated_by").order_by("-generated_at", "-id"))
    seen: set[str] = set()
    for document in documents:
        document.is_current = document.kind not in seen
        seen.add(document.kind)
    return documents


def funding_for(application: Application) -> Funding | None:
    return Funding.objects.filter(application=application).select_related("funded_by").first()


def signature_for(application: Application) -> ClosingSignature | None:
    return ClosingSignature.objects.filter(application=application).select_related("recorded_by").first()
