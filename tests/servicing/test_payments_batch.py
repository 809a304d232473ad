"""The batch poster gives exactly what ``payment_post`` one request at a time gives: the same allocations,
installments, balances, dates, journal lines, audit rows and refusals; and its query count does not grow with the
number of payments."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from lending.core.models import AuditEvent
from servicing import selectors
from servicing.models import AllocationLine, Installment, JournalLine, LoanAccount, LoanTransaction
from servicing.services import payments, payments_batch
from servicing.services.payments import PaymentError, payment_post
from servicing.services.payments_batch import PaymentRequest, payments_post_many
from tests.servicing.factories import CLOSING_DATE, boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2027, 4, 20)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


def _portfolio():
    return [boarded_loan(), boarded_loan(consumer=True), boarded_loan()]


def _requests(seed: int, loans: list[LoanAccount]) -> list[PaymentRequest]:
    """A file's worth of payments: in date order mostly, with partials, prepayments, directed payments, a repeated
    key, bad amounts and dates, and (for some seeds) a backdated payment that makes its loan replay."""
    rng = random.Random(seed)
    when = CLOSING_DATE
    requests = []
    for n in range(24):
        loan_index = rng.randrange(len(loans))
        when = min(when + timedelta(days=rng.randrange(0, 12)), TODAY)
        regular = loans[loan_index].regular_payment
        amount = rng.choice(
            [regular, regular + D("250.00"), (regular / 3).quantize(D("0.01")), D(rng.randrange(1, 400_000)) / 100]
        )
        directive = rng.choice(["standard"] * 5 + ["principal_only", "escrow_only"])
        key = f"k{n}" if n != 9 else "k3"  # a key repeated within the file
        requests.append(PaymentRequest(loan_index, amount, when, "lockbox", f"ref-{n}", key, directive))
    requests[5] = PaymentRequest(0, D("0.00"), when, "lockbox", "bad-amount", "bad-amount")
    requests[7] = PaymentRequest(1, D("10.00"), CLOSING_DATE - timedelta(days=1), "lockbox", "early", "early")
    if seed % 2:
        requests.append(PaymentRequest(2, D("100.00"), CLOSING_DATE + timedelta(days=3), "check", "back", "back"))
    return requests


def _on(loans, request: PaymentRequest, prefix: str) -> PaymentRequest:
    return PaymentRequest(
        loans[request.loan_id].pk,
        request.amount,
        request.effective_date,
        request.method,
        request.reference,
        f"{prefix}{request.idempotency_key}",
        request.directive,
    )


def _one_at_a_time(loans, requests) -> list[str]:
    outcomes = []
    for request in requests:
        request = _on(loans, request, "a-")
        try:
            txn = payment_post(
                loan=LoanAccount.objects.get(pk=request.loan_id),
                amount=request.amount,
                effective_date=request.effective_date,
                method=request.method,
                reference=request.reference,
                idempotency_key=request.idempotency_key,
                actor=None,
                directive=request.directive,
            )
            outcomes.append(f"posted {txn.reference}")
        except PaymentError as exc:
            outcomes.append(f"refused {exc.field}")
    return outcomes


def _state(loan: LoanAccount) -> dict:
    loan.refresh_from_db()
    txns = LoanTransaction.objects.filter(loan=loan).order_by("effective_date", "id")
    return {
        "balances": [
            loan.principal_balance,
            loan.interest_due,
            loan.escrow_balance,
            loan.suspense_balance,
            loan.next_due_date,
            loan.interest_paid_through,
        ],
        "installments": list(
            Installment.objects.filter(loan=loan)
            .order_by("number")
            .values_list(
                "number",
                "principal",
                "interest",
                "payment",
                "paid_interest",
                "paid_principal",
                "paid_escrow",
                "paid_on",
            )
        ),
        "payments": [
            (
                t.reference,
                t.amount,
                t.status,
                sorted(
                    (line.installment.number if line.installment else 0, line.bucket, line.amount)
                    for line in t.allocation_lines.current().select_related("installment")
                ),
                sorted((line.account.code, line.debit, line.credit) for line in t.journal_entry.lines.all()),
            )
            for t in txns
        ],
    }


@pytest.mark.parametrize("seed", range(6))
def test_a_batch_posts_what_one_at_a_time_posts(seed, monkeypatch):
    one, many = _portfolio(), _portfolio()
    requests = _requests(seed, one)
    expected = _one_at_a_time(one, requests)
    audits_before = AuditEvent.objects.filter(verb="payment.posted").count()
    singles = []
    real_post_one = payments_batch._post_one
    monkeypatch.setattr(payments_batch, "_post_one", lambda *a: singles.append(a) or real_post_one(*a))

    results = payments_post_many(requests=[_on(many, r, "b-") for r in requests], actor=None)

    # Only the replaying loan (odd seeds), loans with a principal prepayment (it re-prices the installments to
    # come) and a repeat of a refused key go one at a time; the rest is the batch.
    prepaying = {
        loan_index
        for loan_index, loan in enumerate(many)
        if AllocationLine.objects.filter(transaction__loan=loan, bucket="prepayment").exists()
    }
    one_at_a_time = (prepaying | {2}) if seed % 2 else prepaying
    assert len(singles) <= sum(1 for r in requests if r.loan_id in one_at_a_time) + 1
    assert len(singles) < len(requests) - 1 or len(prepaying) == len(many)

    got = [
        f"posted {r.transaction.reference}" if r.transaction is not None else f"refused {r.error.field}"
        for r in results
    ]
    assert got == expected
    for a, b in zip(one, many, strict=True):
        assert _state(a) == _state(b)
    posted = sum(1 for r in results if r.transaction is not None and not r.existing)
    assert AuditEvent.objects.filter(verb="payment.posted").count() - audits_before == posted
    assert selectors.unbalanced_entries() == []
    assert selectors.loan_balance_mismatches() == []


def test_running_the_same_batch_again_posts_nothing():
    loans = _portfolio()
    requests = [_on(loans, r, "") for r in _requests(0, loans)]
    first = payments_post_many(requests=requests, actor=None)
    lines = JournalLine.objects.count()
    again = payments_post_many(requests=requests, actor=None)
    assert JournalLine.objects.count() == lines
    assert [r.transaction for r in again] == [r.transaction for r in first]
    assert all(r.existing for r in again if r.transaction is not None)


def test_the_query_count_does_not_grow_with_the_payments(django_assert_max_num_queries):
    loans = [boarded_loan(consumer=True) for _ in range(4)]

    def batch(count, start):
        return [
            PaymentRequest(loans[n % 4].pk, D("100.00"), TODAY, "lockbox", f"r{start + n}", f"q{start + n}")
            for n in range(count)
        ]

    with django_assert_max_num_queries(25):
        payments_post_many(requests=batch(4, 0), actor=None)
    with django_assert_max_num_queries(25):
        results = payments_post_many(requests=batch(60, 100), actor=None)
    assert all(r.transaction is not None for r in results)
    assert selectors.loan_balance_mismatches() == []
