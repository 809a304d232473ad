"""Loan transactions (payments and their reversals) and where each payment's money went (allocation lines)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lending.core.templatetags.money import format_money
from servicing.models.ledger import MONEY, JournalEntry
from servicing.models.loans import Installment, LoanAccount


class LoanTransaction(models.Model):
    """One payment received (or the reversal of one), posted through one journal entry.

    ``idempotency_key`` is unique: a payment submitted twice (a retried request, a re-imported file line) posts
    once. A reversed payment keeps its allocation lines for history; its status says it no longer counts.
    """

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REVERSAL = "reversal", "Reversal"

    class Method(models.TextChoices):
        ACH = "ach", "ACH"
        CHECK = "check", "Check"
        WIRE = "wire", "Wire"
        CASH = "cash", "Cash"
        CARD = "card", "Card"
        LOCKBOX = "lockbox", "Lockbox"

    class Directive(models.TextChoices):
        STANDARD = "standard", "Standard (waterfall)"
        PRINCIPAL_ONLY = "principal_only", "Principal only"
        ESCROW_ONLY = "escrow_only", "Escrow only"
        PAYOFF = "payoff", "Payoff"

    class Status(models.TextChoices):
        POSTED = "posted", "Posted"
        REVERSED = "reversed", "Reversed"

    loan = models.ForeignKey(
        LoanAccount,
        on_delete=models.PROTECT,
        related_name="transactions",
        db_index=False,  # loan_txn_loan_date_idx leads with it
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PAYMENT)
    amount = models.DecimalField(**MONEY)
    effective_date = models.DateField()
    method = models.CharField(max_length=16, choices=Method.choices)
    reference = models.CharField(max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    directive = models.CharField(max_length=16, choices=Directive.choices, default=Directive.STANDARD)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.POSTED)
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="loan_transaction")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    note = models.CharField(max_length=255, blank=True, help_text="The reason, for a reversal.")
    posted_by = models.ForeignKey(  # loan_txn_posted_by_idx: the staff's postings, not the system's
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    posted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["loan_id", "effective_date", "id"]
        indexes = [
            models.Index(fields=["loan", "effective_date", "id"], name="loan_txn_loan_date_idx"),
            # The payment history report: the whole book's payments newest first, a page at a time.
            models.Index(fields=["effective_date", "id"], name="loan_txn_date_idx"),
            # Only the payments a user posted (PostgreSQL's check of a user's deletion finds them): a payment of
            # the system (an import, autopay) writes no index row for its empty column.
            models.Index(fields=["posted_by"], name="loan_txn_posted_by_idx", condition=Q(posted_by__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="loan_txn_amount_positive"),
            # A reversal, and only a reversal, points at the payment it reverses.
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False) | Q(kind="payment", reverses__isnull=True),
                name="loan_txn_reversal_link",
            ),
        ]

    def __str__(self) -> str:
        # Titled by what the servicer keyed (check number, trace number), not by the internal idempotency key.
        reference = self.reference or f"#{self.pk}"
        kind = _TRANSACTION_KIND_LABELS.get(self.kind, self.kind)  # get_kind_display(), without its dict each call
        return f"{kind} {reference}: {format_money(self.amount)} on {self.effective_date}"


_TRANSACTION_KIND_LABELS: dict[str, str] = dict(LoanTransaction.Kind.choices)


class AllocationLineQuerySet(models.QuerySet):
    def current(self) -> AllocationLineQuerySet:
        """The lines that stand now. A replay (after a backdated payment or a reversal) supersedes a payment's
        lines with new ones; read history through this, never through ``all()``."""
        return self.filter(superseded_by__isnull=True)


class AllocationLine(models.Model):
    """The part of a payment that went to one bucket of one installment. Prepayment, suspense and an unscheduled
    escrow deposit belong to no installment."""

    class Bucket(models.TextChoices):
        LATE_FEES = "late_fees", "Late fees"
        FEES = "fees", "Fees"
        INTEREST = "interest", "Interest"
        PRINCIPAL = "principal", "Principal"
        ESCROW = "escrow", "Escrow"
        PREPAYMENT = "prepayment", "Principal prepayment"
        SUSPENSE = "suspense", "Suspense"

    transaction = models.ForeignKey(LoanTransaction, on_delete=models.PROTECT, related_name="allocation_lines")
    installment = models.ForeignKey(
        Installment, null=True, blank=True, on_delete=models.PROTECT, related_name="allocation_lines"
    )
    bucket = models.CharField(max_length=16, choices=Bucket.choices)
    amount = models.DecimalField(
        **MONEY, help_text="Negative for suspense applied (money released to pay the other buckets)."
    )

    superseded_by = models.ForeignKey(
        "servicing.Replay",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,  # alloc_line_superseded_idx: the lines a replay superseded, not the standing ones
        related_name="superseded_lines",
        help_text="The replay that re-allocated this payment; blank while the line stands.",
    )

    objects = AllocationLineQuerySet.as_manager()

    class Meta:
        ordering = ["transaction_id", "id"]
        indexes = [
            # Only the lines a replay superseded (PostgreSQL's check of a replay's deletion finds them): every
            # payment writes standing lines, with no index row for their empty column.
            models.Index(
                fields=["superseded_by"], name="alloc_line_superseded_idx", condition=Q(superseded_by__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) | Q(bucket="suspense", installment__isnull=True),
                name="allocation_line_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bucket} {self.amount}"


class Replay(models.Model):
    """A loan re-run from a date: a backdated payment or a reversal took the later payments off and put them back
    in date order. Each re-allocated payment gets new allocation lines and a new journal entry (the old entry is
    reversed); ``changes`` keeps what each one paid before and after, for the servicer to see."""

    class Cause(models.TextChoices):
        BACKDATED_PAYMENT = "backdated_payment", "Backdated payment"
        REVERSAL = "reversal", "Reversal"

    loan = models.ForeignKey(LoanAccount, on_delete=models.PROTECT, related_name="replays")
    cause = models.CharField(max_length=24, choices=Cause.choices)
    trigger = models.ForeignKey(
        LoanTransaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replays",
        help_text="The backdated payment, or the reversal transaction.",
    )
    from_date = models.DateField(help_text="The effective date the loan was re-run from.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Replay of {self.loan_id} from {self.from_date} ({self.get_cause_display()})"


class ReplayChange(models.Model):
    """One payment re-allocated by a replay: its allocation by bucket before and after (``{bucket: "amount"}``)
    and the journal entries swapped."""

    replay = models.ForeignKey(Replay, on_delete=models.PROTECT, related_name="changes")
    transaction = models.ForeignKey(LoanTransaction, on_delete=models.PROTECT, related_name="replay_changes")
    before = models.JSONField()
    after = models.JSONField()
    old_entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="+")
    new_entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["replay_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["replay", "transaction"], name="replay_change_unique_txn"),
        ]

    def __str__(self) -> str:
        return f"{self.replay_id}: txn {self.transaction_id}"

    @property
    def changed(self) -> bool:
        return self.before != self.after
