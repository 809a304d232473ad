"""Monthly portfolio figures the reports read instead of scanning millions of payment lines per page view.

One row per (month, product): what was collected and where it went, the net change in principal (the ledger's loans
receivable), the principal at the month's start, and the charge-offs and recoveries. Kept by
``servicing.services.portfolio_months`` after the close of business (the months of every journal entry posted since
the last refresh) and rebuilt whole by ``manage.py refresh_portfolio_months --all``.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

from lending.core.fields import DecimalSpec
from servicing.models.ledger import MONEY

ZERO = Decimal("0.00")


class PortfolioMonth(models.Model):
    month = models.DateField(help_text="The month's first day.")
    product_code = models.CharField(max_length=40, blank=True)
    payments = models.PositiveIntegerField(default=0, help_text="Posted payments effective in the month.")
    principal_collected = models.DecimalField(**MONEY, default=ZERO, help_text="Scheduled principal paid.")
    prepayment = models.DecimalField(**MONEY, default=ZERO, help_text="Unscheduled principal (curtailments, payoffs).")
    interest_collected = models.DecimalField(**MONEY, default=ZERO)
    escrow_collected = models.DecimalField(**MONEY, default=ZERO)
    fees_collected = models.DecimalField(**MONEY, default=ZERO, help_text="Late fees and other fees.")
    principal_change = models.DecimalField(
        **MONEY, default=ZERO, help_text="Net change in loans receivable (disbursed - repaid - charged off)."
    )
    balance_start = models.DecimalField(**MONEY, default=ZERO, help_text="Principal outstanding on the first day.")
    charge_offs = models.PositiveIntegerField(default=0)
    charged_off_principal = models.DecimalField(**MONEY, default=ZERO)
    charge_off_loss = models.DecimalField(**MONEY, default=ZERO)
    recoveries = models.PositiveIntegerField(default=0)
    recovered = models.DecimalField(**MONEY, default=ZERO)
    last_entry_id = models.BigIntegerField(default=0, help_text="The newest journal entry the refresh had seen.")
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["month", "product_code"]
        constraints = [
            models.UniqueConstraint(fields=["month", "product_code"], name="portfolio_month_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="portfolio_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.product_code}"


# Sums of balance x rate and balance x month number: 6 decimals, room for a book of billions.
WEIGHT: DecimalSpec = {"max_digits": 30, "decimal_places": 6}


class PortfolioStratum(models.Model):
    """Changes to the book's sums per stratum (product, status, rate band, vintage), so the portfolio report adds up
    a few hundred rows instead of grouping 100,000 loans on each visit.

    Kept by the database (PostgreSQL): triggers on ``servicing_loanaccount`` (migration 0050) add, for each
    statement that inserts, updates or deletes loans, one row per stratum whose sums it changed (a payment: one row,
    its balance change; a rate change or a new status: one row out of the old stratum and one into the new), in the
    statement's transaction; never an update of a shared row. ``portfolio_strata_compact`` merges each stratum's rows
    nightly. A stratum's remaining term is ``maturity_weight`` (balance x the maturity's month number, year x 12 +
    month) less the as-of month number x its balance (see ``servicing.selectors.portfolio``).
    """

    product_code = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=16)
    rate_band = models.SmallIntegerField(help_text="The whole percent of the rate, clamped to 2..10.")
    vintage = models.SmallIntegerField(help_text="The first payment's year.")
    loans = models.IntegerField(default=0)
    balance = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    rate_weight = models.DecimalField(**WEIGHT, default=ZERO, help_text="Sum of principal balance x annual rate.")
    maturity_weight = models.DecimalField(
        **WEIGHT, default=ZERO, help_text="Sum of principal balance x the maturity month's number (year x 12 + month)."
    )

    class Meta:
        indexes = [
            models.Index(fields=["product_code", "status", "rate_band", "vintage"], name="portfolio_stratum_idx")
        ]

    def __str__(self) -> str:
        return f"{self.product_code} {self.status} {self.rate_band} {self.vintage}: {self.loans} loans"
