"""Migrations servicing 0036, 0039 and 0040, core 0003 and 0004: the indexes no query reads are gone from the busiest
tables, the indexes of optional references hold only the rows that have one, and the look-ups they seemed to serve
still go through an index."""

import pytest
from django.db import connection, transaction

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _indexes(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table])
        return [row[0] for row in cursor.fetchall()]


def test_the_payments_table_keeps_only_the_indexes_its_queries_read():
    assert _indexes("servicing_loantransaction") == [
        "loan_txn_date_idx",
        "loan_txn_loan_date_idx",
        "loan_txn_posted_by_idx",
        "servicing_loantransaction_idempotency_key_key",
        "servicing_loantransaction_journal_entry_id_key",
        "servicing_loantransaction_pkey",
        "servicing_loantransaction_reverses_id_key",
    ]


def test_the_journal_entries_table_keeps_no_pattern_copy_of_the_idempotency_key():
    assert _indexes("servicing_journalentry") == [
        "journal_entry_created_by_idx",
        "journal_entry_date_id_idx",
        "journal_entry_loan_idx",
        "servicing_journalentry_idempotency_key_key",
        "servicing_journalentry_pkey",
        "servicing_journalentry_reverses_id_key",
    ]


def _plan(sql: str, params: list) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # plan as for a book of millions of payments
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_loans_payments_and_a_key_are_still_found_through_an_index():
    from servicing.models import LoanTransaction

    # Earlier tests' rolled-back payments leave pages in the key's index, so on an empty table a full scan of the
    # smaller loan index could cost the same as the key look-up: rebuilt, each index is as it is on a fresh table.
    with connection.cursor() as cursor:
        cursor.execute("REINDEX TABLE servicing_loantransaction")
    by_loan = LoanTransaction.objects.filter(loan_id=1).order_by().values("id").query.sql_with_params()
    assert "loan_txn_loan_date_idx" in _plan(*by_loan)
    # Unordered, as ``get()`` asks: the model's default ordering would let the planner read the loan index in
    # order and filter it, which on an empty table costs as little as the key look-up (CI of 992cbe4 and 608e7b4).
    by_key = LoanTransaction.objects.filter(idempotency_key="k").order_by().values("id").query.sql_with_params()
    assert "servicing_loantransaction_idempotency_key_key" in _plan(*by_key)


def test_the_audit_trail_keeps_only_the_indexes_its_queries_read():
    assert _indexes("core_auditevent") == [
        "core_audit_actor_idx",
        "core_audit_target_idx",
        "core_auditevent_created_at_bef733d2",
        "core_auditevent_pkey",
        "core_auditevent_request_id_0f60cdac",
        "core_auditevent_verb_cef5fed6",
    ]


def test_the_allocation_lines_index_only_the_lines_a_replay_superseded():
    assert _indexes("servicing_allocationline") == [
        "alloc_line_superseded_idx",
        "servicing_allocationline_installment_id_b2d9337c",
        "servicing_allocationline_pkey",
        "servicing_allocationline_transaction_id_783b7137",
    ]


def _partial(index: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [index])
        return cursor.fetchone()[0].partition(" USING ")[2]


def test_the_optional_references_index_only_the_rows_that_have_one():
    assert _partial("core_audit_actor_idx") == "btree (actor_id) WHERE (actor_id IS NOT NULL)"
    assert _partial("journal_entry_created_by_idx") == "btree (created_by_id) WHERE (created_by_id IS NOT NULL)"
    assert _partial("loan_txn_posted_by_idx") == "btree (posted_by_id) WHERE (posted_by_id IS NOT NULL)"
    assert _partial("alloc_line_superseded_idx") == ("btree (superseded_by_id) WHERE (superseded_by_id IS NOT NULL)")


def test_a_users_rows_and_a_replays_lines_are_still_found_through_an_index():
    from lending.core.models import AuditEvent
    from servicing.models import AllocationLine, JournalEntry, LoanTransaction

    # As PostgreSQL checks a user's (or a replay's) deletion against each reference: by equality.
    for model, column, index in (
        (AuditEvent, "actor_id", "core_audit_actor_idx"),
        (JournalEntry, "created_by_id", "journal_entry_created_by_idx"),
        (LoanTransaction, "posted_by_id", "loan_txn_posted_by_idx"),
        (AllocationLine, "superseded_by_id", "alloc_line_superseded_idx"),
    ):
        table = model._meta.db_table
        assert index in _plan(f"SELECT 1 FROM {table} WHERE {column} = %s", [7]), column  # noqa: S608


def test_the_import_lines_keep_no_index_of_their_batch_alone_and_a_batchs_lines_are_found_through_an_index():
    from servicing.models import ImportLine

    assert _indexes("servicing_importline") == [
        "import_line_batch_status_idx",
        "import_line_unique_number",
        "servicing_importline_loan_id_705fa4cf",
        "servicing_importline_pkey",
        "servicing_importline_transaction_id_d31d1ae8",
    ]
    by_batch = ImportLine.objects.filter(batch_id=7).values("id").query.sql_with_params()
    assert "import_line_" in _plan(*by_batch)
    # As PostgreSQL cascades a batch's deletion to its lines: by equality.
    assert "import_line_" in _plan("SELECT 1 FROM servicing_importline WHERE batch_id = %s", [7])
