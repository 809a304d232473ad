from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from lending.core.files import random_storage_name
from origination.models.applications import Application, Borrower
from origination.models.products import RATE, DocumentType


class CreditReport(models.Model):
    """A stored credit report from a bureau adapter (the sandbox bureau's reports say so)."""

    lines: list[Any]  # not a column: the TradelineRows set by origination.credit.selectors.latest_credit_reports()

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="credit_reports")
    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="credit_reports")
    bureau = models.CharField(max_length=40)
    is_sandbox = models.BooleanField(default=False)
    score = models.PositiveIntegerField(null=True, blank=True)
    tradelines = models.JSONField(default=list, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    pulled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    pulled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-pulled_at"]

    def __str__(self) -> str:
        return f"{self.bureau} {self.score} ({self.borrower})"


class TradelineExclusion(models.Model):
    """An underwriter's reason to leave one tradeline of a credit report out of the monthly debts (paid off at
    closing, paid by a business or someone else, a duplicate): automated underwriting then does not count it."""

    credit_report = models.ForeignKey(CreditReport, on_delete=models.CASCADE, related_name="exclusions")
    index = models.PositiveIntegerField(help_text="The tradeline's position on the report (0 for the first).")
    reason = models.TextField()
    excluded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    excluded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["credit_report", "index"]
        constraints = [
            models.UniqueConstraint(fields=["credit_report", "index"], name="one_exclusion_per_tradeline"),
            models.CheckConstraint(condition=~models.Q(reason=""), name="tradeline_exclusion_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Tradeline {self.index} of {self.credit_report}: {self.reason}"


class UnderwritingFinding(models.Model):
    """One run of the automated underwriting engine, with the figures it used and each finding explained."""

    class Recommendation(models.TextChoices):
        APPROVE_ELIGIBLE = "approve_eligible", "Approve/Eligible"
        REFER = "refer", "Refer"
        REFER_WITH_CAUTION = "refer_with_caution", "Refer with Caution"
        OUT_OF_SCOPE = "out_of_scope", "Out of Scope"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="findings")
    recommendation = models.CharField(max_length=24, choices=Recommendation.choices)
    front_dti = models.DecimalField(**RATE, null=True, blank=True)
    back_dti = models.DecimalField(**RATE, null=True, blank=True)
    ltv = models.DecimalField(**RATE, null=True, blank=True)
    cltv = models.DecimalField(**RATE, null=True, blank=True)
    credit_score = models.PositiveIntegerField(null=True, blank=True)
    reserves_months = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    messages = models.JSONField(default=list, help_text="[{code, severity, text}] explaining the recommendation.")
    calculations = models.JSONField(default=dict, blank=True, help_text="The figures behind the ratios, as strings.")
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    run_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-run_at", "-id"]

    def __str__(self) -> str:
        return f"{self.application}: {self.get_recommendation_display()}"


class Condition(models.Model):
    """Something that must be satisfied before approval, documents or funding; may be cleared by a document."""

    class Stage(models.TextChoices):
        PRIOR_TO_APPROVAL = "prior_to_approval", "Prior to approval"
        PRIOR_TO_DOCS = "prior_to_docs", "Prior to docs"
        PRIOR_TO_FUNDING = "prior_to_funding", "Prior to funding"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLEARED = "cleared", "Cleared"
        WAIVED = "waived", "Waived"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="conditions")
    stage = models.CharField(max_length=24, choices=Stage.choices)
    description = models.TextField()
    document_type = models.ForeignKey(
        DocumentType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Verifying a document of this type clears the condition.",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    clearing_note = models.TextField(blank=True)

    class Meta:
        ordering = ["stage", "created_at", "id"]

    def __str__(self) -> str:
        return self.description[:80]


class PrincipalReason(models.TextChoices):
    """Principal reasons for credit denial, as listed on Reg B's sample Form C-1 (12 CFR 1002, Appendix C)."""

    CREDIT_APPLICATION_INCOMPLETE = "credit_application_incomplete", "Credit application incomplete"
    INSUFFICIENT_CREDIT_REFERENCES = (
        "insufficient_credit_references",
        "Insufficient number of credit references provided",
    )
    UNACCEPTABLE_CREDIT_REFERENCES = "unacceptable_credit_references", "Unacceptable type of credit references provided"
    UNABLE_TO_VERIFY_CREDIT_REFERENCES = "unable_to_verify_credit_references", "Unable to verify credit references"
    TEMPORARY_EMPLOYMENT = "temporary_employment", "Temporary or irregular employment"
    UNABLE_TO_VERIFY_EMPLOYMENT = "unable_to_verify_employment", "Unable to verify employment"
    LENGTH_OF_EMPLOYMENT = "length_of_employment", "Length of employment"
    INSUFFICIENT_INCOME = "insufficient_income", "Income insufficient for amount of credit requested"
    EXCESSIVE_OBLIGATIONS = "excessive_obligations", "Excessive obligations in relation to income"
    UNABLE_TO_VERIFY_INCOME = "unable_to_verify_income", "Unable to verify income"
    LENGTH_OF_RESIDENCE = "length_of_residence", "Length of residence"
    TEMPORARY_RESIDENCE = "temporary_residence", "Temporary residence"
    UNABLE_TO_VERIFY_RESIDENCE = "unable_to_verify_residence", "Unable to verify residence"
    NO_CREDIT_FILE = "no_credit_file", "No credit file"
    LIMITED_CREDIT_EXPERIENCE = "limited_credit_experience", "Limited credit experience"
    POOR_CREDIT_PERFORMANCE_WITH_US = "poor_credit_performance_with_us", "Poor credit performance with us"
    DELINQUENT_OBLIGATIONS = "delinquent_obligations", "Delinquent past or present credit obligations with others"
    COLLECTION_OR_JUDGMENT = "collection_or_judgment", "Collection action or judgment"
    GARNISHMENT_OR_ATTACHMENT = "garnishment_or_attachment", "Garnishment or attachment"
    FORECLOSURE_OR_REPOSSESSION = "foreclosure_or_repossession", "Foreclosure or repossession"
    BANKRUPTCY = "bankruptcy", "Bankruptcy"
    RECENT_INQUIRIES = "recent_inquiries", "Number of recent inquiries on credit bureau report"
    INSUFFICIENT_COLLATERAL = "insufficient_collateral", "Value or type of collateral not sufficient"
    OTHER = "other", "Other"


class Decision(models.Model):
    """An underwriter's decision with its reasons (denials feed the adverse-action notice, Reg B 1002.9)."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", "Approved"
        CONDITIONALLY_APPROVED = "conditionally_approved", "Conditionally approved"
        SUSPENDED = "suspended", "Suspended"
        DENIED = "denied", "Denied"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    reasons = models.JSONField(default=list, help_text="Principal reason codes (denial) or notes.")
    other_reason = models.CharField(max_length=200, blank=True, help_text='The "Other, specify" reason (Form C-1).')
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.application}: {self.get_outcome_display()}"


def adverse_action_upload_to(instance: "AdverseActionNotice", filename: str) -> str:
    # A random name: no borrower names in storage paths, nothing to guess.
    return random_storage_name("adverse_action", ".pdf")


class AdverseActionNotice(models.Model):
    """The notice of action taken and statement of reasons sent after a denial (Reg B 1002.9(a)(2), (b))."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="adverse_action_notice")
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="adverse_action_notice")
    file = models.FileField(upload_to=adverse_action_upload_to, max_length=255)
    sha256 = models.CharField(max_length=64)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Adverse action notice {self.application}"
