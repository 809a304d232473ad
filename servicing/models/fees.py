"""Fees charged to a loan (late charges, returned-payment fees; other fees share the table) and the
delinquency history the nightly aging writes when a loan changes bucket or status."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from lending.finance.delinquency import DPD_BUCKETS, LOAN_STATUSES
from servicing.models.ledger import MONEY, JournalEntry
from servicing.models.loans import Installment, LoanAccount

ZERO = Decimal("0.00")


class LoanFee(models.Model):
    """One fee assessed on a loan, posted Dr fees receivable / Cr fee income by ``journal_entry``.

    A late fee belongs to the installment that was late, at most one per installment (the unique constraint: a
    rerun of the night never charges twice); what payments have paid of it is the installment's
    ``paid_late_fees`` (they pay it through the allocation's ``late_fees`` bucket). A returned-payment fee is one
    per returned ACH payment (``returned_payment``, unique) and sits on the installment the payment was for (else
    the oldest one still owing) in its ``fees``, which payments pay through the allocation's ``fees`` bucket
    (``paid_fees``). A waiver reverses the entry (``waiver_entry``) and is refused once anything is paid."""

    class Kind(models.TextChoices):
        LATE_FEE = "late_fee", "Late fee"
        RETURNED_PAYMENT = "returned_payment", "Returned payment fee"
        OTHER = "other", "Other fee"

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="fees")
    installment = models.ForeignKey(
        Installment, null=True, blank=True, on_delete=models.PROTECT, related_name="loan_fees"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)
    assessed_on = models.DateField(help_text="The business date whose close of business charged it.")
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="loan_fee")
    returned_payment = models.OneToOneField(
        "servicing.PendingPayment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="return_fee",
        help_text="The returned ACH payment a returned-payment fee was charged for (one fee per return).",
    )
    waived_amount = models.DecimalField(**MONEY, default=ZERO, db_default=ZERO)
    waived_on = models.DateField(null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    waiver_reason = models.CharField(max_length=255, blank=True)
    waiver_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="waived_loan_fee"
    )

    class Meta:
        ordering = ["loan_id", "assessed_on", "id"]
        indexes = [
            models.Index(fields=["loan", "assessed_on"], name="loan_fee_loan_date_idx"),
            models.Index(fields=["kind", "id"], name="loan_fee_kind_idx"),  # the admin list by kind, newest first
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["installment", "kind"], condition=Q(kind="late_fee"), name="loan_fee_one_late_fee"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0, waived_amount__gte=0, waived_amount__lte=F("amount")),
                name="loan_fee_amounts",
            ),
            models.CheckConstraint(
                condition=~Q(kind="late_fee") | Q(installment__isnull=False), name="loan_fee_late_fee_installment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} on {self.assessed_on}"


class DelinquencyHistory(models.Model):
    """A loan's move from one delinquency bucket or status to another, as aged at the close of ``as_of``."""

    BUCKETS = [(bucket, bucket) for bucket in DPD_BUCKETS]
    STATUSES = [(status, status.capitalize()) for status in LOAN_STATUSES]

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="delinquency_history")
    as_of = models.DateField()
    days_past_due = models.PositiveIntegerField()
    bucket_from = models.CharField(max_length=8, choices=BUCKETS)
    bucket_to = models.CharField(max_length=8, choices=BUCKETS)
    status_from = models.CharField(max_length=12, choices=STATUSES)
    status_to = models.CharField(max_length=12, choices=STATUSES)
    oldest_unpaid_due_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["loan_id", "as_of", "id"]
        verbose_name_plural = "delinquency history"
        # The collections dashboard reads the current month's rows (its closed months are kept).
        indexes = [models.Index(fields=["as_of"], name="delinquency_history_as_of_idx")]
        constraints = [
            models.UniqueConstraint(fields=["loan", "as_of"], name="delinquency_history_one_per_night"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.as_of}: {self.bucket_from} -> {self.bucket_to}"
