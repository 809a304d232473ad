"""The general ledger: chart of accounts, journal entries and their lines (double entry, append-only).

Every entry balances (sum of debits == sum of credits) and is never changed: corrections are reversing entries.
The posting service checks both; on PostgreSQL, triggers installed by migration 0003 check them again at commit
and refuse UPDATE and DELETE of entries and lines.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lending.core.fields import DecimalSpec

MONEY: DecimalSpec = {"max_digits": 14, "decimal_places": 2}

# The chart of accounts the code relies on (code, number, name, kind, normal side); seeded by migration 0002.
CASH = "cash"
LOANS_RECEIVABLE = "loans_receivable"
ALLOWANCE = "allowance_loan_losses"
INTEREST_RECEIVABLE = "interest_receivable"
FEES_RECEIVABLE = "fees_receivable"
ESCROW_LIABILITY = "escrow_liability"
SUSPENSE = "suspense"
INTEREST_PREPAID = "interest_prepaid"
INTEREST_INCOME = "interest_income"
FEE_INCOME = "fee_income"
CHARGE_OFF_LOSS = "charge_off_loss"
CHART = (
    (CASH, "1000", "Cash and clearing", "asset", "debit"),
    (LOANS_RECEIVABLE, "1100", "Loans receivable (principal)", "asset", "debit"),
    # A contra-asset: its credit balance is netted against the receivables (servicing.services.charge_off).
    (ALLOWANCE, "1150", "Allowance for loan losses", "asset", "credit"),
    (INTEREST_RECEIVABLE, "1200", "Interest receivable", "asset", "debit"),
    (FEES_RECEIVABLE, "1300", "Fees receivable", "asset", "debit"),
    (ESCROW_LIABILITY, "2100", "Escrow liability", "liability", "credit"),
    (SUSPENSE, "2200", "Suspense (unapplied funds)", "liability", "credit"),
    (INTEREST_PREPAID, "2300", "Interest paid in advance (unearned)", "liability", "credit"),
    (INTEREST_INCOME, "4100", "Interest income", "income", "credit"),
    (FEE_INCOME, "4200", "Fee income", "income", "credit"),
    (CHARGE_OFF_LOSS, "5100", "Charge-off loss", "expense", "debit"),
)
# The loan's running balance each per-loan account mirrors: ledger_verify proves they are equal.
LOAN_BALANCE_ACCOUNTS = {
    LOANS_RECEIVABLE: "principal_balance",
    INTEREST_RECEIVABLE: "interest_due",
    FEES_RECEIVABLE: "fees_due",
    ESCROW_LIABILITY: "escrow_balance",
    SUSPENSE: "suspense_balance",
    INTEREST_PREPAID: "interest_prepaid",
}


class LedgerAccount(models.Model):
    """One account of the chart. ``code`` is what services post to; ``number`` orders the trial balance."""

    class Kind(models.TextChoices):
        ASSET = "asset", "Asset"
        LIABILITY = "liability", "Liability"
        EQUITY = "equity", "Equity"
        INCOME = "income", "Income"
        EXPENSE = "expense", "Expense"

    class Side(models.TextChoices):
        DEBIT = "debit", "Debit"
        CREDIT = "credit", "Credit"

    code = models.SlugField(max_length=40, unique=True)
    number = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    normal_side = models.CharField(max_length=8, choices=Side.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(normal_side__in=("debit", "credit")), name="ledger_account_side"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class JournalEntry(models.Model):
    """One balanced posting. Append-only: a correction is a new entry that ``reverses`` this one (at most once)."""

    class Kind(models.TextChoices):
        DISBURSEMENT = "disbursement", "Disbursement"
        ESCROW_DEPOSIT = "escrow_deposit", "Escrow initial deposit"
        PAYMENT = "payment", "Payment"
        ACCRUAL = "accrual", "Interest accrual"
        FEE = "fee", "Fee assessed"
        ESCROW_DISBURSEMENT = "escrow_disbursement", "Escrow disbursement"
        CHARGE_OFF = "charge_off", "Charge-off"
        BOARDING = "boarding", "Boarding (servicing transfer)"
        ADJUSTMENT = "adjustment", "Adjustment"
        REVERSAL = "reversal", "Reversal"
        PAYOFF = "payoff", "Payoff"
        ESCROW_REFUND = "escrow_refund", "Escrow refund"
        MODIFICATION = "modification", "Loan modification (arrears capitalized)"
        RECOVERY = "recovery", "Recovery (charged-off loan)"

    loan = models.ForeignKey(
        "servicing.LoanAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="journal_entries",
        db_index=False,  # journal_entry_loan_idx leads with it
    )
    effective_date = models.DateField()
    posted_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    memo = models.CharField(max_length=255, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    created_by = models.ForeignKey(  # journal_entry_created_by_idx: the staff's entries, not the system's
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["effective_date", "id"]
        verbose_name_plural = "journal entries"
        indexes = [
            models.Index(fields=["loan", "effective_date", "id"], name="journal_entry_loan_idx"),
            # (date, id), not the date alone: the GL activity report lists lines in that order, and a day of the
            # book holds 100,000 payment entries that would otherwise be sorted for every page.
            models.Index(fields=["effective_date", "id"], name="journal_entry_date_id_idx"),
            # Only the entries a user posted (PostgreSQL's check of a user's deletion finds them): a posting of
            # the system (a nightly accrual, an import, autopay) writes no index row for its empty column.
            models.Index(
                fields=["created_by"], name="journal_entry_created_by_idx", condition=Q(created_by__isnull=False)
            ),
        ]
        constraints = [
            # A reversal, and only a reversal, points at the entry it reverses.
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False) | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="journal_entry_reversal_link",
            ),
        ]

    def __str__(self) -> str:
        # The kind's label as get_kind_display() gives it, from a dict made once (every posting's audit row
        # names its entry: Django's display method rebuilds the choices' dict on each call).
        return f"JE {self.pk} {self.effective_date} {_ENTRY_KIND_LABELS.get(self.kind, self.kind)}"


_ENTRY_KIND_LABELS: dict[str, str] = dict(JournalEntry.Kind.choices)


class JournalLine(models.Model):
    """One side of an entry: a debit or a credit (exactly one of them non-zero) to one account.

    ``loan`` repeats the entry's loan so the per-loan sub-ledger is a single indexed sum.
    """

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    # No index of its own: accounts are never deleted (the admin refuses it), so PROTECT never looks lines up by
    # account, and the GL activity report reaches an account's lines through its entries' dates. A chart of a few
    # dozen accounts makes an index of 25M lines with few distinct keys, written on every posting.
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="lines", db_index=False)
    loan = models.ForeignKey(
        "servicing.LoanAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="journal_lines",
        db_index=False,  # journal_line_balance_cover_idx leads with it
    )
    debit = models.DecimalField(**MONEY, default=0)
    credit = models.DecimalField(**MONEY, default=0)

    class Meta:
        ordering = ["entry_id", "id"]
        # The loan page's balances per account are an index-only scan (migration 0009 made it on PostgreSQL). One
        # index, not three: every nightly accrual line is written into each index of this table.
        indexes = [
            models.Index(fields=["loan", "account"], include=["debit", "credit"], name="journal_line_balance_cover_idx")
        ]
        constraints = [
            models.CheckConstraint(condition=Q(debit__gte=0, credit__gte=0), name="journal_line_non_negative"),
            models.CheckConstraint(
                condition=Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0), name="journal_line_one_side"
            ),
        ]

    def __str__(self) -> str:
        side = f"Dr {self.debit}" if self.debit else f"Cr {self.credit}"
        return f"{self.account_id} {side}"


# Day totals of a busy account outgrow one amount's 14 digits sooner than a single line does.
DAY_TOTAL: DecimalSpec = {"max_digits": 18, "decimal_places": 2}


class LedgerDailyBalance(models.Model):
    """What an account moved on one effective date: the sum of its journal lines' debits and credits, and how
    many lines. The balance of an account as of a date is the sum of its rows through that date, so a trial
    balance reads accounts x days rows, never the journal's millions of lines.

    Kept exact by the database, not by the services: a trigger on ``servicing_journalline`` (migration 0033)
    adds, for every INSERT statement of lines, one row per (account, effective date) it touched, in the same
    transaction as the lines. So every way lines are written (``journal_post``, batches, the nightly bulk
    posting, a raw INSERT of the bench seed) is counted once, a backdated entry or a reversal lands on its own
    effective date, and a rolled-back posting leaves nothing behind. The journal is append-only, so a line
    counted is never changed afterwards.

    The trigger only INSERTs (no UPSERT on a shared row): concurrent payments never wait on each other's
    (cash, today) row and cannot deadlock over days touched in different orders. Several rows for one
    (account, date) are therefore normal; ``ledger_daily_compact`` merges them (one statement, nightly) so the
    table stays near accounts x days. Sums are the same before and after a merge.
    """

    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="daily_totals", db_index=False)
    date = models.DateField()
    debit = models.DecimalField(**DAY_TOTAL, default=0)
    credit = models.DecimalField(**DAY_TOTAL, default=0)
    line_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["account_id", "date"]
        # An account's activity over a range, and every account through a date, read from the index alone.
        indexes = [
            models.Index(
                fields=["account", "date"], include=["debit", "credit", "line_count"], name="ledger_daily_account_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.date} Dr {self.debit} Cr {self.credit}"


class LoanBalanceTotal(models.Model):
    """Changes to the sum of every loan's running balances (``LOAN_BALANCE_ACCOUNTS``' loan fields): the trial
    balance's sub-ledger tie-out adds up these few rows, not 100,000 loans' balances on each visit.

    Kept by the database like ``LedgerDailyBalance``: triggers on ``servicing_loanaccount`` (migration 0049) add,
    for every statement that changes a balance (a payment, the nightly accrual's one UPDATE of every loan, a
    boarding), one row of the statement's net change, in its transaction; never an update of a shared row, so
    postings neither wait on each other nor deadlock. ``loan_totals_compact`` merges the rows into one nightly.
    """

    principal_balance = models.DecimalField(**DAY_TOTAL, default=0)
    interest_due = models.DecimalField(**DAY_TOTAL, default=0)
    fees_due = models.DecimalField(**DAY_TOTAL, default=0)
    escrow_balance = models.DecimalField(**DAY_TOTAL, default=0)
    suspense_balance = models.DecimalField(**DAY_TOTAL, default=0)
    interest_prepaid = models.DecimalField(**DAY_TOTAL, default=0)

    def __str__(self) -> str:
        return f"loan balances change {self.pk}: principal {self.principal_balance}"
