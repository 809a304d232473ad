"""A payment file's batch (``payments_post_many``) pinned one rule at a time (issue 17), with exact cents: what one
posting writes (the rows, who posted them, the one audit row, the signal), an idempotency key seen before the file
or repeated within it, a line refused with its own words while the others post and nothing of it is written, two
payments on one loan in one file, a backdated line that replays a standing payment, and a prepayment.

The loan throughout is the 36-month consumer loan of ``boarded_loan(consumer=True)`` (12,000.00 at 11.99 %,
boarded 2026-11-13, strategy fees -> interest -> principal). Its schedule, as boarded:
installment 1 due 2027-01-01: 469.43 = 190.82 interest + 278.61 principal;
installment 2 due 2027-02-01: 398.51 = 117.12 interest + 281.39 principal.
Nothing has accrued on 2026-12-01, so the interest a payment takes that day is paid in advance (interest_prepaid).
"""

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.models import AuditEvent
from servicing import selectors
from servicing.models import Installment, JournalEntry, LedgerAccount, LoanAccount, LoanTransaction, Replay
from servicing.models.ledger import FEE_INCOME, FEES_RECEIVABLE
from servicing.services import payments
from servicing.services.fees import late_fees_assess
from servicing.services.ledger import journal_post
from servicing.services.payments import PaymentError, payment_post, payment_reverse
from servicing.services.payments_batch import PaymentRequest, payments_post_many
from servicing.signals import payment_posted
from tests.core.factories import user_with_role
from tests.origination.factories import ConsumerProductFactory
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


@pytest.fixture
def servicer():
    return user_with_role(roles.SERVICER)


def _request(loan, amount, key, *, when=TODAY, reference=None, method="lockbox", directive="standard"):
    return PaymentRequest(loan.pk, D(amount), when, method, key if reference is None else reference, key, directive)


def _post_many(*requests, actor=None):
    return payments_post_many(requests=list(requests), actor=actor)


def _lines(txn) -> list[tuple[int, str, Decimal]]:
    """The payment's standing allocation lines as (installment number or 0, bucket, amount)."""
    return sorted(
        (line.installment.number if line.installment else 0, line.bucket, line.amount)
        for line in txn.allocation_lines.current().select_related("installment")
    )


def _entry(txn) -> list[tuple[str, Decimal, Decimal]]:
    return sorted((line.account.code, line.debit, line.credit) for line in txn.journal_entry.lines.all())


def _paid(loan, number) -> tuple:
    i = Installment.objects.get(loan=loan, number=number)
    return (i.paid_interest, i.paid_principal, i.paid_on)


def _balances(loan) -> tuple:
    loan.refresh_from_db()
    return (loan.principal_balance, loan.interest_due, loan.interest_prepaid, loan.suspense_balance, loan.next_due_date)


def _books_balance():
    assert selectors.unbalanced_entries() == []
    assert selectors.loan_balance_mismatches() == []


def _outcome(result) -> str:
    if result.transaction is not None:
        return f"{'existing' if result.existing else 'posted'} {result.transaction.amount}"
    return f"refused {result.error}"


# --- what one posting writes ---------------------------------------------------------------------------------------


def test_a_payment_in_a_file_writes_its_transaction_entry_lines_and_installment_to_the_cent(servicer):
    loan = boarded_loan(consumer=True)
    [result] = _post_many(_request(loan, "469.43", "file:LB-7", reference="LB-7"), actor=servicer)

    assert (result.error, result.existing) == (None, False)
    txn = LoanTransaction.objects.get(pk=result.transaction.pk)
    assert (txn.kind, txn.status, txn.amount, txn.effective_date) == ("payment", "posted", D("469.43"), TODAY)
    assert (txn.method, txn.reference, txn.idempotency_key, txn.directive) == (
        "lockbox",
        "LB-7",
        "file:LB-7",
        "standard",
    )
    assert txn.posted_by == servicer
    assert txn.posted_at is not None
    # Installment 1 paid whole: 190.82 interest + 278.61 principal = 469.43.
    assert _lines(txn) == [(1, "interest", D("190.82")), (1, "principal", D("278.61"))]
    assert _entry(txn) == [
        ("cash", D("469.43"), D("0.00")),
        ("interest_prepaid", D("0.00"), D("190.82")),  # nothing accrued yet on 2026-12-01: paid in advance
        ("loans_receivable", D("0.00"), D("278.61")),
    ]
    entry = txn.journal_entry
    assert (entry.kind, entry.effective_date, entry.created_by) == ("payment", TODAY, servicer)
    assert entry.memo == f"Payment LB-7 on {loan.loan_number} (lockbox)"
    assert _paid(loan, 1) == (D("190.82"), D("278.61"), TODAY)
    assert _paid(loan, 2) == (D("0.00"), D("0.00"), None)
    # 12,000.00 - 278.61 = 11,721.39; the next due date moves to installment 2's.
    assert _balances(loan) == (D("11721.39"), D("0.00"), D("190.82"), D("0.00"), date(2027, 2, 1))
    _books_balance()


