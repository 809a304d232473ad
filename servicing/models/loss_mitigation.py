"""Loss mitigation under Reg X: the early intervention notices of 12 CFR 1024.39, the loss mitigation applications
of 1024.41 (with the borrower's documents and the letters we send about them), and the foreclosure referral that
1024.41(f) holds back.

The live-contact half of early intervention has no table: it is a call in the contact log
(``ContactAttempt``) made since the delinquency began.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lending.core.files import random_storage_name
from servicing.models.documents import BorrowerDocument
from servicing.models.loans import LoanAccount


class EarlyInterventionNotice(models.Model):
    """One written early intervention notice (1024.39(b)) the nightly run made for a delinquent loan."""

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="early_intervention_notices")
    delinquency_start = models.DateField(help_text="Due date of the oldest unpaid payment when it was made.")
    sent_on = models.DateField(help_text="The business date the nightly run made it.")
    due_by = models.DateField(help_text="The 45th day of the delinquency (1024.39(b)(1)).")
    cease_contact = models.BooleanField(
        default=False, help_text="Made under 1024.39(d)(2): the borrower had asked us to cease contact."
    )
    document = models.ForeignKey(BorrowerDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["loan_id", "-sent_on"]
        constraints = [models.UniqueConstraint(fields=["loan", "sent_on"], name="early_intervention_once_a_day")]
        indexes = [models.Index(fields=["loan", "-sent_on"], name="early_intervention_loan_idx")]

    def __str__(self) -> str:
        return f"Early intervention notice {self.loan_id} on {self.sent_on}"


class LossMitigationApplication(models.Model):
    """A borrower's application for loss mitigation (1024.41): received, acknowledged within five business days
    as complete or incomplete, completed, then evaluated within 30 days and decided."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        INCOMPLETE = "incomplete", "Incomplete"
        COMPLETE = "complete", "Complete, under evaluation"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"

    class Option(models.TextChoices):
        FORBEARANCE = "forbearance", "Forbearance"
        REPAYMENT = "repayment", "Repayment plan"
        MODIFICATION = "modification", "Loan modification"

    OPEN = (Status.RECEIVED, Status.INCOMPLETE, Status.COMPLETE)

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="loss_mitigation_applications")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    received_on = models.DateField()
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acknowledge_by = models.DateField(help_text="Five business days after receipt (1024.41(b)(2)(i)(B)).")
    acknowledged_on = models.DateField(null=True, blank=True)
    missing = models.JSONField(default=list, blank=True, help_text="Document kinds missing when acknowledged.")
    submit_by = models.DateField(null=True, blank=True, help_text="The date to send the missing documents by.")
    completed_on = models.DateField(null=True, blank=True)
    evaluate_by = models.DateField(null=True, blank=True, help_text="30 days after it became complete (41(c)(1)).")
    decided_on = models.DateField(null=True, blank=True)
    option = models.CharField(max_length=16, choices=Option.choices, blank=True)
    denial_reasons = models.TextField(blank=True)
    appeal_by = models.DateField(null=True, blank=True, help_text="14 days after the decision (1024.41(h)(2)).")
    acknowledgment = models.ForeignKey(
        BorrowerDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_letter = models.ForeignKey(
        BorrowerDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["loan_id", "-received_on", "-id"]
        constraints = [
            # One application at a time: another is received once this one is decided.
            models.UniqueConstraint(
                fields=["loan"],
                condition=Q(status__in=["received", "incomplete", "complete"]),
                name="loss_mitigation_one_open_per_loan",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | ~Q(option=""), name="loss_mitigation_approved_has_option"
            ),
            models.CheckConstraint(
                condition=~Q(status="denied") | ~Q(denial_reasons=""), name="loss_mitigation_denied_has_reasons"
            ),
        ]

    def __str__(self) -> str:
        return f"Loss mitigation application {self.pk} on {self.loan_id} ({self.status})"


def loss_mitigation_upload_to(instance: LossMitigationDocument, filename: str) -> str:
    # A random name, never the uploader's (no path tricks, no personal data in paths, nothing to guess).
    return random_storage_name("loss_mitigation")


class LossMitigationDocument(models.Model):
    """One file the borrower sent with a loss mitigation application (sniffed, size-limited and hashed as the
    origination documents are)."""

    class Kind(models.TextChoices):
        APPLICATION_FORM = "application_form", "Signed application form"
        HARDSHIP = "hardship", "Hardship letter"
        INCOME = "income", "Proof of income (two recent pay stubs)"
        TAX_RETURNS = "tax_returns", "Two years' tax returns"
        BANK_STATEMENTS = "bank_statements", "Two months' bank statements"
        OTHER = "other", "Other"

    REQUIRED = (Kind.APPLICATION_FORM, Kind.HARDSHIP, Kind.INCOME, Kind.TAX_RETURNS, Kind.BANK_STATEMENTS)

    application = models.ForeignKey(LossMitigationApplication, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    file = models.FileField(upload_to=loss_mitigation_upload_to, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["application_id", "kind", "-uploaded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["application", "sha256"], name="loss_mitigation_document_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for application {self.application_id}"


class ForeclosureReferral(models.Model):
    """A manager referred the loan to a foreclosure attorney (the "first notice or filing" of 1024.41(f))."""

    loan = models.OneToOneField(LoanAccount, on_delete=models.PROTECT, related_name="foreclosure_referral")
    referred_on = models.DateField()
    attorney = models.CharField(max_length=200)
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    days_past_due = models.PositiveIntegerField(help_text="Days delinquent on the referral date.")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Foreclosure referral of {self.loan_id} on {self.referred_on}"
