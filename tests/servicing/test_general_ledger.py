"""The per-account daily totals and what is read from them: the trial balance as of a date, an account's activity
over a range, the tie-out to the loans' sub-ledgers; exact against hand-computed postings, backdated entries and
reversals, and against the sum over every journal line for random postings (Hypothesis)."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicing.models import JournalEntry, LedgerAccount, LedgerDailyBalance
from servicing.selectors import general_ledger as gl
from servicing.services.ledger import journal_post, journal_reverse
from servicing.services.ledger_bulk import journal_post_bulk
from servicing.services.ledger_daily import ledger_daily_compact, ledger_daily_rebuild
from tests.hypothesis_budget import examples
from tests.money_asserts import assert_amount
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")


def _post(day: date, debit_account: str, credit_account: str, amount: str) -> JournalEntry:
    return journal_post(
        actor=None,
        loan=None,
        effective_date=day,
        kind="adjustment",
        memo=f"{debit_account} / {credit_account}",
        lines=[(debit_account, D(amount), ZERO), (credit_account, ZERO, D(amount))],
    )


def _balances(as_of: date) -> dict[str, Decimal]:
    return {row.account.code: row.balance for row in gl.trial_balance(as_of).rows if row.debit or row.credit}


@pytest.fixture
def book() -> dict[str, JournalEntry]:
    """Four postings without a loan, in posting order: JE1 Jan 10 Dr cash 100.00 / Cr fee income; JE2 Jan 20 Dr
    cash 50.25 / Cr fee income; JE3 backdated to Jan 5, Dr charge-off loss 10.10 / Cr cash; then JE1 reversed
    effective Jan 25."""
    first = _post(date(2027, 1, 10), "cash", "fee_income", "100.00")
    second = _post(date(2027, 1, 20), "cash", "fee_income", "50.25")
    backdated = _post(date(2027, 1, 5), "charge_off_loss", "cash", "10.10")
    reversal = journal_reverse(actor=None, entry=first, reason="posted in error", effective_date=date(2027, 1, 25))
    return {"first": first, "second": second, "backdated": backdated, "reversal": reversal}


def test_trial_balance_as_of_each_date_by_hand(book):
    assert _balances(date(2027, 1, 4)) == {}
    # Jan 5: only the backdated entry: cash -10.10 (against its debit side), loss 10.10.
    assert _balances(date(2027, 1, 5)) == {"cash": D("-10.10"), "charge_off_loss": D("10.10")}
    # Jan 10: cash 100.00 - 10.10 = 89.90; fee income 100.00.
    assert _balances(date(2027, 1, 10)) == {
        "cash": D("89.90"),
        "fee_income": D("100.00"),
        "charge_off_loss": D("10.10"),
    }
    # Jan 24: cash 89.90 + 50.25 = 140.15; fee income 150.25.
    assert _balances(date(2027, 1, 24)) == {
        "cash": D("140.15"),
        "fee_income": D("150.25"),
        "charge_off_loss": D("10.10"),
    }
    # Jan 25, JE1 reversed: cash 140.15 - 100.00 = 40.15; fee income 150.25 - 100.00 = 50.25.
    late = gl.trial_balance(date(2027, 1, 25))
    assert {row.account.code: row.balance for row in late.rows if row.debit or row.credit} == {
        "cash": D("40.15"),
        "fee_income": D("50.25"),
        "charge_off_loss": D("10.10"),
    }
    # Debits: cash 100.00 + 50.25, loss 10.10, fee income 100.00 (the reversal) = 260.35; credits the same.
    assert late.total_debit == late.total_credit == D("260.35")
    assert late.total_net_debit == late.total_net_credit == D("50.25")  # cash 40.15 + loss 10.10 = fee 50.25
    assert gl.trial_balance(None) == gl.trial_balance(date(2027, 1, 25)).__class__(None, late.rows)


def test_trial_balance_equals_the_sum_over_lines_on_every_date(book):
    for offset in range(-1, 27):
        day = date(2027, 1, 1) + timedelta(days=offset)
        assert gl.trial_balance(day).rows == gl.trial_balance_from_lines(day).rows, day
    assert gl.trial_balance().rows == gl.trial_balance_from_lines().rows


def test_trial_balance_is_one_query_whatever_the_postings(book, django_assert_num_queries):
    with django_assert_num_queries(1):
        gl.trial_balance(date(2027, 1, 20))
    for day in range(1, 28):
        _post(date(2027, 2, day), "cash", "fee_income", "1.00")
    with django_assert_num_queries(1):
        assert _balances(date(2027, 2, 27))["fee_income"] == D("77.25")  # 50.25 + 27 x 1.00


def test_gl_activity_of_a_range_by_hand(book):
    rows = {row.account.code: row for row in gl.gl_activity(start=date(2027, 1, 6), end=date(2027, 1, 20))}
    cash = rows["cash"]
    # Before Jan 6 only the backdated credit 10.10; in the range the debits 100.00 and 50.25.
    assert (cash.opening, cash.debit, cash.credit, cash.closing, cash.line_count) == (
        D("-10.10"),
        D("150.25"),
        ZERO,
        D("140.15"),
        2,
    )
    assert cash.net_change == D("150.25")
    fees = rows["fee_income"]
    assert (fees.opening, fees.debit, fees.credit, fees.closing) == (ZERO, ZERO, D("150.25"), D("150.25"))
    late = {row.account.code: row for row in gl.gl_activity(start=date(2027, 1, 21), end=date(2027, 1, 31))}
    # The reversal: cash credited 100.00 (140.15 -> 40.15), fee income debited 100.00 (150.25 -> 50.25).
    assert (late["cash"].opening, late["cash"].credit, late["cash"].closing) == (D("140.15"), D("100.00"), D("40.15"))
    assert (late["fee_income"].debit, late["fee_income"].closing) == (D("100.00"), D("50.25"))
    only = gl.gl_activity(start=date(2027, 1, 1), end=date(2027, 1, 31), account_ids=[cash.account.pk])
    assert [row.account.code for row in only] == ["cash"]


def test_gl_lines_in_date_order_with_the_count_from_the_daily_totals(book):
    cash = LedgerAccount.objects.get(code="cash")
    lines = list(gl.gl_lines(account=cash, start=date(2027, 1, 1), end=date(2027, 1, 31)))
    # The backdated entry (posted third) comes first: effective Jan 5.
    assert [(line.entry.effective_date, line.debit, line.credit) for line in lines] == [
        (date(2027, 1, 5), ZERO, D("10.10")),
        (date(2027, 1, 10), D("100.00"), ZERO),
        (date(2027, 1, 20), D("50.25"), ZERO),
        (date(2027, 1, 25), ZERO, D("100.00")),
    ]
    assert lines[-1].entry_id == book["reversal"].pk
    assert gl.gl_line_count(account=cash, start=date(2027, 1, 1), end=date(2027, 1, 31)) == 4
    assert gl.gl_line_count(account=cash, start=date(2027, 1, 6), end=date(2027, 1, 24)) == 2


def test_compacting_merges_a_days_rows_and_changes_no_balance(book):
    _post(date(2027, 1, 20), "cash", "fee_income", "0.75")  # a second posting on Jan 20: two rows per account
    cash = LedgerAccount.objects.get(code="cash")
    assert LedgerDailyBalance.objects.filter(account=cash, date=date(2027, 1, 20)).count() == 2
    before = [gl.trial_balance(date(2027, 1, day)) for day in (5, 20, 31)]
    # Jan 20 for cash and for fee income: two account-days merged.
    assert ledger_daily_compact() == 2
    day = LedgerDailyBalance.objects.get(account=cash, date=date(2027, 1, 20))
    assert (day.debit, day.credit, day.line_count) == (D("51.00"), ZERO, 2)  # 50.25 + 0.75
    assert [gl.trial_balance(date(2027, 1, d)) for d in (5, 20, 31)] == before
    assert ledger_daily_compact() == 0  # idempotent


def test_every_posting_path_lands_in_the_daily_totals():
    """journal_post (via onboarding), journal_post_bulk (the nightly) and a reversal all write lines: each is
    counted once, on its entry's effective date."""
    loans = [boarded_loan(), boarded_loan(consumer=True)]
    journal_post_bulk(
        actor=None,
        effective_date=date(2027, 3, 1),
        kind="accrual",
        memo="Nightly accrual",
        loan_lines=[
            (loan, [("interest_receivable", D("12.34"), ZERO), ("interest_income", ZERO, D("12.34"))]) for loan in loans
        ],
    )
    income = LedgerAccount.objects.get(code="interest_income")
    day = LedgerDailyBalance.objects.filter(account=income, date=date(2027, 3, 1))
    assert sum(row.credit for row in day) == D("24.68")  # 2 x 12.34
    assert sum(row.line_count for row in day) == 2
    assert gl.daily_totals_mismatches() == []
    assert gl.trial_balance().rows == gl.trial_balance_from_lines().rows


