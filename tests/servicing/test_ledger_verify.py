"""The trial balance, the per-loan journal balances, and `manage.py ledger_verify` proving the books."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from servicing import selectors
from servicing.models import JournalEntry, JournalLine, LedgerAccount, LoanAccount
from servicing.services.ledger import journal_post
from tests.money_asserts import assert_amount
from tests.servicing.factories import boarded_loan, funded_application

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")


def _verify() -> str:
    out = StringIO()
    call_command("ledger_verify", stdout=out)
    return out.getvalue()


def _verify_fails() -> str:
    out = StringIO()
    with pytest.raises(CommandError, match=r"ledger_verify found \d+ problem") as failed:
        call_command("ledger_verify", stdout=out)
    assert failed.value.returncode == 1
    return out.getvalue()


def test_trial_balance_nets_to_zero_and_respects_as_of():
    mortgage = boarded_loan()
    consumer = boarded_loan(consumer=True)
    journal_post(
        actor=None,
        loan=consumer,
        effective_date=date(2027, 2, 1),
        kind="accrual",
        memo="",
        lines=[("interest_receivable", D("118.33"), ZERO), ("interest_income", ZERO, D("118.33"))],
    )
    trial = selectors.trial_balance()
    assert trial.nets_to_zero
    assert trial.total_debit == trial.total_credit
    assert trial.total_net_debit == trial.total_net_credit
    by_code = {row.account.code: row for row in trial.rows}
    assert by_code["loans_receivable"].balance == mortgage.principal + consumer.principal
    assert by_code["escrow_liability"].balance == mortgage.escrow_initial_deposit
    assert by_code["interest_income"].balance == D("118.33")
    assert by_code["cash"].net_credit > 0  # more went out than came in
    earlier = selectors.trial_balance(as_of=date(2027, 1, 31))
    assert earlier.nets_to_zero
    assert {row.account.code: row for row in earlier.rows}["interest_income"].balance == ZERO
    assert [row.account.number for row in trial.rows] == sorted(row.account.number for row in trial.rows)


def test_loan_balances_from_journal_per_loan_in_one_query(django_assert_num_queries):
    loans = [boarded_loan(), boarded_loan(consumer=True)]
    with django_assert_num_queries(1):
        balances = selectors.loan_balances_from_journal()
    for loan in loans:
        assert balances[loan.pk] == {
            "principal_balance": loan.principal_balance,
            "interest_due": ZERO,
            "fees_due": ZERO,
            "escrow_balance": loan.escrow_balance,
            "suspense_balance": ZERO,
            "interest_prepaid": ZERO,
        }
    assert selectors.loan_balances_from_journal([999_999]) == {
        999_999: dict.fromkeys(
            (
                "principal_balance",
                "interest_due",
                "fees_due",
                "escrow_balance",
                "suspense_balance",
                "interest_prepaid",
            ),
            ZERO,
        )
    }


def test_ledger_verify_passes_on_a_healthy_book():
    loan = boarded_loan()
    boarded_loan(consumer=True)
    journal_post(
        actor=None,
        loan=loan,
        effective_date=date(2027, 1, 1),
        kind="payment",
        memo="",
        lines=[("cash", D("100.00"), ZERO), ("suspense", ZERO, D("100.00"))],
    )
    output = _verify()
    assert "Ledger verified: 2 loans agree with the journal" in output


def test_ledger_verify_reports_a_corrupted_running_balance(django_assert_max_num_queries):
    healthy = boarded_loan(consumer=True)
    loan = boarded_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(principal_balance=D("299999.99"), suspense_balance=D("5.00"))
    # Set-based (the daily totals 2 more, the loans' kept totals 2, the portfolio strata 2): the count does not
    # depend on the number of loans.
    with django_assert_max_num_queries(11):
        output = _verify_fails()
    assert (
        f"{loan.loan_number}: principal_balance 299999.99 != journal 300000.00; suspense_balance 5.00 != journal 0.00"
        in (output)
    )
    assert healthy.loan_number not in output


def _disable_balance_triggers():
    """On PostgreSQL the deferred balance trigger would refuse the corrupt rows (even at the test's teardown
    check); switch it off inside the test's transaction, which rolls the switch back."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE servicing_journalentry DISABLE TRIGGER servicing_journalentry_balanced")
            cursor.execute("ALTER TABLE servicing_journalline DISABLE TRIGGER servicing_journalline_balanced")


def test_ledger_verify_reports_unbalanced_entries_and_entries_without_lines():
    _disable_balance_triggers()  # the rows below are written around the service, as a broken import might
    loan = boarded_loan(consumer=True)
    cash = LedgerAccount.objects.get(code="cash")
    lopsided = JournalEntry.objects.create(effective_date=date(2027, 1, 2), kind="adjustment")
    JournalLine.objects.create(entry=lopsided, account=cash, debit=D("10.00"))
    empty = JournalEntry.objects.create(effective_date=date(2027, 1, 3), kind="adjustment")
    output = _verify_fails()
    assert_amount(output, f"JE {lopsided.pk} (adjustment, 2027-01-02): debits 10.00 != credits 0.00")
    assert f"JE {empty.pk} (adjustment, 2027-01-03): no lines" in output
    assert "Trial balance does not net to zero: debits" in output
    assert loan.loan_number not in output


def test_ledger_verify_lists_funded_applications_that_were_not_boarded():
    application = funded_application()
    output = _verify_fails()
    assert f"{application.number}: funded but not boarded" in output


def test_ledger_verify_on_an_empty_book():
    assert "Ledger verified: 0 loans" in _verify()
