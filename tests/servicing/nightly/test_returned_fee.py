"""The returned-payment fee the nightly ACH step charges is a ``LoanFee`` on an installment, and ordinary payments
collect it in the loan's strategy's fee order (not only a payoff); a reversal or replay puts it back; a waiver
takes it off.

The mortgage: the factories' 30-year escrowed mortgage boarded 2026-11-13, installment 1 due Fri 2027-01-01 (New
Year's Day): interest 2,600.06 + principal 271.20 + escrow 525.00 = 3,396.26, autopay-drafted Thu 2026-12-31 and
settled (and, from an account ending 0001, returned R01 by the sandbox) Mon 2027-01-04.
The consumer loan: 12,000 at 11.99 % over 36 months (fees_interest_principal), installment 1 due 2027-01-01.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending.core.models import AuditEvent
from servicing.models import Installment, JournalEntry, LoanAccount, LoanFee, PendingPayment
from servicing.selectors import loan_balance_mismatches
from servicing.services import ach
from servicing.services.ach import BankDetails
from servicing.services.fees import FeeError, fee_waive
from servicing.services.nightly.steps.ach import AchStep
from servicing.services.payments import payment_post, payment_reverse
from servicing.services.payments_batch import PaymentRequest, payments_post_many
from tests.origination.factories import ConsumerProductFactory, LoanProductFactory
from tests.servicing.factories_portal import ROUTING, borrower_loan, set_today

pytestmark = pytest.mark.django_db
D = Decimal
FEE = D("25.00")
DRAFT_DAY = date(2026, 12, 31)  # installment 1 (due Fri 2027-01-01, a holiday) is drafted the business day before
SETTLE_DAY = date(2027, 1, 4)  # 2026-12-31 + 1 business day (Jan 1 holiday, Jan 2-3 weekend)
NSF_ACCOUNT = "000123450001"  # the sandbox answers R01 for an account ending 0001
PERIODIC = D("3396.26")  # mortgage installment 1: 2,600.06 + 271.20 + 525.00


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    set_today(monkeypatch, date(2026, 12, 1))


def _run(day: date) -> None:
    step = AchStep()
    result = step.run_chunk(day, list(step.pending_loan_ids(day)), None)
    assert result.errors == []


def _books_clean() -> None:
    assert loan_balance_mismatches() == []


def _installment(loan, number) -> Installment:
    return Installment.objects.get(loan=loan, number=number)


def _fees_due(loan) -> Decimal:
    return LoanAccount.objects.get(pk=loan.pk).fees_due


def _pay(loan, amount, key, when):
    return payment_post(
        loan=loan, amount=D(amount), effective_date=when, method="check", reference=key, idempotency_key=key, actor=None
    )


def _lines(txn) -> list[tuple[int | None, str, Decimal]]:
    return sorted(txn.allocation_lines.values_list("installment__number", "bucket", "amount"))


def _returned_draft(monkeypatch, number_of_drafts: int = 1) -> tuple[LoanAccount, PendingPayment]:
    """A mortgage with a 25.00 returned-payment fee whose autopay draft for installment 1 came back R01."""
    loan = borrower_loan(product=LoanProductFactory(returned_payment_fee=FEE))
    assert loan.borrower is not None
    ach.autopay_enroll(
        loan=loan,
        bank=BankDetails("Nora Quinn", ROUTING, NSF_ACCOUNT),
        draft_days_before=0,
        extra_principal=D("0.00"),
        actor=loan.borrower,
    )
    _run(DRAFT_DAY)
    set_today(monkeypatch, SETTLE_DAY)
    _run(SETTLE_DAY)
    draft = PendingPayment.objects.get(loan=loan, installment__number=1)
    assert (draft.status, draft.return_code) == ("returned", "R01")
    return loan, draft


# --- the fee is recorded on the right installment ------------------------------------------------------------


def test_a_return_records_the_fee_on_the_drafted_installment_once(monkeypatch):
    loan, draft = _returned_draft(monkeypatch)
    fee = LoanFee.objects.get()
    assert (fee.kind, fee.amount, fee.assessed_on) == ("returned_payment", FEE, SETTLE_DAY)
    assert (fee.loan_id, fee.installment.number, fee.returned_payment) == (loan.pk, 1, draft)
    assert fee.journal_entry == draft.return_fee_entry
    assert fee.journal_entry.kind == JournalEntry.Kind.FEE
    first = _installment(loan, 1)
    assert (first.fees, first.paid_fees, first.late_fees, first.paid_on) == (FEE, D("0.00"), D("0.00"), None)
    assert _fees_due(loan) == FEE
    assert AuditEvent.objects.filter(verb="fee.assessed", target_id=str(fee.pk)).count() == 1
    _books_clean()
    # The return is processed once: a rerun of the night (or the chunk called directly) writes no second fee.
    AchStep().run_chunk(SETTLE_DAY, [loan.pk], None)
    assert (LoanFee.objects.count(), _installment(loan, 1).fees, _fees_due(loan)) == (1, FEE, FEE)


def test_a_second_draft_returned_puts_its_fee_on_its_own_installment_not_the_oldest(monkeypatch):
    # Installment 1 stays unpaid; installment 2's draft (due Mon 2027-02-01, settled Tue Feb 2) is returned too:
    # its fee goes on installment 2, the installment it was for, though installment 1 is the oldest owing.
    loan, _ = _returned_draft(monkeypatch)
    set_today(monkeypatch, date(2027, 2, 2))
    _run(date(2027, 2, 1))
    _run(date(2027, 2, 2))
    assert list(LoanFee.objects.order_by("pk").values_list("installment__number", "amount", "assessed_on")) == [
        (1, FEE, SETTLE_DAY),
        (2, FEE, date(2027, 2, 2)),
    ]
    assert (_installment(loan, 1).fees, _installment(loan, 2).fees) == (FEE, FEE)
    assert _fees_due(loan) == D("50.00")  # 25.00 + 25.00
    _books_clean()


# --- mortgage_standard: paid only after the periodic payment; reversal and waiver -----------------------------


def test_mortgage_standard_pays_the_fee_only_after_the_periodic_payment_and_a_reversal_puts_it_back(monkeypatch):
    loan, _ = _returned_draft(monkeypatch)
    set_today(monkeypatch, date(2027, 1, 6))
    # The exact periodic payment: installment 1's interest, principal and escrow; nothing is left for the fee.
    periodic = _pay(loan, PERIODIC, "periodic", date(2027, 1, 5))
    assert _lines(periodic) == [
        (1, "escrow", D("525.00")),
        (1, "interest", D("2600.06")),
        (1, "principal", D("271.20")),
    ]
    first = _installment(loan, 1)
    assert (first.paid_on, first.fees, first.paid_fees) == (date(2027, 1, 5), FEE, D("0.00"))
    assert _fees_due(loan) == FEE
    _books_clean()

    # 25.00 more, through the batch poster (a payment file): the fee owed on the paid installment 1, nothing else.
    [result] = payments_post_many(
        requests=[
            PaymentRequest(
                loan_id=loan.pk,
                amount=FEE,
                effective_date=date(2027, 1, 6),
                method="ach",
                reference="file-1",
                idempotency_key="file-1",
            )
        ],
        actor=None,
    )
    assert result.error is None
    fee_payment = result.transaction
    assert _lines(fee_payment) == [(1, "fees", FEE)]
    first.refresh_from_db()
    assert (first.paid_fees, first.paid_on) == (FEE, date(2027, 1, 5))
    assert _fees_due(loan) == D("0.00")
    _books_clean()
    with pytest.raises(FeeError, match=r"25\.00 of this returned payment fee is already paid"):
        fee_waive(fee=LoanFee.objects.get(), actor=None, reason="goodwill")

    # Reversed: the fee is owed again on installment 1, exactly; its periodic payment stays paid.
    payment_reverse(transaction=fee_payment, reason="NSF", actor=None)
    first.refresh_from_db()
    assert (first.paid_fees, first.fees, first.paid_on) == (D("0.00"), FEE, date(2027, 1, 5))
    assert _fees_due(loan) == FEE
    _books_clean()

    # Waived: off the installment and the books; no later payment is asked for it.
    fee = fee_waive(fee=LoanFee.objects.get(), actor=None, reason="first return in 10 years")
    assert (fee.waived_amount, fee.waiver_entry.reverses_id) == (FEE, fee.journal_entry_id)
    first.refresh_from_db()
    assert (first.fees, first.paid_fees) == (D("0.00"), D("0.00"))
    assert _fees_due(loan) == D("0.00")
    _books_clean()
    with pytest.raises(FeeError, match="already waived"):
        fee_waive(fee=fee, actor=None, reason="again")


def test_one_payment_with_the_fee_pays_both_and_its_reversal_puts_both_back(monkeypatch):
    loan, _ = _returned_draft(monkeypatch)
    set_today(monkeypatch, date(2027, 1, 6))
    # 3,396.26 + 25.00 = 3,421.26: the periodic payment, then the fee.
    both = _pay(loan, PERIODIC + FEE, "both", date(2027, 1, 5))
    assert _lines(both) == [
        (1, "escrow", D("525.00")),
        (1, "fees", FEE),
        (1, "interest", D("2600.06")),
        (1, "principal", D("271.20")),
    ]
    first = _installment(loan, 1)
    assert (first.paid_fees, first.paid_on) == (FEE, date(2027, 1, 5))
    assert _fees_due(loan) == D("0.00")
    _books_clean()
    payment_reverse(transaction=both, reason="NSF", actor=None)
    first.refresh_from_db()
    assert (first.paid_fees, first.paid_interest, first.paid_on) == (D("0.00"), D("0.00"), None)
    assert _fees_due(loan) == FEE
    _books_clean()


def test_reversing_the_periodic_payment_replays_the_fee_payment_into_suspense(monkeypatch):
    loan, _ = _returned_draft(monkeypatch)
    set_today(monkeypatch, date(2027, 1, 6))
    periodic = _pay(loan, PERIODIC, "periodic", date(2027, 1, 5))
    fee_payment = _pay(loan, FEE, "fee", date(2027, 1, 6))
    assert _lines(fee_payment) == [(1, "fees", FEE)]
    # Jan 5's payment reversed: Jan 6's 25.00 replays against installment 1 owed again. mortgage_standard holds
    # money short of a periodic payment (25.00 < 3,396.26) in suspense: the fee is owed again, exactly.
    payment_reverse(transaction=periodic, reason="NSF", actor=None)
    first = _installment(loan, 1)
    assert (first.fees, first.paid_fees, first.paid_on) == (FEE, D("0.00"), None)
    loan.refresh_from_db()
    assert (loan.fees_due, loan.suspense_balance) == (FEE, FEE)
    _books_clean()


# --- a consumer strategy pays it first ------------------------------------------------------------------------


def test_fees_interest_principal_pays_the_fee_first_on_the_oldest_owing_installment(monkeypatch):
    loan = borrower_loan(consumer=True, product=ConsumerProductFactory(returned_payment_fee=FEE))
    assert loan.allocation_strategy == "fees_interest_principal"
    first = _installment(loan, 1)
    # Installment 1 as scheduled (a long odd first period): interest 190.82 + principal 278.61 = 469.43.
    assert (first.interest, first.principal, first.payment) == (D("190.82"), D("278.61"), D("469.43"))
    # A one-time portal payment (no installment of its own) scheduled Sat 2027-01-02: settles and is returned
    # Mon 2027-01-04. Its fee goes on the loan's oldest installment still owing: installment 1.
    set_today(monkeypatch, date(2026, 12, 20))
    portal = ach.ach_payment_schedule(
        loan=loan,
        amount=D("469.43"),
        scheduled_date=date(2027, 1, 2),
        principal_only=False,
        bank=BankDetails("Nora Quinn", ROUTING, NSF_ACCOUNT),
        actor=loan.borrower,
        idempotency_key="portal-1",
    )
    set_today(monkeypatch, SETTLE_DAY)
    _run(SETTLE_DAY)
    portal.refresh_from_db()
    assert (portal.status, portal.installment_id) == ("returned", None)
    fee = LoanFee.objects.get()
    assert (fee.installment.number, fee.returned_payment, fee.amount) == (1, portal, FEE)
    assert _installment(loan, 1).fees == FEE
    _books_clean()

    # The exact periodic payment on Jan 5: the fee first, then interest, and principal gets what is left:
    # 469.43 - 25.00 - 190.82 = 253.61, so installment 1 stays 25.00 short.
    set_today(monkeypatch, date(2027, 1, 5))
    txn = _pay(loan, D("469.43"), "c-1", date(2027, 1, 5))
    assert _lines(txn) == [(1, "fees", FEE), (1, "interest", D("190.82")), (1, "principal", D("253.61"))]
    first.refresh_from_db()
    assert (first.paid_fees, first.paid_principal, first.paid_on) == (FEE, D("253.61"), None)
    assert _fees_due(loan) == D("0.00")
    _books_clean()

    # Reversed: the fee is owed again.
    payment_reverse(transaction=txn, reason="NSF", actor=None)
    first.refresh_from_db()
    assert (first.paid_fees, first.paid_principal, first.paid_interest) == (D("0.00"), D("0.00"), D("0.00"))
    assert _fees_due(loan) == FEE
    _books_clean()

    # Waived: off installment 1 and the books.
    fee_waive(fee=fee, actor=None, reason="bank error")
    first.refresh_from_db()
    assert (first.fees, _fees_due(loan)) == (D("0.00"), D("0.00"))
    _books_clean()
