from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from lending.core.fields import DecimalSpec
from origination.models.choices import (
    DISCLOSURE_RULES,
    Amortization,
    DayCount,
    DisclosureRule,
    Frequency,
    InterestMethod,
    ProductKind,
)
from origination.models.choices import AllocationStrategy as Allocation

MONEY: DecimalSpec = {"max_digits": 14, "decimal_places": 2}
RATE: DecimalSpec = {"max_digits": 7, "decimal_places": 4}
ZERO = Decimal("0")


class DocumentType(models.Model):
    """A kind of document a lender asks for: pay stub, W-2, bank statement, appraisal..."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    borrower_provides = models.BooleanField(default=True, help_text="False for documents the lender orders.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LoanProduct(models.Model):
    """What a lender offers. Booked loans snapshot these terms: editing a product never changes a booked loan."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=ProductKind.choices)
    is_active = models.BooleanField(default=True)

    annual_rate = models.DecimalField(**RATE, help_text="Note rate, annual percent (6.5 = 6.5 %).")
    term_periods = models.PositiveIntegerField(help_text="Number of scheduled payments.")
    payment_frequency = models.CharField(max_length=16, choices=Frequency.choices, default=Frequency.MONTHLY)
    amortization = models.CharField(max_length=16, choices=Amortization.choices, default=Amortization.LEVEL)
    interest_only_periods = models.PositiveIntegerField(default=0)
    balloon_after_periods = models.PositiveIntegerField(null=True, blank=True)
    day_count = models.CharField(max_length=16, choices=DayCount.choices, default=DayCount.THIRTY_360)
    interest_method = models.CharField(
        max_length=16, choices=InterestMethod.choices, default=InterestMethod.SCHEDULED, db_default="scheduled"
    )
    allocation_strategy = models.CharField(
        max_length=32, choices=Allocation.choices, default=Allocation.MORTGAGE_STANDARD
    )

    min_amount = models.DecimalField(**MONEY, default=Decimal("1000.00"))
    max_amount = models.DecimalField(**MONEY, default=Decimal("2000000.00"))
    origination_fee_percent = models.DecimalField(**RATE, default=ZERO, help_text="Percent of the loan amount.")
    late_fee_percent = models.DecimalField(**RATE, default=ZERO, help_text="Percent of the past-due payment.")
    late_fee_flat = models.DecimalField(**MONEY, default=ZERO)
    late_fee_max = models.DecimalField(**MONEY, null=True, blank=True)
    grace_days = models.PositiveIntegerField(default=15)
    returned_payment_fee = models.DecimalField(
        **MONEY, default=ZERO, db_default=ZERO, help_text="Charged once per returned ACH payment (0: none)."
    )
    statement_days_before_due = models.PositiveIntegerField(
        default=15,
        db_default=15,
        validators=[MaxValueValidator(60)],
        help_text="Days before each due date the periodic statement is made (Reg Z 1026.41(b): delivered within a "
        "reasonable time after the previous courtesy period ends; 15 with a 15-day grace period).",
    )
    escrow_required = models.BooleanField(default=False)

    max_ltv = models.DecimalField(**RATE, null=True, blank=True, help_text="Percent; blank for unsecured loans.")
    max_cltv = models.DecimalField(**RATE, null=True, blank=True)
    max_dti = models.DecimalField(**RATE, validators=[MinValueValidator(0), MaxValueValidator(100)])
    min_credit_score = models.PositiveIntegerField(default=620)
    min_reserves_months = models.DecimalField(max_digits=5, decimal_places=2, default=ZERO)

    required_documents = models.ManyToManyField(DocumentType, through="ProductDocument", blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(annual_rate__gte=0), name="product_rate_non_negative"),
            models.CheckConstraint(condition=Q(term_periods__gte=1), name="product_term_positive"),
            models.CheckConstraint(
                condition=Q(min_amount__gt=0, max_amount__gte=models.F("min_amount")), name="product_amount_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def disclosure_rule(self) -> str:
        """The Reg Z disclosures its loans get, by the product's kind (origination.models.choices.DISCLOSURE_RULES)."""
        return DISCLOSURE_RULES[self.kind]

    def get_disclosure_rule_display(self) -> str:
        return DisclosureRule(self.disclosure_rule).label


class ProductDocument(models.Model):
    """The per-product checklist of required documents."""

    product = models.ForeignKey(LoanProduct, on_delete=models.CASCADE, related_name="document_checklist")
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT)
    required_for_submission = models.BooleanField(
        default=False, help_text="Needed before the application can go to underwriting."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "document_type"], name="product_document_unique")]

    def __str__(self) -> str:
        return f"{self.product}: {self.document_type}"


class ProductFee(models.Model):
    """A fixed fee charged at closing (appraisal, credit report, underwriting...)."""

    product = models.ForeignKey(LoanProduct, on_delete=models.CASCADE, related_name="fees")
    name = models.CharField(max_length=120)
    amount = models.DecimalField(**MONEY)
    is_finance_charge = models.BooleanField(
        default=True, help_text="Prepaid finance charge under Reg Z 1026.4 (lowers the amount financed)."
    )
    is_points_and_fees = models.BooleanField(default=True, help_text="Counts toward the QM points-and-fees cap.")

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="product_fee_non_negative")]

    def __str__(self) -> str:
        return f"{self.name} ({self.amount})"
