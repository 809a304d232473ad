"""The database's own guarantees on PostgreSQL: an unbalanced or empty entry cannot commit, posted entries and lines
cannot be changed or deleted, and concurrent boarding, posting and reversing never double-count."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from servicing.models import JournalEntry, JournalLine, LedgerAccount, LoanAccount
from servicing.services.ledger import LedgerError, journal_post, journal_reverse
from servicing.services.onboarding import loan_onboard
from tests.servicing.factories import boarded_loan, funded_application

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

D = Decimal
ZERO = D("0.00")
DAY = date(2027, 1, 4)


@pytest.fixture
def accounts():
    return {a.code: a for a in LedgerAccount.objects.all()}


def _entry(**kwargs) -> JournalEntry:
    return JournalEntry.objects.create(effective_date=DAY, kind="adjustment", **kwargs)


def _commit_entry(accounts, lines) -> JournalEntry:
    """Write an entry and its lines with the ORM, around the posting service, and commit."""
    with transaction.atomic():
        entry = _entry()
        JournalLine.objects.bulk_create(
            [
                JournalLine(entry=entry, account=accounts[code], debit=debit, credit=credit)
                for code, debit, credit in lines
            ]
        )
    return entry


def test_an_unbalanced_entry_written_around_the_service_is_refused_at_commit(accounts):
    with pytest.raises(IntegrityError, match=r"does not balance: debits 10\.00 <> credits 9\.99"):
        _commit_entry(accounts, [("cash", D("10.00"), ZERO), ("fee_income", ZERO, D("9.99"))])
    assert not JournalEntry.objects.exists()
    assert not JournalLine.objects.exists()


def test_an_entry_without_lines_is_refused_at_commit(accounts):
    with pytest.raises(IntegrityError, match="has no lines"), transaction.atomic():
        _entry()
    assert not JournalEntry.objects.exists()


def test_an_unbalanced_line_added_with_raw_sql_is_refused_at_commit(accounts):
    entry = _commit_entry(accounts, [("cash", D("5.00"), ZERO), ("fee_income", ZERO, D("5.00"))])
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO servicing_journalline (entry_id, account_id, debit, credit) VALUES (%s, %s, 1.00, 0)",
            [entry.pk, accounts["cash"].pk],
        )
    assert JournalLine.objects.filter(entry=entry).count() == 2


def test_the_check_waits_for_commit_so_lines_may_follow_their_entry(accounts):
    with transaction.atomic():
        entry = _entry()
        JournalLine.objects.create(entry=entry, account=accounts["cash"], debit=D("7.00"))
        JournalLine.objects.create(entry=entry, account=accounts["fee_income"], credit=D("7.00"))
    assert JournalLine.objects.filter(entry=entry).count() == 2


def _queued_checks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM servicing_journal_check")
        return cursor.fetchone()[0]


def _three_entries_in_one_statement_of_lines(accounts, written: list) -> None:
    """Three entries, then their six lines in one INSERT; the second entry's credit is a cent short."""
    cash, income = accounts["cash"].pk, accounts["fee_income"].pk
    with transaction.atomic(), connection.cursor() as cursor:
        written.extend(_entry().pk for _ in range(3))
        cursor.execute(
            "INSERT INTO servicing_journalline (entry_id, account_id, debit, credit)"
            " SELECT * FROM UNNEST(%s::bigint[], %s::bigint[], %s::numeric[], %s::numeric[])",
            [
                [pk for pk in written for _ in range(2)],
                [cash, income] * 3,
                [D("3.00"), ZERO, D("4.00"), ZERO, D("5.00"), ZERO],
                [ZERO, D("3.00"), ZERO, D("3.99"), ZERO, D("5.00")],
            ],
        )


def test_one_unbalanced_entry_among_many_written_in_one_statement_is_named_and_refused_at_commit(accounts):
    # The check runs once per transaction over every entry it wrote (migration 0042): the bad one is still found.
    written: list[int] = []
    with pytest.raises(IntegrityError) as refused:
        _three_entries_in_one_statement_of_lines(accounts, written)
    assert f"journal entry {written[1]} does not balance: debits 4.00 <> credits 3.99" in str(refused.value)
    assert not JournalEntry.objects.exists()
    assert _queued_checks() == 0


def test_an_entry_written_in_a_savepoint_rolled_back_is_not_checked_and_the_others_are(accounts):
    with transaction.atomic():
        kept = _entry()
        JournalLine.objects.create(entry=kept, account=accounts["cash"], debit=D("2.00"))
        JournalLine.objects.create(entry=kept, account=accounts["fee_income"], credit=D("2.00"))
        point = transaction.savepoint()
        _entry()  # no lines: it would fail the commit, but its savepoint goes
        transaction.savepoint_rollback(point)
    assert list(JournalEntry.objects.values_list("pk", flat=True)) == [kept.pk]
    assert _queued_checks() == 0  # the checks' queue holds nothing once committed


