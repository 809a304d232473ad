from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from origination.models.applications import Application
from origination.models.products import MONEY


class ClosingDocument(models.Model):
    """A generated closing document (note, Closing Disclosure, first-payment letter...), stored as a PDF."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="closing_documents")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="closing/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "-generated_at"]

    def __str__(self) -> str:
        return self.title


class Funding(models.Model):
    """The disbursement of a closed loan. One per application: funding twice is impossible."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="funding")
    loan_amount = models.DecimalField(**MONEY)
    disbursed_amount = models.DecimalField(**MONEY, help_text="Loan amount less prepaid finance charges withheld.")
    funded_on = models.DateField()
    wire_reference = models.CharField(max_length=64, blank=True)
    funded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(loan_amount__gt=0, disbursed_amount__gt=0), name="funding_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.application} funded {self.funded_on}"
