from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lending.core.files import random_storage_name
from origination.models.applications import Application
from origination.models.products import MONEY


def closing_document_upload_to(instance: "ClosingDocument", filename: str) -> str:
    # Random, not the application number: the download view names the file.
    return random_storage_name("closing", ".pdf")


class ClosingDocument(models.Model):
    """A generated closing document (note, Closing Disclosure, first-payment letter...), stored as a PDF."""

    is_current: bool  # not a column: set by selectors.closing.closing_documents_for()

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="closing_documents")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=closing_document_upload_to, max_length=255)
    sha256 = models.CharField(max_length=64)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "-generated_at"]

    def __str__(self) -> str:
        return self.title


class ClosingSignature(models.Model):
    """The borrowers' signing of the closing package (consummation): when, where and before whom. One per
    application; the ``close`` transition requires it."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="closing_signature")
    signed_on = models.DateField(help_text="The day the borrowers signed: the scheduled closing date.")
    location = models.CharField(max_length=200, blank=True, help_text="Where: title company, attorney, branch...")
    notary = models.CharField(max_length=200, blank=True, help_text="The notary or settlement agent.")
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    terms = models.JSONField(
        default=dict,
        blank=True,
        help_text="The contract terms signed (origination.services.contract): servicing books the loan from them.",
    )

    def __str__(self) -> str:
        return f"{self.application} signed {self.signed_on}"


class Funding(models.Model):
    """The disbursement of a closed loan. One per application: funding twice is impossible."""

    class Method(models.TextChoices):
        WIRE = "wire", "Wire"
        ACH = "ach", "ACH"
        CHECK = "check", "Check"

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="funding")
    loan_amount = models.DecimalField(**MONEY)
    disbursed_amount = models.DecimalField(**MONEY, help_text="Loan amount less prepaid finance charges withheld.")
    funded_on = models.DateField()
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.WIRE)
    wire_reference = models.CharField(
        max_length=64, blank=True, help_text="The disbursement's reference: wire confirmation, ACH trace or check no."
    )
    funded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(loan_amount__gt=0, disbursed_amount__gt=0), name="funding_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.application} funded {self.funded_on}"

    @property
    def method_in_text(self) -> str:
        """The method as written in a sentence: wire, ACH, check."""
        return self.get_method_display() if self.method == self.Method.ACH else self.method
