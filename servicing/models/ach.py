"""The borrower's bank payments: one-time ACH payments waiting to settle, and autopay enrollments.

A one-time payment is only an instruction until the money settles: it is a ``PendingPayment`` (nothing in the
ledger) and becomes a posted ``LoanTransaction`` when a servicer (later the nightly settlement job) settles it.
Bank account and routing numbers are stored encrypted (``EncryptedTextField``); only the last four digits of the
account are kept in clear, for display.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lending.core.fields import EncryptedTextField
from servicing.models.ledger import MONEY, JournalEntry
from servicing.models.loans import ZERO, Installment, LoanAccount
from servicing.models.payments import LoanTransaction


class ReturnCode(models.TextChoices):
    """NACHA return reason codes the servicer acts on (NACHA Operating Rules, Appendix Four)."""

    R01 = "R01", "R01 Insufficient funds"
    R02 = "R02", "R02 Account closed"
    R03 = "R03", "R03 No account / unable to locate account"
    R04 = "R04", "R04 Invalid account number"
    R07 = "R07", "R07 Authorization revoked by customer"
    R08 = "R08", "R08 Payment stopped"
    R09 = "R09", "R09 Uncollected funds"
    R10 = "R10", "R10 Customer advises not authorized"
    R16 = "R16", "R16 Account frozen"
    R20 = "R20", "R20 Non-transaction account"
    R29 = "R29", "R29 Corporate customer advises not authorized"


# Codes after which the account must not be drafted again (NACHA forbids re-presenting these): autopay is
# suspended at the first such return, whatever the configured count.
ACCOUNT_UNUSABLE_CODES = frozenset({"R02", "R03", "R04", "R07", "R10", "R16", "R20", "R29"})


class BankAccount(models.Model):
    """The borrower's account a draft is taken from: encrypted numbers, the last four digits for display."""

    class AccountType(models.TextChoices):
        CHECKING = "checking", "Checking"
        SAVINGS = "savings", "Savings"

    account_holder = models.CharField(max_length=120)
    account_type = models.CharField(max_length=16, choices=AccountType.choices, default=AccountType.CHECKING)
    routing_number = EncryptedTextField(help_text="ABA routing number, encrypted at rest.")
    account_number = EncryptedTextField(help_text="Account number, encrypted at rest.")
    account_last4 = models.CharField(max_length=4)

    class Meta:
        abstract = True

    @property
    def account_display(self) -> str:
        return f"{self.get_account_type_display()} account ending {self.account_last4}"


class AutopayEnrollment(BankAccount):
    """A borrower's standing instruction to draft each installment (plus optional extra principal) from a bank
    account, ``draft_days_before`` days before the due date. Recorded only: the nightly jobs execute drafts.
    At most one active enrollment per loan (a partial unique constraint)."""

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="autopay_enrollments")
    draft_days_before = models.PositiveSmallIntegerField(
        default=0, help_text="Draft this many days before each due date (0: on the due date)."
    )
    extra_principal = models.DecimalField(
        **MONEY, default=ZERO, help_text="Added to each installment's amount, applied to principal."
    )
    max_draft_amount = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        help_text="The borrower's ceiling: a draft above it is not made (blank: no ceiling).",
    )
    active = models.BooleanField(default=True)
    # Suspended after returned drafts: still the loan's enrollment (not cancelled), but nothing is drafted.
    suspended_on = models.DateField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=255, blank=True, db_default="", default="")
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    enrolled_at = models.DateTimeField(default=timezone.now)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["loan_id", "-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["loan"], condition=Q(active=True), name="autopay_one_active_per_loan"),
            models.CheckConstraint(condition=Q(extra_principal__gte=0), name="autopay_extra_non_negative"),
            models.CheckConstraint(
                condition=Q(max_draft_amount__isnull=True) | Q(max_draft_amount__gt=0), name="autopay_ceiling_positive"
            ),
            models.CheckConstraint(
                condition=Q(active=True, cancelled_at__isnull=True) | Q(active=False, cancelled_at__isnull=False),
                name="autopay_cancelled_when_inactive",
            ),
        ]

    def __str__(self) -> str:
        state = ("suspended" if self.suspended else "active") if self.active else "cancelled"
        return f"Autopay {self.loan_id} ({state}, ending {self.account_last4})"

    @property
    def suspended(self) -> bool:
        return self.active and self.suspended_on is not None


