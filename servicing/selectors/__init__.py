"""Servicing reads: the loan list and detail, the trial balance, the per-loan sub-ledger, and the ledger checks.

Every figure over many loans or lines is one set-based query (GROUP BY or correlated sums), never a loop of
per-loan queries.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Round
from django.http import Http404

from lending.core.compiled import CompiledPages, CompiledQuery, CompiledRows, CompiledRowsByIds
from lending.finance.money import ZERO, cents
from origination.models import Application
from servicing.models import JournalEntry, JournalLine, LedgerAccount, LoanAccount
from servicing.models.ledger import LOAN_BALANCE_ACCOUNTS
from servicing.models.loans import NEWEST_NOT_BY_KEY, not_boarded
from servicing.selectors.general_ledger import (
    TOTAL,
    _total,
)
from servicing.selectors.general_ledger import TrialBalance as TrialBalance
from servicing.selectors.general_ledger import TrialBalanceRow as TrialBalanceRow
from servicing.selectors.general_ledger import trial_balance as trial_balance
from servicing.selectors.general_ledger import trial_balance_from_lines as trial_balance_from_lines

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class EntryTotals(TypedDict):
    """What unbalanced_entries() annotates on each entry."""

    line_count: int
    debit_total: Decimal
    credit_total: Decimal


BALANCE_FIELDS = tuple(LOAN_BALANCE_ACCOUNTS.values())


# --- loans -------------------------------------------------------------------------------------------------


# A search of 3 characters or more is sorted after it is found, not found while walking the loans newest first:
# ORDER BY id + 0 keeps PostgreSQL off the primary key, which it would otherwise walk backwards (guessing that 50
# of the ~800 matches it expects come early) past every loan newer than the matches: 84 ms for "BL51" at 50,000
# loans against 0.3 ms through the trigram indexes and a sort of the 111 matches (issue 15). Shorter terms have no
# trigram to look up, so there the walk is the better plan.
TRIGRAM = 3


def loan_list(*, status: str = "", query: str = "", bucket: str = "") -> QuerySet[LoanAccount]:
    """Loan accounts for the servicing list, newest first; ``query`` is a search (``loan_search``), ``bucket`` the
    delinquency bucket the close of business last aged the loan into."""
    loans = LoanAccount.objects.only(
        "loan_number",
        "borrower_name",
        "product_name",
        "status",
        "annual_rate",
        "principal",
        "principal_balance",
        "escrow_balance",
        "next_due_date",
        "disbursement_date",
        "days_past_due",
        "delinquency_bucket",
    ).order_by("-id")
    if status:
        loans = loans.filter(status=status)
    if bucket:
        loans = loans.filter(delinquency_bucket=bucket)
    if query:
        loans = loans.filter(loan_search(query))
    if status or bucket or len(query) >= TRIGRAM:
        # A filter reads its (value, id + 0) index (migration 0046): the prepared statement's generic plan (one for
        # every status, after five runs) too, where by "-id" it walked every loan for a rare status (issue 15).
        loans = loans.order_by(NEWEST_NOT_BY_KEY.desc())
    return loans


# The list as it opens (every loan, newest first; the servicers' most read page): its capped count and pages
# compiled once per process (lending.core.compiled, issue 15 "Load").
_EVERY_LOAN_PAGES = CompiledPages(loan_list)


def loan_list_rows(
    *, status: str = "", query: str = "", bucket: str = ""
) -> QuerySet[LoanAccount] | CompiledRows[LoanAccount]:
    """``loan_list``'s rows for the list's paginator; with no filter or search, compiled once per process."""
    if status or query or bucket:
        return loan_list(status=status, query=query, bucket=bucket)
    return _EVERY_LOAN_PAGES.rows()


PHONE_CHARACTERS = frozenset("0123456789 +-().")
PHONE_MIN_DIGITS = 10  # a whole number with its area code; loan numbers have 7 digits (BL-0000001)


def loan_search(query: str) -> Q:
    """What a loan search matches, each through an index (servicing/migrations/0026): an email address the
    borrower's exactly (the unique email index; emails are stored lower-case), an application number its loan's
    exactly, a phone number (digits and phone punctuation, at least 10 digits) a part of the borrower's phone,
    anything else a part of the loan number or the borrower's name (trigram indexes). One table per search: an OR
    across a join would read every loan."""
    if "@" in query:
        return Q(borrower__email=query.lower())
    if query[:2].upper() == "A-":  # an application number (A-2026-000123): its unique index
        return Q(application__number=query.upper())
    if set(query) <= PHONE_CHARACTERS and sum(c.isdigit() for c in query) >= PHONE_MIN_DIGITS:
        return Q(borrower__phone__icontains=query)
    return Q(loan_number__icontains=query) | Q(borrower_name__icontains=query)


# Read on every visit of a staff loan page (the loan, its schedule, transactions, payoff): compiled once per process
# (lending.core.compiled), as building the queryset's SQL cost more CPU than the database's answer (issue 15, Load).
_LOAN_WITH_APPLICATION = CompiledQuery(
    lambda pk: LoanAccount.objects.select_related("application").filter(pk=pk), pk=int
)


def loan_for_staff(*, pk: int) -> LoanAccount:
    """One loan account with its application (404 when missing); the view has checked the role."""
    loan = next(iter(_LOAN_WITH_APPLICATION.fetch(pk=int(pk))), None)
    if loan is None:
        raise Http404("No LoanAccount matches the given query.")
    return loan


def loan_subledger(loan: LoanAccount) -> list[JournalLine]:
    """The loan's journal lines in posting order, with their entries and accounts."""
    return list(
        JournalLine.objects.filter(loan=loan)
        .select_related("entry", "account")
        .order_by("entry__effective_date", "entry_id", "id")
    )


