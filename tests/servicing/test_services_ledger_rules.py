"""The ledger's rules pinned word for word and cent for cent (issue 17: a changed comparison, message or guard in
servicing/services/ledger.py fails a test): the refusals name the line and the accounts, the running balances
move by the signed sum of the lines, idempotency keys, the savepoint that answers a lost race, what a reversal
refuses, and the batch path (posting_prepare, journal_post_many) writing what journal_post writes."""

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.models import AuditEvent, User
from servicing.models import InterestAccrual, JournalEntry, JournalLine, LedgerAccount, LoanAccount
from servicing.services.ledger import (
    LedgerError,
    journal_post,
    journal_post_many,
    journal_reverse,
    ledger_accounts,
    ledger_chart_seed,
    posting_prepare,
)
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
    return boarded_loan(consumer=True)  # principal 12,000.00, no escrow, nothing else owed


def _post(loan, lines, *, kind="adjustment", key=None, memo="", actor=None):
    return journal_post(
        actor=actor, loan=loan, effective_date=DAY, kind=kind, memo=memo, lines=lines, idempotency_key=key
    )


def _refusal(loan, lines) -> str:
    with pytest.raises(LedgerError) as refused:
        _post(loan, lines)
    return str(refused.value)


def _counts():
    return JournalEntry.objects.count(), JournalLine.objects.count(), AuditEvent.objects.count()


# --- the refusals name the line, its account and the amounts ----------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            [("cash", D("5.00"), ZERO), ("fee_income", D("5.00"))],
            "Line 2: expected (account_code, debit, credit), got ('fee_income', Decimal('5.00')).",
        ),
        (
            [("cash", D("10.005"), ZERO), ("fee_income", ZERO, D("10.005"))],
            "Line 1 (cash) debit: 10.005 is not a whole number of cents.",
        ),
        (
            [("cash", D("5.00"), ZERO), ("fee_income", ZERO, D("-5.00"))],
            "Line 2 (fee_income) credit must not be negative, got -5.00.",
        ),
        (
            [("cash", D("5.00"), ZERO), ("fee_income", D("5.00"), D("5.00"))],
            "Line 2 (fee_income): exactly one of debit and credit must be non-zero.",
        ),
        (
            [("cash", D("5.00"), ZERO), ("fee_income", ZERO, ZERO)],
            "Line 2 (fee_income): exactly one of debit and credit must be non-zero.",
        ),
        # 10.00 + 0.01 = 10.01 of debits against 10.00 of credits
        (
            [("cash", D("10.00"), ZERO), ("fees_receivable", D("0.01"), ZERO), ("fee_income", ZERO, D("10.00"))],
            "The entry does not balance: debits 10.01 != credits 10.00.",
        ),
        (
            [("zz_petty", D("1.00"), ZERO), ("aa_drawer", D("1.00"), ZERO), ("fee_income", ZERO, D("2.00"))],
            "Unknown ledger account(s): aa_drawer, zz_petty.",
        ),
    ],
)
def test_a_refused_entry_says_which_line_and_why_and_writes_nothing(loan, lines, message):
    before = _counts()
    assert _refusal(loan, lines) == message
    assert _counts() == before


def test_inactive_accounts_are_named_in_order(loan):
    LedgerAccount.objects.filter(code__in=["fee_income", "cash"]).update(is_active=False)
    lines = [("fee_income", ZERO, D("1.00")), ("cash", D("1.00"), ZERO)]
    assert _refusal(loan, lines) == "Inactive ledger account(s): cash, fee_income."


