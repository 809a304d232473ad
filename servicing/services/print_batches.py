"""The daily print batch: every document waiting for paper delivery, as one combined PDF for the print vendor and a
manifest CSV (one row a document: id, loan number, borrower name, mailing address, title, pages and the page of
the combined PDF it starts on).

One batch per date (``PrintBatch.business_date`` is unique). A batch is what was handed to the vendor, so it never
changes: running the batch again for a date that has one returns it as it is, and documents stored after it wait
for the next date's batch. A document goes into one batch only (``print_batch`` is set as it is taken, under a
row lock, and only documents without one are taken). Nothing waiting: no batch is made.

Celery beat runs it at 03:00, after the close of business (``settings.CELERY_BEAT_SCHEDULE``);
``manage.py print_batch [--date D]`` runs it by hand.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from lending.core.models import User
from lending.core.services import audit_record
from servicing.models import BorrowerDocument, LoanAccount, PrintBatch
from servicing.services.documents import borrower_display_name
from servicing.services.letter_context import property_address

MANIFEST_HEADER = ("document_id", "loan_number", "borrower_name", "mailing_address", "title", "pages", "first_page")


def documents_to_print() -> list[BorrowerDocument]:
    """Paper documents not yet printed, oldest first, locked (id order)."""
    return list(
        BorrowerDocument.objects.select_for_update(of=("self",))
        .filter(delivery=BorrowerDocument.Delivery.PAPER, delivered_at__isnull=True, print_batch__isnull=True)
        .select_related("loan", "loan__borrower", "loan__application")
        .prefetch_related("loan__application__borrowers")
        .order_by("pk")
    )


def mailing_address(loan: LoanAccount) -> str:
    """Where paper goes: the primary borrower's address on the application, else the property's (as boarded);
    blank for a transferred loan boarded without its property (the vendor's exception list)."""
    application = loan.application
    primary = next((b for b in application.borrowers.all() if b.is_primary), None) if application is not None else None
    if primary is not None and primary.address_line1:
        return f"{primary.address_line1}, {primary.city}, {primary.state} {primary.postal_code}"
    return property_address(loan)


def _combined_pdf(documents: list[BorrowerDocument]) -> tuple[bytes, list[int]]:
    """The documents' PDFs one after another, and the page each starts on (1-based)."""
    from pypdf import PdfReader, PdfWriter  # only where a batch is made

    writer = PdfWriter()
    starts = []
    for document in documents:
        starts.append(len(writer.pages) + 1)
        with document.file.open("rb") as stored:
            writer.append(PdfReader(io.BytesIO(stored.read())))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), starts


def _manifest(documents: list[BorrowerDocument], starts: list[int]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(MANIFEST_HEADER)
    for document, start in zip(documents, starts, strict=True):
        loan = document.loan
        writer.writerow(
            [
                document.pk,
                loan.loan_number,
                borrower_display_name(loan),
                mailing_address(loan),
                document.title,
                document.pages,
                start,
            ]
        )
    return out.getvalue().encode()


@transaction.atomic
def print_batch_run(*, business_date: date, actor: User | None) -> PrintBatch | None:
    """Make ``business_date``'s print batch (module docstring): the existing one when it was made already, None
    when nothing waits for paper."""
    existing = PrintBatch.objects.filter(business_date=business_date).first()
    if existing is not None:
        return existing
    documents = documents_to_print()
    if not documents:
        return None
    pdf, starts = _combined_pdf(documents)
    batch = PrintBatch(
        business_date=business_date,
        document_count=len(documents),
        page_count=sum(document.pages for document in documents),
        created_by=actor if actor is not None and actor.pk else None,
    )
    batch.combined_pdf.save(f"print-{business_date}.pdf", ContentFile(pdf), save=False)
    batch.manifest.save(f"manifest-{business_date}.csv", ContentFile(_manifest(documents, starts)), save=False)
    try:
        with transaction.atomic():
            batch.save()
    except IntegrityError:  # a concurrent run made the date's batch first: that one stands, ours is dropped
        return PrintBatch.objects.get(business_date=business_date)
    BorrowerDocument.objects.filter(pk__in=[d.pk for d in documents]).update(
        print_batch=batch, delivered_at=timezone.now()
    )
    audit_record(
        actor=actor,
        verb="print_batch.created",
        target=batch,
        after={
            "business_date": business_date,
            "documents": [d.pk for d in documents],
            "document_count": batch.document_count,
            "page_count": batch.page_count,
        },
    )
    return batch
