"""Posting to the general ledger: balanced, append-only journal entries, reversals, and the loan's running balances.

Every posting for a loan moves the loan's running balances in the same transaction (principal, interest due,
fees due, escrow, suspense: ``LOAN_BALANCE_ACCOUNTS``), so the balances cannot drift from the journal; a
repeated idempotency key returns the first entry and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, Protocol, cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from lending.core.bulk import bulk_insert_rows, bulk_update_rows, written_instances
from lending.core.models import User
from lending.core.services import audit_event, audit_record, audit_record_many
from lending.finance.money import ZERO, require_non_negative_cents
from servicing.models import InterestAccrual, JournalEntry, JournalLine, LedgerAccount, LoanAccount
from servicing.models.ledger import CHART, LOAN_BALANCE_ACCOUNTS

RawLine = Sequence[str | Decimal | int]  # (account_code, debit, credit) as a caller writes it

BALANCE_FIELDS = tuple(LOAN_BALANCE_ACCOUNTS.values())
# Balances that may never go below zero (escrow may: the servicer advances a shortage).
NON_NEGATIVE_BALANCES = ("principal_balance", "interest_due", "fees_due", "suspense_balance")
# Read once: a choices class builds its list of values anew on every access (once a posting, 500 times a chunk).
ENTRY_KINDS = frozenset(JournalEntry.Kind.values)


class LedgerError(Exception):
    """A posting was refused (unbalanced, sub-cent, unknown account, reversed twice...); nothing was written."""


class Line(NamedTuple):
    """One journal line as services pass it: ``(account_code, debit, credit)``, exactly one side non-zero."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def ledger_chart_seed() -> None:
    """Create any account of the standard chart that is missing (run after every migrate; idempotent)."""
    LedgerAccount.objects.bulk_create(
        [
            LedgerAccount(code=code, number=number, name=name, kind=kind, normal_side=side)
            for code, number, name, kind, side in CHART
        ],
        ignore_conflicts=True,
    )


def _clean_lines(lines: Iterable[RawLine]) -> list[Line]:
    cleaned = []
    for index, line in enumerate(lines, start=1):
        try:
            code, debit, credit = line
        except (TypeError, ValueError):
            raise LedgerError(f"Line {index}: expected (account_code, debit, credit), got {line!r}.") from None
        try:
            debit = require_non_negative_cents(debit, f"line {index} ({code}) debit")
            credit = require_non_negative_cents(credit, f"line {index} ({code}) credit")
        except ValueError as exc:
            raise LedgerError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from exc
        if (debit > 0) == (credit > 0):
            raise LedgerError(f"Line {index} ({code}): exactly one of debit and credit must be non-zero.")
        cleaned.append(Line(str(code), debit, credit))
    if not cleaned:
        raise LedgerError("A journal entry needs lines.")
    debits = sum((line.debit for line in cleaned), ZERO)
    credits = sum((line.credit for line in cleaned), ZERO)
    if debits != credits:
        raise LedgerError(f"The entry does not balance: debits {debits} != credits {credits}.")
    return cleaned


def _accounts(codes: set[str]) -> dict[str, LedgerAccount]:
    found = {a.code: a for a in LedgerAccount.objects.filter(code__in=codes)}
    missing = sorted(codes - found.keys())
    if missing:
        raise LedgerError(f"Unknown ledger account(s): {', '.join(missing)}.")
    inactive = sorted(code for code, account in found.items() if not account.is_active)
    if inactive:
        raise LedgerError(f"Inactive ledger account(s): {', '.join(inactive)}.")
    return found


class _Sided(Protocol):
    @property
    def normal_side(self) -> str: ...  # read-only: a model row or a cached (code, side) tuple


def _balance_deltas(lines: list[Line], accounts: Mapping[str, _Sided]) -> dict[str, Decimal]:
    deltas: dict[str, Decimal] = {}
    for line in lines:
        field = LOAN_BALANCE_ACCOUNTS.get(line.account)
        if field is None:
            continue
        signed = line.debit - line.credit
        if accounts[line.account].normal_side == LedgerAccount.Side.CREDIT:
            signed = -signed
        deltas[field] = deltas.get(field, ZERO) + signed
    return {field: delta for field, delta in deltas.items() if delta}


