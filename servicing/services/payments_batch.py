"""Posting many payments at once (payment files): the postings ``payment_post`` makes one at a time, written in a
handful of statements per batch instead of ~20 per payment.

The result is what passing the requests to ``payment_post`` in order gives: the same allocation (the loan's
strategy over the same dues), the same transaction, allocation lines, installment amounts, journal entry,
running balances, derived dates and ``payment.posted`` audit row (which here also carries the entry's lines:
one audit row per payment instead of a ``journal.posted`` row beside it); the same refusals, recorded on
the request instead of raised; a key posted before returns its transaction and posts nothing. A refused request
changes nothing (it is checked before anything moves), so each request stands or falls alone, as one posting
per transaction would. How it stays that way:

- the loans are locked in one ``SELECT ... FOR UPDATE`` in primary-key order, as ``payment_post`` locks one;
- each loan's unpaid installments are read once (a window some periods past its latest request) and the
  requests are allocated in memory in order, so a second payment on a loan sees what the first left;
- a loan whose requests need what only the one-at-a-time path does goes through ``payment_post`` instead, in
  order: a request dated before a standing payment or an earlier request (a replay), a window too short
  for its next installment, or a principal prepayment (which re-prices the installments to come).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from lending.core.bulk import RowsAlso, bulk_insert_rows, bulk_update_rows, rows_also, written_instances
from lending.core.models import User
from lending.core.services import audit_record_each
from lending.finance.allocation import Allocation
from servicing.models import (
    AllocationLine,
    Installment,
    JournalEntry,
    LedgerAccount,
    LoanAccount,
    LoanTransaction,
)
from servicing.services import payments
from servicing.services.ledger import (
    BALANCE_FIELDS,
    LedgerError,
    Posting,
    journal_post_many,
    ledger_accounts,
    posting_prepare,
)
from servicing.services.posting import (
    FEES_OWED,
    PAID_FIELDS,
    PaymentError,
    allocate_dues,
    allocation_amounts,
    dues_chosen,
    dues_of,
    installments_add,
    journal_lines,
    key_posted,
    loan_dates,
    loan_require_active,
)

# The longest gap between installments by frequency, to size the window of installments read per loan.
PERIOD_DAYS = {"weekly": 7, "biweekly": 14, "semimonthly": 16, "monthly": 31, "quarterly": 92}
SNAPSHOT_FIELDS = (*BALANCE_FIELDS, "version")


@dataclass(frozen=True)
class PaymentRequest:
    """One payment to post, as ``payment_post`` takes it."""

    loan_id: int
    amount: Decimal
    effective_date: date
    method: str
    reference: str
    idempotency_key: str
    directive: str = "standard"


@dataclass
class PaymentResult:
    """What became of a request: its transaction (``existing`` when the key had posted before) or the refusal."""

    request: PaymentRequest
    transaction: LoanTransaction | None = None
    error: PaymentError | None = None
    existing: bool = False


@dataclass
class _Staged:
    result: PaymentResult
    loan: LoanAccount
    allocation: Allocation
    installments: dict[int, Installment]
    posting: Posting


# The loan's balance fields and its installments' paid fields, to put back when a batch falls back.
Snapshot = tuple[dict[str, Any], list[tuple[Any, ...]]]


class _NeedsOneAtATime(Exception):
    """This loan's requests need the one-at-a-time path."""


def payments_post_many(*, requests: list[PaymentRequest], actor: User | None) -> list[PaymentResult]:
    """Post ``requests`` (in order) as ``payment_post`` would, one result per request."""
    with transaction.atomic():
        results = [PaymentResult(request) for request in requests]
        loans = {
            loan.pk: loan
            for loan in LoanAccount.objects.select_for_update()
            .filter(pk__any=list({r.loan_id for r in requests}))
            .order_by("pk")
        }
        by_loan, duplicates = _screen(results, loans)
        one_at_a_time = _replaying_loans(by_loan, results, loans)
        batch = {pk: indexes for pk, indexes in by_loan.items() if pk not in one_at_a_time}
        staged, changed = _allocate_in_memory(batch, results, loans, one_at_a_time)
        if staged:
            _write(staged, changed, actor)
        for pk in sorted(one_at_a_time):
            for index in by_loan[pk]:
                _post_one(results[index], loans[pk], actor)
        for index, first in duplicates:
            _same_as(results[index], results[first], loans, actor)
        return results


