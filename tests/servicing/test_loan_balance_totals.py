"""The loans' balance totals (``LoanBalanceTotal``) the trial balance's tie-out reads: the triggers on the loans
keep them equal to the sum over the loans through every kind of write (boarding, a payment and its reversal, a
set-based UPDATE of many loans, a delete), the nightly merge keeps the sums, and ``ledger_verify`` finds a wrong
total that ``ledger_daily_rebuild`` repairs."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from servicing.models import LoanAccount, LoanBalanceTotal
from servicing.selectors import general_ledger as gl
from servicing.services.ledger_daily import loan_totals_compact
from servicing.services.payments import payment_post, payment_reverse
from tests.servicing.factories import boarded_loan, funded_application

pytestmark = pytest.mark.django_db

D = Decimal
FIELDS = ("principal_balance", "interest_due", "fees_due", "escrow_balance", "suspense_balance", "interest_prepaid")


def _live() -> dict[str, Decimal]:
    """The sum over the loans, by hand (no aggregate): what the kept totals must equal."""
    return {field: sum((getattr(loan, field) for loan in LoanAccount.objects.all()), D("0.00")) for field in FIELDS}


def test_boarding_a_payment_its_reversal_and_a_set_based_update_all_land_in_the_totals():
    mortgage, consumer = boarded_loan(), boarded_loan(consumer=True)
    assert gl.loan_totals() == _live()
    boarded = gl.loan_totals()
    assert boarded["principal_balance"] == mortgage.principal + consumer.principal
    payment = payment_post(
        loan=mortgage,
        amount=D("1000.00"),
        effective_date=mortgage.disbursement_date,
        method="check",
        reference="chk-1",
        idempotency_key="totals-1",
        actor=None,
    )
    after_payment = gl.loan_totals()
    assert after_payment == _live()
    assert after_payment != boarded  # the payment moved a balance
    payment_reverse(transaction=payment, reason="returned check", actor=None)
    assert gl.loan_totals() == _live()
    LoanAccount.objects.update(interest_due=F("interest_due") + D("12.34"), fees_due=F("fees_due") + D("0.01"))
    totals = gl.loan_totals()
    assert totals == _live()
    assert gl.loan_totals_mismatches() == {}


def test_a_write_that_changes_no_balance_adds_no_row():
    loan = boarded_loan()
    rows = LoanBalanceTotal.objects.count()
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.PAID_OFF)
    loan.refresh_from_db()
    loan.save()  # every column written, none changed
    assert LoanBalanceTotal.objects.count() == rows


def test_deleting_a_loan_takes_its_balances_out():
    boarded_loan()
    before = gl.loan_totals()
    # A copy of a boarded loan with no journal of its own (nothing protects it), inserted then deleted.
    copy = LoanAccount.objects.get()
    copy.pk, copy.loan_number, copy.application = None, "L-COPY", funded_application()
    copy.principal_balance, copy.escrow_balance = D("250.75"), D("-3.10")
    copy.save()
    added = gl.loan_totals()
    assert (added["principal_balance"], added["escrow_balance"]) == (
        before["principal_balance"] + D("250.75"),
        before["escrow_balance"] - D("3.10"),
    )
    LoanAccount.objects.filter(pk=copy.pk).delete()
    assert gl.loan_totals() == before == _live()


def test_the_nightly_merge_keeps_every_total_and_is_idempotent():
    boarded_loan(), boarded_loan(consumer=True)
    LoanAccount.objects.update(interest_due=F("interest_due") + D("0.05"))
    before, rows = gl.loan_totals(), LoanBalanceTotal.objects.count()
    assert rows > 1
    assert loan_totals_compact() == rows
    assert LoanBalanceTotal.objects.count() == 1
    assert gl.loan_totals() == before == _live()
    assert loan_totals_compact() == 0  # one row: nothing to merge
    assert gl.loan_totals() == before


def test_ledger_verify_finds_a_wrong_loan_total_and_the_rebuild_repairs_it():
    loan = boarded_loan()
    LoanBalanceTotal.objects.create(principal_balance=D("1.00"))  # a stray row, as a bug or a hand edit would leave
    out = StringIO()
    with pytest.raises(CommandError, match=r"ledger_verify found 1 problem"):
        call_command("ledger_verify", stdout=out)
    principal = loan.principal
    assert (
        f"Loan balance total principal_balance: kept {principal + D('1.00')}, the loans say {principal} "
        "(manage.py ledger_daily_rebuild repairs it)\n"
    ) in out.getvalue()
    rebuilt = StringIO()
    call_command("ledger_daily_rebuild", stdout=rebuilt)
    assert "Rebuilt the loans' balance totals (1 row) from the loans.\n" in rebuilt.getvalue()
    assert gl.loan_totals_mismatches() == {}
    assert LoanBalanceTotal.objects.count() == 1
    call_command("ledger_verify", stdout=StringIO())  # passes now


def test_the_tie_out_reads_the_kept_totals_in_two_queries(django_assert_num_queries):
    boarded_loan(), boarded_loan(consumer=True)
    with django_assert_num_queries(2):
        rows = gl.subledger_tieout()
    assert {row.loan_field: row.loans for row in rows} == _live()
    assert date.today()  # the tie-out has no as-of: the loans' balances are today's