def test_the_check_runs_as_a_generic_plan_and_still_refuses_once_that_plan_is_kept(accounts):
    # Migration 0045: the check at COMMIT is planned once a connection, not at every COMMIT. PostgreSQL keeps a
    # generic plan after the fifth run: the commits after it are checked by the kept plan.
    with connection.cursor() as cursor:
        cursor.execute("SELECT proconfig FROM pg_proc WHERE proname = 'servicing_journal_check_run'")
        assert cursor.fetchone()[0] == ["plan_cache_mode=force_generic_plan"]
    for _ in range(7):
        _commit_entry(accounts, [("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))])
    with pytest.raises(IntegrityError, match=r"does not balance: debits 3\.00 <> credits 2\.99"):
        _commit_entry(accounts, [("cash", D("3.00"), ZERO), ("fee_income", ZERO, D("2.99"))])
    with pytest.raises(IntegrityError, match="has no lines"), transaction.atomic():
        _entry()
    assert JournalEntry.objects.count() == 7
    with connection.cursor() as cursor:  # the function's setting stays its own: the session's is the server's
        cursor.execute("SELECT current_setting('plan_cache_mode')")
        assert cursor.fetchone()[0] == "auto"


def test_posted_entries_and_lines_cannot_be_updated_or_deleted():
    loan = boarded_loan(consumer=True)
    entry = loan.journal_entries.get()
    line = entry.lines.first()
    before = list(entry.lines.order_by("id").values_list("account_id", "debit", "credit"))
    attempts = [
        lambda: JournalLine.objects.filter(pk=line.pk).update(debit=D("1.00")),
        lambda: JournalLine.objects.filter(pk=line.pk).delete(),
        lambda: JournalEntry.objects.filter(pk=entry.pk).update(memo="edited"),
        # The ORM's PROTECT would stop this one first: go straight to the table.
        lambda: connection.cursor().execute("DELETE FROM servicing_journalentry WHERE id = %s", [entry.pk]),
    ]
    for attempt in attempts:
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            attempt()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE servicing_journalline SET credit = credit + 1 WHERE entry_id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.memo.startswith("Disbursement")
    assert list(entry.lines.order_by("id").values_list("account_id", "debit", "credit")) == before


def _run_together(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released at the same moment; each thread uses its own connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # reported to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_boarding_of_one_application_makes_one_loan_and_posts_once():
    application = funded_application()
    results = _run_together(4, lambda _: loan_onboard(application=application, actor=None).pk)
    assert all(isinstance(result, int) for result in results), results
    assert len(set(results)) == 1
    assert LoanAccount.objects.count() == 1
    assert JournalEntry.objects.filter(kind="disbursement").count() == 1
    assert JournalEntry.objects.filter(kind="escrow_deposit").count() == 1


def test_the_same_idempotency_key_posted_concurrently_posts_once():
    loan = boarded_loan(consumer=True)
    lines = [("cash", D("250.00"), ZERO), ("suspense", ZERO, D("250.00"))]

    def post(_):
        return journal_post(
            actor=None, loan=loan, effective_date=DAY, kind="payment", memo="", lines=lines, idempotency_key="ach-77"
        ).pk

    results = _run_together(6, post)
    assert all(isinstance(result, int) for result in results), results
    assert len(set(results)) == 1
    assert JournalEntry.objects.filter(idempotency_key="ach-77").count() == 1
    assert LoanAccount.objects.get(pk=loan.pk).suspense_balance == D("250.00")


def test_concurrent_postings_to_one_loan_all_land_in_its_running_balance():
    loan = boarded_loan(consumer=True)

    def post(index):
        return journal_post(
            actor=None,
            loan=loan,
            effective_date=DAY,
            kind="payment",
            memo="",
            lines=[("cash", D("10.00"), ZERO), ("suspense", ZERO, D("10.00"))],
            idempotency_key=f"p-{index}",
        ).pk

    results = _run_together(8, post)
    assert all(isinstance(result, int) for result in results), results
    assert LoanAccount.objects.get(pk=loan.pk).suspense_balance == D("80.00")


def test_concurrent_reversals_of_one_entry_reverse_it_once():
    loan = boarded_loan(consumer=True)
    entry = journal_post(
        actor=None,
        loan=loan,
        effective_date=DAY,
        kind="fee",
        memo="",
        lines=[("fees_receivable", D("30.00"), ZERO), ("fee_income", ZERO, D("30.00"))],
    )
    results = _run_together(4, lambda _: journal_reverse(actor=None, entry=entry, reason="error").pk)
    reversals = [r for r in results if isinstance(r, int)]
    refusals = [r for r in results if isinstance(r, LedgerError)]
    assert len(reversals) == 1
    assert len(refusals) == 3, results
    assert LoanAccount.objects.get(pk=loan.pk).fees_due == ZERO
