"""Storing what the servicer sends a borrower (``BorrowerDocument``), and choosing how it reaches them.

Every statement, escrow statement, notice and 1098 is rendered to PDF by its own service and stored here, one
version at a time: the bytes are hashed and kept as they are, and a document is never overwritten. Delivery follows
the borrower's e-consent (Reg Z 1026.41(c) and E-SIGN): with it, an email that links to the portal (never the PDF
attached: it carries personal data); without it, paper, collected into the daily print batch.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max

from lending.core.models import User
from lending.core.services import audit_record
from servicing.models import BorrowerDocument, LoanAccount


def pdf_pages(pdf: bytes) -> int:
    """How many pages ``pdf`` has (pypdf reads the page tree only)."""
    from pypdf import PdfReader  # only where a PDF is stored

    return len(PdfReader(io.BytesIO(pdf)).pages)


def delivery_for(loan: LoanAccount) -> str:
    """Email when the borrower has a portal account and gave e-consent on their application; paper otherwise (a
    transferred loan has no application here: paper until the borrower consents)."""
    application = loan.application
    if loan.borrower_id is not None and application is not None and application.econsent_at is not None:
        return BorrowerDocument.Delivery.EMAIL
    return BorrowerDocument.Delivery.PAPER


def document_existing(*, loan: LoanAccount, kind: str, key: str) -> BorrowerDocument | None:
    """The latest version of ``loan``'s ``kind`` document about ``key``, if one was made."""
    return BorrowerDocument.objects.filter(loan=loan, kind=kind, key=key).order_by("-version").first()


@transaction.atomic
def document_store(
    *,
    loan: LoanAccount,
    kind: str,
    key: str,
    title: str,
    document_date: date,
    pdf: bytes,
    actor: User | None,
    new_version: bool = False,
) -> BorrowerDocument:
    """Store ``pdf`` as ``loan``'s ``kind`` document about ``key``, audited. Idempotent: when that document exists
    already it is returned unchanged, unless ``new_version`` asks for a regenerated one (stored beside the old,
    which stays as the borrower received it)."""
    existing = document_existing(loan=loan, kind=kind, key=key)
    if existing is not None and not new_version:
        return existing
    version = (BorrowerDocument.objects.filter(loan=loan, kind=kind, key=key).aggregate(v=Max("version"))["v"] or 0) + 1
    document = BorrowerDocument(
        loan=loan,
        kind=kind,
        key=key,
        version=version,
        title=title[:200],
        document_date=document_date,
        sha256=hashlib.sha256(pdf).hexdigest(),
        pages=pdf_pages(pdf),
        created_by=actor if actor is not None and actor.pk else None,
        delivery=delivery_for(loan),
    )
    document.file.save(f"{kind}.pdf", ContentFile(pdf), save=False)
    document.save()
    audit_record(
        actor=actor,
        verb="document.stored",
        target=document,
        after={
            "loan": loan.loan_number,
            "kind": kind,
            "key": key,
            "version": version,
            "sha256": document.sha256,
            "delivery": document.delivery,
        },
    )
    return document
