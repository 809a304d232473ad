"""journal_post's statements, pinned (issue 17): a caller holding the loan's row lock saves the re-read of the
loan, and the row is read once, with its balances, version and number (no field loaded on its own later)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from servicing.services.ledger import journal_post, journal_reverse
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal
FEE = [("fees_receivable", D("5.00"), D("0.00")), ("fee_income", D("0.00"), D("5.00"))]


def _statements(loan, *, loan_locked: bool) -> int:
    with CaptureQueriesContext(connection) as queries:
        journal_post(
            actor=None, loan=loan, effective_date=date(2027, 1, 5), kind="fee", memo="", lines=FEE,
            loan_locked=loan_locked,
        )  # fmt: skip
    return len(queries)


def test_a_posting_is_eight_statements_and_seven_when_the_caller_holds_the_loans_lock():
    loan = boarded_loan(consumer=True)
    # savepoint; the chart; the entry; its lines; the loan row under its lock; the loan's balances; the audit row;
    # release. A caller holding the lock passes the row it read: no re-read.
    assert _statements(loan, loan_locked=False) == 8
    assert _statements(loan, loan_locked=True) == 7
    loan.refresh_from_db()
    assert loan.fees_due == D("10.00")  # 5.00 + 5.00


def _reversal_statements(loan, lines) -> int:
    entry = journal_post(
        actor=None, loan=loan, effective_date=date(2027, 1, 5), kind="adjustment", memo="", lines=lines
    )
    with CaptureQueriesContext(connection) as queries:
        journal_reverse(actor=None, entry=entry, reason="posted in error")
    return len(queries)


def test_a_reversal_reads_its_lines_with_their_accounts_in_one_statement():
    loan = boarded_loan(consumer=True)
    # Two lines or four: the same statements. The lines are read with their accounts joined, not one account
    # query per line (a constant count per reversal, whatever the entry's size).
    two = _reversal_statements(loan, FEE)
    four = _reversal_statements(loan, FEE + FEE)
    assert four == two
    loan.refresh_from_db()
    assert loan.fees_due == D("0.00")  # each fee posted and reversed: 5.00 - 5.00 + 10.00 - 10.00
