"""Collections: the contacts a collector makes with a delinquent borrower and the promises to pay they take.

A loan's current collector and its cease-contact flag are columns on ``LoanAccount`` (one collector at a time; the
queue filters and sorts on them in the same row); the history of assignments is in the audit trail.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from servicing.models.ledger import MONEY
from servicing.models.loans import LoanAccount


class ContactAttempt(models.Model):
    """One call, letter or email to (or attempted to) the borrower of a delinquent loan."""

    class Channel(models.TextChoices):
        CALL = "call", "Call"
        LETTER = "letter", "Letter"
        EMAIL = "email", "Email"

    class Outcome(models.TextChoices):
        PROMISE = "promise", "Promise to pay"
        PAYMENT = "payment", "Payment taken"
        DISPUTE = "dispute", "Dispute"
        REFUSED = "refused", "Refused to pay"
        CALLBACK = "callback", "Call back requested"
        NO_ANSWER = "no_answer", "No answer"
        LEFT_MESSAGE = "left_message", "Left message"
        WRONG_NUMBER = "wrong_number", "Wrong number"
        SENT = "sent", "Sent"

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="contact_attempts")
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    at = models.DateTimeField(help_text="When the contact was made (an aware datetime).")
    right_party_contact = models.BooleanField(default=False, help_text="Spoke with (or reached) the borrower.")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["loan_id", "-at", "-id"]
        indexes = [models.Index(fields=["loan", "at"], name="contact_attempt_loan_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} on {self.loan_id} at {self.at:%Y-%m-%d %H:%M}"


class PromiseToPay(models.Model):
    """The borrower's promise to pay ``amount`` by ``promised_date``; the nightly ``promises`` step resolves it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        KEPT = "kept", "Kept"
        BROKEN = "broken", "Broken"

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="promises")
    amount = models.DecimalField(**MONEY)
    promised_date = models.DateField()
    made_on = models.DateField(help_text="The day it was made: payments from then through the promised date count.")
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    paid_amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="Payments counted when resolved.")
    resolved_on = models.DateField(null=True, blank=True, help_text="The business date the nightly run resolved it.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["loan_id", "-promised_date", "-id"]
        indexes = [
            models.Index(
                fields=["promised_date", "loan"], name="promise_pending_due_idx", condition=Q(status="pending")
            )
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(condition=Q(promised_date__gte=models.F("made_on")), name="promise_date_after_made"),
            # One open promise per loan: the step resolves it before another is taken.
            models.UniqueConstraint(
                fields=["loan"], condition=Q(status="pending"), name="promise_one_pending_per_loan"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", resolved_on__isnull=True)
                | (~Q(status="pending") & Q(resolved_on__isnull=False)),
                name="promise_resolved_on_iff_resolved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.amount} by {self.promised_date} ({self.status})"