def test_a_payment_in_a_file_gets_one_audit_row_carrying_its_entry_and_lines(servicer):
    loan = boarded_loan(consumer=True)
    [result] = _post_many(_request(loan, "469.43", "file:LB-8", reference="LB-8"), actor=servicer)
    txn = result.transaction

    [audit] = AuditEvent.objects.filter(verb="payment.posted", target_id=str(txn.pk))
    assert audit.actor == servicer
    assert audit.target_repr == str(txn)
    assert audit.after["loan"] == loan.loan_number
    assert (audit.after["amount"], audit.after["reference"], audit.after["method"]) == ("469.43", "LB-8", "lockbox")
    assert (audit.after["interest"], audit.after["principal"], audit.after["prepayment"]) == (
        "190.82",
        "278.61",
        "0.00",
    )
    assert audit.after["journal_entry"] == txn.journal_entry_id
    assert audit.after["replay"] is None
    assert audit.after["journal_lines"] == [
        ["cash", "469.43", "0.00"],
        ["interest_prepaid", "0.00", "190.82"],
        ["loans_receivable", "0.00", "278.61"],
    ]
    # The entry is recorded in that row: no separate journal.posted row for it.
    assert not AuditEvent.objects.filter(verb="journal.posted", target_id=str(txn.journal_entry_id)).exists()


def test_a_payment_in_a_file_is_announced_once_committed_with_who_posted_it(
    servicer, django_capture_on_commit_callbacks
):
    loan = boarded_loan(consumer=True)
    sent = []

    def receiver(sender, loan, transaction, actor, **kwargs):
        sent.append((loan.pk, transaction.pk, actor))

    payment_posted.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            [result] = _post_many(_request(loan, "469.43", "file:LB-9"), actor=servicer)
    finally:
        payment_posted.disconnect(receiver)
    assert sent == [(loan.pk, result.transaction.pk, servicer)]


def test_a_file_posted_by_the_system_records_no_user():
    loan = boarded_loan(consumer=True)
    [result] = _post_many(_request(loan, "469.43", "nightly:1"), actor=None)
    txn = LoanTransaction.objects.get(pk=result.transaction.pk)
    assert (txn.posted_by, txn.journal_entry.created_by) == (None, None)


def test_a_reference_longer_than_its_field_is_cut_to_100_characters_as_payment_post_cuts_it():
    loan = boarded_loan(consumer=True)
    [result] = _post_many(_request(loan, "100.00", "long-ref", reference="R" * 120))
    assert LoanTransaction.objects.get(pk=result.transaction.pk).reference == "R" * 100


def test_a_payment_from_a_file_is_handed_back_as_its_stored_row(servicer):
    loan = boarded_loan(consumer=True)
    [result] = _post_many(_request(loan, "100.00", "stored-1"), actor=servicer)
    handed, stored = result.transaction, LoanTransaction.objects.get(idempotency_key="stored-1")
    fields = ["pk", "loan_id", "kind", "amount", "effective_date", "method", "reference", "idempotency_key"]
    fields += ["directive", "status", "journal_entry_id", "posted_by_id", "posted_at"]
    assert [getattr(handed, name) for name in fields] == [getattr(stored, name) for name in fields]
    assert handed.posted_by_id == servicer.pk
    # As the stored row, its own idempotency key is no duplicate (a form or full_clean over it passes).
    handed.validate_unique()


def test_a_payment_from_a_file_hands_back_its_stored_journal_entry(servicer):
    loan = boarded_loan(consumer=True)
    [result] = _post_many(_request(loan, "100.00", "stored-2"), actor=servicer)
    handed = result.transaction.journal_entry
    stored = JournalEntry.objects.get(pk=result.transaction.journal_entry_id)
    fields = ["pk", "loan_id", "effective_date", "posted_at", "kind", "memo", "created_by_id"]
    assert [getattr(handed, name) for name in fields] == [getattr(stored, name) for name in fields]
    assert (handed.loan_id, handed.effective_date, handed.created_by_id) == (loan.pk, TODAY, servicer.pk)
    # As the stored row: validating it does not take its own id for another entry's.
    handed.validate_unique()


