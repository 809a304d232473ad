"""Posting one entry for a loan the caller has locked, in one statement: a payment posted from a screen.

``journal_post`` reads the chart, inserts the entry, its lines and an audit row, and updates the loan's running
balances: five statements in a savepoint. A payment also updates the loan (its derived dates) and writes its own
audit row, so it prepares the entry here (checked as ``journal_post`` checks it, the balances moved in memory),
writes the entry with its lines in one statement, and saves the balances with the dates and the audit rows with
its own: the same rows ``journal_post`` writes. The chart is not read: an account's normal side is kept for the
process, and the insert itself finds each account by code among the active ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from django.db import connection

from lending.core.bulk import array_text
from lending.core.compiled import send_sql
from lending.core.models import AuditEvent, User
from lending.core.services import AuditRow, audit_event, audit_row
from servicing.models import JournalEntry, JournalLine, LedgerAccount, LoanAccount
from servicing.services.ledger import (
    LedgerError,
    Posting,
    RawLine,
    _accounts,
    _balance_deltas,
    _clean_lines,
    _moved_balances,
)


class _Side(NamedTuple):
    normal_side: str


_SIDES: dict[str, _Side] = {}  # each account's normal side by code, for the process
_KINDS = frozenset(JournalEntry.Kind.values)  # made once: Django's ``Choices.values`` builds its list on every read


def _normal_sides(codes: set[str]) -> dict[str, _Side]:
    """Each account's normal side, read once per process: an account's code and normal side never change once it
    exists (the admin shows them read-only). Not its id (a test database's chart is created again) nor whether
    it is active (``journal_entry_write`` checks that as it inserts)."""
    if not codes <= _SIDES.keys():
        _SIDES.update((code, _Side(side)) for code, side in LedgerAccount.objects.values_list("code", "normal_side"))
    missing = sorted(codes - _SIDES.keys())
    if missing:
        raise LedgerError(f"Unknown ledger account(s): {', '.join(missing)}.")
    return _SIDES


def posting_prepare_one(
    *, loan: LoanAccount, effective_date: date, kind: str, memo: str, lines: Iterable[RawLine]
) -> Posting:
    """Check one entry as ``journal_post`` checks it (balanced, whole cents, known accounts, balances not below
    zero) and move the loan's running balances in memory (``Posting.moved``: by how much); ``LedgerError`` and
    nothing moved when refused. The caller holds the loan's row lock, writes the entry with
    ``journal_entry_write`` and saves the balances."""
    if kind not in _KINDS:
        raise LedgerError(f"Unknown journal entry kind {kind!r}.")
    cleaned = _clean_lines(lines)
    deltas = _balance_deltas(cleaned, _normal_sides({line.account for line in cleaned}))
    if deltas:
        for name, value in _moved_balances(loan, deltas).items():
            setattr(loan, name, value)
    return Posting(loan=loan, effective_date=effective_date, kind=kind, memo=memo[:255], lines=cleaned, moved=deltas)


def journal_entry_write(*, actor: User | None, posting: Posting) -> JournalEntry:
    """Write a prepared entry and its lines, on PostgreSQL in one statement, and nothing else (the caller saves
    the loan's balances and the audit row, ``journal_audit_event``). ``LedgerError`` when an account is unknown or
    inactive: raised out of the caller's transaction, which rolls back what was written."""
    entry = _entry_of(actor, posting, None)
    codes = [line.account for line in posting.lines]
    if connection.vendor != "postgresql":
        accounts = _accounts(set(codes))
        entry.save()
        JournalLine.objects.bulk_create(
            [
                JournalLine(
                    entry=entry, account=accounts[line.account], loan=entry.loan, debit=line.debit, credit=line.credit
                )
                for line in posting.lines
            ]
        )
        return entry
    ids = [row[0] for row in send_sql(_ENTRY_WITH_LINES, _entry_params(posting, entry)).rows()]
    if len(ids) != len(codes):
        _accounts(set(codes))  # raises, naming the unknown or inactive account
        raise LedgerError("A journal line found no active account.")
    entry.pk = ids[0]
    entry._state.adding = False
    return entry


def journal_entry_ctes(*, actor: User | None, posting: Posting, pk: int) -> tuple[str, list[Any]]:
    """``journal_entry_write``'s statement as two common table expressions (``entry`` and ``journal_lines``) and
    their parameters, for a caller that writes the rows referring to the entry in the same statement (PostgreSQL;
    ``pk`` taken beforehand); ``posting.entry`` carries the entry, unsaved until the caller has read the
    statement's answer. Strict: a line whose account is unknown or inactive fails the statement itself (an
    ``IntegrityError``, its transaction or savepoint rolled back; ``journal_accounts_check`` names the account),
    so a caller may send its COMMIT before reading the answer."""
    entry = _entry_of(actor, posting, pk)
    return _ENTRY_CTES_STRICT, _entry_params(posting, entry)


def _entry_of(actor: User | None, posting: Posting, pk: int | None) -> JournalEntry:
    """The posting's entry, unsaved, on ``posting.entry``."""
    posting.entry = JournalEntry(
        pk=pk,
        loan=posting.loan,
        effective_date=posting.effective_date,
        kind=posting.kind,
        memo=posting.memo,
        created_by=actor if actor is not None and actor.pk else None,
    )
    return posting.entry


def _entry_params(posting: Posting, entry: JournalEntry) -> list[Any]:
    """The parameters of ``_ENTRY_CTE`` and ``_LINES_INSERT``, in that order."""
    lines = posting.lines
    return [
        entry.pk,
        entry.loan_id,
        entry.effective_date,
        entry.posted_at,
        entry.kind,
        entry.memo,
        entry.created_by_id,
        entry.loan_id,
        # Arrays as their text (lending.core.bulk.array_text): the driver adapts lists element by element.
        array_text([line.account for line in lines]),
        array_text([line.debit for line in lines]),
        array_text([line.credit for line in lines]),
    ]


# The entry (its id given, or the next), and its lines joined to their active accounts by code, in line order. A
# line whose account is not found is left out: the caller compares the count and refuses the posting.
_ENTRY_CTE = """entry AS (
    INSERT INTO servicing_journalentry (id, loan_id, effective_date, posted_at, kind, memo, created_by_id)
    VALUES (COALESCE(%s, nextval(pg_get_serial_sequence('servicing_journalentry', 'id'))), %s, %s, %s, %s, %s, %s)
    RETURNING id
)"""
_LINES_INSERT = """INSERT INTO servicing_journalline (entry_id, account_id, loan_id, debit, credit)
SELECT entry.id, account.id, %s, line.debit, line.credit
FROM entry
CROSS JOIN UNNEST(%s::varchar[], %s::numeric[], %s::numeric[]) WITH ORDINALITY AS line (code, debit, credit, n)
JOIN servicing_ledgeraccount AS account ON account.code = line.code AND account.is_active
ORDER BY line.n
RETURNING entry_id"""
_ENTRY_WITH_LINES = f"WITH {_ENTRY_CTE}\n{_LINES_INSERT}\n"
# The same, with a line whose account is not found given no account: the NOT NULL column refuses it.
_LINES_INSERT_STRICT = _LINES_INSERT.replace("\nJOIN servicing_ledgeraccount", "\nLEFT JOIN servicing_ledgeraccount", 1)
_ENTRY_CTES_STRICT = f"{_ENTRY_CTE}, journal_lines AS (\n{_LINES_INSERT_STRICT}\n)"


def journal_accounts_check(posting: Posting) -> None:
    """``LedgerError`` naming the posting's unknown or inactive accounts, if any (after a ``strict`` statement
    failed: the transaction it ran in is over)."""
    _accounts({line.account for line in posting.lines})


def journal_audit_event(*, actor: User | None, posting: Posting) -> AuditEvent:
    """The ``journal.posted`` audit row of a written posting, unsaved: what ``journal_post`` records."""
    return audit_event(**_journal_audit(actor, posting))


def journal_audit_row(*, actor: User | None, posting: Posting) -> AuditRow:
    """``journal_audit_event``'s columns, without the instance (``lending.core.services.audit_row``)."""
    return audit_row(**_journal_audit(actor, posting))


def _journal_audit(actor: User | None, posting: Posting) -> dict[str, Any]:
    return {
        "actor": actor,
        "verb": "journal.posted",
        "target": posting.entry,
        "after": {
            "kind": posting.kind,
            "effective_date": posting.effective_date,
            "loan": posting.loan.loan_number,
            "lines": [[line.account, line.debit, line.credit] for line in posting.lines],
            "idempotency_key": None,
            "reverses": None,
        },
    }
