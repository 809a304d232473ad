"""Posting one journal entry for many loans: the close of business moves 100,000 loans a night.

``journal_post_bulk`` writes one entry per chunk (``loan`` blank: it belongs to no single loan) whose lines each
carry their loan, so ``ledger_verify`` still proves every loan's running balances from its lines (it sums lines by
``loan``, not entries). Each loan's own lines balance, so the entry balances and every loan's share of it does.
It is the same rows ``journal_post`` would write per loan, in a handful of statements: one INSERT for the entry,
one for the lines, one ``UPDATE ... FROM (VALUES ...)`` for the balances, one audit row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from lending.core.bulk import bulk_update_rows
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.money import ZERO
from servicing.models import JournalEntry, JournalLine, LoanAccount
from servicing.services.ledger import (
    BALANCE_FIELDS,
    LedgerError,
    RawLine,
    _accounts,
    _balance_deltas,
    _clean_lines,
    _moved_balances,
)

LOCK_FIELDS = (*BALANCE_FIELDS, "version", "loan_number")


@transaction.atomic
def journal_post_bulk(
    *,
    actor: User | None,
    effective_date: date,
    kind: str,
    memo: str,
    idempotency_key: str,
    loan_lines: Sequence[tuple[LoanAccount, Sequence[RawLine]]],
) -> tuple[JournalEntry | None, bool]:
    """Post one entry with every loan's ``(account_code, debit, credit)`` lines, each loan's lines balanced, and
    move each loan's running balances. The caller holds the loans' row locks (taken in primary-key order) and
    passes the rows as read under them (``LOCK_FIELDS`` at least); they are refreshed in place. Returns the entry
    and whether it was written: an ``idempotency_key`` already used returns that entry and writes nothing. None
    when no loan has lines. ``LedgerError`` (nothing written) when a loan's lines do not balance, name an unknown
    account or would take a balance below zero."""
    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    if kind not in JournalEntry.Kind.values:
        raise LedgerError(f"Unknown journal entry kind {kind!r}.")
    cleaned = [(loan, _clean_lines(lines)) for loan, lines in loan_lines if lines]
    if not cleaned:
        return None, False
    accounts = _accounts({line.account for _, lines in cleaned for line in lines})
    moved = []
    totals: dict[str, list[Decimal]] = {}
    for loan, lines in cleaned:
        deltas = _balance_deltas(lines, accounts)
        if deltas:
            for field, value in _moved_balances(loan, deltas).items():
                setattr(loan, field, value)
            moved.append(loan)
        for line in lines:
            total = totals.setdefault(line.account, [ZERO, ZERO])
            total[0] += line.debit
            total[1] += line.credit
    entry = JournalEntry(
        loan=None,
        effective_date=effective_date,
        kind=kind,
        memo=memo[:255],
        created_by=actor if actor is not None and actor.pk else None,
        idempotency_key=idempotency_key,
    )
    try:
        with transaction.atomic():  # a savepoint: another worker may have posted the same key meanwhile
            entry.save()
    except IntegrityError:
        existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing, False
    JournalLine.objects.bulk_create(
        [
            JournalLine(entry=entry, account=accounts[line.account], loan=loan, debit=line.debit, credit=line.credit)
            for loan, lines in cleaned
            for line in lines
        ]
    )
    now = timezone.now()
    for loan in moved:
        loan.updated_at = now
    bulk_update_rows(LoanAccount, moved, [*BALANCE_FIELDS, "version", "updated_at"])
    audit_record(
        actor=actor,
        verb="journal.posted",
        target=entry,
        after={
            "kind": kind,
            "effective_date": effective_date,
            "loan": None,
            "loans": len(cleaned),
            "first_loan": cleaned[0][0].loan_number,
            "last_loan": cleaned[-1][0].loan_number,
            "totals": [[code, debit, credit] for code, (debit, credit) in sorted(totals.items())],
            "idempotency_key": idempotency_key,
            "reverses": None,
        },
    )
    return entry, True