def test_a_payment_in_a_file_covering_two_installments_due_writes_lines_for_both(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 2, 15))
    loan = boarded_loan(consumer=True)
    # 469.43 + 398.51: installments 1 and 2, both due by 2027-02-15, paid whole.
    [result] = _post_many(_request(loan, "867.94", "two-due", when=date(2027, 2, 15)))
    assert _lines(result.transaction) == [
        (1, "interest", D("190.82")),
        (1, "principal", D("278.61")),
        (2, "interest", D("117.12")),
        (2, "principal", D("281.39")),
    ]
    assert _paid(loan, 2) == (D("117.12"), D("281.39"), date(2027, 2, 15))


# --- idempotency keys ----------------------------------------------------------------------------------------------


def test_a_key_posted_before_the_file_answers_with_that_payment_and_writes_nothing():
    loan = boarded_loan(consumer=True)
    first = payment_post(
        loan=loan,
        amount=D("469.43"),
        effective_date=TODAY,
        method="ach",
        reference="r",
        idempotency_key="K",
        actor=None,
    )
    entries = JournalEntry.objects.count()

    # A retry (even with another amount), then a new line that posts as usual.
    result, after = _post_many(_request(loan, "50.00", "K"), _request(loan, "398.51", "new"))

    assert (result.transaction, result.existing, result.error) == (first, True, None)
    assert _outcome(after) == "posted 398.51"
    assert LoanTransaction.objects.count() == 2
    assert JournalEntry.objects.count() == entries + 1  # the new line's only
    # Installment 2 paid by the new line: 12,000.00 - 278.61 - 281.39 = 11,440.00.
    assert _balances(loan) == (D("11440.00"), D("0.00"), D("307.94"), D("0.00"), date(2027, 3, 1))


def test_a_key_posted_before_on_another_loan_is_refused_by_name():
    loan, other = boarded_loan(consumer=True), boarded_loan(consumer=True)
    first = payment_post(
        loan=other,
        amount=D("100.00"),
        effective_date=TODAY,
        method="ach",
        reference="r",
        idempotency_key="K",
        actor=None,
    )

    [result] = _post_many(_request(loan, "469.43", "K"))

    assert result.transaction is None
    assert str(result.error) == f"idempotency_key: 'K' was already used for another transaction ({first.pk})"
    assert result.error.field == "idempotency_key"
    assert not LoanTransaction.objects.filter(loan=loan).exists()


def test_a_key_repeated_in_the_file_on_the_same_loan_posts_once_and_answers_the_repeat_with_it(servicer):
    loan = boarded_loan(consumer=True)
    results = _post_many(
        _request(loan, "469.43", "dup"),
        _request(loan, "469.43", "dup"),
        _request(loan, "398.51", "after"),
        actor=servicer,
    )

    assert [_outcome(r) for r in results] == ["posted 469.43", "existing 469.43", "posted 398.51"]
    assert results[1].transaction == results[0].transaction
    assert LoanTransaction.objects.filter(loan=loan).count() == 2
    # Installment 1 paid once, then installment 2: 12,000.00 - 278.61 - 281.39 = 11,440.00.
    assert _balances(loan) == (D("11440.00"), D("0.00"), D("307.94"), D("0.00"), date(2027, 3, 1))


def test_a_key_repeated_in_the_file_on_another_loan_is_refused_naming_the_first_posting():
    loan, other = boarded_loan(consumer=True), boarded_loan(consumer=True)
    results = _post_many(_request(loan, "469.43", "dup"), _request(other, "469.43", "dup"))

    first = results[0].transaction
    assert _outcome(results[0]) == "posted 469.43"
    assert (
        _outcome(results[1]) == f"refused idempotency_key: 'dup' was already used for another transaction ({first.pk})"
    )
    assert results[1].existing is False
    assert not LoanTransaction.objects.filter(loan=other).exists()
    assert _balances(other) == (D("12000.00"), D("0.00"), D("0.00"), D("0.00"), date(2027, 1, 1))


def test_a_key_repeated_after_its_first_line_was_refused_posts_on_its_own(servicer):
    closed, loan = boarded_loan(consumer=True), boarded_loan(consumer=True)
    LoanAccount.objects.filter(pk=closed.pk).update(status="paid_off")

    results = _post_many(_request(closed, "469.43", "again"), _request(loan, "469.43", "again"), actor=servicer)

    assert _outcome(results[0]) == f"refused loan: {closed.loan_number} is paid off"
    assert _outcome(results[1]) == "posted 469.43"
    txn = results[1].transaction
    assert (txn.loan_id, txn.idempotency_key, txn.posted_by) == (loan.pk, "again", servicer)
    assert _lines(txn) == [(1, "interest", D("190.82")), (1, "principal", D("278.61"))]
    assert _balances(loan) == (D("11721.39"), D("0.00"), D("190.82"), D("0.00"), date(2027, 2, 1))


