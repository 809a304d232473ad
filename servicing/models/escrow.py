"""Escrow items: what the servicer pays out of a loan's escrow account (property tax, insurance)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from lending.core.templatetags.money import format_money
from servicing.models.loans import MONEY, LoanAccount


class EscrowItem(models.Model):
    """One escrowed bill: its annual amount, paid in ``payments_per_year`` installments, the next due on
    ``next_due_date``. The loan keeps the escrow balance and the initial deposit and cushion figures."""

    class Kind(models.TextChoices):
        PROPERTY_TAX = "property_tax", "Property tax"
        HAZARD_INSURANCE = "hazard_insurance", "Homeowner's insurance"
        FLOOD_INSURANCE = "flood_insurance", "Flood insurance"
        MORTGAGE_INSURANCE = "mortgage_insurance", "Mortgage insurance"
        OTHER = "other", "Other"

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="escrow_items")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    description = models.CharField(max_length=200)
    payee = models.CharField(max_length=200, blank=True)
    annual_amount = models.DecimalField(**MONEY)
    payments_per_year = models.PositiveSmallIntegerField(default=1)
    next_due_date = models.DateField()

    class Meta:
        ordering = ["loan_id", "next_due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_amount__gt=0, payments_per_year__gte=1), name="escrow_item_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({format_money(self.annual_amount)}/yr)"