def _screen(
    results: list[PaymentResult], loans: dict[int, LoanAccount]
) -> tuple[dict[int, list[int]], list[tuple[int, int]]]:
    """Refuse what ``payment_post`` refuses before allocating; answer keys posted before. Returns the requests
    to post by loan (indexes, in order) and the repeats of a key earlier in this batch."""
    keys = [result.request.idempotency_key for result in results]
    posted = {txn.idempotency_key: txn for txn in LoanTransaction.objects.filter(idempotency_key__any=keys)}
    by_loan: dict[int, list[int]] = defaultdict(list)
    first_of_key: dict[str, int] = {}
    duplicates = []
    for index, result in enumerate(results):
        request = result.request
        loan = loans.get(request.loan_id)
        try:
            if loan is None:
                raise PaymentError(f"no loan {request.loan_id}", "loan")
            if request.directive == LoanTransaction.Directive.PAYOFF:
                raise PaymentError("a payoff is posted through the payoff screen, not as a payment", "directive")
            payments._validate(
                loan, request.amount, request.effective_date, request.method, request.directive, request.idempotency_key
            )
        except PaymentError as exc:
            result.error = exc
            continue
        try:
            earlier = key_posted(posted.get(request.idempotency_key), request.idempotency_key, loan)
            if earlier is not None:
                result.transaction, result.existing = earlier, True
                continue
            if request.idempotency_key in first_of_key:
                duplicates.append((index, first_of_key[request.idempotency_key]))
                continue
            first_of_key[request.idempotency_key] = index
            loan_require_active(loan)
        except PaymentError as exc:
            result.error = exc
            continue
        by_loan[loan.pk].append(index)
    return by_loan, duplicates


def _replaying_loans(
    by_loan: dict[int, list[int]], results: list[PaymentResult], loans: dict[int, LoanAccount]
) -> set[int]:
    """Loans with a request dated before a standing payment or before an earlier request in the batch."""
    if not by_loan:
        return set()
    # Only the standing payments dated after the earliest request can be dated after a loan's first request: an
    # index range per loan (usually empty), not every payment of every loan.
    earliest = min(results[i].request.effective_date for indexes in by_loan.values() for i in indexes)
    latest: dict[int, date] = {}
    for pk, when in LoanTransaction.objects.filter(
        loan_id__any=list(by_loan),
        effective_date__gt=earliest,
        kind=LoanTransaction.Kind.PAYMENT,
        status=LoanTransaction.Status.POSTED,
    ).values_list("loan", "effective_date"):
        latest[pk] = max(when, latest.get(pk, when))
    replaying = set()
    for pk, indexes in by_loan.items():
        last = latest.get(pk)
        for index in indexes:
            when = results[index].request.effective_date
            if last is not None and when < last:
                replaying.add(pk)
                break
            last = when
    return replaying


def _unpaid_windows(
    by_loan: dict[int, list[int]], results: list[PaymentResult], loans: dict[int, LoanAccount]
) -> tuple[dict[int, list[Installment]], dict[int, bool]]:
    """Each loan's unpaid installments up to (its requests + 2) periods past its latest request (one query), and
    whether that window reaches the loan's maturity (then it holds every unpaid installment)."""
    horizons: dict[date, list[int]] = defaultdict(list)
    complete = {}
    for pk, indexes in by_loan.items():
        loan = loans[pk]
        # Each request pays at most one installment not yet due: the window holds enough for all of them.
        days = (len(indexes) + 2) * PERIOD_DAYS.get(loan.payment_frequency, 366) + 5
        horizon = max(results[i].request.effective_date for i in indexes) + timedelta(days=days)
        horizons[horizon].append(pk)
        complete[pk] = horizon >= loan.maturity_date
    window = Q()
    for horizon, pks in horizons.items():
        window |= Q(loan_id__any=pks, due_date__lte=horizon)
    unpaid: dict[int, list[Installment]] = {pk: [] for pk in by_loan}
    if by_loan:
        # OWING in two disjoint parts, each an index range (installment_unpaid_idx, installment_fees_owed_idx):
        # one filter over OWING walked each loan's ~60 paid installments to find its ~3 unpaid ones.
        # order_by(): no per-part sort (the model's default order), only the union's.
        owing = (
            Installment.objects.filter(window, paid_on__isnull=True)
            .order_by()
            .union(Installment.objects.filter(window, FEES_OWED, paid_on__isnull=False).order_by(), all=True)
        )
        for installment in owing.order_by("loan_id", "due_date", "number"):
            unpaid[installment.loan_id].append(installment)
    return unpaid, complete