def test_a_key_repeated_after_its_first_line_was_refused_is_refused_again_for_the_same_reason():
    closed = boarded_loan(consumer=True)
    LoanAccount.objects.filter(pk=closed.pk).update(status="charged_off")

    results = _post_many(_request(closed, "469.43", "again"), _request(closed, "100.00", "again"))

    refusal = f"refused loan: {closed.loan_number} is charged off"
    assert [_outcome(r) for r in results] == [refusal, refusal]
    assert [r.error.field for r in results] == ["loan", "loan"]
    assert not LoanTransaction.objects.exists()


# --- refusals, line by line ----------------------------------------------------------------------------------------


def test_each_refused_line_says_why_and_the_lines_around_it_post_as_if_it_were_not_there():
    loan = boarded_loan(consumer=True)
    missing = LoanAccount.objects.order_by("-pk").first().pk + 1000
    results = _post_many(
        _request(loan, "469.43", "ok-1"),
        PaymentRequest(missing, D("100.00"), TODAY, "lockbox", "r", "no-loan"),
        _request(loan, "0.00", "zero"),
        _request(loan, "100.00", "bad-method", method="bitcoin"),
        _request(loan, "100.00", "payoff", directive="payoff"),
        _request(loan, "100.00", "early", when=date(2026, 11, 12)),
        _request(loan, "100.00", "late", when=date(2026, 12, 7)),  # TODAY + 5 days is the latest
        _request(loan, "398.51", "ok-2"),
    )

    assert [_outcome(r) for r in results] == [
        "posted 469.43",
        f"refused loan: no loan {missing}",
        "refused amount: must be greater than zero, got 0.00",
        "refused method: unknown method 'bitcoin'; use one of ach, check, wire, cash, card, lockbox",
        "refused directive: a payoff is posted through the payoff screen, not as a payment",
        "refused effective_date: 2026-11-12 is before the loan's disbursement date 2026-11-13",
        "refused effective_date: 2026-12-07 is more than 5 days in the future (latest 2026-12-06)",
        "posted 398.51",
    ]
    assert [r.error.field for r in results[1:-1]] == [
        "loan",
        "amount",
        "method",
        "directive",
        "effective_date",
        "effective_date",
    ]
    assert [r.error for r in (results[0], results[-1])] == [None, None]
    assert LoanTransaction.objects.count() == 2
    # The second good line pays installment 2 whole (117.12 interest + 281.39 principal), as it would alone after
    # the first: 12,000.00 - 278.61 - 281.39 = 11,440.00; interest paid ahead 190.82 + 117.12 = 307.94.
    assert _lines(results[-1].transaction) == [(2, "interest", D("117.12")), (2, "principal", D("281.39"))]
    assert _balances(loan) == (D("11440.00"), D("0.00"), D("307.94"), D("0.00"), date(2027, 3, 1))
    _books_balance()


# --- several payments, several loans -------------------------------------------------------------------------------


def test_payments_on_two_loans_in_one_file_each_pay_their_own_loan_and_come_back_in_file_order():
    first, second = boarded_loan(consumer=True), boarded_loan(consumer=True)
    results = _post_many(
        _request(second, "100.00", "b-1"),
        _request(first, "469.43", "a-1"),
        _request(second, "369.43", "b-2"),
        _request(first, "398.51", "a-2"),
    )

    assert [(r.transaction.loan_id, r.transaction.idempotency_key) for r in results] == [
        (second.pk, "b-1"),
        (first.pk, "a-1"),
        (second.pk, "b-2"),
        (first.pk, "a-2"),
    ]
    # The second loan: 100.00 to interest, then 369.43 = the interest left (190.82 - 100.00 = 90.82) + 278.61.
    assert _lines(results[0].transaction) == [(1, "interest", D("100.00"))]
    assert _lines(results[2].transaction) == [(1, "interest", D("90.82")), (1, "principal", D("278.61"))]
    assert _balances(second) == (D("11721.39"), D("0.00"), D("190.82"), D("0.00"), date(2027, 2, 1))
    assert _paid(second, 1) == (D("190.82"), D("278.61"), TODAY)
    # The first loan: installments 1 and 2 whole, the second payment seeing what the first left.
    assert _lines(results[3].transaction) == [(2, "interest", D("117.12")), (2, "principal", D("281.39"))]
    assert _balances(first) == (D("11440.00"), D("0.00"), D("307.94"), D("0.00"), date(2027, 3, 1))
    assert _paid(first, 2) == (D("117.12"), D("281.39"), TODAY)
    _books_balance()


