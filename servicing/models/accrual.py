"""What the nightly close of business records per loan: the interest it accrued (``InterestAccrual``) and the
amount due it billed (``BillingRecord``). One row per loan and date, so a rerun writes nothing."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from origination.models.choices import InterestMethod
from servicing.models.ledger import MONEY
from servicing.models.loans import ZERO


class InterestAccrual(models.Model):
    """Interest a loan earned on the days after the previous row through ``accrual_date`` (``days`` by its day
    count), posted in ``journal_entry``. The rows of a loan add up to the interest income of the loan, so its
    accrued figure on any date is the sum of its rows through that date. A scheduled loan's row is for one
    installment's period (a catch-up across a due date writes one row per period); ``period_to_date`` is what that
    period has earned through ``accrual_date``, so a re-derived installment (after a backdated prepayment) is
    earned in full by the period's last day."""

    loan = models.ForeignKey(  # indexed by the unique (loan, date) constraint, which leads with it
        "servicing.LoanAccount", on_delete=models.PROTECT, related_name="interest_accruals", db_index=False
    )
    accrual_date = models.DateField(help_text="The last day this row covers.")
    installment = models.ForeignKey(
        "servicing.Installment", null=True, blank=True, on_delete=models.PROTECT, related_name="accruals"
    )
    method = models.CharField(max_length=16, choices=InterestMethod.choices)
    days = models.IntegerField(help_text="Days covered, by the loan's day count.")
    basis = models.DecimalField(
        **MONEY, help_text="Scheduled: the installment's interest for its period; daily simple: the principal balance."
    )
    amount = models.DecimalField(**MONEY, help_text="Interest earned (negative when a re-derived period shrank).")
    period_to_date = models.DecimalField(**MONEY, default=ZERO)
    journal_entry = models.ForeignKey(
        "servicing.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Blank only when the loan's rows of that night net to nothing (no entry to post).",
    )

    class Meta:
        ordering = ["loan_id", "accrual_date"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "accrual_date"], name="interest_accrual_unique_loan_date"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.accrual_date} {self.amount}"


class BillingRecord(models.Model):
    """The amount due of an installment falling due, by component, as billed on its due date (statements read
    it). ``past_due`` is what earlier installments still owed that day."""

    loan = models.ForeignKey(  # indexed by the unique (loan, date) constraint, which leads with it
        "servicing.LoanAccount", on_delete=models.PROTECT, related_name="billing_records", db_index=False
    )
    installment = models.ForeignKey("servicing.Installment", on_delete=models.PROTECT, related_name="billings")
    due_date = models.DateField()
    billed_on = models.DateField(help_text="The business date of the close that billed it.")
    principal = models.DecimalField(**MONEY)
    interest = models.DecimalField(**MONEY)
    escrow = models.DecimalField(**MONEY)
    fees = models.DecimalField(**MONEY, help_text="Fees due on the loan when billed.")
    past_due = models.DecimalField(**MONEY, help_text="Unpaid on earlier installments when billed.")
    total = models.DecimalField(**MONEY)
    plan_amount = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        help_text="What the loan's open plan asks for by this due date instead of the total (selectors.plans).",
    )

    class Meta:
        ordering = ["loan_id", "due_date"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "due_date"], name="billing_record_unique_loan_due"),
            models.CheckConstraint(
                condition=Q(principal__gte=0, interest__gte=0, escrow__gte=0, fees__gte=0, past_due__gte=0),
                name="billing_record_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} due {self.due_date}: {self.total}"
