"""Escrow: the items the servicer pays out of a loan's escrow account (property tax, insurance), each payment made
(``EscrowDisbursement``), the annual escrow analysis (``EscrowAnalysis``) and the surplus refunds it orders
(``EscrowRefund``). Written by the nightly escrow step (servicing.services.nightly.steps.escrow) and, for items, by the
servicer in the admin (servicing.services.escrow)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from lending.core.templatetags.money import format_money
from servicing.models.ledger import JournalEntry
from servicing.models.loans import MONEY, ZERO, Installment, LoanAccount

# An item is paid every 12 / payments_per_year months, so payments_per_year divides the year.
PAYMENTS_PER_YEAR_CHOICES = (1, 2, 3, 4, 6, 12)


class EscrowItem(models.Model):
    """One escrowed bill: its annual amount, paid in ``payments_per_year`` installments, the next due on
    ``next_due_date`` as payment ``next_payment_number`` of the year (the last carries the rounding remainder).
    The loan keeps the escrow balance and the initial deposit and cushion figures."""

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
    payments_per_year = models.PositiveSmallIntegerField(
        default=1, choices=[(n, str(n)) for n in PAYMENTS_PER_YEAR_CHOICES]
    )
    next_due_date = models.DateField(db_index=True)
    next_payment_number = models.PositiveSmallIntegerField(
        default=1, db_default=1, help_text="Which of the year's payments the next one is (1 to payments per year)."
    )

    class Meta:
        ordering = ["loan_id", "next_due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_amount__gt=0, payments_per_year__gte=1), name="escrow_item_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(payments_per_year__in=PAYMENTS_PER_YEAR_CHOICES),
                name="escrow_item_payments_divide_year",
            ),
            models.CheckConstraint(
                condition=Q(next_payment_number__gte=1, next_payment_number__lte=F("payments_per_year")),
                name="escrow_item_payment_number_in_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({format_money(self.annual_amount)}/yr)"


class EscrowDisbursement(models.Model):
    """One payment of an item to its payee, for one due date (never twice: unique per item and due date).
    ``advanced`` is the part the escrow balance did not cover: the servicer's money, owed back by the borrower."""

    item = models.ForeignKey(EscrowItem, on_delete=models.PROTECT, related_name="disbursements")
    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="escrow_disbursements")
    due_date = models.DateField()
    paid_on = models.DateField(help_text="The business date the nightly close paid it.")
    payment_number = models.PositiveSmallIntegerField()
    payee = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(**MONEY)
    advanced = models.DecimalField(**MONEY, default=ZERO)
    journal_entry = models.ForeignKey(
        JournalEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escrow_disbursements",
        help_text="The night's entry for the loan's disbursements (one entry per loan and night).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan_id", "due_date", "id"]
        # The admin list, latest due first, and filtered by due date: read from the index, whatever order the rows
        # were written in.
        indexes = [models.Index(fields=["due_date", "id"], name="escrow_disbursement_due_idx")]
        constraints = [
            models.UniqueConstraint(fields=["item", "due_date"], name="escrow_disbursement_once_per_due_date"),
            models.CheckConstraint(
                condition=Q(amount__gte=0, advanced__gte=0, advanced__lte=F("amount")),
                name="escrow_disbursement_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} escrow {self.due_date} {format_money(self.amount)}"


class EscrowAnalysis(models.Model):
    """The annual escrow account analysis (Reg X 1024.17) of one loan on its analysis date, as computed by
    ``lending.finance.escrow.escrow_analysis`` for the computation year starting at ``effective_installment``."""

    class Kind(models.TextChoices):
        SURPLUS = "surplus", "Surplus"
        SHORTAGE = "shortage", "Shortage"
        DEFICIENCY = "deficiency", "Deficiency"
        BALANCED = "balanced", "Balanced"

    class Action(models.TextChoices):
        NONE = "none", "Nothing to settle"
        REFUND = "refund", "Surplus refunded within 30 days"
        CREDIT = "credit", "Surplus under $50 credited against the year's payments"
        RETAINED = "retained", "Surplus retained (borrower not current)"
        SPREAD_12 = "spread_12", "Shortage/deficiency spread over 12 months"

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="escrow_analyses")
    analysis_date = models.DateField(help_text="The scheduled analysis date (the notice date).")
    run_on = models.DateField(help_text="The business date the nightly close ran it.")
    year_start = models.DateField(help_text="Due date of the computation year's first installment.")
    effective_installment = models.ForeignKey(
        Installment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    balance_on_analysis_date = models.DecimalField(**MONEY)
    current_balance = models.DecimalField(**MONEY, help_text="Projected balance when the computation year starts.")
    projected_disbursements = models.DecimalField(**MONEY, help_text="The computation year's disbursements.")
    disbursement_detail = models.JSONField(default=list, help_text="[due date, amount, description] per payment.")
    cushion = models.DecimalField(**MONEY)
    target_balance = models.DecimalField(**MONEY)
    previous_monthly_payment = models.DecimalField(**MONEY)
    base_monthly_payment = models.DecimalField(**MONEY)
    new_monthly_payment = models.DecimalField(**MONEY)
    surplus = models.DecimalField(**MONEY, default=ZERO)
    shortage = models.DecimalField(**MONEY, default=ZERO)
    deficiency = models.DecimalField(**MONEY, default=ZERO)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    action = models.CharField(max_length=16, choices=Action.choices)
    spread_months = models.PositiveSmallIntegerField(default=0)
    installments_updated = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan_id", "analysis_date"]
        verbose_name_plural = "escrow analyses"
        constraints = [
            models.UniqueConstraint(fields=["loan", "analysis_date"], name="escrow_analysis_once_per_date"),
        ]
        indexes = [  # the admin list by kind or action, newest first
            models.Index(fields=["kind", "id"], name="escrow_analysis_kind_idx"),
            models.Index(fields=["action", "id"], name="escrow_analysis_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} escrow analysis {self.analysis_date} ({self.kind})"


class EscrowRefund(models.Model):
    """A surplus of $50 or more refunded to the borrower within 30 days of its analysis (1024.17(f)(2)(i))."""

    analysis = models.OneToOneField(EscrowAnalysis, on_delete=models.PROTECT, related_name="refund")
    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="escrow_refunds")
    amount = models.DecimalField(**MONEY)
    due_by = models.DateField()
    paid_on = models.DateField()
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="escrow_refund")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan_id", "paid_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="escrow_refund_positive"),
            models.CheckConstraint(condition=Q(paid_on__lte=F("due_by")), name="escrow_refund_within_due"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} escrow refund {format_money(self.amount)}"