def _allocate_in_memory(
    batch: dict[int, list[int]], results: list[PaymentResult], loans: dict[int, LoanAccount], one_at_a_time: set[int]
) -> tuple[list[_Staged], dict[int, Installment]]:
    """Allocate every request of the batch's loans in order against the loans and installments in memory."""
    unpaid, complete = _unpaid_windows(batch, results, loans)
    accounts = ledger_accounts()
    staged: list[_Staged] = []
    changed: dict[int, Installment] = {}
    for pk, indexes in batch.items():
        loan = loans[pk]
        snapshot = _snapshot(loan, unpaid[pk])
        try:
            loan_staged = [
                item
                for index in indexes
                if (item := _allocate_one(results[index], loan, unpaid[pk], complete[pk], accounts)) is not None
            ]
        except _NeedsOneAtATime:
            _restore(loan, unpaid[pk], snapshot)
            for index in indexes:
                results[index].error = None
            one_at_a_time.add(pk)
            continue
        staged += loan_staged
        for item in loan_staged:
            changed.update({i.pk: i for i in item.installments.values()})
    return staged, changed


def _allocate_one(
    result: PaymentResult,
    loan: LoanAccount,
    unpaid: list[Installment],
    complete: bool,
    accounts: dict[str, LedgerAccount],
) -> _Staged | None:
    request = result.request
    chosen = dues_chosen(unpaid, request.effective_date, complete=complete)
    if chosen is None:
        raise _NeedsOneAtATime
    try:
        allocation = allocate_dues(
            loan, request.amount, dues_of(loan, chosen), request.directive, request.effective_date
        )
        posting = posting_prepare(
            loan=loan,
            effective_date=request.effective_date,
            kind=JournalEntry.Kind.PAYMENT,
            memo=f"Payment {request.reference or request.idempotency_key} on {loan.loan_number} ({request.method})",
            lines=journal_lines(allocation, loan),
            accounts=accounts,
        )
    except (PaymentError, LedgerError) as exc:
        result.error = exc if isinstance(exc, PaymentError) else PaymentError(str(exc))
        return None
    if allocation.prepayment:  # re-prices the installments to come (installments_rederive): as payment_post does
        raise _NeedsOneAtATime
    installments = {i.number: i for i in chosen}
    installments_add(allocation, installments, request.effective_date)
    return _Staged(result, loan, allocation, installments, posting)


def _snapshot(loan: LoanAccount, unpaid: list[Installment]) -> Snapshot:
    return (
        {field: getattr(loan, field) for field in SNAPSHOT_FIELDS},
        [tuple(getattr(i, field) for field in PAID_FIELDS) for i in unpaid],
    )


def _restore(loan: LoanAccount, unpaid: list[Installment], snapshot: Snapshot) -> None:
    fields, paid = snapshot
    for field, value in fields.items():
        setattr(loan, field, value)
    for installment, values in zip(unpaid, paid, strict=True):
        for field, value in zip(PAID_FIELDS, values, strict=True):
            setattr(installment, field, value)


def _write(staged: list[_Staged], changed: dict[int, Installment], actor: User | None) -> None:
    with _pipelined():
        _write_rows(staged, changed, actor)


def _pipelined() -> AbstractContextManager[object]:
    """PostgreSQL's pipeline mode: a statement whose result is not read (the lines, the updates, the audit rows)
    goes to the server at once and the next one is built while the server runs it; the driver waits only where a
    result is read (the new rows' ids) and at the end. Elsewhere nothing changes."""
    if connection.vendor != "postgresql":
        return nullcontext()
    connection.ensure_connection()
    pipeline: AbstractContextManager[object] = connection.connection.pipeline()  # psycopg's; Django types it Any
    return pipeline


def _write_rows(staged: list[_Staged], changed: dict[int, Installment], actor: User | None) -> None:
    accounts = ledger_accounts()
    who = actor.pk if actor is not None and actor.pk else None
    # The entries and lines; the loans' balances are saved below with their dates, in one UPDATE.
    entries = journal_post_many(
        actor=actor, postings=[item.posting for item in staged], accounts=accounts, audit=False, balances=False
    )
    txns = _transactions_insert(staged, who)
    bulk_insert_rows(
        AllocationLine,
        ["transaction", "installment", "bucket", "amount"],
        [row for item, txn in zip(staged, txns, strict=True) for row in _allocation_rows(txn.pk, item)],
    )
    bulk_update_rows(Installment, list(changed.values()), PAID_FIELDS)
    _loans_save(list({item.loan.pk: item.loan for item in staged}.values()), entries[0].posted_at)
    # One audit row per payment, carrying its journal entry and lines (the one-at-a-time path writes two).
    audit_record_each(
        actor=actor,
        verb="payment.posted",
        targets=txns,
        afters=[
            {
                **payments.posted_audit(txn, item.allocation, entry, replay=None),
                # The amounts as the encoder writes a Decimal (its text), not through its default() hook a value.
                "journal_lines": [[line.account, str(line.debit), str(line.credit)] for line in item.posting.lines],
            }
            for item, txn, entry in zip(staged, txns, entries, strict=True)
        ],
    )
    for item, txn in zip(staged, txns, strict=True):
        item.result.transaction = txn
        payments.announce_posted(txn, actor)


