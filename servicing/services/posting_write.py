"""Writing a payment's posting in two or three statements, for a loan the caller has locked.

``payment_post`` used to write a posting in about fifteen statements (the entry, its lines, the balances, the
transaction, its allocation lines, the installments, the dates, a re-read of the dates, two audit rows, and the
savepoints around them). The same rows are written here in three: the entry with its lines
(``servicing.services.ledger_entry``), then the transaction, its allocation lines and the installments' paid
amounts in one statement (``payment_rows_write``), then the loan's running balances with its derived dates in
one UPDATE that returns the dates and writes the posting's audit rows (``loan_save_posted``). Elsewhere than
PostgreSQL (SQLite in development) the ORM writes the same rows one table at a time.

Together: the lock takes the ids the entry and the transaction will have (``nextval``, ``PostingIds``), so no
statement waits for another's answer; ``payment_post`` writes the entry with its lines in the transaction's
statement (``journal_entry_ctes``: two statements, each with its protocol and executor overhead on both sides, become
one) and sends it with the loan's in one round trip (psycopg's pipeline mode, ``lending.core.compiled.together``;
each ``*_send`` returns the function that reads its answer), and the server writes one while Python prepares the
next; a posting that is its own transaction sends its COMMIT in the same round trip
(``lending.core.compiled.commit_send``). The loan's UPDATE stays a statement of its own: its dates are read from the
installments the first one pays, which a statement's own subqueries would see as they were before it. A replay, or
a prepayment (the installments to come are re-priced from the rows written), writes the three one after the other
(``*_write``, ``loan_save_posted``).

Plans: PostgreSQL's plan cache judges three of a posting's prepared statements (the key with the later payments,
the dues, the transaction's insert) dearer as generic plans than as plans for the values at hand, so it plans them
again on every run (about a fifth of a payment's database time), to the same plans. ``loan_lock_posting`` takes the
loan's lock and sets the transaction's ``plan_cache_mode`` to ``force_generic_plan`` in the same statement (no round
trip more); ``loan_save_posted``, the posting's last statement, sets it back to the server's (``plans_reset`` where a
posting ends otherwise; a rolled-back savepoint or transaction undoes the setting itself). So the caller's own
queries in the same transaction are planned as usual.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, cast

from django.db import connection
from django.db.models import BigIntegerField, CharField, Field, Func, Value
from django.db.models.sql import UpdateQuery
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from lending.core.bulk import array_text, bulk_update_rows
from lending.core.compiled import CompiledQuery, fetch_together, send_sql
from lending.core.models import AuditEvent
from lending.core.services import (
    AuditRow,
    audit_event_of,
    audit_ids_set,
    audit_record_many,
    audit_row_of,
    audit_rows_insert_sql,
)
from lending.finance import allocation as alloc
from servicing.models import AllocationLine, Installment, JournalEntry, LoanAccount, LoanTransaction
from servicing.services.ledger import BALANCE_FIELDS, Posting
from servicing.services.posting import (
    PAID_FIELDS,
    allocation_amounts,
    allocation_lines,
    installments_add,
    loan_dates,
    loan_lock,
)

# The transaction's plan mode (SET LOCAL): generic plans for the posting's statements, then the server's again.
_GENERIC_PLANS = Func(
    Value("plan_cache_mode"), Value("force_generic_plan"), Value(True), function="set_config", output_field=CharField()
)
_PLANS_RESET = "set_config('plan_cache_mode', NULL, true)"


class PostingIds(NamedTuple):
    """The ids a posting's entry and transaction will have, taken with the loan's lock (``nextval``)."""

    entry: int
    transaction: int


def loan_lock_posting(
    loan: LoanAccount, *reads: tuple[CompiledQuery[Any], dict[str, Any]]
) -> tuple[LoanAccount, list[list[Any]], PostingIds | None]:
    """``loan_lock`` for a posting, and the rows of ``reads`` (``(query, values)``) run after the lock, under it:
    on PostgreSQL in the same round trip as the lock and its transaction's BEGIN (``fetch_together``), and the rest
    of the transaction is planned generically, until ``loan_save_posted`` (or ``plans_reset``) sets the plan mode
    back. On PostgreSQL also the ids of the posting's entry and transaction, so its writes can go together
    (``lending.core.compiled.together``) without waiting for the rows they refer to; a posting that does not use
    them leaves a gap in the ids, as a rolled-back insert does."""
    if connection.vendor != "postgresql":
        return loan_lock(loan), [query.fetch(**values) for query, values in reads], None
    if not connection.in_atomic_block:  # as loan_lock refuses it: the lock would end with the statement
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
    found, *rows = fetch_together((_LOAN_LOCK_GENERIC, {"loan_id": loan.pk}), *reads)
    if not found:
        raise LoanAccount.DoesNotExist(f"no loan {loan.pk}")
    locked = found[0]
    taken = vars(locked)  # the lock's annotations
    return locked, rows, PostingIds(taken["posting_entry_id"], taken["posting_transaction_id"])


def _next_id(table: str) -> Func:
    """The next id of ``table``, from its sequence."""
    sequence = Func(Value(table), Value("id"), function="pg_get_serial_sequence")
    return Func(sequence, function="nextval", output_field=BigIntegerField())


_LOAN_LOCK_GENERIC = CompiledQuery(
    lambda loan_id: (
        LoanAccount.objects.select_for_update()
        .filter(pk=loan_id)
        .annotate(
            plan_cache_mode=_GENERIC_PLANS,
            posting_entry_id=_next_id(JournalEntry._meta.db_table),
            posting_transaction_id=_next_id(LoanTransaction._meta.db_table),
        )
    ),
    loan_id=int,
)


def plans_reset() -> None:
    """Plan the rest of the transaction as the server does (after ``loan_lock_posting``), where a posting ends
    before ``loan_save_posted``."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {_PLANS_RESET}")