def _apply_to_loan(loan: LoanAccount, deltas: dict[str, Decimal], *, locked_by_caller: bool = False) -> None:
    """Move the loan's running balances by ``deltas`` under a row lock, and refresh them on ``loan``. A caller
    that holds the lock and passes the row as it read it under the lock saves the re-read."""
    if not deltas:
        return
    locked = (
        loan
        if locked_by_caller
        else LoanAccount.objects.select_for_update().only(*BALANCE_FIELDS, "version", "loan_number").get(pk=loan.pk)
    )
    values = _moved_balances(locked, deltas)
    LoanAccount.objects.filter(pk=loan.pk).update(**values, updated_at=timezone.now())
    for field, value in values.items():
        setattr(loan, field, value)


def _moved_balances(loan: LoanAccount, deltas: dict[str, Decimal]) -> dict[str, Decimal | int]:
    """The loan's balances moved by ``deltas``, and its next version; refused below zero where that is wrong."""
    values = {field: getattr(loan, field) + deltas.get(field, ZERO) for field in BALANCE_FIELDS}
    for field in NON_NEGATIVE_BALANCES:
        if values[field] < 0:
            raise LedgerError(
                f"{loan.loan_number}: the entry would take {field.replace('_', ' ')} below zero "
                f"({getattr(loan, field)} {deltas[field]:+})."
            )
    values["version"] = loan.version + 1
    return values


def _same_posting(existing: JournalEntry, loan: LoanAccount | None, kind: str) -> JournalEntry:
    if existing.loan_id != (loan.pk if loan is not None else None) or existing.kind != kind:
        raise LedgerError(
            f"Idempotency key {existing.idempotency_key!r} was already used for another posting (JE {existing.pk})."
        )
    return existing


def _post(
    *,
    actor: User | None,
    loan: LoanAccount | None,
    effective_date: date,
    kind: str,
    memo: str,
    lines: Iterable[RawLine],
    idempotency_key: str | None,
    reverses: JournalEntry | None = None,
    verb: str = "journal.posted",
    note: str = "",
    loan_locked: bool = False,
) -> JournalEntry:
    key = idempotency_key or None
    if key is not None:
        existing = JournalEntry.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _same_posting(existing, loan, kind)
    if kind not in ENTRY_KINDS:
        raise LedgerError(f"Unknown journal entry kind {kind!r}.")
    cleaned = _clean_lines(lines)
    accounts = _accounts({line.account for line in cleaned})
    entry = JournalEntry(
        loan=loan,
        effective_date=effective_date,
        kind=kind,
        memo=memo[:255],
        reverses=reverses,
        created_by=actor if actor is not None and actor.pk else None,
        idempotency_key=key,
    )
    if key is None and reverses is None:
        entry.save()
    else:
        try:
            with transaction.atomic():  # a savepoint: the unique key or the one-reversal rule may refuse the row
                entry.save()
        except IntegrityError:
            if key is not None and (existing := JournalEntry.objects.filter(idempotency_key=key).first()):
                return _same_posting(existing, loan, kind)  # posted concurrently by someone else: theirs stands
            if reverses is not None:
                raise LedgerError(f"JE {reverses.pk} is already reversed.") from None
            raise
    JournalLine.objects.bulk_create(
        [
            JournalLine(entry=entry, account=accounts[line.account], loan=loan, debit=line.debit, credit=line.credit)
            for line in cleaned
        ]
    )
    if loan is not None:
        _apply_to_loan(loan, _balance_deltas(cleaned, accounts), locked_by_caller=loan_locked)
    audit_record(
        actor=actor,
        verb=verb,
        target=entry,
        after={
            "kind": kind,
            "effective_date": effective_date,
            "loan": loan.loan_number if loan is not None else None,
            "lines": [[line.account, line.debit, line.credit] for line in cleaned],
            "idempotency_key": key,
            "reverses": reverses.pk if reverses is not None else None,
        },
        note=note,
    )
    return entry