def test_tie_out_to_the_loans_is_zero_until_the_ledger_holds_more():
    mortgage = boarded_loan()
    consumer = boarded_loan(consumer=True)
    rows = {row.account.code: row for row in gl.subledger_tieout()}
    assert list(rows) == [
        "loans_receivable",
        "interest_receivable",
        "fees_receivable",
        "escrow_liability",
        "suspense",
        "interest_prepaid",
    ]
    assert rows["loans_receivable"].ledger == rows["loans_receivable"].loans == mortgage.principal + consumer.principal
    assert rows["escrow_liability"].loans == mortgage.escrow_initial_deposit
    assert all(row.difference == ZERO for row in rows.values())
    # Unapplied money posted to suspense without a loan: the ledger holds 5.00 no loan accounts for.
    _post(date(2027, 1, 4), "cash", "suspense", "5.00")
    suspense = {row.account.code: row for row in gl.subledger_tieout()}["suspense"]
    assert (suspense.ledger, suspense.loans, suspense.difference, suspense.label) == (
        D("5.00"),
        ZERO,
        D("5.00"),
        "Suspense balance",
    )


def test_ledger_verify_finds_a_wrong_daily_total_and_the_rebuild_repairs_it(book):
    cash = LedgerAccount.objects.get(code="cash")
    LedgerDailyBalance.objects.create(account=cash, date=date(2027, 1, 20), debit=D("1.00"), line_count=1)
    out = StringIO()
    with pytest.raises(CommandError, match=r"ledger_verify found 2 problem"):
        call_command("ledger_verify", stdout=out)
    # The stray 1.00 debit also unbalances the trial balance (read from the daily totals): 261.35 != 260.35.
    assert_amount(out.getvalue(), "Trial balance does not net to zero: debits 261.35 != credits 260.35")
    assert_amount(
        out.getvalue(), "Daily totals of cash on 2027-01-20: debits 51.25 credits 0.00, the lines say 50.25 and 0.00"
    )
    call_command("ledger_daily_rebuild", stdout=StringIO())
    assert gl.daily_totals_mismatches() == []
    assert LedgerDailyBalance.objects.get(account=cash, date=date(2027, 1, 20)).debit == D("50.25")
    out = StringIO()
    call_command("ledger_daily_rebuild", "--compact", stdout=out)
    assert out.getvalue() == "Merged 0 account-days, 0 loan total rows and 0 portfolio strata rows.\n"
    assert ledger_daily_rebuild() == LedgerDailyBalance.objects.count()