def payment_rows_write(
    *,
    txn: LoanTransaction,
    allocation: alloc.Allocation,
    installments: dict[int, Installment],
) -> None:
    """Insert ``txn`` (unsaved, its journal entry written) with its allocation lines, and add the allocation to
    the installments it pays (``installments_add``) and save them. An ``IntegrityError`` when another caller
    took the idempotency key meanwhile."""
    payment_rows_send(txn=txn, allocation=allocation, installments=installments)()


def payment_rows_send(
    *,
    txn: LoanTransaction,
    allocation: alloc.Allocation,
    installments: dict[int, Installment],
    entry: tuple[str, list[Any]] | None = None,
) -> Callable[[], None]:
    """``payment_rows_write`` with the statement only sent: the function returned reads its answer. ``txn`` may
    carry its id already (``PostingIds``); its entry is written before, or by the same statement: ``entry``, the
    entry's common table expressions and their parameters (``journal_entry_ctes``; PostgreSQL)."""
    changed = installments_add(allocation, installments, txn.effective_date)
    if connection.vendor != "postgresql":
        txn.save()
        AllocationLine.objects.bulk_create(allocation_lines(txn, allocation, installments))
        bulk_update_rows(Installment, changed, PAID_FIELDS)
        return lambda: None
    # The lines' values, not AllocationLine instances: only the statement reads them.
    lines = allocation_amounts(allocation, installments)
    params: list[Any] = [
        txn.pk,
        txn.loan_id,
        txn.kind,
        txn.amount,
        txn.effective_date,
        txn.method,
        txn.reference,
        txn.idempotency_key,
        txn.directive,
        txn.status,
        txn.note,
        txn.posted_at,
        txn.journal_entry_id,
        txn.posted_by_id,
        # Arrays as their text (lending.core.bulk.array_text): the driver adapts lists element by element.
        array_text([i.pk if i is not None else None for i, _, _ in lines]),
        array_text([bucket for _, bucket, _ in lines]),
        array_text([amount for _, _, amount in lines]),
        array_text([i.pk for i in changed]),
        *(array_text([getattr(i, name) for i in changed]) for name in PAID_FIELDS),
    ]
    if entry is None:
        sent = send_sql(_PAYMENT_ROWS, params)
    else:
        ctes, entry_params = entry
        sent = send_sql(f"WITH {ctes},\n{_PAYMENT_ROWS_CTES}\n{_PAYMENT_ROWS_ID}", [*entry_params, *params])

    def written() -> None:
        ((txn.pk,),) = sent.rows()
        txn._state.adding = False
        if entry is not None:  # written by the same statement
            txn.journal_entry._state.adding = False

    return written


# The transaction (its id given, or the next), its allocation lines and the installments' paid amounts
# (PAID_FIELDS, in that order).
_PAYMENT_ROWS_CTES = """txn AS (
    INSERT INTO servicing_loantransaction (
        id, loan_id, kind, amount, effective_date, method, reference, idempotency_key, directive, status, note,
        posted_at, journal_entry_id, posted_by_id
    ) VALUES (
        COALESCE(%s, nextval(pg_get_serial_sequence('servicing_loantransaction', 'id'))),
        %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s
    ) RETURNING id
), lines AS (
    INSERT INTO servicing_allocationline (transaction_id, installment_id, bucket, amount)
    SELECT txn.id, line.installment_id, line.bucket, line.amount
    FROM txn CROSS JOIN UNNEST(%s::bigint[], %s::varchar[], %s::numeric[]) WITH ORDINALITY
        AS line (installment_id, bucket, amount, n)
    ORDER BY line.n
), paid AS (
    UPDATE servicing_installment AS i
    SET paid_interest = v.paid_interest, paid_principal = v.paid_principal, paid_escrow = v.paid_escrow,
        paid_late_fees = v.paid_late_fees, paid_fees = v.paid_fees, paid_on = v.paid_on
    FROM UNNEST(%s::bigint[], %s::numeric[], %s::numeric[], %s::numeric[], %s::numeric[], %s::numeric[], %s::date[])
        AS v (id, paid_interest, paid_principal, paid_escrow, paid_late_fees, paid_fees, paid_on)
    WHERE i.id = v.id
)"""
_PAYMENT_ROWS_ID = "SELECT id FROM txn\n"
_PAYMENT_ROWS = f"WITH {_PAYMENT_ROWS_CTES}\n{_PAYMENT_ROWS_ID}"