def test_a_line_dated_before_a_standing_payment_replays_it_as_payment_post_would():
    loan = boarded_loan(consumer=True)
    standing = payment_post(
        loan=loan,
        amount=D("469.43"),
        effective_date=TODAY,
        method="ach",
        reference="s",
        idempotency_key="S",
        actor=None,
    )

    [result] = _post_many(_request(loan, "100.00", "back", when=date(2026, 11, 20)))

    # In date order: 100.00 on 2026-11-20 pays installment 1's interest; the standing 469.43 on 2026-12-01 then
    # pays the 90.82 interest left and the 278.61 principal, and the 100.00 beyond them goes to principal ahead.
    assert _lines(result.transaction) == [(1, "interest", D("100.00"))]
    assert _lines(standing) == [
        (0, "prepayment", D("100.00")),
        (1, "interest", D("90.82")),
        (1, "principal", D("278.61")),
    ]
    assert Replay.objects.filter(loan=loan, trigger=result.transaction).count() == 1
    # 12,000.00 - 278.61 - 100.00 = 11,621.39.
    assert _balances(loan)[:4] == (D("11621.39"), D("0.00"), D("190.82"), D("0.00"))
    _books_balance()


def test_a_line_dated_before_an_earlier_line_of_the_file_replays_it_as_payment_post_would():
    loan = boarded_loan(consumer=True)
    results = _post_many(_request(loan, "469.43", "first"), _request(loan, "100.00", "back", when=date(2026, 11, 20)))

    assert _lines(results[1].transaction) == [(1, "interest", D("100.00"))]
    assert _lines(results[0].transaction) == [
        (0, "prepayment", D("100.00")),
        (1, "interest", D("90.82")),
        (1, "principal", D("278.61")),
    ]
    assert _balances(loan)[:4] == (D("11621.39"), D("0.00"), D("190.82"), D("0.00"))
    _books_balance()


def test_a_prepayment_in_a_file_goes_to_principal_and_the_lines_after_it_see_the_lower_balance():
    loan, twin = boarded_loan(consumer=True), boarded_loan(consumer=True)
    results = _post_many(_request(loan, "569.43", "pre-1"), _request(loan, "398.51", "pre-2"))
    for key, amount in (("t-1", "569.43"), ("t-2", "398.51")):
        payment_post(
            loan=twin,
            amount=D(amount),
            effective_date=TODAY,
            method="lockbox",
            reference=key,
            idempotency_key=key,
            actor=None,
        )

    # 569.43 = installment 1 whole (190.82 + 278.61) + 100.00 principal ahead.
    assert _lines(results[0].transaction) == [
        (0, "prepayment", D("100.00")),
        (1, "interest", D("190.82")),
        (1, "principal", D("278.61")),
    ]
    assert [_lines(r.transaction) for r in results] == [
        _lines(t) for t in LoanTransaction.objects.filter(loan=twin).order_by("id")
    ]
    assert _balances(loan) == _balances(twin)
    assert list(Installment.objects.filter(loan=loan).order_by("number").values_list("principal", "interest")) == list(
        Installment.objects.filter(loan=twin).order_by("number").values_list("principal", "interest")
    )
    _books_balance()


def test_a_directed_line_keeps_its_directive_escrow_only_paying_escrow_alone():
    loan = boarded_loan()  # the escrowed 30-year mortgage: 1,050.00 in escrow at boarding
    [result] = _post_many(_request(loan, "100.00", "esc-1", directive="escrow_only"))

    txn = LoanTransaction.objects.get(pk=result.transaction.pk)
    assert (txn.directive, txn.amount) == ("escrow_only", D("100.00"))
    assert _lines(txn) == [(1, "escrow", D("100.00"))]  # toward installment 1's 525.00 of escrow
    assert _entry(txn) == [("cash", D("100.00"), D("0.00")), ("escrow_liability", D("0.00"), D("100.00"))]
    loan.refresh_from_db()
    assert (loan.principal_balance, loan.escrow_balance) == (D("300000.00"), D("1150.00"))  # 1,050.00 + 100.00


