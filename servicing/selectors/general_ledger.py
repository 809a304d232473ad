"""The general ledger's reads: the trial balance as of any date, an account's activity over a range and its
lines, the tie-out of the ledger to the loans' sub-ledgers, and the proof that the daily totals equal the lines.

Balances come from ``LedgerDailyBalance`` (per account, per effective date, kept by a trigger on the journal
lines): a balance as of D is the sum of an account's rows through D, accounts x days rows instead of every line.
Only the listing of an account's lines reads lines, a page at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Round

from lending.finance.money import ZERO, cents
from servicing.models import JournalLine, LedgerAccount, LedgerDailyBalance, LoanAccount, LoanBalanceTotal
from servicing.models.ledger import LOAN_BALANCE_ACCOUNTS

# Sums over many lines can outgrow a single amount's 14 digits.
TOTAL = DecimalField(max_digits=20, decimal_places=2)


def _total(expression: Combinable) -> Round:
    # Rounded to cents in SQL: SQLite sums decimals as floats; PostgreSQL's numeric is exact either way.
    return Round(Coalesce(expression, Value(ZERO), output_field=TOTAL), 2, output_field=TOTAL)


def _on_normal_side(account: LedgerAccount, debit: Decimal, credit: Decimal) -> Decimal:
    """An account's balance on its normal side (negative when it runs against it)."""
    net = debit - credit
    return net if account.normal_side == LedgerAccount.Side.DEBIT else -net


# --- trial balance -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrialBalanceRow:
    account: LedgerAccount
    debit: Decimal  # sum of the account's debits
    credit: Decimal  # sum of its credits

    @property
    def net_debit(self) -> Decimal:
        """The balance in the debit column (zero when the account nets to a credit)."""
        return max(self.debit - self.credit, ZERO)

    @property
    def net_credit(self) -> Decimal:
        return max(self.credit - self.debit, ZERO)

    @property
    def balance(self) -> Decimal:
        """The balance on the account's normal side (negative when it runs against it)."""
        return _on_normal_side(self.account, self.debit, self.credit)


@dataclass(frozen=True)
class TrialBalance:
    as_of: date | None
    rows: tuple[TrialBalanceRow, ...]

    @property
    def total_debit(self) -> Decimal:
        return sum((row.debit for row in self.rows), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((row.credit for row in self.rows), ZERO)

    @property
    def total_net_debit(self) -> Decimal:
        return sum((row.net_debit for row in self.rows), ZERO)

    @property
    def total_net_credit(self) -> Decimal:
        return sum((row.net_credit for row in self.rows), ZERO)

    @property
    def nets_to_zero(self) -> bool:
        return self.total_debit == self.total_credit


def trial_balance_accounts(as_of: date | None = None) -> QuerySet[LedgerAccount]:
    """The chart in number order, each account annotated ``debit_total`` and ``credit_total`` over entries
    effective on or before ``as_of`` (all when None), summed from the daily totals: one query over accounts x
    days rows, whatever the number of lines."""
    dated = Q(daily_totals__date__lte=as_of) if as_of is not None else Q()
    return LedgerAccount.objects.annotate(
        debit_total=_total(Sum("daily_totals__debit", filter=dated)),
        credit_total=_total(Sum("daily_totals__credit", filter=dated)),
    ).order_by("number")


def trial_balance(as_of: date | None = None) -> TrialBalance:
    """Debits and credits per account over entries effective on or before ``as_of`` (all when None): one query."""
    return trial_balance_of(trial_balance_accounts(as_of), as_of)


def trial_balance_of(accounts: Iterable[Any], as_of: date | None) -> TrialBalance:
    """The trial balance of accounts annotated by ``trial_balance_accounts`` (perhaps filtered)."""
    return TrialBalance(
        as_of=as_of,
        rows=tuple(TrialBalanceRow(a, cents(a.debit_total), cents(a.credit_total)) for a in accounts),
    )


def trial_balance_from_lines(as_of: date | None = None) -> TrialBalance:
    """The same trial balance summed from every journal line: the reference the daily totals are proved
    against (tests, ``ledger_verify``); it reads the whole journal, so no page uses it."""
    dated = Q(lines__entry__effective_date__lte=as_of) if as_of is not None else Q()
    accounts = LedgerAccount.objects.annotate(
        debit_total=_total(Sum("lines__debit", filter=dated)),
        credit_total=_total(Sum("lines__credit", filter=dated)),
    ).order_by("number")
    return TrialBalance(
        as_of=as_of,
        rows=tuple(TrialBalanceRow(a, cents(a.debit_total), cents(a.credit_total)) for a in accounts),
    )


# --- GL activity -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GlActivityRow:
    """An account over [start, end]: its balance before, what moved in the range, its balance after."""

    account: LedgerAccount
    opening_debit: Decimal  # debits and credits effective before ``start``
    opening_credit: Decimal
    debit: Decimal  # within the range
    credit: Decimal
    line_count: int  # lines within the range

    @property
    def opening(self) -> Decimal:
        return _on_normal_side(self.account, self.opening_debit, self.opening_credit)

    @property
    def closing(self) -> Decimal:
        return _on_normal_side(self.account, self.opening_debit + self.debit, self.opening_credit + self.credit)

    @property
    def net_change(self) -> Decimal:
        return self.closing - self.opening


def gl_activity(*, start: date, end: date, account_ids: list[int] | None = None) -> list[GlActivityRow]:
    """Per account (all, or those of ``account_ids``), in chart order: the opening balance on ``start``, the
    debits, credits and line count effective from ``start`` through ``end``, and so the closing balance. One
    query over the daily totals."""
    before = Q(daily_totals__date__lt=start)
    within = Q(daily_totals__date__gte=start, daily_totals__date__lte=end)
    accounts = LedgerAccount.objects.annotate(
        opening_debit=_total(Sum("daily_totals__debit", filter=before)),
        opening_credit=_total(Sum("daily_totals__credit", filter=before)),
        range_debit=_total(Sum("daily_totals__debit", filter=within)),
        range_credit=_total(Sum("daily_totals__credit", filter=within)),
        range_lines=Coalesce(Sum("daily_totals__line_count", filter=within), 0),
    ).order_by("number")
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids)
    return [
        GlActivityRow(
            account=a,
            opening_debit=cents(a.opening_debit),
            opening_credit=cents(a.opening_credit),
            debit=cents(a.range_debit),
            credit=cents(a.range_credit),
            line_count=a.range_lines,
        )
        for a in accounts
    ]


