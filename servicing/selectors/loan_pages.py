"""Reads for the staff loan page and its history pages (schedule, transactions, sub-ledger).

A loan with years of history has hundreds of installments, transactions and journal lines: the loan page reads a
fixed-size window of each (the installments around the next due date, the latest transactions and entries), and
the history pages read one page at a time. Every read is a range of an index that starts with the loan
(installment_loan_due_idx, loan_txn_loan_date_idx, journal_entry_loan_idx, and migration 0005's covering index
for the journal balances), so a page costs the same for a loan with 1 payment as for one with 360.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from lending.core.compiled import CompiledPages, CompiledPrefetch, CompiledQuery, fetch_together
from lending.finance.daycount import add_months
from servicing.models import AllocationLine, EscrowItem, Installment, JournalEntry, JournalLine, LoanAccount
from servicing.models import LoanTransaction as Txn

PAID_INSTALLMENTS_SHOWN = 3  # the schedule window: the last few paid before the next due...
SCHEDULE_WINDOW = 12  # ...and this many installments in all
RECENT_TRANSACTIONS = 10
RECENT_ENTRIES = 5
SCHEDULE_PAGE_SIZE = 60
TRANSACTIONS_PAGE_SIZE = 25
ENTRIES_PAGE_SIZE = 25


@dataclass(frozen=True)
class LoanOverview:
    """What the loan page shows besides the loan itself: fixed-size windows of its history."""

    schedule: list[Installment]  # the installments around the next due date
    next_due: Installment | None  # the oldest installment not paid in full
    transactions: list[Txn]  # the latest, each with ``current_lines`` (its allocation)
    entries: list[JournalEntry]  # the latest journal entries, each with ``current_lines``
    escrow_items: list[EscrowItem]


def _allocation_lines() -> QuerySet[AllocationLine]:
    return (
        AllocationLine.objects.current()
        .select_related("installment")
        .only("transaction_id", "bucket", "amount", "installment__number")
    )


def _journal_lines() -> QuerySet[JournalLine]:
    return JournalLine.objects.select_related("account").order_by("id")


# The pages' transactions' and entries' lines (Django's Prefetch to_attr="current_lines"), compiled once per number
# of transactions or entries (issue 15, "Load").
_ALLOCATION = CompiledPrefetch(_allocation_lines, "transaction", "current_lines")
_LINES = CompiledPrefetch(_journal_lines, "entry", "current_lines")


# Read on every visit of the loan page: compiled once per process (lending.core.compiled), as building the
# queryset's SQL cost more CPU than the database's answer (issue 15, "Load").
_SCHEDULE_SINCE = CompiledQuery(
    lambda loan_id, since: Installment.objects.filter(loan_id=loan_id, due_date__gte=since).order_by(
        "due_date", "number"
    )[:SCHEDULE_WINDOW],
    loan_id=int,
    since=date,
)
_ESCROW_ITEMS = CompiledQuery(
    lambda loan_id: EscrowItem.objects.filter(loan_id=loan_id).order_by("next_due_date", "id"), loan_id=int
)
_RECENT_TRANSACTIONS = CompiledQuery(
    lambda loan_id: Txn.objects.filter(loan_id=loan_id).order_by("-effective_date", "-id")[:RECENT_TRANSACTIONS],
    loan_id=int,
)
_RECENT_ENTRIES = CompiledQuery(
    lambda loan_id: JournalEntry.objects.filter(loan_id=loan_id).order_by("-effective_date", "-id")[:RECENT_ENTRIES],
    loan_id=int,
)


def loan_schedule_window(loan: LoanAccount) -> list[Installment]:
    """``SCHEDULE_WINDOW`` installments from a few before the next due date (the last ones of a loan paid off)."""
    if loan.next_due_date is None:
        installments = Installment.objects.filter(loan=loan)
        return list(reversed(installments.order_by("-due_date", "-number")[:SCHEDULE_WINDOW]))
    since = add_months(loan.next_due_date, -PAID_INSTALLMENTS_SHOWN)
    return _SCHEDULE_SINCE.fetch(loan_id=loan.pk, since=since)


def loan_overview(loan: LoanAccount) -> LoanOverview:
    """The loan page's windows: 6 queries whatever the length of the loan's history (the latest transactions and
    entries and the escrow items sent together, then each window's lines)."""
    schedule = loan_schedule_window(loan)
    next_due = next((i for i in schedule if i.due_date == loan.next_due_date and i.paid_on is None), None)
    values = {"loan_id": loan.pk}
    transactions, entries, escrow_items = fetch_together(
        (_RECENT_TRANSACTIONS, values), (_RECENT_ENTRIES, values), (_ESCROW_ITEMS, values)
    )
    _ALLOCATION.attach(transactions)
    _LINES.attach(entries)
    return LoanOverview(
        schedule=schedule, next_due=next_due, transactions=transactions, entries=entries, escrow_items=escrow_items
    )


def schedule_page_of(installment: Installment | None) -> int:
    """The schedule page that holds ``installment`` (the first page when there is none)."""
    return 1 + (installment.number - 1) // SCHEDULE_PAGE_SIZE if installment is not None else 1


# A loan's installments in number order, a page at a time (the staff and portal schedules): compiled once per process.
INSTALLMENT_PAGES = CompiledPages(
    lambda loan_id: Installment.objects.filter(loan_id=loan_id).order_by("number"), loan_id=int
)


def loan_schedule_page(loan: LoanAccount, page: str | int | None) -> Page[Installment]:
    """One page of the loan's installments in number order (a count and a range of the (loan, number) index)."""
    return Paginator(INSTALLMENT_PAGES.rows(loan_id=loan.pk), SCHEDULE_PAGE_SIZE).get_page(page)


_TRANSACTION_PAGES = CompiledPages(
    lambda loan_id: Txn.objects.filter(loan_id=loan_id).order_by("-effective_date", "-id"), loan_id=int
)
_ENTRY_PAGES = CompiledPages(
    lambda loan_id: JournalEntry.objects.filter(loan_id=loan_id).order_by("-effective_date", "-id"), loan_id=int
)


def loan_transactions_page(loan: LoanAccount, page: str | int | None) -> Page[Txn]:
    """One page of the loan's transactions, newest first, each with ``current_lines`` (its allocation)."""
    transactions = Paginator(_TRANSACTION_PAGES.rows(loan_id=loan.pk), TRANSACTIONS_PAGE_SIZE).get_page(page)
    _ALLOCATION.attach(list(transactions.object_list))
    return transactions


def loan_entries_page(loan: LoanAccount, page: str | int | None) -> Page[JournalEntry]:
    """One page of the loan's sub-ledger: journal entries newest first, each with ``current_lines``."""
    entries = Paginator(_ENTRY_PAGES.rows(loan_id=loan.pk), ENTRIES_PAGE_SIZE).get_page(page)
    _LINES.attach(list(entries.object_list))
    return entries
