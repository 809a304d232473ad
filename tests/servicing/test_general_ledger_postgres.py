"""The daily totals' trigger on PostgreSQL: one row per (account, date) per INSERT statement of lines, whatever
wrote them; a rolled-back posting leaves nothing; concurrent postings on the same day neither wait on each other
nor lose a cent; a merge beside postings changes no balance."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F

from servicing.models import JournalEntry, LedgerAccount, LedgerDailyBalance, LoanAccount, LoanBalanceTotal
from servicing.selectors import general_ledger as gl
from servicing.services.ledger import journal_post
from servicing.services.ledger_daily import ledger_daily_compact, loan_totals_compact
from tests.servicing.concurrency import run_in_threads
from tests.servicing.factories import boarded_loan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

D = Decimal
ZERO = D("0.00")
DAY = date(2027, 1, 4)


def _post(amount: str, day: date = DAY) -> JournalEntry:
    return journal_post(
        actor=None,
        loan=None,
        effective_date=day,
        kind="adjustment",
        memo="",
        lines=[("cash", D(amount), ZERO), ("fee_income", ZERO, D(amount))],
    )


def test_one_insert_statement_of_many_lines_adds_one_row_per_account_and_date():
    accounts = {a.code: a.pk for a in LedgerAccount.objects.all()}
    with transaction.atomic(), connection.cursor() as cursor:
        first = JournalEntry.objects.create(effective_date=DAY, kind="adjustment")
        second = JournalEntry.objects.create(effective_date=DAY, kind="adjustment")
        third = JournalEntry.objects.create(effective_date=date(2027, 1, 5), kind="adjustment")
        cursor.execute(
            "INSERT INTO servicing_journalline (entry_id, account_id, debit, credit) VALUES "
            "(%(a)s, %(cash)s, 1.10, 0), (%(a)s, %(fee)s, 0, 1.10), (%(b)s, %(cash)s, 2.20, 0), "
            "(%(b)s, %(fee)s, 0, 2.20), (%(c)s, %(cash)s, 3.30, 0), (%(c)s, %(fee)s, 0, 3.30)",
            {"a": first.pk, "b": second.pk, "c": third.pk, "cash": accounts["cash"], "fee": accounts["fee_income"]},
        )
    rows = LedgerDailyBalance.objects.filter(account_id=accounts["cash"]).order_by("date")
    # Jan 4: 1.10 + 2.20 = 3.30 in two lines, one row; Jan 5: 3.30 in one line.
    assert [(r.date, r.debit, r.credit, r.line_count) for r in rows] == [
        (DAY, D("3.30"), ZERO, 2),
        (date(2027, 1, 5), D("3.30"), ZERO, 1),
    ]


def test_a_rolled_back_posting_leaves_no_daily_total():
    def post_then_fail():
        with transaction.atomic():
            _post("9.99")
            raise RuntimeError("the caller fails after posting")

    with pytest.raises(RuntimeError):
        post_then_fail()
    assert not LedgerDailyBalance.objects.exists()


def test_concurrent_postings_on_the_same_day_do_not_wait_on_each_other():
    """A posting holding its transaction open does not block another posting to the same accounts and day (the
    trigger only INSERTs); both land in full."""
    posted = threading.Event()
    release = threading.Event()

    def hold_open():
        try:
            with transaction.atomic():
                _post("1.00")
                posted.set()
                assert release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_open)
    holder.start()
    assert posted.wait(30)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")  # waiting on the holder's row would fail here
        _post("2.00")
    finally:
        release.set()
        holder.join(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert {row.account.code: row.balance for row in gl.trial_balance(DAY).rows}["cash"] == D("3.00")


def test_many_postings_and_merges_at_once_keep_every_cent():
    # 4 threads x 10 postings of 0.01 x (thread + 1): (1 + 2 + 3 + 4) x 10 x 0.01 = 1.00, merging as they go.
    def work(index):
        for _ in range(10):
            _post(str(D("0.01") * (index + 1)))
            if index == 0:
                ledger_daily_compact()

    assert run_in_threads(4, work) == []
    ledger_daily_compact()
    cash = LedgerDailyBalance.objects.get(account__code="cash", date=DAY)
    assert (cash.debit, cash.line_count) == (D("1.00"), 40)
    assert gl.trial_balance().rows == gl.trial_balance_from_lines().rows
    assert gl.daily_totals_mismatches() == []


def test_concurrent_balance_changes_and_merges_keep_the_loan_totals_exact():
    # 4 threads x 10 changes of 0.01 x (thread + 1) to their own loan's fees, thread 0 merging as it goes: the kept
    # totals end 1.00 over the boarded fees, as the loans say, and no thread waited on another's totals row.
    loans = [boarded_loan(consumer=True) for _ in range(4)]
    fees = gl.loan_totals()["fees_due"]

    def work(index):
        for _ in range(10):
            with transaction.atomic():
                LoanAccount.objects.filter(pk=loans[index].pk).update(fees_due=F("fees_due") + D("0.01") * (index + 1))
            if index == 0:
                loan_totals_compact()

    assert run_in_threads(4, work) == []
    assert gl.loan_totals()["fees_due"] == fees + D("1.00")
    assert gl.loan_totals_mismatches() == {}
    loan_totals_compact()
    assert LoanBalanceTotal.objects.count() == 1
    assert gl.loan_totals_mismatches() == {}


def test_one_update_of_many_loans_adds_one_totals_row():
    loans = [boarded_loan(consumer=True) for _ in range(3)]
    rows = LoanBalanceTotal.objects.count()
    LoanAccount.objects.filter(pk__in=[loan.pk for loan in loans]).update(interest_due=F("interest_due") + D("1.10"))
    added = LoanBalanceTotal.objects.order_by("-pk").values_list("interest_due", flat=True)[:1]
    assert (LoanBalanceTotal.objects.count(), list(added)) == (rows + 1, [D("3.30")])


def _share_locked(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND mode = 'ShareLock'"
            " AND relation = %s::regclass)",
            [table],
        )
        return bool(cursor.fetchone()[0])


@pytest.mark.parametrize(
    ("rebuild", "source"),
    [("ledger_daily_rebuild", "servicing_journalline"), ("loan_totals_rebuild", "servicing_loanaccount")],
)
def test_a_rebuild_locks_its_source_against_writes_until_it_commits(rebuild, source):
    from servicing.services import ledger_daily

    boarded_loan()
    with transaction.atomic():
        assert not _share_locked(source)
        getattr(ledger_daily, rebuild)()
        assert _share_locked(source)  # held to the end of the caller's transaction: no write slips between
