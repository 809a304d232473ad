"""``journal_post_bulk``'s rules (the close of business posts through it): an entry per loan with lines, none for a
loan without lines, each loan's own lines and balances, the fields the caller set saved with them, one audit row
for the batch with its totals, and the refusals that write nothing.

mutmut leaves ``journal_post_bulk`` unmutated (it is ``@transaction.atomic``): these tests pin what each of its
lines does, for a mutation tool that does mutate it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.models import AuditEvent, User
from servicing.models import JournalEntry, JournalLine, LoanAccount
from servicing.services.ledger import LedgerError
from servicing.services.ledger_bulk import journal_post_bulk
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")
ON = date(2027, 3, 1)


def _accrual(amount: str) -> list[tuple[str, Decimal, Decimal]]:
    return [("interest_receivable", D(amount), ZERO), ("interest_income", ZERO, D(amount))]


def _lines(entry_id: int) -> list[tuple[str, int | None, Decimal, Decimal]]:
    rows = JournalLine.objects.filter(entry_id=entry_id).order_by("pk")
    return [(line.account.code, line.loan_id, line.debit, line.credit) for line in rows]


def _fresh(loan: LoanAccount) -> LoanAccount:
    return LoanAccount.objects.get(pk=loan.pk)


@pytest.fixture
def loans() -> list[LoanAccount]:
    return [boarded_loan(), boarded_loan(consumer=True), boarded_loan()]


def test_each_loan_with_lines_gets_its_own_entry_and_a_loan_without_gets_none(loans):
    first, idle, last = loans
    actor = user_with_role(roles.SERVICER)
    entry_of = journal_post_bulk(
        actor=actor,
        effective_date=ON,
        kind="accrual",
        memo="Interest accrued through 2027-03-01",
        loan_lines=[(first, _accrual("12.34")), (idle, []), (last, _accrual("0.66"))],
    )
    assert list(entry_of) == [first.pk, last.pk]  # by loan id, in the order given; none for the idle loan
    entries = {entry.pk: entry for entry in JournalEntry.objects.filter(pk__in=entry_of.values())}
    assert len(entries) == 2
    for loan in (first, last):
        entry = entries[entry_of[loan.pk]]
        assert (entry.loan_id, entry.effective_date, entry.kind, entry.memo, entry.created_by) == (
            loan.pk,
            ON,
            "accrual",
            "Interest accrued through 2027-03-01",
            actor,
        )
    assert _lines(entry_of[first.pk]) == [
        ("interest_receivable", first.pk, D("12.34"), ZERO),
        ("interest_income", first.pk, ZERO, D("12.34")),
    ]
    assert _lines(entry_of[last.pk]) == [
        ("interest_receivable", last.pk, D("0.66"), ZERO),
        ("interest_income", last.pk, ZERO, D("0.66")),
    ]
    assert not JournalEntry.objects.filter(loan=idle, kind="accrual").exists()


def test_each_loans_balances_move_by_its_own_lines_in_the_database_and_in_memory(loans):
    first, idle, last = loans
    before = {loan.pk: (loan.interest_due, loan.principal_balance, loan.version) for loan in loans}
    journal_post_bulk(
        actor=None,
        effective_date=ON,
        kind="accrual",
        memo="accrual",
        loan_lines=[(first, _accrual("12.34")), (idle, []), (last, _accrual("0.66"))],
    )
    # first: interest due 0.00 + 12.34 = 12.34, version + 1; last: 0.00 + 0.66; the idle loan as it was.
    for loan, moved in ((first, D("12.34")), (last, D("0.66"))):
        due, principal, version = before[loan.pk]
        stored = _fresh(loan)
        assert (stored.interest_due, stored.principal_balance, stored.version) == (due + moved, principal, version + 1)
        assert (loan.interest_due, loan.version) == (due + moved, version + 1)  # refreshed in place
    stored_idle = _fresh(idle)
    assert (stored_idle.interest_due, stored_idle.principal_balance, stored_idle.version) == before[idle.pk]


def test_loans_moving_different_balances_each_save_their_own(loans):
    first, second, _ = loans
    fee = [("fees_receivable", D("25.00"), ZERO), ("fee_income", ZERO, D("25.00"))]
    journal_post_bulk(
        actor=None,
        effective_date=ON,
        kind="accrual",
        memo="m",
        loan_lines=[(first, _accrual("12.34")), (second, fee)],
    )
    # first: interest due 0.00 + 12.34, fees 0.00; second: fees due 0.00 + 25.00, interest 0.00. Both fields are
    # written for both loans (a batch writes the union of the balances that moved).
    assert [(_fresh(loan).interest_due, _fresh(loan).fees_due) for loan in (first, second)] == [
        (D("12.34"), ZERO),
        (ZERO, D("25.00")),
    ]


def test_every_loan_given_is_stamped_with_the_posting_time(loans):
    first, idle, last = loans
    journal_post_bulk(
        actor=None,
        effective_date=ON,
        kind="accrual",
        memo="accrual",
        loan_lines=[(first, _accrual("1.00")), (idle, []), (last, _accrual("2.00"))],
    )
    posted_at = JournalEntry.objects.get(loan=first, kind="accrual").posted_at
    assert JournalEntry.objects.get(loan=last, kind="accrual").posted_at == posted_at  # one time for the batch
    assert [_fresh(loan).updated_at for loan in loans] == [posted_at, posted_at, posted_at]


def test_the_fields_the_caller_set_are_saved_with_the_balances(loans):
    first, idle, _ = loans
    first.interest_accrued_through = idle.interest_accrued_through = ON
    journal_post_bulk(
        actor=None,
        effective_date=ON,
        kind="accrual",
        memo="accrual",
        loan_lines=[(first, _accrual("1.00")), (idle, [])],
        also_save=["interest_accrued_through"],
    )
    assert [_fresh(first).interest_accrued_through, _fresh(idle).interest_accrued_through] == [ON, ON]


def test_with_no_lines_at_all_nothing_is_posted_but_the_callers_fields_are_saved(loans):
    first, idle, last = loans
    entries, audits = JournalEntry.objects.count(), AuditEvent.objects.count()
    version = _fresh(first).version
    first.interest_accrued_through = idle.interest_accrued_through = ON
    assert (
        journal_post_bulk(
            actor=None,
            effective_date=ON,
            kind="accrual",
            memo="accrual",
            loan_lines=[(first, []), (idle, [])],
            also_save=["interest_accrued_through"],
        )
        == {}
    )
    assert (JournalEntry.objects.count(), AuditEvent.objects.count()) == (entries, audits)
    assert [_fresh(first).interest_accrued_through, _fresh(idle).interest_accrued_through] == [ON, ON]
    assert _fresh(first).version == version  # no balance moved
    # Without also_save nothing is written at all: the date set in memory stays unsaved.
    last.interest_accrued_through = ON
    assert journal_post_bulk(actor=None, effective_date=ON, kind="accrual", memo="m", loan_lines=[(last, [])]) == {}
    assert _fresh(last).interest_accrued_through != ON


def test_one_audit_row_for_the_batch_with_its_range_and_totals(loans):
    first, idle, middle = loans
    last = boarded_loan()
    actor = user_with_role(roles.SERVICER)
    entry_of = journal_post_bulk(
        actor=actor,
        effective_date=ON,
        kind="accrual",
        memo="Interest accrued through 2027-03-01",
        loan_lines=[(first, _accrual("12.34")), (idle, []), (middle, _accrual("0.60")), (last, _accrual("0.06"))],
    )
    event = AuditEvent.objects.get(verb="journal.posted_bulk")
    assert (event.actor, event.target_id) == (actor, str(entry_of[first.pk]))  # the batch's first entry
    # The row names the batch's first entry as the entry's own listing does: number, effective date, kind.
    assert event.target_repr == f"JE {entry_of[first.pk]} 2027-03-01 Interest accrual"
    # Totals per account over the batch, by account code: interest income Cr 12.34 + 0.60 + 0.06 = 13.00;
    # interest receivable Dr the same. Three entries: the idle loan has none.
    assert event.after == {
        "kind": "accrual",
        "effective_date": "2027-03-01",
        "memo": "Interest accrued through 2027-03-01",
        "entries": 3,
        "first_entry": entry_of[first.pk],
        "last_entry": entry_of[last.pk],
        "first_loan": first.loan_number,
        "last_loan": last.loan_number,
        "totals": [["interest_income", "0.00", "13.00"], ["interest_receivable", "13.00", "0.00"]],
    }


def test_a_memo_is_cut_to_255_characters_on_the_entries_and_the_audit_row(loans):
    first = loans[0]
    entry_of = journal_post_bulk(
        actor=None, effective_date=ON, kind="accrual", memo="m" * 300, loan_lines=[(first, _accrual("1.00"))]
    )
    assert JournalEntry.objects.get(pk=entry_of[first.pk]).memo == "m" * 255
    assert AuditEvent.objects.get(verb="journal.posted_bulk").after["memo"] == "m" * 255


@pytest.mark.parametrize("unsaved", [False, True])
def test_no_actor_or_an_unsaved_one_posts_as_the_system(loans, unsaved):
    first = loans[0]
    entry_of = journal_post_bulk(
        actor=User(email="nobody@example.com") if unsaved else None,
        effective_date=ON,
        kind="accrual",
        memo="accrual",
        loan_lines=[(first, _accrual("1.00"))],
    )
    assert JournalEntry.objects.get(pk=entry_of[first.pk]).created_by is None


def test_an_unknown_kind_is_refused_in_words_and_nothing_is_written(loans):
    first = loans[0]
    entries, before = JournalEntry.objects.count(), _fresh(first).interest_due
    with pytest.raises(LedgerError) as refused:
        journal_post_bulk(actor=None, effective_date=ON, kind="bogus", memo="m", loan_lines=[(first, _accrual("1.00"))])
    assert str(refused.value) == "Unknown journal entry kind 'bogus'."
    assert (JournalEntry.objects.count(), _fresh(first).interest_due) == (entries, before)
    assert not AuditEvent.objects.filter(verb="journal.posted_bulk").exists()


def test_a_line_taking_a_balance_below_zero_refuses_the_whole_batch(loans):
    first, _, last = loans
    entries = JournalEntry.objects.count()
    # last owes 0.00 interest: crediting interest receivable 5.00 would take it to -5.00.
    reversed_accrual = [("interest_income", D("5.00"), ZERO), ("interest_receivable", ZERO, D("5.00"))]
    with pytest.raises(LedgerError, match="interest due below zero"):
        journal_post_bulk(
            actor=None,
            effective_date=ON,
            kind="accrual",
            memo="m",
            loan_lines=[(first, _accrual("1.00")), (last, reversed_accrual)],
        )
    assert JournalEntry.objects.count() == entries
    assert _fresh(first).interest_due == ZERO  # the first loan's line is not half-applied