def test_a_line_dated_between_two_standing_payments_replays_the_later_one():
    loan, early = boarded_loan(consumer=True), boarded_loan(consumer=True)
    for key, amount, when in (("S-1", "469.43", TODAY), ("S-2", "50.00", date(2026, 11, 26))):
        # S-2, posted second but dated first, replays S-1: the latest standing payment is still S-1's 2026-12-01.
        payment_post(
            loan=loan,
            amount=D(amount),
            effective_date=when,
            method="ach",
            reference=key,
            idempotency_key=key,
            actor=None,
        )

    # Another loan's line is the file's earliest (2026-11-20), so both standing payments are after it.
    first, result = _post_many(
        _request(early, "100.00", "early", when=date(2026, 11, 20)),
        _request(loan, "100.00", "between", when=date(2026, 11, 28)),
    )

    assert _lines(first.transaction) == [(1, "interest", D("100.00"))]
    # In date order: 50.00 (11-26) and 100.00 (11-28) to installment 1's interest, 150.00 of its 190.82; the
    # standing 469.43 (12-01) then pays the 40.82 left and the 278.61 principal, and 150.00 goes to principal ahead.
    assert _lines(result.transaction) == [(1, "interest", D("100.00"))]
    s1 = LoanTransaction.objects.get(idempotency_key="S-1")
    assert _lines(s1) == [(0, "prepayment", D("150.00")), (1, "interest", D("40.82")), (1, "principal", D("278.61"))]
    # 12,000.00 - 278.61 - 150.00 = 11,571.39.
    assert _balances(loan)[:4] == (D("11571.39"), D("0.00"), D("190.82"), D("0.00"))
    _books_balance()


def test_a_line_the_ledger_refuses_is_refused_in_its_words_and_the_other_lines_post():
    consumer, mortgage = boarded_loan(consumer=True), boarded_loan()
    LedgerAccount.objects.filter(code="interest_prepaid").update(is_active=False)

    results = _post_many(
        _request(consumer, "469.43", "needs-prepaid"),  # its interest would be paid in advance
        _request(mortgage, "100.00", "escrow", directive="escrow_only"),  # cash and escrow only
    )

    assert _outcome(results[0]) == "refused Inactive ledger account(s): interest_prepaid."
    assert isinstance(results[0].error, PaymentError)
    assert results[0].error.field is None
    assert _outcome(results[1]) == "posted 100.00"
    assert not LoanTransaction.objects.filter(loan=consumer).exists()
    assert _balances(consumer) == (D("12000.00"), D("0.00"), D("0.00"), D("0.00"), date(2027, 1, 1))


def test_a_prepayment_on_one_loan_leaves_the_other_loans_of_the_file_to_post_as_usual():
    prepaying, other, third = boarded_loan(consumer=True), boarded_loan(consumer=True), boarded_loan(consumer=True)
    results = _post_many(
        _request(prepaying, "569.43", "p-1"),
        _request(other, "469.43", "o-1"),
        _request(prepaying, "100.00", "p-2"),
        _request(third, "469.43", "t-1"),
    )

    assert [_outcome(r) for r in results] == ["posted 569.43", "posted 469.43", "posted 100.00", "posted 469.43"]
    assert [r.error for r in results] == [None, None, None, None]
    # 569.43: installment 1 whole and 100.00 principal ahead (12,000.00 - 278.61 - 100.00 = 11,621.39); then
    # 100.00 toward installment 2, all interest (about 116 on the lower balance): 190.82 + 100.00 paid in advance.
    assert _balances(prepaying)[:4] == (D("11621.39"), D("0.00"), D("290.82"), D("0.00"))
    for loan in (other, third):
        assert _balances(loan) == (D("11721.39"), D("0.00"), D("190.82"), D("0.00"), date(2027, 2, 1))
        assert _paid(loan, 1) == (D("190.82"), D("278.61"), TODAY)
    _books_balance()


# --- a file is posted in a constant number of statements -------------------------------------------------------------


