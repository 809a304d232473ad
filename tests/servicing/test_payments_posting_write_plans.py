"""The plan mode of a posting (servicing.services.posting_write, issue 15): ``payment_post``'s statements after the
loan's lock run as generic plans (PostgreSQL would plan three of them again on every run, to the same plans), and
the transaction has the server's plan mode back once the posting is over, however it ends: posted, a repeated key,
a backdated payment's replay, a refusal."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from psycopg import pq

from servicing.models import LoanAccount, LoanTransaction
from servicing.services import payments
from servicing.services.payments import PaymentError
from servicing.services.posting_write import loan_lock_posting
from tests.servicing.factories import boarded_loan
from tests.servicing.test_payments import TODAY, _pay

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
GENERIC = "force_generic_plan"
SERVERS = "auto"  # the server's setting in the test cluster (PostgreSQL's default)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


def _mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('plan_cache_mode')")
        return cursor.fetchone()[0]


@contextmanager
def _modes() -> Iterator[list[tuple[str, str]]]:
    """Each statement's first word and the plan mode it was sent under, in order."""
    seen: list[tuple[str, str]] = []

    def record(execute, sql, params, many, context):
        # On the driver's connection: not through this wrapper, and the previous statement's rows are all read.
        (mode,) = connection.connection.execute("SELECT current_setting('plan_cache_mode')").fetchone()
        seen.append((sql.split(None, 1)[0], mode))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen


def test_a_payments_reads_and_writes_after_the_lock_run_as_generic_plans_and_then_the_servers_mode():
    loan = boarded_loan()
    _pay(loan, "100.00", "first")  # the process's first posting also reads the chart's normal sides
    with _modes() as seen:
        txn = _pay(loan, "500.00", "plans")
    assert seen == [
        ("SAVEPOINT", SERVERS),  # payment_post's atomic inside the test's transaction, as inside a request's
        ("SELECT", SERVERS),  # the lock, which sets the mode
        ("SELECT", GENERIC),  # the key and the later payments
        ("SELECT", GENERIC),  # the dues
        ("WITH", GENERIC),  # the entry with its lines, the transaction, its allocation lines, the installments
        ("WITH", GENERIC),  # the audit rows and the loan, which sets the mode back
        ("RELEASE", SERVERS),
    ]
    assert _mode() == SERVERS
    assert LoanTransaction.objects.get(pk=txn.pk).amount == Decimal("500.00")


def test_a_payments_lock_and_its_reads_under_the_lock_go_to_the_server_together_and_then_its_writes_together():
    loan = boarded_loan()
    _pay(loan, "100.00", "first")  # the process's first posting also reads the chart's normal sides
    seen = []

    def record(execute, sql, params, many, context):
        seen.append((sql.split(None, 1)[0], connection.connection.pgconn.pipeline_status == pq.PipelineStatus.ON))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        txn = _pay(loan, "500.00", "together")
    assert seen == [
        ("SAVEPOINT", False),
        ("SELECT", True),  # the lock
        ("SELECT", True),  # the key and the later payments
        ("SELECT", True),  # the dues
        ("WITH", True),  # the entry with its lines, the transaction (ids taken with the lock), its allocation
        # lines, the installments
        ("WITH", True),  # the audit rows and the loan
        ("RELEASE", False),
    ]
    assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF
    assert LoanTransaction.objects.get(pk=txn.pk).amount == Decimal("500.00")


def test_a_repeated_key_sets_the_mode_back_before_returning_the_first_posting():
    loan = boarded_loan()
    first = _pay(loan, "500.00", "again")
    with _modes() as seen:
        again = _pay(loan, "500.00", "again")
    assert again.pk == first.pk
    assert seen == [
        ("SAVEPOINT", SERVERS),
        ("SELECT", SERVERS),  # the lock
        ("SELECT", GENERIC),  # the key: posted before
        ("SELECT", GENERIC),  # the dues, read with the lock (not used on a repeat)
        ("SELECT", GENERIC),  # the mode set back
        ("RELEASE", SERVERS),
    ]
    assert _mode() == SERVERS


def test_a_backdated_payment_replays_the_later_payments_under_the_servers_mode(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2026, 12, 5))
    loan = boarded_loan()
    _pay(loan, "100.00", "later", when=date(2026, 12, 3))
    with _modes() as seen:
        _pay(loan, "50.00", "backdated", when=TODAY)
    assert seen[:6] == [
        ("SAVEPOINT", SERVERS),
        ("SELECT", SERVERS),  # the lock
        ("SELECT", GENERIC),  # the key and the later payment
        ("SELECT", GENERIC),  # the dues, read with the lock (read again after the replay's unwinding)
        ("SELECT", GENERIC),  # the later payment's entry
        ("SELECT", GENERIC),  # the mode set back
    ]
    assert {mode for _, mode in seen[6:]} == {SERVERS}  # the replay and the posting
    assert len(seen) > 10
    assert _mode() == SERVERS


def test_a_refusal_after_the_lock_leaves_the_servers_mode():
    loan = boarded_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.PAID_OFF)
    with _modes() as seen, pytest.raises(PaymentError):
        _pay(loan, "500.00", "refused")
    assert seen[2] == ("SELECT", GENERIC)  # refused after the key's read, under the posting's mode
    assert seen[-2:] == [("ROLLBACK", GENERIC), ("RELEASE", SERVERS)]  # ROLLBACK TO SAVEPOINT undid it
    assert _mode() == SERVERS
    assert not LoanTransaction.objects.filter(idempotency_key="refused").exists()


def test_locking_an_unknown_loan_for_a_posting_is_refused():
    with transaction.atomic(), pytest.raises(LoanAccount.DoesNotExist, match=r"^no loan 987654$"):
        loan_lock_posting(LoanAccount(pk=987654))


@pytest.mark.django_db(transaction=True)
def test_a_posting_committed_on_its_own_leaves_the_connection_in_the_servers_mode():
    loan = boarded_loan()
    _pay(loan, "100.00", "first")  # the process's first posting also reads the chart's normal sides
    with _modes() as seen:
        _pay(loan, "500.00", "alone")  # its own transaction: BEGIN and COMMIT are the driver's
    assert [mode for _, mode in seen] == [SERVERS, GENERIC, GENERIC, GENERIC, GENERIC]
    assert _mode() == SERVERS  # the setting was the transaction's only


@pytest.mark.django_db(transaction=True)
def test_locking_a_loan_for_a_posting_outside_a_transaction_is_refused():
    loan = boarded_loan()
    with pytest.raises(
        TransactionManagementError, match=r"^select_for_update cannot be used outside of a transaction\.$"
    ):
        loan_lock_posting(loan)
    assert _mode() == SERVERS