def gl_daily_movements(*, start: date, end: date, account_ids: list[int] | None = None) -> list[DayMovement]:
    """Each day from ``start`` through ``end`` with postings to the accounts (all when None): its debits and
    credits, from the daily totals (one GROUP BY), for the activity chart."""
    rows = LedgerDailyBalance.objects.filter(date__gte=start, date__lte=end)
    if account_ids is not None:
        rows = rows.filter(account_id__in=account_ids)
    grouped = rows.values("date").annotate(d=_total(Sum("debit")), c=_total(Sum("credit"))).order_by("date")
    return [DayMovement(row["date"], cents(row["d"]), cents(row["c"])) for row in grouped]


@dataclass(frozen=True)
class DayMovement:
    day: date
    debit: Decimal
    credit: Decimal


def all_lines() -> QuerySet[JournalLine]:
    """Every journal line in effective-date and posting order, with its entry, account and loan: the GL activity
    report narrows it by account and dates (its filters) and reads a page, or streams it to an export."""
    return JournalLine.objects.select_related("entry", "account", "loan").order_by(
        "entry__effective_date", "entry_id", "id"
    )


def gl_lines(*, account: LedgerAccount, start: date, end: date) -> QuerySet[JournalLine]:
    """The account's journal lines effective from ``start`` through ``end``, in effective-date and posting order,
    with their entries and loans (for a page or a streamed export; the count is ``gl_line_count``)."""
    return (
        JournalLine.objects.filter(account=account, entry__effective_date__gte=start, entry__effective_date__lte=end)
        .select_related("entry", "loan")
        .only(
            "debit",
            "credit",
            "entry_id",
            "account_id",
            "loan_id",
            "entry__effective_date",
            "entry__posted_at",
            "entry__kind",
            "entry__memo",
            "entry__reverses_id",
            "loan__loan_number",
        )
        .order_by("entry__effective_date", "entry_id", "id")
    )


def gl_line_count(*, account: LedgerAccount, start: date, end: date) -> int:
    """How many lines ``gl_lines`` lists, from the daily totals (a COUNT over the lines would read them all)."""
    total = LedgerDailyBalance.objects.filter(account=account, date__gte=start, date__lte=end).aggregate(
        n=Sum("line_count")
    )["n"]
    return int(total or 0)


