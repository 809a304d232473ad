"""journal_post and journal_reverse: balanced, whole cents, known accounts, idempotent, reversed once, and the
loan's running balances moving with every posting."""

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import JournalEntry, JournalLine, LedgerAccount, LoanAccount
from servicing.models.ledger import CHART
from servicing.services.ledger import LedgerError, journal_post, journal_reverse, ledger_chart_seed
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")
DAY = date(2027, 1, 5)


@pytest.fixture
def servicer():
    return user_with_role(roles.SERVICER)


@pytest.fixture
def loan():
    return boarded_loan(consumer=True)  # principal 12,000, no escrow


def _counts():
    return JournalEntry.objects.count(), JournalLine.objects.count(), AuditEvent.objects.count()


def test_the_chart_of_accounts_is_seeded_by_migration():
    chart = {a.code: (a.number, a.kind, a.normal_side) for a in LedgerAccount.objects.all()}
    assert chart == {code: (number, kind, side) for code, number, _, kind, side in CHART}
    names = set(LedgerAccount.objects.values_list("name", flat=True))
    assert {"Cash and clearing", "Escrow liability", "Suspense (unapplied funds)", "Charge-off loss"} <= names


def test_a_balanced_entry_is_written_with_its_lines_audited_and_moves_the_loan(servicer, loan):
    entry = journal_post(
        actor=servicer,
        loan=loan,
        effective_date=DAY,
        kind="fee",
        memo="Returned check fee",
        lines=[("fees_receivable", D("25.00"), ZERO), ("fee_income", ZERO, D("25.00"))],
    )
    assert entry.pk
    assert entry.created_by == servicer
    lines = list(entry.lines.select_related("account").order_by("id"))
    assert [(line.account.code, line.debit, line.credit, line.loan_id) for line in lines] == [
        ("fees_receivable", D("25.00"), ZERO, loan.pk),
        ("fee_income", ZERO, D("25.00"), loan.pk),
    ]
    assert loan.fees_due == D("25.00")  # the caller's instance is refreshed
    stored = LoanAccount.objects.get(pk=loan.pk)
    assert stored.fees_due == D("25.00")
    assert stored.version == loan.version
    event = AuditEvent.objects.get(verb="journal.posted", target_id=str(entry.pk))
    assert event.after["lines"] == [["fees_receivable", "25.00", "0.00"], ["fee_income", "0.00", "25.00"]]
    assert event.actor == servicer


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            [("cash", D("10.00"), ZERO), ("fee_income", ZERO, D("9.99"))],
            "does not balance: debits 10.00 != credits 9.99",
        ),
        ([("cash", D("10.005"), ZERO), ("fee_income", ZERO, D("10.005"))], "not a whole number of cents"),
        ([("cash", 10.0, ZERO), ("fee_income", ZERO, 10.0)], "use Decimal or str, not float"),
        ([("cash", D("-5.00"), ZERO), ("fee_income", D("5.00"), ZERO)], "must not be negative"),
        ([("cash", ZERO, ZERO)], "exactly one of debit and credit"),
        ([("cash", D("5.00"), D("5.00"))], "exactly one of debit and credit"),
        ([], "needs lines"),
        ([("cash", D("5.00"))], "expected (account_code, debit, credit)"),
        ([("petty_cash", D("5.00"), ZERO), ("fee_income", ZERO, D("5.00"))], "Unknown ledger account(s): petty_cash"),
    ],
)
def test_bad_entries_are_refused_and_nothing_is_written(servicer, loan, lines, message):
    before = _counts()
    with pytest.raises(LedgerError) as refused:
        journal_post(actor=servicer, loan=loan, effective_date=DAY, kind="adjustment", memo="x", lines=lines)
    assert message in str(refused.value)
    assert _counts() == before