# --- the loans' balances in the journal ----------------------------------------------------------------------


def _journal_totals(loan_ids: list[int] | None) -> QuerySet[Any, Any]:
    """Per loan and balance account, the debits and credits of its lines (the loans given, or all)."""
    lines = JournalLine.objects.filter(loan__isnull=False, account__code__in=LOAN_BALANCE_ACCOUNTS)
    if loan_ids is not None:
        lines = lines.filter(loan_id__in=loan_ids)
    grouped: QuerySet[Any, Any] = (
        lines.values("loan_id", "account__code", "account__normal_side")
        .annotate(debit_total=_total(Sum("debit")), credit_total=_total(Sum("credit")))
        .order_by()
    )
    return grouped


# The staff loan page's balances beside the journal's: compiled once per number of loans (lending.core.compiled).
_JOURNAL_BY_LOANS = CompiledRowsByIds(_journal_totals)


def loan_balances_from_journal(loan_ids: list[int] | None = None) -> dict[int, dict[str, Decimal]]:
    """Per loan, what the journal says each running balance should be (``LOAN_BALANCE_ACCOUNTS``, on each
    account's normal side): one GROUP BY over the lines. Loans asked for by id but without lines get zeros."""
    grouped = _JOURNAL_BY_LOANS.fetch(loan_ids) if loan_ids else _journal_totals(loan_ids)
    balances: dict[int, dict[str, Decimal]] = {pk: dict.fromkeys(BALANCE_FIELDS, ZERO) for pk in loan_ids or ()}
    for row in grouped:
        net = cents(row["debit_total"] - row["credit_total"])
        if row["account__normal_side"] == LedgerAccount.Side.CREDIT:
            net = -net
        loan = balances.setdefault(row["loan_id"], dict.fromkeys(BALANCE_FIELDS, ZERO))
        loan[LOAN_BALANCE_ACCOUNTS[row["account__code"]]] = net
    return balances


def _journal_balance(account: LedgerAccount) -> Round:
    lines = JournalLine.objects.filter(loan=OuterRef("pk"), account=account).order_by().values("loan")
    net = F("credit") - F("debit") if account.normal_side == LedgerAccount.Side.CREDIT else F("debit") - F("credit")
    return _total(Subquery(lines.annotate(net=Sum(net, output_field=TOTAL)).values("net")))


def loan_balance_mismatches(loan_ids: list[int] | None = None) -> list[LoanAccount]:
    """Loans whose running balances differ from the journal, each annotated ``journal_<field>`` for every
    balance field: one query, correlated sums per loan, only the mismatches come back."""
    accounts = {a.code: a for a in LedgerAccount.objects.filter(code__in=LOAN_BALANCE_ACCOUNTS)}
    annotations = {
        f"journal_{field}": _journal_balance(accounts[code]) if code in accounts else Value(ZERO, output_field=TOTAL)
        for code, field in LOAN_BALANCE_ACCOUNTS.items()
    }
    loans = LoanAccount.objects.only("loan_number", *BALANCE_FIELDS).annotate(**annotations)
    if loan_ids is not None:
        loans = loans.filter(pk__in=loan_ids)
    agree = {field: F(f"journal_{field}") for field in BALANCE_FIELDS}
    mismatches = list(loans.exclude(**agree).order_by("pk"))
    for loan in mismatches:  # SQLite hands computed decimals back unquantized
        for field in BALANCE_FIELDS:
            setattr(loan, f"journal_{field}", cents(getattr(loan, f"journal_{field}")))
    return mismatches


def unbalanced_entries() -> list[WithAnnotations[JournalEntry, EntryTotals]]:
    """Entries with no lines or whose debits differ from their credits, annotated with their totals."""
    entries = JournalEntry.objects.annotate(
        line_count=Count("lines"),
        debit_total=_total(Sum("lines__debit")),
        credit_total=_total(Sum("lines__credit")),
    )
    unbalanced = list(entries.filter(Q(line_count=0) | ~Q(debit_total=F("credit_total"))).order_by("pk"))
    for entry in unbalanced:
        entry.debit_total, entry.credit_total = cents(entry.debit_total), cents(entry.credit_total)
    return unbalanced


def funded_without_loan_account() -> list[str]:
    """Numbers of funded applications that servicing has not boarded (a failed onboarding)."""
    return list(
        Application.objects.filter(not_boarded(), status="funded").order_by("pk").values_list("number", flat=True)
    )
