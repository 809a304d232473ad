"""The Reg Z periodic statement (12 CFR 1026.41): one per loan and due date, with the figures it printed.

The PDF the borrower received is the ``BorrowerDocument`` (kind statement, key the due date); this row keeps its
headline figures as columns, so the servicer can list, total and check statements without reading PDFs, and so
the nightly step knows a cycle's statement is made (unique per loan and due date: a rerun makes nothing).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from servicing.models.documents import BorrowerDocument
from servicing.models.ledger import MONEY
from servicing.models.loans import RATE, LoanAccount


class Statement(models.Model):
    """One periodic statement: the cycle's amount due by component and the account figures it showed."""

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="statements")
    due_date = models.DateField(help_text="The payment due date the statement asks for.")
    statement_date = models.DateField(help_text="The business date whose close of business made it.")
    period_start = models.DateField(help_text="First day of the activity it lists (the day after the last one).")
    principal = models.DecimalField(**MONEY)
    interest = models.DecimalField(**MONEY)
    escrow = models.DecimalField(**MONEY)
    fees = models.DecimalField(**MONEY, help_text="Fees and charges due.")
    past_due = models.DecimalField(**MONEY, help_text="Unpaid on earlier installments.")
    amount_due = models.DecimalField(**MONEY, help_text="Principal + interest + escrow + fees + past due.")
    late_fee = models.DecimalField(**MONEY, help_text="Charged if the payment is not received by late_fee_date.")
    late_fee_date = models.DateField(help_text="The first day the late fee applies (after the grace period).")
    suspense = models.DecimalField(**MONEY, help_text="Unapplied funds held (partial payments).")
    principal_balance = models.DecimalField(**MONEY)
    annual_rate = models.DecimalField(**RATE)
    days_past_due = models.PositiveIntegerField(default=0)
    delinquent_since = models.DateField(null=True, blank=True, help_text="Shown when over 45 days delinquent.")
    document = models.OneToOneField(BorrowerDocument, on_delete=models.PROTECT, related_name="statement")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["loan_id", "-due_date"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "due_date"], name="statement_one_per_due_date"),
            models.CheckConstraint(
                condition=Q(
                    principal__gte=0,
                    interest__gte=0,
                    escrow__gte=0,
                    fees__gte=0,
                    past_due__gte=0,
                    late_fee__gte=0,
                    suspense__gte=0,
                ),
                name="statement_amounts_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Statement {self.loan_id} due {self.due_date}"