def test_installments_paid_ahead_on_several_loans_are_posted_in_a_constant_number_of_statements(
    django_assert_max_num_queries,
):
    # Each payment pays the next installment whole (469.43, then 398.51 each): on one loan three in one file, on
    # another two, on a third one, so the loans' windows of installments differ; a fourth loan is not in the file.
    three, two, one, _idle = (boarded_loan(consumer=True) for _ in range(4))
    amounts = ["469.43", "398.51", "398.51"]
    requests = [_request(three, amount, f"three-{n}") for n, amount in enumerate(amounts)]
    requests += [_request(two, amount, f"two-{n}") for n, amount in enumerate(amounts[:2])]
    requests += [_request(one, "469.43", "one-0")]

    with django_assert_max_num_queries(25):
        results = _post_many(*requests)

    assert all(r.transaction is not None for r in results)
    # Installment 3: 398.51 = 114.30 interest + 284.21 principal; 12,000.00 - 278.61 - 281.39 - 284.21 = 11,155.79.
    assert _lines(results[2].transaction) == [(3, "interest", D("114.30")), (3, "principal", D("284.21"))]
    assert _balances(three) == (D("11155.79"), D("0.00"), D("422.24"), D("0.00"), date(2027, 4, 1))
    assert _balances(two) == (D("11440.00"), D("0.00"), D("307.94"), D("0.00"), date(2027, 3, 1))
    assert _balances(one) == (D("11721.39"), D("0.00"), D("190.82"), D("0.00"), date(2027, 2, 1))
    _books_balance()


def test_paying_a_matured_loans_last_installments_is_posted_in_a_constant_number_of_statements(
    monkeypatch, django_assert_max_num_queries
):
    # Three-month loans (due 2027-01-01, 02-01, 03-01): on 2027-04-20 every installment is due, and one payment of
    # all three pays each loan's principal to 0.00 (no installment is left to come).
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 4, 20))
    loans = [boarded_loan(consumer=True, product=ConsumerProductFactory(term_periods=3)) for _ in range(4)]
    owed = [sum(i.payment for i in Installment.objects.filter(loan=loan)) for loan in loans]

    with django_assert_max_num_queries(25):
        results = _post_many(
            *(
                _request(loan, amount, f"last-{n}", when=date(2027, 4, 20))
                for n, (loan, amount) in enumerate(zip(loans, owed, strict=True))
            )
        )

    assert all(r.transaction is not None for r in results)
    for loan in loans:
        loan.refresh_from_db()
        assert loan.principal_balance == D("0.00")
        assert not Installment.objects.filter(loan=loan, paid_on__isnull=True).exists()
    _books_balance()


def test_a_principal_only_line_curtails_principal_and_keeps_its_directive():
    loan = boarded_loan(consumer=True)
    [result] = _post_many(_request(loan, "100.00", "curtail", directive="principal_only"))

    txn = LoanTransaction.objects.get(pk=result.transaction.pk)
    assert (txn.directive, txn.amount) == ("principal_only", D("100.00"))
    assert _lines(txn) == [(0, "prepayment", D("100.00"))]
    assert _paid(loan, 1) == (D("0.00"), D("0.00"), None)  # installment 1 stays due
    assert _balances(loan)[:4] == (D("11900.00"), D("0.00"), D("0.00"), D("0.00"))  # 12,000.00 - 100.00


def test_a_late_fee_on_the_installment_due_is_paid_before_the_installment_not_yet_due(monkeypatch):
    # The mortgage's installment 1 (due 2027-01-01: 2,600.06 interest + 271.20 principal + 525.00 escrow =
    # 3,396.26) is late on 2027-01-17: 5 % of its 2,871.26 of principal and interest = 143.56. On 2027-01-20
    # installment 2 (due 2027-02-01) is not yet due, so 3,396.26 + 143.56 = 3,539.82 pays installment 1 and its
    # fee; nothing goes toward installment 2 (counted as due, 143.56 would be a partial payment held instead).
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 1, 20))
    loan = boarded_loan()
    assert late_fees_assess(business_date=date(2027, 1, 17), loan_ids=[loan.pk], actor=None) == 1

    [result] = _post_many(_request(loan, "3539.82", "with-fee", when=date(2027, 1, 20)))

    assert _lines(result.transaction) == [
        (1, "escrow", D("525.00")),
        (1, "interest", D("2600.06")),
        (1, "late_fees", D("143.56")),
        (1, "principal", D("271.20")),
    ]
    loan.refresh_from_db()
    assert (loan.fees_due, loan.suspense_balance) == (D("0.00"), D("0.00"))
    _books_balance()


