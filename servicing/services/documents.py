"""Storing what the servicer sends a borrower (``BorrowerDocument``), and choosing how it reaches them.

Every statement, escrow statement, notice and 1098 is rendered to PDF by its own service and stored here, one
version at a time: the bytes are hashed and kept as they are, and a document is never overwritten. Delivery follows
the borrower's e-consent (Reg Z 1026.41(c) and E-SIGN): with it, an email that links to the portal (never the PDF
attached: it carries personal data); without it, paper, collected into the daily print batch
(``servicing.services.print_batches``).

A newly stored email document is delivered after commit by a Celery task (``servicing.tasks.document_deliver``,
calling ``document_email``): one email naming the borrower and the document's title, with the portal link, and
nothing else (no loan number, no figures, no attachment). ``document_resend`` (the admin's "Resend") emails it
again, or puts a paper one back in the queue of the next print batch.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date
from typing import Any, NamedTuple

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from lending.core.models import User
from lending.core.services import audit_record, audit_record_each
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
    pages: int | None = None,
) -> BorrowerDocument:
    """Store ``pdf`` as ``loan``'s ``kind`` document about ``key``, audited. Idempotent: when that document exists
    already it is returned unchanged, unless ``new_version`` asks for a regenerated one (stored beside the old,
    which stays as the borrower received it). ``pages`` is the PDF's page count when the caller rendered it and knows
    it (reading it back from the PDF costs a statement run a few per cent); counted from the PDF otherwise."""
    with transaction.atomic():
        existing = document_existing(loan=loan, kind=kind, key=key)
        if existing is not None and not new_version:
            return existing
        version = existing.version + 1 if existing is not None else 1  # the latest version: one more
        item = DocumentToStore(loan, kind, key, title, document_date, pdf, pages)
        document = _new_document(item, version=version, actor=actor)
        document.save()
        audit_record(actor=actor, verb="document.stored", target=document, after=_stored(document))
        _deliver_if_emailed(document)
        return document


class DocumentToStore(NamedTuple):
    """One document for ``documents_store_many``: ``document_store``'s arguments."""

    loan: LoanAccount
    kind: str
    key: str
    title: str
    document_date: date
    pdf: bytes
    pages: int | None = None


def documents_store_many(*, documents: list[DocumentToStore], actor: User | None) -> list[BorrowerDocument]:
    """``document_store`` for many documents at once (a chunk of statements), in the order given: a document stored
    already (or earlier in the list) is returned unchanged, the others are stored as their version 1 and audited
    alike. One query finds those stored, one INSERT writes the new rows and one their audit rows, where one at a
    time cost five round trips a document (a tenth of a statement made, with its savepoint)."""
    with transaction.atomic():
        found = _latest_versions(documents)
        new: list[BorrowerDocument] = []
        for item in documents:
            if (item.loan.pk, item.kind, item.key) not in found:
                document = found[item.loan.pk, item.kind, item.key] = _new_document(item, version=1, actor=actor)
                new.append(document)
        BorrowerDocument.objects.bulk_create(new)
        audit_record_each(actor=actor, verb="document.stored", targets=new, afters=[_stored(d) for d in new])
        for document in new:
            _deliver_if_emailed(document)
        return [found[item.loan.pk, item.kind, item.key] for item in documents]


def _latest_versions(documents: list[DocumentToStore]) -> dict[tuple[int, str, str], BorrowerDocument]:
    """The latest version stored of each of ``documents``, by loan id, kind and key."""
    latest: dict[tuple[int, str, str], BorrowerDocument] = {}
    stored = BorrowerDocument.objects.filter(
        loan_id__in={item.loan.pk for item in documents},
        kind__in={item.kind for item in documents},
        key__in={item.key for item in documents},
    ).order_by("version")
    for document in stored:
        latest[document.loan_id, document.kind, document.key] = document
    return latest


def _new_document(item: DocumentToStore, *, version: int, actor: User | None) -> BorrowerDocument:
    """``item`` as version ``version`` of its document, its file written to storage (the row is not saved)."""
    document = BorrowerDocument(
        loan=item.loan,
        kind=item.kind,
        key=item.key,
        version=version,
        title=item.title[:200],
        document_date=item.document_date,
        sha256=hashlib.sha256(item.pdf).hexdigest(),
        pages=pdf_pages(item.pdf) if item.pages is None else item.pages,
        created_by=actor if actor is not None and actor.pk else None,
        delivery=delivery_for(item.loan),
    )
    document.file.save(f"{item.kind}.pdf", ContentFile(item.pdf), save=False)
    return document