# --- tie-out to the loans' sub-ledgers ---------------------------------------------------------------------


@dataclass(frozen=True)
class TieOutRow:
    """A per-loan account of the ledger beside the sum of the loans' running balance it mirrors."""

    account: LedgerAccount
    loan_field: str  # the LoanAccount running balance (principal_balance, escrow_balance, ...)
    ledger: Decimal  # the account's balance in the ledger (normal side, every entry)
    loans: Decimal  # the sum of that balance over every loan

    @property
    def difference(self) -> Decimal:
        """Zero when the books agree; otherwise what the ledger holds beyond the loans."""
        return self.ledger - self.loans

    @property
    def label(self) -> str:
        return self.loan_field.replace("_", " ").capitalize()


def subledger_tieout() -> list[TieOutRow]:
    """Each account in ``LOAN_BALANCE_ACCOUNTS`` (receivables, escrow, suspense, prepaid interest): its ledger
    balance over every entry against the sum of the loans' running balances, which move with every posting
    whatever its effective date. Two queries: the accounts with their totals, and the loans' balance totals (a
    few rows the loans' triggers keep, ``LoanBalanceTotal``; ``loan_totals_mismatches`` proves them)."""
    accounts = LedgerAccount.objects.filter(code__in=LOAN_BALANCE_ACCOUNTS).annotate(
        debit_total=_total(Sum("daily_totals__debit")), credit_total=_total(Sum("daily_totals__credit"))
    )
    loans = loan_totals()
    return [
        TieOutRow(
            account=a,
            loan_field=LOAN_BALANCE_ACCOUNTS[a.code],
            ledger=_on_normal_side(a, cents(a.debit_total), cents(a.credit_total)),
            loans=cents(loans[LOAN_BALANCE_ACCOUNTS[a.code]]),
        )
        for a in sorted(accounts, key=lambda a: a.number)
    ]


def loan_totals() -> dict[str, Decimal]:
    """The sum of every loan's running balance per field, from the triggers' rows (one aggregate over a few)."""
    sums = LoanBalanceTotal.objects.aggregate(**{field: _total(Sum(field)) for field in LOAN_BALANCE_ACCOUNTS.values()})
    return {field: cents(Decimal(str(value))) for field, value in sums.items()}


# --- proof ---------------------------------------------------------------------------------------------------


def loan_totals_mismatches() -> dict[str, tuple[Decimal, Decimal]]:
    """Each balance field whose kept total differs from the sum over the loans (``ledger_verify``): (kept, loans).
    Empty when the triggers have kept the totals exact. Reads every loan, so no page uses it."""
    loans = LoanAccount.objects.aggregate(**{field: _total(Sum(field)) for field in LOAN_BALANCE_ACCOUNTS.values()})
    kept = loan_totals()
    return {
        field: (kept[field], cents(Decimal(str(loans[field]))))
        for field in LOAN_BALANCE_ACCOUNTS.values()
        if kept[field] != cents(Decimal(str(loans[field])))
    }


@dataclass(frozen=True)
class DailyMismatch:
    account_code: str
    day: date
    lines_debit: Decimal
    lines_credit: Decimal
    daily_debit: Decimal
    daily_credit: Decimal


def daily_totals_mismatches() -> list[DailyMismatch]:
    """Every (account, date) whose daily totals differ from the sum of its journal lines (``ledger_verify``):
    two GROUP BYs, one over every line. Empty when the trigger has kept the totals exact."""
    from_lines = {
        (row["account__code"], row["entry__effective_date"]): (cents(row["d"]), cents(row["c"]))
        for row in JournalLine.objects.values("account__code", "entry__effective_date")
        .annotate(d=_total(Sum("debit")), c=_total(Sum("credit")))
        .order_by()
    }
    from_daily = {
        (row["account__code"], row["date"]): (cents(row["d"]), cents(row["c"]))
        for row in LedgerDailyBalance.objects.values("account__code", "date")
        .annotate(d=_total(Sum("debit")), c=_total(Sum("credit")))
        .order_by()
    }
    zero = (ZERO, ZERO)
    return [
        DailyMismatch(code, day, *from_lines.get((code, day), zero), *from_daily.get((code, day), zero))
        for code, day in sorted(from_lines.keys() | from_daily.keys())
        if from_lines.get((code, day), zero) != from_daily.get((code, day), zero)
    ]