def test_an_unknown_kind_is_refused_by_name(loan):
    with pytest.raises(LedgerError) as refused:
        _post(loan, [("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))], kind="gift")
    assert str(refused.value) == "Unknown journal entry kind 'gift'."


def test_an_entry_that_would_take_a_balance_below_zero_names_the_balance_and_the_move(loan):
    # fees due 0.00, the entry credits fees receivable 5.00: 0.00 - 5.00 = -5.00 < 0
    message = _refusal(loan, [("fee_income", D("5.00"), ZERO), ("fees_receivable", ZERO, D("5.00"))])
    assert message == f"{loan.loan_number}: the entry would take fees due below zero (0.00 -5.00)."


def test_a_balance_taken_exactly_to_zero_is_allowed(loan):
    _post(loan, [("fees_receivable", D("5.00"), ZERO), ("fee_income", ZERO, D("5.00"))])
    # 5.00 - 5.00 = 0.00: not below zero
    _post(loan, [("fee_income", D("5.00"), ZERO), ("fees_receivable", ZERO, D("5.00"))])
    assert LoanAccount.objects.get(pk=loan.pk).fees_due == ZERO


def test_a_payment_may_take_a_balance_below_one_dollar(loan):
    # fees due 0.50 after charging 0.50: a balance between 0 and 1 is a balance like any other
    _post(loan, [("fees_receivable", D("0.50"), ZERO), ("fee_income", ZERO, D("0.50"))])
    assert LoanAccount.objects.get(pk=loan.pk).fees_due == D("0.50")


# --- the running balances move by each account's signed sum ------------------------------------------------------


def test_lines_on_the_same_balance_add_up_by_the_accounts_normal_side(loan):
    version = loan.version
    # fees receivable (debit-normal): +25.00 - 10.00 = +15.00; suspense (credit-normal): +40.00 - 0 = +40.00
    _post(
        loan,
        [
            ("fees_receivable", D("25.00"), ZERO),
            ("fees_receivable", ZERO, D("10.00")),
            ("cash", D("40.00"), ZERO),
            ("suspense", ZERO, D("40.00")),
            ("fee_income", ZERO, D("15.00")),
        ],
    )
    stored = LoanAccount.objects.get(pk=loan.pk)
    assert (stored.fees_due, stored.suspense_balance) == (D("15.00"), D("40.00"))
    assert stored.principal_balance == D("12000.00")  # untouched
    assert stored.version == version + 1  # one posting, one version


def test_an_entry_that_moves_no_loan_balance_leaves_the_loans_version_alone(loan):
    version = loan.version
    # cash and fee income mirror no running balance; suspense +10.00 - 10.00 nets to nothing
    _post(loan, [("cash", D("3.10"), ZERO), ("fee_income", ZERO, D("3.10"))])
    _post(loan, [("suspense", D("10.00"), ZERO), ("suspense", ZERO, D("10.00"))])
    stored = LoanAccount.objects.get(pk=loan.pk)
    assert stored.version == version
    assert stored.suspense_balance == ZERO


def test_a_posting_with_the_loan_already_locked_moves_the_callers_row(loan):
    # loan_locked: the caller's instance carries the balances; 12,000.00 - 100.00 = 11,900.00
    journal_post(
        actor=None,
        loan=loan,
        effective_date=DAY,
        kind="adjustment",
        memo="",
        lines=[("cash", D("100.00"), ZERO), ("loans_receivable", ZERO, D("100.00"))],
        loan_locked=True,
    )
    stored = LoanAccount.objects.get(pk=loan.pk)
    assert stored.principal_balance == loan.principal_balance == D("11900.00")


# --- what the entry records ---------------------------------------------------------------------------------------


def test_the_memo_is_cut_to_255_characters(loan):
    entry = _post(loan, [("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))], memo="m" * 300)
    assert JournalEntry.objects.get(pk=entry.pk).memo == "m" * 255


def test_an_unsaved_actor_is_recorded_as_no_one(loan):
    nobody = User(email="nobody@example.com")  # e.g. a system caller's placeholder user, never saved
    entry = _post(loan, [("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))], actor=nobody)
    assert JournalEntry.objects.get(pk=entry.pk).created_by_id is None


def test_the_audit_row_records_the_posting(servicer, loan):
    entry = _post(loan, [("cash", D("7.00"), ZERO), ("fee_income", ZERO, D("7.00"))], key="a-1", actor=servicer)
    event = AuditEvent.objects.get(verb="journal.posted", target_id=str(entry.pk))
    assert event.after == {
        "kind": "adjustment",
        "effective_date": "2027-01-05",
        "loan": loan.loan_number,
        "lines": [["cash", "7.00", "0.00"], ["fee_income", "0.00", "7.00"]],
        "idempotency_key": "a-1",
        "reverses": None,
    }


# --- idempotency keys ---------------------------------------------------------------------------------------------


def test_a_blank_idempotency_key_is_no_key_and_posts_each_time(loan):
    lines = [("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))]
    first, second = _post(loan, lines, key=""), _post(loan, lines, key="")
    assert first.pk != second.pk
    keys = JournalEntry.objects.filter(pk__in=[first.pk, second.pk]).values_list("idempotency_key", flat=True)
    assert list(keys) == [None, None]


def test_a_key_reused_for_another_kind_on_the_same_loan_is_refused(loan):
    lines = [("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))]
    first = _post(loan, lines, key="k-kind", kind="adjustment")
    with pytest.raises(LedgerError) as refused:
        _post(loan, lines, key="k-kind", kind="fee")
    assert str(refused.value) == f"Idempotency key 'k-kind' was already used for another posting (JE {first.pk})."


def test_a_key_used_for_a_loan_is_refused_for_a_posting_without_one(loan):
    lines = [("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))]
    _post(loan, lines, key="k-loan")
    with pytest.raises(LedgerError, match="already used for another posting"):
        _post(None, lines, key="k-loan")
    again = _post(None, lines, key="k-none")
    assert _post(None, lines, key="k-none").pk == again.pk  # no loan on both: the same posting


def _first_lookup_misses(monkeypatch, **looked_up):
    """Make the first ``JournalEntry.objects.filter(**looked_up)`` find nothing: what a caller sees when another
    commits the same row between its check and its insert (a lost race)."""
    manager = type(JournalEntry.objects)
    real = manager.filter
    missed = []

    def filter_(self, *args, **kwargs):
        found = real(self, *args, **kwargs)
        if not missed and self.model is JournalEntry and set(kwargs) == set(looked_up):
            missed.append(kwargs)
            return found.none()
        return found

    monkeypatch.setattr(manager, "filter", filter_)
    return missed


def test_a_key_posted_by_someone_else_meanwhile_returns_their_entry(loan, monkeypatch):
    lines = [("cash", D("100.00"), ZERO), ("suspense", ZERO, D("100.00"))]
    theirs = _post(loan, lines, kind="payment", key="race-1")
    before = _counts()
    missed = _first_lookup_misses(monkeypatch, idempotency_key=None)
    ours = _post(loan, lines, kind="payment", key="race-1")
    assert missed  # the check missed it; the unique key refused our row in its savepoint
    assert ours.pk == theirs.pk
    assert _counts() == before
    assert LoanAccount.objects.get(pk=loan.pk).suspense_balance == D("100.00")  # moved once


def test_a_key_lost_to_a_posting_for_another_loan_is_refused(loan, monkeypatch):
    lines = [("cash", D("100.00"), ZERO), ("suspense", ZERO, D("100.00"))]
    theirs = _post(boarded_loan(consumer=True), lines, kind="payment", key="race-2")
    _first_lookup_misses(monkeypatch, idempotency_key=None)
    with pytest.raises(LedgerError) as refused:
        _post(loan, lines, kind="payment", key="race-2")
    assert str(refused.value) == f"Idempotency key 'race-2' was already used for another posting (JE {theirs.pk})."


# --- reversals ----------------------------------------------------------------------------------------------------


def _fee(loan, amount="35.00"):
    return _post(loan, [("fees_receivable", D(amount), ZERO), ("fee_income", ZERO, D(amount))], kind="fee")


def test_a_reversal_records_the_reason_trimmed_in_its_memo_and_audit_note(servicer, loan):
    entry = _fee(loan)
    reversal = journal_reverse(actor=servicer, entry=entry, reason="  charged in error  ")
    assert reversal.memo == f"Reversal of JE {entry.pk}: charged in error"
    assert reversal.created_by == servicer
    event = AuditEvent.objects.get(verb="journal.reversed", target_id=str(reversal.pk))
    assert event.note == "charged in error"
    assert event.after["reverses"] == entry.pk
    assert event.after["lines"] == [["fees_receivable", "0.00", "35.00"], ["fee_income", "35.00", "0.00"]]


def test_a_reversal_may_be_dated_on_or_after_the_entry_not_before(loan):
    first, second = _fee(loan, "10.00"), _fee(loan, "20.00")
    on_the_day = journal_reverse(actor=None, entry=first, reason="x", effective_date=DAY)
    assert on_the_day.effective_date == DAY
    later = journal_reverse(actor=None, entry=second, reason="x", effective_date=date(2027, 1, 6))
    assert later.effective_date == date(2027, 1, 6)
    third = _fee(loan, "5.00")
    with pytest.raises(LedgerError) as refused:
        journal_reverse(actor=None, entry=third, reason="x", effective_date=date(2027, 1, 4))
    assert str(refused.value) == "A reversal cannot be dated before the entry it reverses (2027-01-05)."
    # 10.00 + 20.00 + 5.00 charged, 10.00 + 20.00 reversed: 5.00 due
    assert LoanAccount.objects.get(pk=loan.pk).fees_due == D("5.00")


def test_a_reversal_refusal_names_the_entry(loan):
    entry = _fee(loan)
    reversal = journal_reverse(actor=None, entry=entry, reason="x")
    with pytest.raises(LedgerError) as refused:
        journal_reverse(actor=None, entry=reversal, reason="x")
    assert str(refused.value) == (
        f"JE {reversal.pk} is a reversal: post the original entry again instead of reversing it."
    )
    with pytest.raises(LedgerError) as refused:
        journal_reverse(actor=None, entry=entry, reason="x")
    assert str(refused.value) == f"JE {entry.pk} is already reversed (by JE {reversal.pk})."
    with pytest.raises(LedgerError) as refused:
        journal_reverse(actor=None, entry=entry, reason=" ")
    assert str(refused.value) == "Give the reason for the reversal."


def test_a_reversal_lost_to_another_reversal_meanwhile_is_refused(loan, monkeypatch):
    entry = _fee(loan)
    journal_reverse(actor=None, entry=entry, reason="first")
    before = _counts()
    _first_lookup_misses(monkeypatch, reverses=None)
    with pytest.raises(LedgerError) as refused:
        journal_reverse(actor=None, entry=entry, reason="second")
    assert str(refused.value) == f"JE {entry.pk} is already reversed."
    assert _counts() == before
    assert LoanAccount.objects.get(pk=loan.pk).fees_due == ZERO  # 35.00 charged, reversed once


def test_an_entry_for_many_loans_is_not_reversed(loan):
    other = boarded_loan(consumer=True)
    entry = JournalEntry.objects.create(effective_date=DAY, kind="adjustment", memo="two loans")
    cash, income = LedgerAccount.objects.get(code="cash"), LedgerAccount.objects.get(code="fee_income")
    JournalLine.objects.create(entry=entry, account=cash, loan=loan, debit=D("1.00"), credit=ZERO)
    JournalLine.objects.create(entry=entry, account=income, loan=other, debit=ZERO, credit=D("1.00"))
    with pytest.raises(LedgerError) as refused:
        journal_reverse(actor=None, entry=entry, reason="x")
    assert str(refused.value) == f"JE {entry.pk} posts for many loans: correct the loans one at a time."


def test_an_entry_without_a_loan_and_without_loan_lines_is_reversed(loan):
    entry = _post(None, [("cash", D("3.10"), ZERO), ("fee_income", ZERO, D("3.10"))])
    reversal = journal_reverse(actor=None, entry=entry, reason="bank error")
    assert reversal.loan_id is None
    lines = [(line.account.code, line.debit, line.credit) for line in reversal.lines.order_by("id")]
    assert lines == [("cash", ZERO, D("3.10")), ("fee_income", D("3.10"), ZERO)]


def test_the_nightly_accrual_traced_by_its_rows_is_not_reversed_but_a_plain_accrual_is(loan):
    lines = [("interest_receivable", D("3.29"), ZERO), ("interest_income", ZERO, D("3.29"))]
    traced = _post(loan, lines, kind="accrual")
    InterestAccrual.objects.create(
        loan=loan, accrual_date=DAY, method="daily_simple", days=1, basis=D("12000.00"), amount=D("3.29"),
        journal_entry=traced,
    )  # fmt: skip
    with pytest.raises(LedgerError) as refused:
        journal_reverse(actor=None, entry=traced, reason="x")
    assert str(refused.value) == (
        f"JE {traced.pk} is the nightly interest accrual, traced by its accrual rows: it is not reversed "
        "(the accrual follows the schedule; correct the loan with an adjustment)."
    )
    plain = _post(loan, lines, kind="accrual")
    assert journal_reverse(actor=None, entry=plain, reason="x").reverses == plain
    # 3.29 + 3.29 accrued, 3.29 reversed
    assert LoanAccount.objects.get(pk=loan.pk).interest_due == D("3.29")


def test_a_fee_entry_traced_by_no_accrual_row_is_reversed(loan):
    # Only an accrual entry is protected by its rows: a fee entry a row happens to point at is still reversible.
    entry = _fee(loan)
    InterestAccrual.objects.create(
        loan=loan, accrual_date=DAY, method="daily_simple", days=1, basis=D("12000.00"), amount=D("0.00"),
        journal_entry=entry,
    )  # fmt: skip
    assert journal_reverse(actor=None, entry=entry, reason="x").reverses == entry


# --- the batch path: posting_prepare checks, journal_post_many writes -------------------------------------------


def _prepare(loan, lines, *, kind="payment", memo="batch", accounts=None):
    return posting_prepare(
        loan=loan,
        effective_date=DAY,
        kind=kind,
        memo=memo,
        lines=lines,
        accounts=accounts if accounts is not None else ledger_accounts(),
    )


def test_prepare_refuses_what_journal_post_refuses_and_moves_nothing(loan):
    accounts = ledger_accounts()
    with pytest.raises(LedgerError) as refused:
        _prepare(loan, [("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))], kind="gift")
    assert str(refused.value) == "Unknown journal entry kind 'gift'."
    with pytest.raises(LedgerError) as refused:
        _prepare(loan, [("zz", D("1.00"), ZERO), ("aa", ZERO, D("1.00"))])
    assert str(refused.value) == "Unknown ledger account(s): aa, zz."
    accounts["suspense"].is_active = accounts["cash"].is_active = False
    with pytest.raises(LedgerError) as refused:
        _prepare(loan, [("suspense", ZERO, D("1.00")), ("cash", D("1.00"), ZERO)], accounts=accounts)
    assert str(refused.value) == "Inactive ledger account(s): cash, suspense."
    with pytest.raises(LedgerError) as refused:
        _prepare(loan, [("fee_income", D("5.00"), ZERO), ("fees_receivable", ZERO, D("5.00"))])
    assert str(refused.value) == f"{loan.loan_number}: the entry would take fees due below zero (0.00 -5.00)."
    assert (loan.fees_due, loan.suspense_balance) == (ZERO, ZERO)
    assert LoanAccount.objects.get(pk=loan.pk).version == loan.version


def test_prepare_moves_the_balances_in_memory_and_keeps_the_memo_to_255(loan):
    version = loan.version
    posting = _prepare(loan, [("cash", D("60.00"), ZERO), ("suspense", ZERO, D("60.00"))], memo="p" * 300)
    assert loan.suspense_balance == D("60.00")
    assert loan.version == version + 1
    assert posting.memo == "p" * 255
    assert posting.lines == [("cash", D("60.00"), ZERO), ("suspense", ZERO, D("60.00"))]
    assert LoanAccount.objects.get(pk=loan.pk).suspense_balance == ZERO  # nothing written yet
    unmoved = _prepare(loan, [("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))], kind="adjustment")
    assert (loan.version, unmoved.kind) == (version + 1, "adjustment")  # no balance moved: no new version


def test_post_many_writes_the_entries_lines_balances_and_one_audit_row_each(servicer, loan):
    other = boarded_loan(consumer=True)
    accounts = ledger_accounts()
    postings = [
        _prepare(loan, [("cash", D("60.00"), ZERO), ("suspense", ZERO, D("60.00"))], memo="first"),
        _prepare(loan, [("cash", D("15.00"), ZERO), ("suspense", ZERO, D("15.00"))], memo="second"),
        _prepare(other, [("cash", D("9.00"), ZERO), ("suspense", ZERO, D("9.00"))], memo="third"),
    ]
    entries = journal_post_many(actor=servicer, postings=postings, accounts=accounts)
    assert [p.entry for p in postings] == entries
    stored = list(JournalEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("id"))
    assert [(e.loan_id, e.effective_date, e.kind, e.memo, e.created_by_id) for e in stored] == [
        (loan.pk, DAY, "payment", "first", servicer.pk),
        (loan.pk, DAY, "payment", "second", servicer.pk),
        (other.pk, DAY, "payment", "third", servicer.pk),
    ]
    lines = JournalLine.objects.filter(entry__in=stored).order_by("id").select_related("account")
    assert [(line.entry_id, line.account.code, line.loan_id, line.debit, line.credit) for line in lines] == [
        (stored[0].pk, "cash", loan.pk, D("60.00"), ZERO),
        (stored[0].pk, "suspense", loan.pk, ZERO, D("60.00")),
        (stored[1].pk, "cash", loan.pk, D("15.00"), ZERO),
        (stored[1].pk, "suspense", loan.pk, ZERO, D("15.00")),
        (stored[2].pk, "cash", other.pk, D("9.00"), ZERO),
        (stored[2].pk, "suspense", other.pk, ZERO, D("9.00")),
    ]
    # 60.00 + 15.00 on the first loan (two versions on), 9.00 on the other (one)
    first, second = LoanAccount.objects.get(pk=loan.pk), LoanAccount.objects.get(pk=other.pk)
    assert (first.suspense_balance, first.version) == (D("75.00"), loan.version)
    assert (second.suspense_balance, second.version) == (D("9.00"), other.version)
    events = AuditEvent.objects.filter(verb="journal.posted", target_id__in=[str(e.pk) for e in entries])
    assert sorted(event.after["lines"][0][1] for event in events) == ["15.00", "60.00", "9.00"]
    event = events.get(target_id=str(stored[2].pk))
    assert event.actor == servicer
    assert event.after == {
        "kind": "payment",
        "effective_date": "2027-01-05",
        "loan": other.loan_number,
        "lines": [["cash", "9.00", "0.00"], ["suspense", "0.00", "9.00"]],
        "idempotency_key": None,
        "reverses": None,
    }


def test_post_many_without_audit_writes_no_audit_rows_and_no_creator_for_no_actor(loan):
    posting = _prepare(loan, [("cash", D("5.00"), ZERO), ("suspense", ZERO, D("5.00"))])
    audits = AuditEvent.objects.count()
    (entry,) = journal_post_many(actor=None, postings=[posting], accounts=ledger_accounts(), audit=False)
    assert AuditEvent.objects.count() == audits
    assert JournalEntry.objects.get(pk=entry.pk).created_by_id is None
    assert entry.created_by_id is None
    assert LoanAccount.objects.get(pk=loan.pk).suspense_balance == D("5.00")


def test_post_many_entries_are_saved_instances(loan):
    posting = _prepare(loan, [("cash", D("5.00"), ZERO), ("suspense", ZERO, D("5.00"))])
    (entry,) = journal_post_many(actor=None, postings=[posting], accounts=ledger_accounts())
    assert entry._state.adding is False  # can be referenced and compared as a stored row
    assert entry.posted_at == JournalEntry.objects.get(pk=entry.pk).posted_at


def test_the_chart_seed_puts_a_missing_account_back_as_the_chart_has_it():
    LedgerAccount.objects.filter(code__in=["fee_income", "suspense"]).delete()
    ledger_chart_seed()
    restored = LedgerAccount.objects.filter(code__in=["fee_income", "suspense"]).order_by("number")
    assert [(a.code, a.number, a.name, a.kind, a.normal_side, a.is_active) for a in restored] == [
        ("suspense", "2200", "Suspense (unapplied funds)", "liability", "credit", True),
        ("fee_income", "4200", "Fee income", "income", "credit", True),
    ]


def test_post_many_hands_back_entries_carrying_their_creator(servicer, loan):
    posting = _prepare(loan, [("cash", D("5.00"), ZERO), ("suspense", ZERO, D("5.00"))], memo="m")
    (entry,) = journal_post_many(actor=servicer, postings=[posting], accounts=ledger_accounts(), audit=False)
    assert (entry.created_by_id, entry.loan, entry.effective_date, entry.kind, entry.memo) == (
        servicer.pk,
        loan,
        DAY,
        "payment",
        "m",
    )


def test_an_entry_without_lines_is_refused_in_words(loan):
    assert _refusal(loan, []) == "A journal entry needs lines."


def test_a_posting_moves_the_balances_read_under_the_lock_not_a_stale_copy(loan):
    stale = LoanAccount.objects.get(pk=loan.pk)  # read before the fee below: fees due 0.00
    _post(loan, [("fees_receivable", D("25.00"), ZERO), ("fee_income", ZERO, D("25.00"))])
    # The row holds 25.00; the stale copy says 0.00: 25.00 - 10.00 = 15.00 (from the copy: 0.00 - 10.00 < 0, refused)
    _post(stale, [("fee_income", D("10.00"), ZERO), ("fees_receivable", ZERO, D("10.00"))])
    assert LoanAccount.objects.get(pk=loan.pk).fees_due == stale.fees_due == D("15.00")


def test_a_posting_that_moves_a_balance_stamps_the_loan_as_updated(loan):
    before = LoanAccount.objects.get(pk=loan.pk).updated_at
    _post(loan, [("fees_receivable", D("5.00"), ZERO), ("fee_income", ZERO, D("5.00"))])
    assert LoanAccount.objects.get(pk=loan.pk).updated_at > before


def test_a_keyed_posting_is_not_taken_for_an_unkeyed_entry_of_the_same_kind(loan):
    lines = [("cash", D("10.00"), ZERO), ("suspense", ZERO, D("10.00"))]
    unkeyed = _post(loan, lines, kind="payment")
    keyed = _post(loan, lines, kind="payment", key="k-new")
    assert keyed.pk != unkeyed.pk
    assert JournalEntry.objects.get(pk=keyed.pk).idempotency_key == "k-new"
    assert LoanAccount.objects.get(pk=loan.pk).suspense_balance == D("20.00")  # 10.00 + 10.00: both posted


def test_a_posting_records_no_note_on_its_audit_row(loan):
    entry = _post(loan, [("cash", D("1.00"), ZERO), ("fee_income", ZERO, D("1.00"))])
    assert AuditEvent.objects.get(verb="journal.posted", target_id=str(entry.pk)).note == ""