def loan_save_posted(
    loan: LoanAccount, posting: Posting, *, audit: Sequence[AuditEvent | AuditRow] | None = None
) -> None:
    """Save the running balances ``posting`` moved (with the loan's next version) and refresh the loan's derived
    dates (``loan_dates``), in one UPDATE that returns the dates onto ``loan``. The caller holds the row lock and
    has written the installments the posting paid. ``audit`` (unsaved rows, in order: instances, which get their
    ids, or their columns, ``AuditRow``) is written with it: on PostgreSQL in the same statement, one round trip
    less for a payment; and the plan mode is set back there (``loan_lock_posting``)."""
    loan_save_send(loan, posting, audit=audit)()


def loan_save_send(
    loan: LoanAccount, posting: Posting, *, audit: Sequence[AuditEvent | AuditRow] | None = None
) -> Callable[[], None]:
    """``loan_save_posted`` with the statement only sent (``together``): the function returned reads its answer,
    the loan's dates and the audit rows' ids."""
    audit = audit or []
    if audit and connection.vendor != "postgresql":
        audit_record_many([row if isinstance(row, AuditEvent) else audit_event_of(row) for row in audit])
        audit = []
    fields = [name for name in BALANCE_FIELDS if name in (posting.moved or {})]
    if fields:  # as journal_post moves them: the balances, a new version, the time
        loan.updated_at = timezone.now()
        fields += ["version", "updated_at"]
    sql, columns, dates_params = _loan_update_sql(tuple(fields), connection.vendor)
    params = [column.get_db_prep_save(getattr(loan, column.attname), connection) for column in columns]
    params += [*dates_params, loan.pk]
    if audit:  # the audit rows' ids come back beside the dates, in the order they were inserted
        insert, audit_params = audit_rows_insert_sql(
            [row if isinstance(row, AuditRow) else audit_row_of(row) for row in audit]
        )
        sql = " ".join(
            ("WITH audit AS (", insert, "RETURNING id)", sql, ", (SELECT array_agg(id ORDER BY id) FROM audit)")
        )
        params = [*audit_params, *params]
    sent = send_sql(sql, params)

    def saved() -> None:
        ((next_due, paid_through, *more),) = sent.rows()
        if audit:  # the instances among them are saved rows from now on
            events = [(row, pk) for row, pk in zip(audit, more[-1], strict=True) if isinstance(row, AuditEvent)]
            audit_ids_set([row for row, _ in events], [pk for _, pk in events])
        loan.next_due_date = _NEXT_DUE.to_python(next_due)
        loan.interest_paid_through = _PAID_THROUGH.to_python(paid_through)

    return saved


_NEXT_DUE = LoanAccount._meta.get_field("next_due_date")
_PAID_THROUGH = LoanAccount._meta.get_field("interest_paid_through")


@functools.cache
def _loan_update_sql(fields: tuple[str, ...], vendor: str) -> tuple[str, tuple[Field[Any, Any], ...], tuple[Any, ...]]:
    """``loan_save_send``'s UPDATE of ``fields`` with the loan's dates (its text, the fields' columns in the order
    of their parameters, the dates' parameters), made once per set of fields a posting moves."""
    meta = LoanAccount._meta
    quote = connection.ops.quote_name
    table, dates, where, dates_params = _dates_sql(vendor)
    columns = tuple(cast("Field[Any, Any]", meta.get_field(name)) for name in fields)
    assignments = [f"{quote(str(column.column))} = %s" for column in columns]
    # Only quoted identifiers and the SQL Django compiled go into the text; every value is a parameter.
    returning: tuple[str, ...] = ("RETURNING", quote("next_due_date"), ",", quote("interest_paid_through"))
    if vendor == "postgresql":
        returning += (",", _PLANS_RESET)
    sql = " ".join(("UPDATE", table, "SET", ", ".join([*assignments, dates]), "WHERE", where, *returning))
    return sql, columns, dates_params


@functools.cache
def _dates_sql(vendor: str) -> tuple[str, str, str, tuple[Any, ...]]:
    """``loan_dates`` for one loan as Django writes them (table, SET clause, WHERE clause for the id, the SET
    clause's parameters), compiled once per process: compiling the subqueries costs more than running them."""
    query = cast(UpdateQuery, LoanAccount.objects.filter(pk=0).query.chain(UpdateQuery))
    query.add_update_values(loan_dates())
    sql, params = query.get_compiler(connection=connection).as_sql()
    head, _, where = sql.rpartition(" WHERE ")
    table, _, dates = head.removeprefix("UPDATE ").partition(" SET ")
    if not where.endswith(" = %s") or params[-1] != 0:  # the id filter is last: its parameter is the loan's
        raise RuntimeError(f"unexpected UPDATE for the loan dates ({vendor}): {sql}")
    return table, dates, where, tuple(params[:-1])
