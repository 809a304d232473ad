"""Charge-off and recovery: the write-off of a loan the lender no longer expects to collect, and money received on
it afterwards. ``servicing.services.charge_off`` posts both; the journal lines are documented there."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from servicing.models.ledger import MONEY, JournalEntry
from servicing.models.loans import LoanAccount
from servicing.models.payments import LoanTransaction


class ChargeOff(models.Model):
    """The charge-off of one loan (at most one: the loan is ``charged_off`` from then on). The figures are the
    balances written off; ``borrower_funds_applied`` is the suspense, unearned interest and escrow surplus the
    borrower had with us, applied to the debt first. ``loss = principal + interest + fees + escrow_advance -
    borrower_funds_applied``."""

    loan = models.OneToOneField(LoanAccount, on_delete=models.PROTECT, related_name="charge_off")
    charged_off_on = models.DateField()
    principal = models.DecimalField(**MONEY)
    interest = models.DecimalField(**MONEY)
    fees = models.DecimalField(**MONEY)
    escrow_advance = models.DecimalField(**MONEY, help_text="Escrow the servicer had advanced (a negative balance).")
    borrower_funds_applied = models.DecimalField(
        **MONEY, help_text="Suspense, unearned interest and escrow surplus applied to the debt."
    )
    loss = models.DecimalField(**MONEY, help_text="Charged to the allowance for loan losses.")
    days_past_due = models.PositiveIntegerField(help_text="As the nightly run last aged it.")
    reason = models.CharField(max_length=255)
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="charge_off")
    charged_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    principal__gte=0, interest__gte=0, fees__gte=0, escrow_advance__gte=0, borrower_funds_applied__gte=0
                )
                & Q(loss__gt=0),
                name="charge_off_figures_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    loss=F("principal") + F("interest") + F("fees") + F("escrow_advance") - F("borrower_funds_applied")
                ),
                name="charge_off_loss_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"Charge-off of {self.loan_id} on {self.charged_off_on}: {self.loss}"


class Recovery(models.Model):
    """Money received on a charged-off loan. ``idempotency_key`` is unique: a form submitted twice posts once."""

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="recoveries")
    amount = models.DecimalField(**MONEY)
    received_on = models.DateField()
    method = models.CharField(max_length=16, choices=LoanTransaction.Method.choices)
    reference = models.CharField(max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="recovery")
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["loan_id", "received_on", "id"]
        verbose_name_plural = "recoveries"
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_amount_positive")]

    def __str__(self) -> str:
        return f"Recovery on {self.loan_id}: {self.amount} on {self.received_on}"
