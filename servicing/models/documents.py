"""What the servicer sends a borrower: periodic statements, escrow statements, notices and the year-end 1098, each
a stored PDF, and the daily print batch that carries the paper ones.

A stored document never changes: its bytes are hashed when it is made (``sha256``) and regenerating it makes a new
``version`` beside the old one, so what the borrower received stays on file exactly as sent. ``key`` says what a
document is about (a statement's due date, a return's id, a fee's id, a tax year), so making the same document
twice for the same thing is refused by the unique constraint (idempotent nightly steps and signal retries).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from lending.core.files import random_storage_name
from servicing.models.loans import LoanAccount


def borrower_document_upload_to(instance: BorrowerDocument, filename: str) -> str:
    # A random name: no borrower names or loan numbers in storage paths, nothing to guess.
    return random_storage_name("borrower_documents", ".pdf")


def print_batch_upload_to(instance: PrintBatch, filename: str) -> str:
    return random_storage_name("print_batches", filename)


class PrintBatch(models.Model):
    """One day's paper mail: every document for borrowers without e-consent, as one combined PDF and a manifest
    (CSV: document, loan, borrower, mailing address, pages) for the print vendor."""

    business_date = models.DateField(unique=True)
    combined_pdf = models.FileField(upload_to=print_batch_upload_to, max_length=255, blank=True)
    manifest = models.FileField(upload_to=print_batch_upload_to, max_length=255, blank=True)
    document_count = models.PositiveIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-business_date"]

    def __str__(self) -> str:
        return f"Print batch {self.business_date}"


class BorrowerDocument(models.Model):
    """One version of one document sent (or to be sent) to a loan's borrower (module docstring)."""

    class Kind(models.TextChoices):
        STATEMENT = "statement", "Periodic statement"
        ESCROW_INITIAL = "escrow_initial", "Initial escrow account statement"
        ESCROW_ANNUAL = "escrow_annual", "Annual escrow account statement"
        ACH_RETURNED = "ach_returned", "ACH payment returned"
        LATE_FEE = "late_fee", "Late fee charged"
        ESCROW_CHANGE = "escrow_change", "Escrow payment change"
        PAID_IN_FULL = "paid_in_full", "Paid-in-full letter"
        PAYMENT_RECEIVED = "payment_received", "Payment received"
        FORM_1098 = "form_1098", "Form 1098 mortgage interest statement"
        EARLY_INTERVENTION = "early_intervention", "Early intervention notice"
        LOSS_MIT_ACK = "loss_mit_ack", "Loss mitigation application acknowledgment"
        LOSS_MIT_DECISION = "loss_mit_decision", "Loss mitigation decision"
        MODIFICATION_AGREEMENT = "modification_agreement", "Loan modification agreement"

    class Delivery(models.TextChoices):
        EMAIL = "email", "Email with a portal link"
        PAPER = "paper", "Paper (print batch)"

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    key = models.CharField(
        max_length=64, help_text="What it is about: a statement's due date, a return or fee id, a tax year."
    )
    version = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=200)
    document_date = models.DateField(help_text="The date the document speaks as of (a statement's date).")
    file = models.FileField(upload_to=borrower_document_upload_to, max_length=255)
    sha256 = models.CharField(max_length=64)
    pages = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delivery = models.CharField(max_length=8, choices=Delivery.choices)
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="Emailed, or put in a print batch.")
    print_batch = models.ForeignKey(
        PrintBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )

    class Meta:
        ordering = ["-document_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "kind", "key", "version"], name="borrower_document_version")
        ]
        indexes = [
            models.Index(fields=["loan", "-document_date"], name="borrower_document_loan"),
            # The admin list filtered by kind or delivery, newest first: its 50 rows read from the index.
            models.Index(fields=["kind", "id"], name="borrower_document_kind_idx"),
            models.Index(fields=["delivery", "id"], name="borrower_document_deliv_idx"),
            models.Index(
                fields=["delivery", "delivered_at"],
                name="borrower_document_undelivered",
                condition=models.Q(delivered_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.loan.loan_number})"
