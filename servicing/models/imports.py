"""CSV imports kept as rows: a batch per uploaded file and one line per data row.

The file itself is not stored: its rows are (raw values and the parsed fields), with each line's validation result
and, once committed, what it posted. A servicer previews the batch before committing it; committing posts every
valid line in its own transaction and records the outcome on the line, so a batch is its own audit of the file.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from servicing.models.ledger import MONEY


class ImportBatch(models.Model):
    """One uploaded file (payments from a lockbox or ACH returns, or loans boarded from a servicing transfer)."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment file (lockbox / ACH returns)"
        BOARDING = "boarding", "Servicing transfer (loan boarding)"

    class Status(models.TextChoices):
        STAGED = "staged", "Staged (preview)"
        COMMITTED = "committed", "Committed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True, help_text="Of the uploaded content.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STAGED)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    committed_at = models.DateTimeField(null=True, blank=True)
    line_count = models.PositiveIntegerField(default=0)
    valid_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    posted_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    valid_total = models.DecimalField(**MONEY, default=0, help_text="Amount of the valid lines when staged.")
    posted_total = models.DecimalField(**MONEY, default=0, help_text="Amount of the lines posted.")

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name} (#{self.pk})"


class ImportLine(models.Model):
    """One data row of a batch: what the file said, what it means, and what became of it."""

    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        ERROR = "error", "Error"
        POSTED = "posted", "Posted"
        DUPLICATE = "duplicate", "Already posted"

    # No index of its own: import_line_unique_number (batch, line number) leads with it and serves every look-up.
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="lines", db_index=False)
    line_number = models.PositiveIntegerField(help_text="The row's line in the file (the header is line 1).")
    raw = models.JSONField(default=dict, help_text="The row as read, column -> text.")
    parsed = models.JSONField(default=dict, help_text="The validated fields (amounts and dates as text).")
    status = models.CharField(max_length=16, choices=Status.choices)
    message = models.TextField(blank=True)
    loan = models.ForeignKey("servicing.LoanAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    transaction = models.ForeignKey(
        "servicing.LoanTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["batch_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line_number"], name="import_line_unique_number"),
            models.CheckConstraint(condition=~Q(status="error") | ~Q(message=""), name="import_line_error_has_message"),
        ]
        indexes = [models.Index(fields=["batch", "status"], name="import_line_batch_status_idx")]

    def __str__(self) -> str:
        return f"line {self.line_number} ({self.status})"
