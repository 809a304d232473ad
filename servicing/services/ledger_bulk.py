"""Posting an entry per loan for many loans at once: the close of business moves 100,000 loans a night.

``journal_post_bulk`` writes the same rows ``journal_post`` would write loan by loan (an entry per loan, its lines
carrying the loan, the loan's running balances moved), in a handful of statements: one INSERT of entries, one of
lines, one ``UPDATE ... FROM (VALUES ...)`` of the balances and one audit row for the batch. An entry per loan, not
one entry for the chunk: it keeps each loan's accruals on its sub-ledger page and reversible one loan at a time
(and migration 0003's balance check, which summed an entry's lines once per line, made an entry of 4,000 lines
cost 16 million line reads at commit; since migration 0042 the commit checks each entry once). Idempotency is the
caller's: it locks the loans and writes only what is still pending under the lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from lending.core.bulk import bulk_insert_rows, bulk_update_rows
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


def journal_post_bulk(
    *,
    actor: User | None,
    effective_date: date,
    kind: str,
    memo: str,
    loan_lines: Sequence[tuple[LoanAccount, Sequence[RawLine]]],
    also_save: Sequence[str] = (),
) -> dict[int, int]:
    """Post one entry per loan with its ``(account_code, debit, credit)`` lines (balanced, whole cents, known
    active accounts) and move each loan's running balances. The caller holds the loans' row locks (taken in
    primary-key order) and passes the rows as read under them (``LOCK_FIELDS`` at least); they are refreshed in
    place. A loan given no lines gets no entry; ``also_save`` names other fields the caller set on the loans,
    saved with the balances in the same statement. Returns the new entries' ids by loan id. ``LedgerError``
    (nothing written) when a loan's lines do not balance, name an unknown account or would take a balance below
    zero."""
    with transaction.atomic():
        if kind not in JournalEntry.Kind.values:
            raise LedgerError(f"Unknown journal entry kind {kind!r}.")
        everyone = [loan for loan, _ in loan_lines]
        cleaned = [(loan, _clean_lines(lines)) for loan, lines in loan_lines if lines]
        if not cleaned:
            if also_save:
                bulk_update_rows(LoanAccount, everyone, list(also_save))
            return {}
        accounts = _accounts({line.account for _, lines in cleaned for line in lines})
        totals: dict[str, list[Decimal]] = {}
        moved: set[str] = set()
        for loan, lines in cleaned:
            deltas = _balance_deltas(lines, accounts)
            if deltas:
                moved |= deltas.keys()
                for field, value in _moved_balances(loan, deltas).items():
                    setattr(loan, field, value)
            for line in lines:
                total = totals.setdefault(line.account, [ZERO, ZERO])
                total[0] += line.debit
                total[1] += line.credit
        who = actor.pk if actor is not None and actor.pk else None
        posted_at = timezone.now()
        memo = memo[:255]
        # Raw arrays, no model instances: at 100,000 loans a night the instances cost as much as the inserts.
        entry_ids = bulk_insert_rows(
            JournalEntry,
            ["loan", "effective_date", "posted_at", "kind", "memo", "created_by"],
            [(loan.pk, effective_date, posted_at, kind, memo, who) for loan, _ in cleaned],
            returning_pk=True,
        )
        bulk_insert_rows(
            JournalLine,
            ["entry", "account", "loan", "debit", "credit"],
            [
                (entry_id, accounts[line.account].pk, loan.pk, line.debit, line.credit)
                for (loan, lines), entry_id in zip(cleaned, entry_ids, strict=True)
                for line in lines
            ],
        )
        for loan in everyone:
            loan.updated_at = posted_at
        # Only the balances that moved (an accrual moves two of six): fewer values to send and to write.
        fields = [field for field in BALANCE_FIELDS if field in moved]
        bulk_update_rows(LoanAccount, everyone, [*fields, "version", "updated_at", *also_save])
        audit_record(
            actor=actor,
            verb="journal.posted_bulk",
            target=JournalEntry(pk=entry_ids[0], effective_date=effective_date, kind=kind),
            after={
                "kind": kind,
                "effective_date": effective_date,
                "memo": memo,
                "entries": len(entry_ids),
                "first_entry": entry_ids[0],
                "last_entry": entry_ids[-1],
                "first_loan": cleaned[0][0].loan_number,
                "last_loan": cleaned[-1][0].loan_number,
                "totals": [[code, debit, credit] for code, (debit, credit) in sorted(totals.items())],
            },
        )
        return {loan.pk: entry_id for (loan, _), entry_id in zip(cleaned, entry_ids, strict=True)}
