"""The month-end loan tape: each loan's delinquency bucket and principal balance at the close of each month, the
figures the delinquency report reads (roll rates, balances by bucket, loans entering delinquency and curing).

Kept, not recomputed: a loan's bucket and balance at a past month end would otherwise come from its whole
delinquency history and every journal line up to that day (5.8 s over 24 million lines at 100,000 loans). The
nightly close of the month's last business day writes one row per loan on the book that month
(``servicing.services.month_end``); each row carries the loan's bucket and balance at the month before, so a
month's roll rates need no self-join, and the rows are counted as they are written (``LoanMonthEndCount``), so the
report reads a few hundred counts, not 100,000 loans a month.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from servicing.models.fees import DelinquencyHistory
from servicing.models.ledger import MONEY
from servicing.models.loans import LoanAccount

PAID_OFF = "paid_off"
CHARGED_OFF = "charged_off"
NEW = "new"  # no row the month before: boarded during the month


class LoanMonthEnd(models.Model):
    """One loan at the close of one month. ``bucket`` is the delinquency bucket (``current`` ... ``120+``), or
    ``paid_off`` / ``charged_off`` for a loan that left the book during the month (written once, then the loan
    has no more rows). ``bucket_before`` and ``principal_before`` repeat the row of the month before (``new``
    and 0 for a loan boarded during the month)."""

    BUCKETS = [*DelinquencyHistory.BUCKETS, (PAID_OFF, "Paid off"), (CHARGED_OFF, "Charged off")]

    month = models.DateField(help_text="The first day of the month whose close this row records.")
    as_of = models.DateField(help_text="The close of business it was taken at (the month's last business day).")
    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="month_ends", db_index=False)
    product_code = models.CharField(max_length=40, blank=True)
    bucket = models.CharField(max_length=12, choices=BUCKETS)
    days_past_due = models.PositiveIntegerField()
    principal_balance = models.DecimalField(**MONEY)
    bucket_before = models.CharField(max_length=12, choices=[*BUCKETS, (NEW, "New")])
    principal_before = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["month", "loan_id"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "month"], name="loan_month_end_one_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="loan_month_end_first_of_month"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.month:%Y-%m}: {self.bucket_before} -> {self.bucket}"


class LoanMonthEndCount(models.Model):
    """The tape counted: per month, product and move (bucket before -> bucket), the loans and their principal at
    both ends. Kept with the tape (``servicing.services.month_end``), so the report adds up a few hundred rows
    rather than grouping 100,000 loans a month. It must equal the tape grouped the same way (a test checks)."""

    month = models.DateField()
    product_code = models.CharField(max_length=40, blank=True)
    bucket_before = models.CharField(max_length=12)
    bucket = models.CharField(max_length=12)
    loans = models.PositiveIntegerField()
    principal_before = models.DecimalField(**MONEY)
    principal_balance = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["month", "product_code", "bucket_before", "bucket"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "product_code", "bucket_before", "bucket"], name="loan_month_end_count_one_per_move"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.product_code}: {self.bucket_before} -> {self.bucket} x{self.loans}"
