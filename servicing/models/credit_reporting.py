"""Who a loan is reported under in the Metro 2 file when it has no application to read the borrower from."""

from __future__ import annotations

from django.db import models

from lending.core.fields import EncryptedTextField
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