def test_unknown_kind_and_inactive_accounts_are_refused(servicer, loan):
    lines = [("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))]
    with pytest.raises(LedgerError, match="Unknown journal entry kind"):
        journal_post(actor=servicer, loan=loan, effective_date=DAY, kind="gift", memo="", lines=lines)
    LedgerAccount.objects.filter(code="fee_income").update(is_active=False)
    with pytest.raises(LedgerError, match="Inactive ledger account"):
        journal_post(actor=servicer, loan=loan, effective_date=DAY, kind="adjustment", memo="", lines=lines)


def test_an_entry_cannot_take_a_loan_balance_below_zero(servicer, loan):
    before = _counts()
    with pytest.raises(LedgerError, match="fees due below zero"):
        journal_post(
            actor=servicer,
            loan=loan,
            effective_date=DAY,
            kind="adjustment",
            memo="waive a fee never charged",
            lines=[("fee_income", D("5.00"), ZERO), ("fees_receivable", ZERO, D("5.00"))],
        )
    assert _counts() == before
    assert LoanAccount.objects.get(pk=loan.pk).fees_due == ZERO


def test_a_repeated_idempotency_key_returns_the_first_entry_and_writes_nothing(servicer, loan):
    lines = [("cash", D("100.00"), ZERO), ("suspense", ZERO, D("100.00"))]
    first = journal_post(
        actor=servicer, loan=loan, effective_date=DAY, kind="payment", memo="", lines=lines, idempotency_key="k-1"
    )
    before = _counts()
    again = journal_post(
        actor=servicer, loan=loan, effective_date=DAY, kind="payment", memo="", lines=lines, idempotency_key="k-1"
    )
    assert again.pk == first.pk
    assert _counts() == before
    assert LoanAccount.objects.get(pk=loan.pk).suspense_balance == D("100.00")  # moved once
    other = boarded_loan(consumer=True)
    with pytest.raises(LedgerError, match="already used for another posting"):
        journal_post(
            actor=servicer, loan=other, effective_date=DAY, kind="payment", memo="", lines=lines, idempotency_key="k-1"
        )


def test_an_entry_without_a_loan_leaves_loans_alone(servicer, loan):
    version = loan.version
    entry = journal_post(
        actor=None,
        loan=None,
        effective_date=DAY,
        kind="adjustment",
        memo="bank interest",
        lines=[("cash", D("3.10"), ZERO), ("fee_income", ZERO, D("3.10"))],
    )
    assert entry.loan_id is None
    assert entry.created_by is None
    assert LoanAccount.objects.get(pk=loan.pk).version == version
    assert AuditEvent.objects.get(verb="journal.posted", target_id=str(entry.pk)).actor_label == "system"


def test_reversal_mirrors_the_lines_links_the_entry_and_restores_the_balances(servicer, loan):
    entry = journal_post(
        actor=servicer,
        loan=loan,
        effective_date=DAY,
        kind="fee",
        memo="NSF fee",
        lines=[("fees_receivable", D("35.00"), ZERO), ("fee_income", ZERO, D("35.00"))],
    )
    reversal = journal_reverse(actor=servicer, entry=entry, reason="Fee charged in error")
    assert reversal.reverses == entry
    assert reversal.kind == "reversal"
    assert reversal.effective_date == entry.effective_date
    assert "Fee charged in error" in reversal.memo
    assert [(line.account.code, line.debit, line.credit) for line in reversal.lines.order_by("id")] == [
        ("fees_receivable", ZERO, D("35.00")),
        ("fee_income", D("35.00"), ZERO),
    ]
    assert LoanAccount.objects.get(pk=loan.pk).fees_due == ZERO
    event = AuditEvent.objects.get(verb="journal.reversed")
    assert event.note == "Fee charged in error"
    assert event.after["reverses"] == entry.pk


def test_an_entry_is_reversed_once_and_a_reversal_is_not_reversed(servicer, loan):
    entry = journal_post(
        actor=servicer,
        loan=loan,
        effective_date=DAY,
        kind="fee",
        memo="",
        lines=[("fees_receivable", D("35.00"), ZERO), ("fee_income", ZERO, D("35.00"))],
    )
    reversal = journal_reverse(actor=servicer, entry=entry, reason="error")
    before = _counts()
    with pytest.raises(LedgerError, match=f"JE {entry.pk} is already reversed \\(by JE {reversal.pk}\\)"):
        journal_reverse(actor=servicer, entry=entry, reason="again")
    with pytest.raises(LedgerError, match="is a reversal"):
        journal_reverse(actor=servicer, entry=reversal, reason="undo")
    assert _counts() == before


def test_reversal_needs_a_reason_and_no_earlier_date(servicer, loan):
    disbursement = loan.journal_entries.get(kind="disbursement")
    with pytest.raises(LedgerError, match="reason"):
        journal_reverse(actor=servicer, entry=disbursement, reason="  ")
    with pytest.raises(LedgerError, match="before the entry it reverses"):
        journal_reverse(actor=servicer, entry=disbursement, reason="x", effective_date=date(2020, 1, 1))


def test_reversing_a_disbursement_takes_the_loan_back_to_zero(servicer, loan):
    disbursement = loan.journal_entries.get(kind="disbursement")
    journal_reverse(actor=servicer, entry=disbursement, reason="Funding returned", effective_date=date(2026, 11, 20))
    stored = LoanAccount.objects.get(pk=loan.pk)
    assert stored.principal_balance == ZERO


def test_posting_to_a_missing_account_is_refused_and_the_chart_seed_restores_it(servicer):
    LedgerAccount.objects.filter(code="fee_income").delete()
    with pytest.raises(LedgerError, match="Unknown ledger account"):
        journal_post(
            actor=servicer,
            loan=None,
            effective_date=DAY,
            kind="adjustment",
            memo="",
            lines=[("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))],
        )
    ledger_chart_seed()
    ledger_chart_seed()  # idempotent
    assert LedgerAccount.objects.count() == len(CHART)


@pytest.mark.django_db(transaction=True)
def test_the_chart_survives_a_flush_because_migrate_reseeds_it():
    # A transactional test's flush re-emits post_migrate; the receiver puts the reference chart back.
    assert LedgerAccount.objects.count() == len(CHART)
