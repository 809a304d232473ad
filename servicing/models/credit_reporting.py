"""Who a loan is reported under in the Metro 2 file when it has no application to read the borrower from."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lending.core.fields import EncryptedTextField
from lending.core.files import random_storage_name
from servicing.models.loans import LoanAccount


class ReportedConsumer(models.Model):
    """The consumer of a loan boarded from a servicing transfer (the transfer file carries a name only): the
    identification and mailing address the credit bureaus match on. Originated loans read their primary borrower
    from the application instead."""

    loan = models.OneToOneField(LoanAccount, on_delete=models.PROTECT, related_name="reported_consumer")
    surname = models.CharField(max_length=100)
    first_name = models.CharField(max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    generation_code = models.CharField(max_length=1, blank=True, help_text="J junior, S senior, 2-9 II-IX.")
    ssn = EncryptedTextField(blank=True, help_text="Encrypted at rest; never shown or logged.")
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    co_borrowers = models.PositiveSmallIntegerField(default=0, help_text="Others liable on the note (ECOA code 2).")

    class Meta:
        verbose_name = "reported consumer (Metro 2)"

    def __str__(self) -> str:
        return f"{self.first_name} {self.surname}".strip()


def metro2_upload_to(instance: Metro2File, filename: str) -> str:
    return random_storage_name("metro2", ".txt")


class Metro2File(models.Model):
    """A month's Metro 2 file, made by a background job (the whole portfolio is read: a minute at 100,000 loans,
    too long for a page) and kept: the file transmitted to the bureaus, its checksum, and its summary (records and
    balances by account status, the accounts withheld with their errors)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being made"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    month = models.DateField(help_text="The first day of the month reported.")
    end = models.DateField(null=True, blank=True, help_text="The date of account information (a month end, or today).")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to=metro2_upload_to, max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    base_records = models.PositiveIntegerField(default=0)
    withheld_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ("-requested_at", "-id")
        constraints = [
            # One file being made per month at a time: a double submit finds the one already asked for.
            models.UniqueConstraint(fields=["month"], condition=Q(status="pending"), name="metro2_file_one_pending"),
        ]

    def __str__(self) -> str:
        return f"Metro 2 {self.month:%Y-%m} ({self.get_status_display()})"