def journal_post(
    *,
    actor: User | None,
    loan: LoanAccount | None,
    effective_date: date,
    kind: str,
    memo: str,
    lines: Iterable[RawLine],
    idempotency_key: str | None = None,
    loan_locked: bool = False,
) -> JournalEntry:
    """Post one balanced entry: ``lines`` are ``(account_code, debit, credit)`` in whole cents, exactly one side
    non-zero, debits equal to credits, to known active accounts. A loan's running balances move with it.
    A repeated ``idempotency_key`` returns the first entry and writes nothing (the same loan and kind are
    required: a key reused for a different posting is refused). ``loan_locked``: the caller holds the loan's row
    lock and ``loan`` carries the balances read under it (saves a re-read)."""
    with transaction.atomic():
        return _post(
            actor=actor,
            loan=loan,
            effective_date=effective_date,
            kind=kind,
            memo=memo,
            lines=lines,
            idempotency_key=idempotency_key,
            loan_locked=loan_locked,
        )


def journal_reverse(
    *, actor: User | None, entry: JournalEntry, reason: str, effective_date: date | None = None
) -> JournalEntry:
    """Post the mirror of ``entry`` (each debit a credit and back), linked to it; on its effective date unless
    told otherwise (never before it). An entry is reversed at most once, and a reversal is not reversed: post
    the entry again instead."""
    with transaction.atomic():
        reason = reason.strip()
        if not reason:
            raise LedgerError("Give the reason for the reversal.")
        # Lock the original so two reversals queue up; FOR UPDATE is a lock, not an UPDATE: the triggers allow it.
        original = JournalEntry.objects.select_for_update().get(pk=entry.pk)
        if original.kind == JournalEntry.Kind.REVERSAL:
            raise LedgerError(f"JE {original.pk} is a reversal: post the original entry again instead of reversing it.")
        already = JournalEntry.objects.filter(reverses=original).values_list("pk", flat=True).first()
        if already is not None:
            raise LedgerError(f"JE {original.pk} is already reversed (by JE {already}).")
        if original.loan_id is None and JournalLine.objects.filter(entry=original, loan__isnull=False).exists():
            raise LedgerError(f"JE {original.pk} posts for many loans: correct the loans one at a time.")
        if (
            original.kind == JournalEntry.Kind.ACCRUAL
            and InterestAccrual.objects.filter(journal_entry=original).exists()
        ):
            raise LedgerError(
                f"JE {original.pk} is the nightly interest accrual, traced by its accrual rows: it is not reversed "
                "(the accrual follows the schedule; correct the loan with an adjustment)."
            )
        when = effective_date or original.effective_date
        if when < original.effective_date:
            raise LedgerError(f"A reversal cannot be dated before the entry it reverses ({original.effective_date}).")
        loan = LoanAccount.objects.get(pk=original.loan_id) if original.loan_id else None
        mirrored = [
            (line.account.code, line.credit, line.debit)
            for line in JournalLine.objects.filter(entry=original).select_related("account").order_by("id")
        ]
        return _post(
            actor=actor,
            loan=loan,
            effective_date=when,
            kind=JournalEntry.Kind.REVERSAL,
            memo=f"Reversal of JE {original.pk}: {reason}",
            lines=mirrored,
            idempotency_key=None,
            reverses=original,
            verb="journal.reversed",
            note=reason,
        )


# --- batches: many entries for locked loans in a few statements (payment files) ------------------------------


@dataclass
class Posting:
    """One checked entry of a batch, not yet written: ``posting_prepare`` makes it, ``journal_post_many`` writes it."""

    loan: LoanAccount
    effective_date: date
    kind: str
    memo: str
    lines: list[Line]
    entry: JournalEntry | None = None
    moved: dict[str, Decimal] | None = None  # the running balances it moved (``posting_prepare_one``)