def _allocation_rows(txn_pk: int, item: _Staged) -> list[tuple[int, int | None, str, Decimal]]:
    """The allocation lines ``allocation_lines`` makes, as (transaction, installment, bucket, amount) rows: a
    file's tens of thousands of lines need no model instance each."""
    return [
        (txn_pk, installment.pk if installment is not None else None, bucket, amount)
        for installment, bucket, amount in allocation_amounts(item.allocation, item.installments)
    ]


def _loans_save(loans: list[LoanAccount], now: datetime) -> None:
    """Save the loans' running balances (as the postings moved them in memory, with their next version) and
    refresh their derived dates (``loan_dates``) from the installments just written, in one UPDATE on PostgreSQL
    (``bulk_update_rows``' ``also``) instead of two."""
    for loan in loans:
        loan.updated_at = now
    bulk_update_rows(
        LoanAccount, loans, [*BALANCE_FIELDS, "version", "updated_at"], also=_loan_dates(connection.vendor)
    )


@functools.cache
def _loan_dates(vendor: str) -> RowsAlso:
    """``loan_dates`` for ``bulk_update_rows``, compiled once per process (for ``vendor``'s database)."""
    return rows_also(LoanAccount, loan_dates())


_TXN_FIELDS = (  # _transactions_insert's columns, in the order of its rows' values
    "loan_id",
    "kind",
    "amount",
    "effective_date",
    "method",
    "reference",
    "idempotency_key",
    "directive",
    "status",
    "note",
    "posted_at",
    "journal_entry",
    "posted_by",
)


def _transactions_insert(staged: list[_Staged], who: int | None) -> list[LoanTransaction]:
    """The batch's transactions, inserted from raw arrays (no instance goes through bulk_create: at a file's
    thousands of rows, preparing them cost more than the insert), then built with their ids."""
    posted_at = timezone.now()
    entries = [cast(JournalEntry, item.posting.entry) for item in staged]  # journal_post_many wrote them
    # Each row's values in the order of ``_TXN_FIELDS`` (just above): keep the two in step.
    rows = [
        (
            item.loan.pk,
            LoanTransaction.Kind.PAYMENT,
            item.result.request.amount,
            item.result.request.effective_date,
            item.result.request.method,
            item.result.request.reference[:100],
            item.result.request.idempotency_key,
            item.result.request.directive,
            LoanTransaction.Status.POSTED,
            "",
            posted_at,
            entry.pk,
            who,
        )
        for item, entry in zip(staged, entries, strict=True)
    ]
    pks = bulk_insert_rows(LoanTransaction, _TXN_FIELDS, rows, returning_pk=True)
    related: dict[str, list[Any]] = {"loan": [item.loan for item in staged], "journal_entry": entries}
    return cast(list[LoanTransaction], written_instances(LoanTransaction, _TXN_FIELDS, rows, pks, related=related))


def _post_one(result: PaymentResult, loan: LoanAccount, actor: User | None) -> None:
    request = result.request
    try:
        result.transaction = payments.payment_post(
            loan=loan,
            amount=request.amount,
            effective_date=request.effective_date,
            method=request.method,
            reference=request.reference,
            idempotency_key=request.idempotency_key,
            actor=actor,
            directive=request.directive,
        )
    except PaymentError as exc:
        result.error = exc


def _same_as(result: PaymentResult, first: PaymentResult, loans: dict[int, LoanAccount], actor: User | None) -> None:
    """A key repeated within the batch, answered as ``payment_post`` answers a retry: the first's posting when it
    posted on the same loan, a refusal when on another, and a posting of its own when the first was refused."""
    if first.transaction is None:
        _post_one(result, loans[result.request.loan_id], actor)
        return
    try:
        result.transaction = key_posted(
            first.transaction, result.request.idempotency_key, loans[result.request.loan_id]
        )
        result.existing = True
    except PaymentError as exc:
        result.error = exc