def test_a_fee_left_on_an_installment_paid_in_full_is_found_and_paid_first(monkeypatch):
    # The mortgage's installment 1 (3,396.26, due 2027-01-01) is paid in full that day; a 35.00 fee then goes on
    # it (as a returned-payment fee goes on the installment it was for). Installment 1 is settled (paid_on set)
    # but still owes the fee: the batch reads it through the fees-owed part of its installments read (not the
    # unpaid one) and 35.00 on 2027-01-20 pays that fee, as payment_post would, and nothing else.
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 1, 20))
    loan = boarded_loan()
    payment_post(
        loan=loan,
        amount=D("3396.26"),
        effective_date=date(2027, 1, 1),
        method="ach",
        reference="i1",
        idempotency_key="i1",
        actor=None,
    )
    assert _paid(loan, 1) == (D("2600.06"), D("271.20"), date(2027, 1, 1))
    journal_post(
        actor=None,
        loan=loan,
        effective_date=date(2027, 1, 5),
        kind=JournalEntry.Kind.FEE,
        memo="fee",
        lines=[(FEES_RECEIVABLE, D("35.00"), D("0.00")), (FEE_INCOME, D("0.00"), D("35.00"))],
    )
    Installment.objects.filter(loan=loan, number=1).update(fees=D("35.00"))
    # Another loan's settled installment owing a fee is not read (the read is of the batch's loans only).
    other = boarded_loan()
    Installment.objects.filter(loan=other, number=1).update(fees=D("20.00"), paid_on=date(2027, 1, 1))

    [result] = _post_many(_request(loan, "35.00", "the-fee", when=date(2027, 1, 20)))

    assert _lines(result.transaction) == [(1, "fees", D("35.00"))]
    installment = Installment.objects.get(loan=loan, number=1)
    assert (installment.paid_fees, installment.paid_on) == (D("35.00"), date(2027, 1, 1))
    assert _paid(loan, 2) == (D("0.00"), D("0.00"), None)
    loan.refresh_from_db()
    assert (loan.fees_due, loan.suspense_balance) == (D("0.00"), D("0.00"))
    _books_balance()


def test_a_reversed_payment_dated_after_a_line_needs_no_replay_and_the_file_stays_in_constant_statements(
    django_assert_max_num_queries,
):
    # On each loan 469.43 was posted on 2026-12-01 and then reversed (returned): neither the reversed payment nor
    # its reversal stands as a payment, so a line dated 2026-11-25 replays nothing: 100.00 to installment 1's interest.
    loans = [boarded_loan(consumer=True) for _ in range(3)]
    for n, loan in enumerate(loans):
        returned = payment_post(
            loan=loan,
            amount=D("469.43"),
            effective_date=TODAY,
            method="ach",
            reference="",
            idempotency_key=f"returned-{n}",
            actor=None,
        )
        payment_reverse(transaction=returned, reason="NSF", actor=None)

    with django_assert_max_num_queries(25):
        results = _post_many(
            *(_request(loan, "100.00", f"line-{n}", when=date(2026, 11, 25)) for n, loan in enumerate(loans))
        )

    for loan, result in zip(loans, results, strict=True):
        assert _lines(result.transaction) == [(1, "interest", D("100.00"))]
        assert _balances(loan) == (D("12000.00"), D("0.00"), D("100.00"), D("0.00"), date(2027, 1, 1))
    assert not Replay.objects.filter(trigger__in=[r.transaction for r in results]).exists()
    _books_balance()


def test_lines_that_go_one_at_a_time_are_posted_by_the_files_poster_in_file_order(servicer):
    # Two loans each with a line dated before another of its lines (a replay): both go through payment_post, one
    # loan after the other, each line posted by whoever posts the file and answered in the file's order.
    first, second = boarded_loan(consumer=True), boarded_loan(consumer=True)
    results = _post_many(
        _request(second, "469.43", "s-1"),
        _request(first, "469.43", "f-1"),
        _request(second, "100.00", "s-back", when=date(2026, 11, 20)),
        _request(first, "100.00", "f-back", when=date(2026, 11, 20)),
        actor=servicer,
    )

    assert [_outcome(r) for r in results] == ["posted 469.43", "posted 469.43", "posted 100.00", "posted 100.00"]
    assert [r.transaction.loan_id for r in results] == [second.pk, first.pk, second.pk, first.pk]
    assert [r.request.idempotency_key for r in results] == ["s-1", "f-1", "s-back", "f-back"]
    stored = LoanTransaction.objects.filter(pk__in=[r.transaction.pk for r in results])
    assert {(t.idempotency_key, t.posted_by) for t in stored} == {
        ("s-1", servicer),
        ("f-1", servicer),
        ("s-back", servicer),
        ("f-back", servicer),
    }
    for loan in (first, second):
        # As payment_post in date order: 100.00 of interest, then 90.82 + 278.61 and 100.00 ahead: 11,621.39.
        assert _balances(loan)[:4] == (D("11621.39"), D("0.00"), D("190.82"), D("0.00"))
    assert Replay.objects.filter(trigger__in=[r.transaction for r in results]).count() == 2
    _books_balance()