def ledger_accounts() -> dict[str, LedgerAccount]:
    """The chart by code (one query), for ``posting_prepare``."""
    return {account.code: account for account in LedgerAccount.objects.all()}


def posting_prepare(
    *,
    loan: LoanAccount,
    effective_date: date,
    kind: str,
    memo: str,
    lines: Iterable[RawLine],
    accounts: dict[str, LedgerAccount],
) -> Posting:
    """Check one entry as ``journal_post`` does (balanced, whole cents, known active accounts, balances not below
    zero) and move the loan's running balances in memory; ``LedgerError`` and nothing moved when refused. The
    caller holds the loan's row lock and writes the batch with ``journal_post_many``."""
    if kind not in ENTRY_KINDS:
        raise LedgerError(f"Unknown journal entry kind {kind!r}.")
    cleaned = _clean_lines(lines)
    missing = sorted({line.account for line in cleaned} - accounts.keys())
    if missing:
        raise LedgerError(f"Unknown ledger account(s): {', '.join(missing)}.")
    inactive = sorted({line.account for line in cleaned if not accounts[line.account].is_active})
    if inactive:
        raise LedgerError(f"Inactive ledger account(s): {', '.join(inactive)}.")
    deltas = _balance_deltas(cleaned, accounts)
    if deltas:
        for field, value in _moved_balances(loan, deltas).items():
            setattr(loan, field, value)
    return Posting(loan=loan, effective_date=effective_date, kind=kind, memo=memo[:255], lines=cleaned)


def journal_post_many(
    *,
    actor: User | None,
    postings: list[Posting],
    accounts: dict[str, LedgerAccount],
    audit: bool = True,
    balances: bool = True,
) -> list[JournalEntry]:
    """Write prepared postings: entries, lines, the loans' running balances (as moved in memory) and an audit
    row per entry, in a handful of statements. The same rows ``journal_post`` writes one at a time. A caller that
    records the entries in its own audit rows (with their lines) passes ``audit=False``; one that saves the loans
    itself, in the same transaction (with more fields in the same UPDATE), passes ``balances=False``."""
    with transaction.atomic():
        who = actor.pk if actor is not None and actor.pk else None
        now = timezone.now()
        # Raw arrays, not model instances through bulk_create: a payment file's chunk is thousands of lines, and
        # preparing each instance's fields cost more than the inserts.
        entries = _entries_insert(postings, who, now)
        bulk_insert_rows(
            JournalLine,
            ["entry", "account", "loan", "debit", "credit"],
            [
                (entry.pk, accounts[line.account].pk, p.loan.pk, line.debit, line.credit)
                for p, entry in zip(postings, entries, strict=True)
                for line in p.lines
            ],
        )
        if balances:
            loans = list({p.loan.pk: p.loan for p in postings}.values())
            for loan in loans:
                loan.updated_at = now
            bulk_update_rows(LoanAccount, loans, [*BALANCE_FIELDS, "version", "updated_at"])
        for p, entry in zip(postings, entries, strict=True):
            p.entry = entry
        if not audit:
            return entries
        audit_record_many(
            [
                audit_event(
                    actor=actor,
                    verb="journal.posted",
                    target=entry,
                    after={
                        "kind": p.kind,
                        "effective_date": p.effective_date,
                        "loan": p.loan.loan_number,
                        "lines": [[line.account, line.debit, line.credit] for line in p.lines],
                        "idempotency_key": None,
                        "reverses": None,
                    },
                )
                for p, entry in zip(postings, entries, strict=True)
            ]
        )
        return entries


def _entries_insert(postings: list[Posting], who: int | None, posted_at: datetime) -> list[JournalEntry]:
    fields = ["loan", "effective_date", "posted_at", "kind", "memo", "created_by"]
    rows = [(p.loan.pk, p.effective_date, posted_at, p.kind, p.memo, who) for p in postings]
    pks = bulk_insert_rows(JournalEntry, fields, rows, returning_pk=True)
    related = {"loan": [p.loan for p in postings]}
    return cast(list[JournalEntry], written_instances(JournalEntry, fields, rows, pks, related=related))