ACCOUNTS = ("cash", "fee_income", "charge_off_loss", "suspense", "interest_income")
START = date(2027, 1, 1)

posting = st.tuples(
    st.integers(min_value=0, max_value=40),  # effective day offset: any order, so many are backdated
    st.sampled_from(ACCOUNTS),
    st.sampled_from(ACCOUNTS),
    st.integers(min_value=1, max_value=10_000_000),  # cents
    st.one_of(st.none(), st.integers(min_value=0, max_value=10)),  # reversed that many days later, or not
    st.booleans(),  # compact after this posting
)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(postings=st.lists(posting, min_size=1, max_size=12), as_of=st.lists(st.integers(-1, 52), max_size=6))
def test_daily_totals_tie_to_the_lines_for_random_postings(postings, as_of):
    with transaction.atomic():
        for offset, debit_account, credit_account, amount, reverse_after, compact in postings:
            if debit_account == credit_account:
                continue
            day = START + timedelta(days=offset)
            entry = _post(day, debit_account, credit_account, str(D(amount) / 100))
            if reverse_after is not None:
                journal_reverse(
                    actor=None, entry=entry, reason="random", effective_date=day + timedelta(days=reverse_after)
                )
            if compact:
                ledger_daily_compact()
        for offset in as_of:
            day = START + timedelta(days=offset)
            assert gl.trial_balance(day).rows == gl.trial_balance_from_lines(day).rows
        assert gl.trial_balance().nets_to_zero
        assert gl.daily_totals_mismatches() == []
        transaction.set_rollback(True)