def _stored(document: BorrowerDocument) -> dict[str, Any]:
    """The audit row's ``after`` of a document stored."""
    return {
        "loan": document.loan.loan_number,
        "kind": document.kind,
        "key": document.key,
        "version": document.version,
        "sha256": document.sha256,
        "delivery": document.delivery,
    }


def _deliver_if_emailed(document: BorrowerDocument) -> None:
    if document.delivery == BorrowerDocument.Delivery.EMAIL:
        document_deliver_later(document.pk)


def document_deliver_later(document_id: int) -> None:
    """Email the document once the transaction that stored it has committed (a rollback sends nothing)."""
    from servicing import tasks  # tasks import the services: import them here, not at module level

    transaction.on_commit(lambda: tasks.document_deliver.delay(document_id))


def document_portal_url(document: BorrowerDocument) -> str:
    """The document's download address in the portal, absolute (the borrower signs in first)."""
    return f"{settings.LENDING_SITE_URL.rstrip('/')}{reverse('portal-document', args=[document.pk])}"


def borrower_display_name(loan: LoanAccount) -> str:
    """The name a letter or an email greets: the booked borrower name, else the portal account's name."""
    if loan.borrower_name:
        return loan.borrower_name
    borrower = loan.borrower
    return (borrower.get_full_name() or borrower.email) if borrower is not None else "Borrower"


def _email_address(loan: LoanAccount) -> str:
    borrower = loan.borrower
    return borrower.email if borrower is not None and borrower.is_active and borrower.email else ""


def _send_email(document: BorrowerDocument, to: str) -> None:
    """The notification: the borrower's name, the title and the link only (module docstring)."""
    body = render_to_string(
        "email/servicing/document_ready.txt",
        {
            "name": borrower_display_name(document.loan),
            "title": document.title,
            "url": document_portal_url(document),
            "phone": settings.LENDING_SERVICER_PHONE,
        },
    )
    EmailMessage(subject=f"New document in your portal: {document.title}", body=body, to=[to]).send()


def _locked(document_id: int) -> BorrowerDocument | None:
    return (
        BorrowerDocument.objects.select_for_update(of=("self",))
        .select_related("loan", "loan__borrower")
        .filter(pk=document_id)
        .first()
    )


def document_email(*, document_id: int, actor: User | None) -> bool:
    """Email the borrower that document ``document_id`` is in their portal and mark it delivered, audited.
    Does nothing for a paper document or one delivered already (a retried task). Without an email address to
    write to, the document goes to paper (the next print batch takes it), audited. True when an email went."""
    with transaction.atomic():
        document = _locked(document_id)
        if document is None or document.delivered_at is not None:
            return False
        if document.delivery != BorrowerDocument.Delivery.EMAIL:
            return False
        to = _email_address(document.loan)
        if not to:
            document.delivery = BorrowerDocument.Delivery.PAPER
            document.save(update_fields=["delivery"])
            audit_record(
                actor=actor,
                verb="document.sent_to_paper",
                target=document,
                before={"delivery": BorrowerDocument.Delivery.EMAIL},
                after={"delivery": BorrowerDocument.Delivery.PAPER},
                note="The borrower has no email address to write to.",
            )
            return False
        _send_email(document, to)
        document.delivered_at = timezone.now()
        document.save(update_fields=["delivered_at"])
        audit_record(
            actor=actor, verb="document.emailed", target=document, after={"delivered_at": document.delivered_at}
        )
        return True


class DocumentError(ValueError):
    """A document action was refused; nothing was written."""


def document_resend(*, document: BorrowerDocument, actor: User | None) -> str:
    """Deliver ``document`` again, audited: email it again now, or (paper) take it out of its print batch so the
    next batch prints it again. The batch it was in keeps its files (it was printed then). Returns what was done."""
    with transaction.atomic():
        locked = _locked(document.pk)
        if locked is None:
            raise DocumentError("The document no longer exists.")
        before = {"delivered_at": locked.delivered_at, "print_batch": locked.print_batch_id}
        if locked.delivery == BorrowerDocument.Delivery.EMAIL:
            to = _email_address(locked.loan)
            if not to:
                raise DocumentError(f"{locked.loan.loan_number}: the borrower has no email address to write to.")
            _send_email(locked, to)
            locked.delivered_at = timezone.now()
            done = "emailed"
        else:
            locked.delivered_at, locked.print_batch = None, None
            done = "queued for printing"
        locked.save(update_fields=["delivered_at", "print_batch"])
        audit_record(
            actor=actor,
            verb="document.resent",
            target=locked,
            before=before,
            after={"delivered_at": locked.delivered_at, "print_batch": None, "delivery": locked.delivery},
            note=done,
        )
        document.delivered_at, document.print_batch = locked.delivered_at, locked.print_batch
        return done