class AchFile(models.Model):
    """A NACHA file made for the bank: its exact text, kept as sent, and the payments in it (``PendingPayment.
    ach_file``). A payment goes in one file only, so a second file of the day holds only what the first did not;
    a file is downloaded again from here, never remade. ``file_id_modifier`` tells apart the files made on one
    day (File Header position 34, A-Z then 0-9)."""

    settlement_date = models.DateField(help_text="The effective entry date: the day the debits settle.")
    created_on = models.DateField(help_text="The File Creation Date of the header (local).")
    file_id_modifier = models.CharField(max_length=1)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entry_count = models.PositiveIntegerField()
    total = models.DecimalField(**MONEY)
    is_sandbox = models.BooleanField(default=False)
    content = models.TextField(help_text="The file as sent, byte for byte (ASCII).")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["created_on", "file_id_modifier"], name="ach_file_one_modifier_a_day"),
            models.CheckConstraint(condition=Q(entry_count__gt=0, total__gt=0), name="ach_file_not_empty"),
        ]

    def __str__(self) -> str:
        return f"ACH file {self.pk} ({self.file_id_modifier}, made {self.created_on}, settling {self.settlement_date})"

    @property
    def download_name(self) -> str:
        return f"ach-{self.settlement_date.isoformat()}-{self.created_on:%Y%m%d}{self.file_id_modifier}.txt"


class PendingPayment(BankAccount):
    """A one-time ACH payment the borrower scheduled: not posted until it settles (then ``transaction`` is the
    posting). ``idempotency_key`` is unique, so a double-submitted form records one payment."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SETTLED = "settled", "Settled"
        RETURNED = "returned", "Returned"
        CANCELLED = "cancelled", "Cancelled"

    class Directive(models.TextChoices):  # the borrower's choices: a subset of LoanTransaction.Directive
        STANDARD = "standard", "Regular payment (applied to what is due first)"
        PRINCIPAL_ONLY = "principal_only", "Principal only"

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="pending_payments")
    amount = models.DecimalField(**MONEY)
    scheduled_date = models.DateField(help_text="The day the borrower asked us to draft the account.")
    directive = models.CharField(max_length=16, choices=Directive.choices, default=Directive.STANDARD)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(max_length=100, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    transaction = models.OneToOneField(
        LoanTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="ach_payment"
    )
    settled_on = models.DateField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(max_length=255, blank=True)
    # --- the nightly ACH step ----------------------------------------------------------------------------
    # An autopay draft: the enrollment and the installment it pays (one draft per pair).
    enrollment = models.ForeignKey(
        "AutopayEnrollment", null=True, blank=True, on_delete=models.PROTECT, related_name="drafts"
    )
    installment = models.ForeignKey(
        Installment, null=True, blank=True, on_delete=models.PROTECT, related_name="autopay_drafts"
    )
    # What the ACH processor answered: who (a sandbox says so), the entry's trace number, a return.
    processor = models.CharField(max_length=80, blank=True, db_default="", default="")
    is_sandbox = models.BooleanField(default=False, db_default=False)
    trace_number = models.CharField(max_length=15, blank=True, db_default="", default="", db_index=True)
    return_code = models.CharField(max_length=3, choices=ReturnCode.choices, blank=True, db_default="", default="")
    returned_on = models.DateField(null=True, blank=True)
    return_fee_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="returned_ach_payment"
    )
    ach_file = models.ForeignKey(
        AchFile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        help_text="The NACHA file this debit was sent to the bank in; a payment is in one file at most.",
    )

    class Meta:
        ordering = ["-scheduled_date", "-id"]
        indexes = [
            models.Index(fields=["loan", "status"], name="pending_payment_loan_idx"),
            models.Index(fields=["status", "scheduled_date"], name="pending_payment_due_idx"),
            # The admin list filtered by return code, newest first (a code is a handful among millions of drafts).
            models.Index(fields=["return_code", "id"], name="pending_payment_code_idx"),
            # Returns received and not yet processed: a handful among every settled payment ever made.
            models.Index(
                fields=["loan"],
                condition=Q(status="settled") & ~Q(return_code=""),
                name="pending_payment_return_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="pending_payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(directive__in=("standard", "principal_only")), name="pending_payment_directive"
            ),
            # Settled, and only settled (or returned after settling), points at its posting.
            models.CheckConstraint(
                condition=~Q(status="settled") | Q(transaction__isnull=False, settled_on__isnull=False),
                name="pending_payment_settled_posted",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=("pending", "cancelled")) | Q(transaction__isnull=True),
                name="pending_payment_unsettled_unposted",
            ),
            models.UniqueConstraint(
                fields=["enrollment", "installment"],
                condition=Q(enrollment__isnull=False),
                name="pending_payment_one_draft_per_installment",
            ),
        ]

    def __str__(self) -> str:
        return f"ACH {self.pk} {self.amount} on {self.scheduled_date} ({self.get_status_display().lower()})"


class AutopaySkippedDraft(models.Model):
    """A draft the nightly step did not make, and why (the amount owed is above the borrower's ceiling): one per
    enrollment and installment, so a rerun decides nothing twice. Servicers see it in the admin."""

    enrollment = models.ForeignKey(AutopayEnrollment, on_delete=models.PROTECT, related_name="skipped_drafts")
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="+")
    draft_date = models.DateField()
    amount_owed = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-draft_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "installment"], name="autopay_skip_one_per_installment")
        ]

    def __str__(self) -> str:
        return f"Autopay {self.enrollment_id}: no draft on {self.draft_date} ({self.reason})"
