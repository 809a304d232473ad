from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lending.core.files import random_storage_name
from origination.models.applications import Application
from origination.models.products import MONEY, RATE


def disclosure_upload_to(instance: "Disclosure", filename: str) -> str:
    # Random: "A-2026-000002-closing-disclosure.pdf" was guessable. The download view names the file.
    return random_storage_name("disclosures", ".pdf")


# The compliance checks in the order they run and are shown (origination.services.compliance.run runs them).
CHECK_TITLES = {
    "le_timing": "Loan Estimate delivered within 3 business days of the application (1026.19(e)(1)(iii))",
    "le_waiting_period": "Consummation 7 business days after the Loan Estimate is delivered or mailed "
    "(1026.19(e)(1)(iii)(B))",
    "revised_le_timing": "Revised Loan Estimate received 4 business days before consummation and before the Closing "
    "Disclosure (1026.19(e)(4)(ii))",
    "cd_timing": "Closing Disclosure received 3 business days before consummation (1026.19(f)(1)(ii))",
    "til_timing": "Truth in Lending disclosure given before consummation (1026.17(b), 1026.18)",
    "apr_tolerance": "Disclosed APR within tolerance of the recomputed APR (1026.22(a))",
    "atr_qm": "Ability to repay: General Qualified Mortgage (1026.43)",
    "hoepa": "Not a high-cost mortgage (HOEPA, 1026.32)",
}


class Disclosure(models.Model):
    """A Loan Estimate, Closing Disclosure (mortgages) or Truth in Lending disclosure (other consumer loans) as
    issued: the figures disclosed and when the borrower got them."""

    receipt_date: date  # not a column: set by selectors.compliance.disclosures_for()

    class Kind(models.TextChoices):
        LOAN_ESTIMATE = "loan_estimate", "Loan Estimate"
        CLOSING_DISCLOSURE = "closing_disclosure", "Closing Disclosure"
        TRUTH_IN_LENDING = "truth_in_lending", "Truth in Lending disclosure"

    class Delivery(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        EMAIL = "email", "Electronic (with e-consent)"
        MAIL = "mail", "Mail"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="disclosures")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    issued_on = models.DateField()
    delivery = models.CharField(max_length=16, choices=Delivery.choices, default=Delivery.EMAIL)
    received_on = models.DateField(
        null=True,
        blank=True,
        help_text="Actual receipt; blank means presumed receipt 3 business days after mailing (1026.19(e)(1)(iv)).",
    )
    loan_amount = models.DecimalField(**MONEY)
    annual_rate = models.DecimalField(**RATE)
    apr = models.DecimalField(max_digits=9, decimal_places=4)
    finance_charge = models.DecimalField(**MONEY)
    amount_financed = models.DecimalField(**MONEY)
    total_of_payments = models.DecimalField(**MONEY)
    monthly_payment = models.DecimalField(**MONEY)
    points_and_fees = models.DecimalField(**MONEY, default=0)
    document = models.FileField(upload_to=disclosure_upload_to, max_length=255, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.issued_on} ({self.application})"


class ComplianceCheck(models.Model):
    """The latest result of one named compliance check on an application."""

    class Result(models.TextChoices):
        PASS = "pass", "Pass"
        FAIL = "fail", "Fail"
        NOT_APPLICABLE = "n/a", "Not applicable"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="compliance_checks")
    code = models.CharField(max_length=40)
    result = models.CharField(max_length=8, choices=Result.choices)
    explanation = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    run_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["application", "code"], name="one_result_per_check")]

    def __str__(self) -> str:
        return f"{self.code}: {self.result}"


class AveragePrimeOfferRate(models.Model):
    """The APOR table (FFIEC), editable in admin: rate by effective week, fixed/variable, and term in years."""

    effective_date = models.DateField()
    is_fixed = models.BooleanField(default=True)
    term_years = models.PositiveIntegerField()
    rate = models.DecimalField(**RATE)

    class Meta:
        ordering = ["-effective_date", "term_years"]
        constraints = [
            models.UniqueConstraint(fields=["effective_date", "is_fixed", "term_years"], name="apor_unique"),
            models.CheckConstraint(condition=Q(rate__gte=0), name="apor_rate_non_negative"),
        ]

    def __str__(self) -> str:
        return f"APOR {self.effective_date} {'fixed' if self.is_fixed else 'ARM'} {self.term_years}y: {self.rate}%"
