"""``written_instances``: the instances of rows ``bulk_insert_rows`` just wrote, as the constructor builds them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from lending.core.bulk import written_instances
from servicing.models import JournalEntry, LoanAccount, LoanTransaction

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
FIELDS = ["loan_id", "kind", "amount", "effective_date", "method", "reference", "idempotency_key", "directive"]
FIELDS += ["status", "note", "posted_at", "journal_entry", "posted_by"]


def _row(loan: LoanAccount, entry: JournalEntry, n: int) -> tuple[object, ...]:
    amount, day = Decimal("120.05") + n, date(2026, 3, n + 1)
    return (
        loan.pk,
        "payment",
        amount,
        day,
        "ach",
        f"chk-{n}",
        f"key-{n}",
        "standard",
        "posted",
        "",
        NOW,
        entry.pk,
        None,
    )


def _fields(obj: object) -> dict[str, object]:
    return {name: value for name, value in vars(obj).items() if name != "_state"}


def test_each_row_is_the_instance_the_constructor_builds_saved_with_its_key_and_related_instances_cached():
    loans = [LoanAccount(pk=7, loan_number="L-7"), LoanAccount(pk=9, loan_number="L-9")]
    entries = [
        JournalEntry(pk=31, effective_date=date(2026, 3, 1)),
        JournalEntry(pk=32, effective_date=date(2026, 3, 2)),
    ]
    rows = [_row(loans[n], entries[n], n) for n in range(2)]

    built = written_instances(
        LoanTransaction, FIELDS, rows, [501, 502], related={"loan": loans, "journal_entry": entries}
    )

    for n, txn in enumerate(built):
        expected = LoanTransaction(
            pk=501 + n,
            loan=loans[n],
            amount=Decimal("120.05") + n,
            effective_date=date(2026, 3, n + 1),
            method="ach",
            reference=f"chk-{n}",
            idempotency_key=f"key-{n}",
            journal_entry=entries[n],
            posted_at=NOW,
        )
        assert _fields(txn) == _fields(expected)  # the reversal link NULL and the note blank: the fields' defaults
        assert txn._state.adding is False
        assert txn.loan is loans[n]  # cached: no query
        assert txn.journal_entry is entries[n]
        assert str(txn) == str(expected)


def test_without_related_instances_only_the_keys_are_set():
    (entry,) = written_instances(
        JournalEntry,
        ["loan", "effective_date", "posted_at", "kind", "memo", "created_by"],
        [(7, date(2026, 3, 1), NOW, "payment", "m", None)],
        [44],
    )

    assert (entry.pk, entry.loan_id, entry.kind, entry.memo, entry.reverses_id, entry.idempotency_key) == (
        44,
        7,
        "payment",
        "m",
        None,
        None,
    )
    assert entry._state.fields_cache == {}
    assert entry._state.adding is False


def test_a_field_left_out_whose_default_is_called_is_refused():
    # posted_at's default is the time of the call: one value for every row would be wrong.
    with pytest.raises(ValueError, match="JournalEntry: give the fields with a callable default"):
        written_instances(JournalEntry, ["loan", "effective_date", "kind"], [(7, date(2026, 3, 1), "payment")], [1])


def test_rows_and_keys_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="zip"):
        written_instances(JournalEntry, ["effective_date", "posted_at", "kind"], [(date(2026, 3, 1), NOW, "fee")], [])
