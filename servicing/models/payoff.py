"""Payoff: the quotes a borrower or servicer asked for, and the payoff that closed a loan.

A ``PayoffQuote`` keeps the figures exactly as stated (Reg Z 12 CFR 1026.36(c)(3): an accurate statement of the
amount to pay the loan in full as of a date), so the letter can be rendered again from the row at any time and
shows what was sent; the PDF is made on demand rather than stored. A quote is a statement, not a commitment:
posting a payoff recomputes the figures as of the effective date and never trusts a stale quote.

A ``LoanPayoff`` is the record of the payoff itself (one per loan, enforced by the database): the figures as
posted, the payment transaction, and the refunds that followed it (escrow balance, Reg X 12 CFR 1024.34(b);
money received beyond the payoff; interest paid ahead).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from servicing.models.ledger import MONEY, JournalEntry
from servicing.models.loans import ZERO, LoanAccount
from servicing.models.payments import LoanTransaction


class PayoffFigures(models.Model):
    """The figures of a payoff, shared by quotes and postings (see ``servicing.selectors.payoff``).

    ``total = principal + interest + fees + escrow_advance - suspense_credit``. The escrow balance is not
    netted: it is refunded after the payoff (``escrow_refund``).
    """

    as_of = models.DateField(help_text="The balances are those of this date.")
    good_through = models.DateField(help_text="Interest is counted through this date, inclusive.")
    interest_paid_through = models.DateField()
    accrual_days = models.IntegerField(help_text="Days of interest after interest_paid_through, by the day count.")
    principal = models.DecimalField(**MONEY)
    accrued_interest = models.DecimalField(
        **MONEY, help_text="Interest from interest_paid_through through good_through on the principal balance."
    )
    interest_credit = models.DecimalField(
        **MONEY, default=ZERO, help_text="Interest already paid on installments due after interest_paid_through."
    )
    interest = models.DecimalField(**MONEY, help_text="Interest owed: accrued less the credit, never negative.")
    interest_refund = models.DecimalField(
        **MONEY, default=ZERO, help_text="Interest paid ahead of good_through, refunded after payoff."
    )
    fees = models.DecimalField(**MONEY, default=ZERO)
    escrow_advance = models.DecimalField(
        **MONEY, default=ZERO, help_text="Escrow the servicer advanced (a negative escrow balance), repaid."
    )
    suspense_credit = models.DecimalField(**MONEY, default=ZERO, help_text="Unapplied funds credited.")
    suspense_refund = models.DecimalField(
        **MONEY, default=ZERO, help_text="Unapplied funds beyond the debt, refunded after payoff."
    )
    total = models.DecimalField(**MONEY)
    per_diem = models.DecimalField(**MONEY, help_text="Interest to add for each day after good_through.")
    escrow_refund = models.DecimalField(
        **MONEY, default=ZERO, help_text="Escrow balance returned after payoff (Reg X 1024.34(b)), not netted."
    )

    class Meta:
        abstract = True

    @property
    def per_diem_from(self) -> date:
        """The per diem is added for each day after this date: after ``interest_paid_through`` when interest is
        paid beyond ``good_through`` (a later arrival first uses up interest paid ahead)."""
        return max(self.good_through, self.interest_paid_through)


NON_NEGATIVE_FIGURES = Q(
    principal__gte=0,
    interest__gte=0,
    interest_credit__gte=0,
    interest_refund__gte=0,
    fees__gte=0,
    escrow_advance__gte=0,
    suspense_credit__gte=0,
    suspense_refund__gte=0,
    total__gte=0,
    per_diem__gte=0,
    escrow_refund__gte=0,
)


class PayoffQuote(PayoffFigures):
    """A payoff statement as issued: who asked, through which channel, and the figures stated."""

    class Channel(models.TextChoices):
        STAFF = "staff", "Staff"
        PORTAL = "portal", "Borrower portal"

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="payoff_quotes")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    loan_version = models.PositiveIntegerField(
        help_text="The loan's balance version quoted: a later posting makes the quote stale."
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["loan", "-requested_at"], name="payoff_quote_loan_idx")]
        constraints = [
            models.CheckConstraint(condition=NON_NEGATIVE_FIGURES, name="payoff_quote_non_negative"),
            models.CheckConstraint(condition=Q(good_through__gte=F("as_of")), name="payoff_quote_good_through"),
        ]

    def __str__(self) -> str:
        return f"Payoff quote {self.pk} for {self.loan_id}: {self.total} good through {self.good_through}"


class LoanPayoff(PayoffFigures):
    """The payoff that closed a loan: the figures as of its effective date and the refunds after it.

    ``overage_refund`` is money received beyond the payoff total; with ``suspense_refund`` and
    ``interest_refund`` it is returned through ``refund_entry``; the escrow balance through
    ``escrow_refund_entry``.
    """

    loan = models.OneToOneField(LoanAccount, on_delete=models.PROTECT, related_name="payoff")
    transaction = models.OneToOneField(LoanTransaction, on_delete=models.PROTECT, related_name="payoff")
    amount_received = models.DecimalField(**MONEY)
    overage_refund = models.DecimalField(**MONEY, default=ZERO)
    escrow_refund_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    refund_due_by = models.DateField(
        null=True,
        blank=True,
        help_text="Refunds go out by this date: 20 business days after payoff (Reg X 1024.34(b)).",
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=NON_NEGATIVE_FIGURES & Q(overage_refund__gte=0), name="loan_payoff_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"Payoff of {self.loan_id} on {self.as_of}: {self.total}"

    @property
    def refund_total(self):
        """Everything returned to the borrower after the payoff."""
        return self.overage_refund + self.suspense_refund + self.interest_refund + self.escrow_refund
