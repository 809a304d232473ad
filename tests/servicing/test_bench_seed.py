"""The servicing bench seeder (bench/_servicing_seed.py) writes a consistent portfolio: every entry balances, the
trial balance nets to zero, every loan's running balances equal its journal, the schedule agrees with the
payments, and the services work on the seeded loans. PostgreSQL only (the seeder is set-based SQL)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DataError, connection
from django.db.models import Count, Sum
from django.utils import timezone

from bench._servicing_seed import JOURNAL_TRIGGERS, TABLES, TERM, seed_portfolio
from servicing import selectors
from servicing.models import (
    AllocationLine,
    Installment,
    JournalEntry,
    JournalLine,
    LedgerDailyBalance,
    LoanAccount,
    LoanTransaction,
)
from servicing.selectors.general_ledger import daily_totals_mismatches, loan_totals_mismatches
from servicing.selectors.portfolio import portfolio_strata_mismatches
from servicing.services.ledger_daily import ledger_daily_rebuild
from servicing.services.payments import payment_post

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LOANS = 20
MONTHS = 60


def _assert_books() -> None:
    assert selectors.unbalanced_entries() == []
    assert selectors.trial_balance().nets_to_zero
    assert selectors.loan_balance_mismatches() == []
    out = StringIO()
    call_command("ledger_verify", stdout=out)
    assert f"Ledger verified: {LoanAccount.objects.count()} loans agree with the journal" in out.getvalue()


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = ANY(%s)", [list(TABLES)])
        return {row[0] for row in cursor.fetchall()}


def _constraints() -> set[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid::regclass::text = ANY(%s)",
            [list(TABLES)],
        )
        return set(cursor.fetchall())


def _keys_referring_to_the_installments() -> set[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE confrelid = 'servicing_installment'::regclass"
        )
        return set(cursor.fetchall())


def _triggers_enabled() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT bool_and(tgenabled = 'O') FROM pg_trigger WHERE tgname = ANY(%s)",
            [[name for _, name in JOURNAL_TRIGGERS]],
        )
        return cursor.fetchone()[0]


def test_checked_seeding_passes_the_databases_own_journal_checks_and_ledger_verify():
    """With every trigger and foreign key on, the deferred balance triggers check each seeded entry at commit."""
    report = seed_portfolio(LOANS, months=MONTHS, checked=True)
    assert report.loans == LOANS
    _assert_books()
    assert LoanAccount.objects.count() == LOANS
    assert Installment.objects.count() == LOANS * TERM
    assert Installment.objects.filter(paid_on__isnull=False).count() == LOANS * MONTHS
    assert LoanTransaction.objects.count() == LOANS * MONTHS
    assert AllocationLine.objects.count() == LOANS * MONTHS * 3
    assert JournalEntry.objects.count() == LOANS * (MONTHS + 2)
    assert JournalLine.objects.count() == LOANS * (5 + 4 * MONTHS)
    # A rerun tops up to the asked number and never duplicates.
    assert seed_portfolio(LOANS, months=MONTHS, checked=True).loans == 0
    assert LoanAccount.objects.count() == LOANS


def test_fast_seeding_restores_triggers_and_indexes_and_agrees_with_the_schedule():
    before, constraints, referring = _indexes(), _constraints(), _keys_referring_to_the_installments()
    assert ("servicing_installment", "installment_unique_number", "UNIQUE (loan_id, number)") in constraints
    assert (
        "servicing_allocationline",
        "servicing_allocation_installment_id_b2d9337c_fk_servicing",
        "FOREIGN KEY (installment_id) REFERENCES servicing_installment(id) DEFERRABLE INITIALLY DEFERRED",
    ) in referring
    assert len(referring) == 7  # the allocation lines' and six tables' the load does not write
    report = seed_portfolio(LOANS, months=MONTHS, drop_indexes=True)
    assert report.vacuumed  # the fast load: two connections, indexes and unique constraints rebuilt
    assert report.rows["installments"] == LOANS * TERM
    assert report.rows["journal lines"] == LOANS * (5 + 4 * MONTHS)
    assert _indexes() == before
    assert _constraints() == constraints
    # The installments' primary key and every foreign key referring to it, set aside for the load, are back.
    assert _keys_referring_to_the_installments() == referring
    assert _triggers_enabled()
    _assert_books()
    for loan in LoanAccount.objects.filter(pk__in=LoanAccount.objects.order_by("?").values("pk")[:3]):
        installments = Installment.objects.filter(loan=loan)
        paid = installments.filter(paid_on__isnull=False)
        assert paid.count() == MONTHS
        assert installments.aggregate(total=Sum("principal"))["total"] == loan.principal
        assert loan.principal_balance == loan.principal - paid.aggregate(total=Sum("principal"))["total"]
        assert loan.next_due_date == installments.get(number=MONTHS + 1).due_date
        assert loan.interest_paid_through == installments.get(number=MONTHS).due_date
        assert loan.escrow_balance == loan.escrow_initial_deposit + paid.aggregate(total=Sum("escrow"))["total"]
        assert loan.borrower.groups.filter(name="borrower").exists()
        assert loan.escrow_items.count() == 2
        # Each payment's allocation lines add up to the payment and point at its installment.
        payments = LoanTransaction.objects.filter(loan=loan).annotate(
            allocated=Sum("allocation_lines__amount"), lines=Count("allocation_lines")
        )
        assert all(t.allocated == t.amount and t.lines == 3 for t in payments)


def test_payments_post_on_a_seeded_loan_and_the_books_still_agree():
    seed_portfolio(LOANS, months=MONTHS)
    seed_portfolio(2, months=1, prefix="BY")
    for number in ("BL-0000007", "BY-0000001"):
        loan = LoanAccount.objects.get(loan_number=number)
        due = Installment.objects.get(loan=loan, due_date=loan.next_due_date)
        principal_before = loan.principal_balance
        txn = payment_post(
            loan=loan,
            amount=due.payment,
            effective_date=timezone.localdate(),
            method="ach",
            reference="test",
            idempotency_key=f"test-{number}",
            actor=None,
        )
        assert {line.installment_id for line in txn.allocation_lines.current()} == {due.pk}
        due.refresh_from_db()
        assert due.paid == due.payment
        loan.refresh_from_db()
        assert loan.principal_balance == principal_before - due.principal
    _assert_books()


# Per table, what a loan's rows are, with ids made relative to the loan's (the two loads reserve different ids).
_CANONICAL = {
    "installments": """
        SELECT i.number, i.due_date, i.principal, i.interest, i.escrow, i.payment, i.paid_principal, i.paid_interest,
               i.paid_escrow, i.paid_on, i.id - min(i.id) OVER ()
          FROM servicing_installment i JOIN servicing_loanaccount l ON l.id = i.loan_id
         WHERE l.loan_number LIKE %s ORDER BY i.id""",
    "entries and lines": """
        SELECT e.id - min(e.id) OVER (), e.kind, e.effective_date, replace(e.memo, %s, ''), a.code,
               j.debit, j.credit
          FROM servicing_journalentry e JOIN servicing_journalline j ON j.entry_id = e.id
          JOIN servicing_ledgeraccount a ON a.id = j.account_id JOIN servicing_loanaccount l ON l.id = e.loan_id
         WHERE l.loan_number LIKE %s ORDER BY j.id""",
    "payments and allocations": """
        SELECT t.amount, t.effective_date, replace(t.reference, %s, ''), replace(t.idempotency_key, %s, ''),
               t.status, t.posted_at, t.journal_entry_id - min(t.journal_entry_id) OVER (), a.bucket, a.amount,
               a.installment_id - min(a.installment_id) OVER ()
          FROM servicing_loantransaction t JOIN servicing_allocationline a ON a.transaction_id = t.id
          JOIN servicing_loanaccount l ON l.id = t.loan_id
         WHERE l.loan_number LIKE %s ORDER BY a.id""",
    "loans": """
        SELECT l.principal, l.annual_rate, l.regular_payment, l.principal_balance, l.escrow_balance,
               l.next_due_date, l.interest_accrued_through, l.escrow_analysis_date, l.version, u.first_name,
               replace(u.email, lower(%s), ''), e.kind, e.annual_amount, e.next_due_date
          FROM servicing_loanaccount l JOIN core_user u ON u.id = l.borrower_id
          JOIN servicing_escrowitem e ON e.loan_id = l.id
         WHERE l.loan_number LIKE %s ORDER BY l.loan_number, e.kind""",
}


def _canonical(prefix: str) -> dict[str, list[tuple]]:
    out = {}
    with connection.cursor() as cursor:
        for name, sql in _CANONICAL.items():
            cursor.execute(sql, [prefix] * (sql.count("%s") - 1) + [f"{prefix}-%"])
            out[name] = cursor.fetchall()
    return out


def test_the_fast_load_writes_what_the_one_transaction_load_writes():
    """Loan k of each load, prefix aside, has the same rows in every table (ids relative to its first ones)."""
    assert seed_portfolio(6, months=MONTHS, prefix="BA", checked=True).vacuumed is False
    assert seed_portfolio(6, months=MONTHS, prefix="BB", drop_indexes=True).vacuumed is True
    one, fast = _canonical("BA"), _canonical("BB")
    assert len(one["installments"]) == 6 * TERM
    assert len(one["entries and lines"]) == 6 * (5 + 4 * MONTHS)
    assert len(one["payments and allocations"]) == 6 * MONTHS * 3
    assert one == fast
    _assert_books()


def test_a_failed_fast_load_leaves_no_rows_and_every_index_and_constraint(monkeypatch):
    import bench._servicing_seed as seeder

    before, constraints, referring = _indexes(), _constraints(), _keys_referring_to_the_installments()
    failing = (*seeder.STATEMENTS, ("payments", "servicing_loantransaction", "SELECT 1 / 0"))
    monkeypatch.setattr(seeder, "STATEMENTS", failing)
    with pytest.raises(DataError):
        seed_portfolio(LOANS, months=MONTHS, drop_indexes=True)
    assert _indexes() == before
    assert _constraints() == constraints
    assert _keys_referring_to_the_installments() == referring
    assert _triggers_enabled()
    assert LoanAccount.objects.count() == 0
    assert Installment.objects.count() == 0
    assert JournalLine.objects.count() == 0
    assert AllocationLine.objects.count() == 0
    assert LoanTransaction.objects.count() == 0
    assert JournalEntry.objects.count() == 0
    # The next load starts from scratch and agrees with its journal.
    monkeypatch.undo()
    assert seed_portfolio(LOANS, months=MONTHS, drop_indexes=True).loans == LOANS
    _assert_books()


def _daily_totals() -> dict[tuple[str, object], tuple]:
    """Per (account, day): debits, credits and lines, summed over the rows (a day may have several)."""
    rows = (
        LedgerDailyBalance.objects.values("account__code", "date")
        .annotate(debit_sum=Sum("debit"), credit_sum=Sum("credit"), lines=Sum("line_count"))
        .order_by()
    )
    return {(r["account__code"], r["date"]): (r["debit_sum"], r["credit_sum"], r["lines"]) for r in rows}


def test_the_fast_loads_daily_totals_are_what_summing_its_lines_gives_even_on_a_top_up():
    """The fast load writes the daily totals from the templates (loans per template x the template's lines), not
    by summing the lines again: they must be exactly what ``ledger_daily_rebuild`` sums from the lines."""
    report = seed_portfolio(LOANS, months=MONTHS, drop_indexes=True)
    # 61 days: the disbursement day (loans receivable, cash, fee income, escrow liability: 4 accounts) and 60 due
    # dates (cash, interest income, loans receivable, escrow liability: 4 accounts) -> 61 x 4 = 244 rows.
    assert report.rows["daily ledger totals"] == 244
    assert LedgerDailyBalance.objects.aggregate(lines=Sum("line_count"))["lines"] == LOANS * (5 + 4 * MONTHS)
    assert daily_totals_mismatches() == []
    # A top-up (6 loans more) adds its own rows beside the ones there: the sums still agree with the lines.
    assert seed_portfolio(LOANS + 6, months=MONTHS, drop_indexes=True).loans == 6
    assert LedgerDailyBalance.objects.count() == 2 * 244
    assert daily_totals_mismatches() == []
    assert loan_totals_mismatches() == {}  # the loans' totals too, which the replica role kept their triggers from
    assert portfolio_strata_mismatches() == []  # and the portfolio strata
    seeded = _daily_totals()
    ledger_daily_rebuild()
    assert LedgerDailyBalance.objects.count() == 244
    assert _daily_totals() == seeded
    assert seeded[("cash", min(day for _, day in seeded))][2] == (LOANS + 6) * 2  # disbursement + escrow deposit


def test_the_report_gives_the_servers_cpu_per_phase_and_this_processs():
    """The bench cluster runs on this machine: each phase's server CPU seconds are read from /proc."""
    report = seed_portfolio(LOANS, months=MONTHS, drop_indexes=True)
    assert set(report.cpu) <= set(report.steps)
    for job in ("installments", "allocation lines"):  # two jobs: their foreign key is set aside with the key
        assert {job, f"{job}: commit", f"{job}: indexes", f"{job}: vacuum"} <= set(report.cpu)
    assert "installments: foreign keys" in report.cpu
    assert "daily ledger totals" in report.cpu
    assert report.server_cpu == sum(report.cpu.values()) > 0
    assert report.client_cpu > 0
    assert "CPU" in report.phase_lines()[0]
    assert report.written is not None
    pages, wal = report.written  # the journal entries and payments are written with WAL (their tables not renewed)
    assert pages >= 0
    assert wal > 0


def test_only_the_fast_load_counts_what_the_cluster_wrote():
    """The one-transaction load may run inside the caller's transaction, where the statistics views hold still."""
    assert seed_portfolio(6, months=MONTHS, prefix="BA", checked=True).written is None


def test_the_one_transaction_load_counts_its_lines_in_the_daily_totals_once_checked_or_not():
    """Checked, the journal lines' trigger adds the daily totals; unchecked as a superuser it is skipped
    (``session_replication_role = replica``) and the seeder adds them from the templates: never both, never none."""
    seed_portfolio(6, months=MONTHS, prefix="BA", checked=True)
    seed_portfolio(6, months=MONTHS, prefix="BB")
    # 12 loans x (5 opening lines + 4 lines x 60 payments) = 12 x 245 = 2,940 lines.
    assert LedgerDailyBalance.objects.aggregate(lines=Sum("line_count"))["lines"] == 2_940
    assert daily_totals_mismatches() == []
    assert loan_totals_mismatches() == {}
    assert portfolio_strata_mismatches() == []
