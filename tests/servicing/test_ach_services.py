"""ACH services: scheduling records a pending payment and posts nothing; settling posts once through payment_post;
cancel and return; the amount ceiling, the date window and bank checks; autopay's one-active rule; audit rows;
bank numbers encrypted at rest."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from lending.core.models import AuditEvent
from servicing import selectors
from servicing.models import AutopayEnrollment, Installment, LoanAccount, LoanTransaction, PendingPayment
from servicing.selectors import portal as portal_selectors
from servicing.services import ach
from servicing.services.ach import AchError, BankDetails, routing_number_valid
from tests.servicing.factories_portal import BANK, TODAY, borrower_loan, set_today
from tests.servicing.factories_portal import ach_schedule as _schedule

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    set_today(monkeypatch, TODAY)


@pytest.fixture
def loan():
    return borrower_loan()


def _first(loan) -> Installment:
    return Installment.objects.get(loan=loan, number=1)


def test_scheduling_records_a_pending_payment_and_posts_nothing(loan):
    before = LoanAccount.objects.get(pk=loan.pk)
    pending = _schedule(loan, "1500.00", when=TODAY + timedelta(days=3))
    assert pending.status == "pending"
    assert (pending.amount, pending.scheduled_date, pending.directive) == (
        D("1500.00"),
        TODAY + timedelta(days=3),
        "standard",
    )
    assert pending.account_last4 == "6789"
    assert pending.created_by == loan.borrower
    assert LoanTransaction.objects.filter(loan=loan).count() == 0
    after = LoanAccount.objects.get(pk=loan.pk)
    assert (after.principal_balance, after.suspense_balance, after.version) == (
        before.principal_balance,
        before.suspense_balance,
        before.version,
    )
    event = AuditEvent.objects.get(verb="ach_payment.scheduled")
    assert event.actor == loan.borrower
    assert event.after["account_last4"] == "6789"
    assert "000123456789" not in str(event.after)


def test_bank_numbers_are_encrypted_at_rest(loan):
    pending = _schedule(loan)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT routing_number, account_number FROM servicing_pendingpayment WHERE id = %s", [pending.pk]
        )
        routing, account = cursor.fetchone()
    assert BANK.routing_number not in routing
    assert BANK.account_number not in account
    reread = PendingPayment.objects.get(pk=pending.pk)
    assert (reread.routing_number, reread.account_number) == (BANK.routing_number, BANK.account_number)


def test_the_same_key_records_once(loan):
    first = _schedule(loan, key="double")
    again = _schedule(loan, "999.00", key="double")
    assert again.pk == first.pk
    assert PendingPayment.objects.count() == 1
    assert AuditEvent.objects.filter(verb="ach_payment.scheduled").count() == 1


def test_a_key_used_on_another_loan_is_refused(loan):
    _schedule(loan, key="shared")
    other = borrower_loan(consumer=True)
    with pytest.raises(AchError) as refused:
        _schedule(other, key="shared")
    assert refused.value.field == "idempotency_key"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "10.005"}, "amount"),
        ({"when": TODAY - timedelta(days=1)}, "scheduled_date"),
        ({"when": TODAY + timedelta(days=ach.MAX_SCHEDULE_DAYS + 1)}, "scheduled_date"),
        ({"bank": BankDetails("Nora Quinn", "011000016", "000123456789")}, "routing_number"),
        ({"bank": BankDetails("Nora Quinn", "01100001", "000123456789")}, "routing_number"),
        ({"bank": BankDetails("Nora Quinn", "011000015", "12a4")}, "account_number"),
        ({"bank": BankDetails("Nora Quinn", "011000015", "123")}, "account_number"),
        ({"bank": BankDetails("", "011000015", "000123456789")}, "account_holder"),
        ({"bank": None}, "account_number"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_records_nothing(loan, kwargs, field):
    with pytest.raises(AchError) as refused:
        _schedule(loan, **kwargs)
    assert refused.value.field == field
    assert PendingPayment.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="ach_payment.scheduled").exists()


def test_the_last_day_of_the_window_is_allowed(loan):
    assert _schedule(loan, when=TODAY + timedelta(days=ach.MAX_SCHEDULE_DAYS)).status == "pending"


def test_a_loan_that_is_not_active_takes_no_payment(loan):
    LoanAccount.objects.filter(pk=loan.pk).update(status="paid_off")
    loan.refresh_from_db()
    with pytest.raises(AchError, match="paid off"):
        _schedule(loan)
    assert PendingPayment.objects.count() == 0


def test_the_ceiling_is_what_the_loan_can_absorb_less_what_is_already_scheduled(loan):
    first = _first(loan)
    ceiling = portal_selectors.payment_ceiling(loan=loan, on=TODAY, principal_only=False)
    # The whole principal, plus the interest and escrow of the installment billed next (paid early).
    assert ceiling == loan.principal_balance + first.interest + first.escrow
    principal_only = portal_selectors.payment_ceiling(loan=loan, on=TODAY, principal_only=True)
    assert principal_only == loan.principal_balance - first.principal
    with pytest.raises(AchError, match="at most") as refused:
        _schedule(loan, str(ceiling + D("0.01")))
    assert refused.value.field == "amount"
    _schedule(loan, "10000.00", key="a")
    assert portal_selectors.payment_ceiling(loan=loan, on=TODAY, principal_only=False) == ceiling - D("10000.00")
    with pytest.raises(AchError):
        _schedule(loan, str(ceiling - D("10000.00") + D("0.01")), key="b")
    assert _schedule(loan, str(ceiling - D("10000.00")), key="c").status == "pending"


def test_settling_posts_once_through_payment_post_with_the_waterfall(loan):
    first = _first(loan)
    pending = _schedule(loan, str(first.payment))
    txn = ach.ach_payment_settle(pending=pending, actor=None, settled_on=TODAY)
    assert (txn.method, txn.amount, txn.effective_date, txn.idempotency_key) == (
        "ach",
        first.payment,
        TODAY,
        f"ach:{pending.pk}",
    )
    lines = {(line.bucket, line.amount) for line in txn.allocation_lines.current()}
    assert lines == {("interest", first.interest), ("principal", first.principal), ("escrow", first.escrow)}
    pending.refresh_from_db()
    assert (pending.status, pending.transaction_id, pending.settled_on) == ("settled", txn.pk, TODAY)
    again = ach.ach_payment_settle(pending=PendingPayment.objects.get(pk=pending.pk), actor=None, settled_on=TODAY)
    assert again.pk == txn.pk
    assert LoanTransaction.objects.filter(loan=loan).count() == 1
    assert AuditEvent.objects.filter(verb="ach_payment.settled").count() == 1
    assert selectors.loan_balance_mismatches() == []


def test_a_principal_only_payment_settles_as_principal_only(loan):
    pending = _schedule(loan, "5000.00", principal_only=True)
    txn = ach.ach_payment_settle(pending=pending, actor=None)
    assert txn.directive == "principal_only"
    assert {(line.bucket, line.amount) for line in txn.allocation_lines.current()} == {("prepayment", D("5000.00"))}


def test_it_cannot_settle_before_its_date_or_once_cancelled(loan):
    later = _schedule(loan, key="later", when=TODAY + timedelta(days=2))
    with pytest.raises(AchError, match="cannot settle before"):
        ach.ach_payment_settle(pending=later, actor=None, settled_on=TODAY)
    ach.ach_payment_cancel(pending=later, actor=loan.borrower)
    with pytest.raises(AchError, match="cancelled"):
        ach.ach_payment_settle(pending=later, actor=None, settled_on=TODAY + timedelta(days=2))
    assert LoanTransaction.objects.count() == 0


def test_a_posting_refused_by_payment_post_leaves_it_pending(loan):
    pending = _schedule(loan)
    LoanAccount.objects.filter(pk=loan.pk).update(status="charged_off")
    with pytest.raises(AchError, match="cannot post"):
        ach.ach_payment_settle(pending=pending, actor=None)
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert LoanTransaction.objects.count() == 0


def test_cancel_only_while_pending_and_audited(loan):
    pending = _schedule(loan)
    ach.ach_payment_cancel(pending=pending, actor=loan.borrower)
    pending.refresh_from_db()
    assert (pending.status, pending.status_changed_by) == ("cancelled", loan.borrower)
    assert AuditEvent.objects.filter(verb="ach_payment.cancelled", actor=loan.borrower).count() == 1
    with pytest.raises(AchError, match="only a pending payment"):
        ach.ach_payment_cancel(pending=pending, actor=loan.borrower)
    settled = _schedule(loan, key="s")
    ach.ach_payment_settle(pending=settled, actor=None)
    with pytest.raises(AchError, match="settled"):
        ach.ach_payment_cancel(pending=settled, actor=loan.borrower)


def test_a_return_before_settling_posts_nothing_and_after_settling_reverses(loan):
    first = _first(loan)
    unsettled = _schedule(loan, "100.00", key="u")
    with pytest.raises(AchError):
        ach.ach_payment_return(pending=unsettled, actor=None, reason="  ")
    ach.ach_payment_return(pending=unsettled, actor=None, reason="R01 insufficient funds")
    unsettled.refresh_from_db()
    assert (unsettled.status, unsettled.return_reason) == ("returned", "R01 insufficient funds")
    assert LoanTransaction.objects.count() == 0
    ach.ach_payment_return(pending=unsettled, actor=None, reason="R01 again")  # a repeat changes nothing
    assert AuditEvent.objects.filter(verb="ach_payment.returned").count() == 1

    settled = _schedule(loan, str(first.payment), key="s")
    txn = ach.ach_payment_settle(pending=settled, actor=None)
    ach.ach_payment_return(pending=settled, actor=None, reason="R02 account closed")
    txn.refresh_from_db()
    assert txn.status == "reversed"
    assert LoanTransaction.objects.filter(kind="reversal", reverses=txn).count() == 1
    assert LoanAccount.objects.get(pk=loan.pk).principal_balance == loan.principal_balance
    assert selectors.loan_balance_mismatches() == []


# --- autopay ---------------------------------------------------------------------------------------------------


def _enroll(loan, **kwargs):
    kwargs.setdefault("draft_days_before", 3)
    kwargs.setdefault("extra_principal", D("50.00"))
    return ach.autopay_enroll(loan=loan, bank=kwargs.pop("bank", BANK), actor=loan.borrower, **kwargs)


def test_autopay_enrolls_once_per_loan_and_cancels(loan):
    enrollment = _enroll(loan)
    assert (enrollment.active, enrollment.draft_days_before, enrollment.extra_principal) == (True, 3, D("50.00"))
    assert enrollment.account_last4 == "6789"
    with pytest.raises(AchError, match="already has autopay"):
        _enroll(loan)
    ach.autopay_cancel(enrollment=enrollment, actor=loan.borrower)
    enrollment.refresh_from_db()
    assert (enrollment.active, enrollment.cancelled_by) == (False, loan.borrower)
    assert enrollment.cancelled_at is not None
    with pytest.raises(AchError, match="already cancelled"):
        ach.autopay_cancel(enrollment=enrollment, actor=loan.borrower)
    again = _enroll(loan, draft_days_before=0)
    assert again.active
    assert AutopayEnrollment.objects.filter(loan=loan).count() == 2
    assert [e.verb for e in AuditEvent.objects.filter(verb__startswith="autopay.").order_by("id")] == [
        "autopay.enrolled",
        "autopay.cancelled",
        "autopay.enrolled",
    ]


def test_the_database_allows_one_active_enrollment_per_loan(loan):
    enrollment = _enroll(loan)
    duplicate = AutopayEnrollment(loan=loan, enrolled_by=loan.borrower, **BankDetails.from_account(enrollment).fields())
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"draft_days_before": ach.MAX_DRAFT_DAYS_BEFORE + 1}, "draft_days_before"),
        ({"draft_days_before": -1}, "draft_days_before"),
        ({"extra_principal": D("-1.00")}, "extra_principal"),
        ({"extra_principal": D("1.001")}, "extra_principal"),
        ({"extra_principal": D("999999999.00")}, "extra_principal"),
        ({"bank": BankDetails("Nora Quinn", "123456789", "000123456789")}, "routing_number"),
        ({"bank": BankDetails("Nora Quinn", "000 000 000", "000123456789")}, "routing_number"),
    ],
)
def test_autopay_bad_input_records_nothing(loan, kwargs, field):
    with pytest.raises(AchError) as refused:
        _enroll(loan, **kwargs)
    assert refused.value.field == field
    assert AutopayEnrollment.objects.count() == 0


def test_autopay_needs_an_active_loan(loan):
    LoanAccount.objects.filter(pk=loan.pk).update(status="paid_off")
    with pytest.raises(AchError, match="paid off"):
        _enroll(loan)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("011000015", True),
        ("021000021", True),
        ("011000016", False),
        ("12345678a", False),
        ("000000000", False),  # passes the checksum: the all-zero number was accepted
        ("500000005", False),  # checksum passes, but no routing number starts with 50
    ],
)
def test_routing_number_checksum(number, valid):
    assert routing_number_valid(number) is valid
