"""Close of business, late fees: the night a fee is charged, how much, never twice, never on a fee, paid by a
later payment in the strategy's order, put back by a reversal, and waived."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent
from origination.models import Property
from servicing.models import AllocationLine, Installment, JournalEntry, JournalLine, LoanAccount, LoanFee
from servicing.services import payments
from servicing.services.fees import FeeError, fee_waive
from servicing.services.nightly.base import steps_in_order
from servicing.services.nightly.steps.late_fees import LateFeesStep
from servicing.services.payments import payment_post, payment_reverse
from servicing.services.payments_batch import PaymentRequest, payments_post_many
from tests.core.factories import user_with_role
from tests.servicing.concurrency import run_in_threads
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal

# The factory's mortgage: 300,000 at 6.5 % over 360 months, first payment 2027-01-01, 5 % late fee after 15 days.
# Installment 2 is due Monday 2027-02-01: grace runs Feb 2-16, Feb 17 is the first day after it.
# (Feb 15 2027 is Presidents Day: the close before Tuesday Feb 16 is Friday Feb 12.)
PI = D("1896.20")
FEE = D("94.81")  # 5 % of 1896.20 = 94.81


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 12, 31))


def _pay(loan, amount, key, when):
    return payment_post(
        loan=loan,
        amount=D(amount),
        effective_date=when,
        method="check",
        reference=key,
        idempotency_key=key,
        actor=None,
    )


def _installment(loan, number) -> Installment:
    return Installment.objects.get(loan=loan, number=number)


def _run(day):
    step = LateFeesStep()
    ids = list(step.pending_loan_ids(day))
    return ids, step.run_chunk(day, ids, None)


def _verify():
    out = StringIO()
    call_command("ledger_verify", stdout=out)
    assert "Ledger verified" in out.getvalue()


@pytest.fixture
def loan():
    """Installment 1 paid on time; installment 2 (due Feb 1) unpaid."""
    loan = boarded_loan()
    first = _installment(loan, 1)
    _pay(loan, first.payment, "pay-1", date(2027, 1, 1))
    second = _installment(loan, 2)
    assert second.principal + second.interest == PI
    return loan


def test_the_step_is_registered_in_order():
    names = [step.name for step in steps_in_order()]
    assert "late_fees" in names
    assert names.index("late_fees") < names.index("delinquency")


def test_no_fee_on_the_last_day_of_grace_one_fee_the_day_after(loan):
    ids, result = _run(date(2027, 2, 16))
    assert (ids, result.done, LoanFee.objects.count()) == ([], 0, 0)

    ids, result = _run(date(2027, 2, 17))
    assert ids == [loan.pk]
    assert (result.done, result.errors) == (1, [])
    fee = LoanFee.objects.get()
    assert (fee.kind, fee.amount, fee.assessed_on, fee.installment.number) == ("late_fee", FEE, date(2027, 2, 17), 2)
    lines = sorted(JournalLine.objects.filter(entry=fee.journal_entry).values_list("account__code", "debit", "credit"))
    assert lines == [("fee_income", D("0.00"), FEE), ("fees_receivable", FEE, D("0.00"))]
    assert fee.journal_entry.kind == JournalEntry.Kind.FEE
    assert fee.journal_entry.effective_date == date(2027, 2, 17)
    loan.refresh_from_db()
    assert loan.fees_due == FEE
    assert _installment(loan, 2).late_fees == FEE
    assert AuditEvent.objects.filter(verb="fee.assessed", target_id=str(fee.pk)).count() == 1
    _verify()


def test_a_rerun_or_a_later_night_charges_nothing_more(loan):
    _run(date(2027, 2, 17))
    entries, audits = JournalEntry.objects.count(), AuditEvent.objects.count()
    assert list(LateFeesStep().pending_loan_ids(date(2027, 2, 17))) == []
    # Called directly, the chunk still writes nothing: the fee row is unique per installment and kind.
    assert LateFeesStep().run_chunk(date(2027, 2, 17), [loan.pk], None).done == 1
    assert _run(date(2027, 2, 18))[0] == []
    assert (LoanFee.objects.count(), JournalEntry.objects.count(), AuditEvent.objects.count()) == (1, entries, audits)


def test_a_grace_period_ending_over_a_weekend_is_charged_at_the_next_close():
    # Installment 1 due Friday Jan 1 2027: first late day Sunday Jan 17; Monday Jan 18 is MLK Day; the close of
    # Friday Jan 15 charges nothing, the close of Tuesday Jan 19 charges it.
    loan = boarded_loan()
    assert _run(date(2027, 1, 15))[0] == []
    assert _run(date(2027, 1, 19))[0] == [loan.pk]
    assert LoanFee.objects.get().installment.number == 1


def test_no_fee_when_paid_within_grace(loan):
    _pay(loan, _installment(loan, 2).payment, "pay-2", date(2027, 2, 16))
    assert _run(date(2027, 2, 17))[0] == []
    assert LoanFee.objects.count() == 0


@pytest.mark.parametrize(
    ("terms", "state", "expected"),
    [
        ({"late_fee_max": D("50.00")}, None, D("50.00")),  # 94.81 at most 50.00
        ({"late_fee_percent": D("0"), "late_fee_flat": D("25.00")}, None, D("25.00")),  # flat
        ({}, "NY", D("37.92")),  # NY cap: 2 % of 1896.20 = 37.924 -> 37.92
        ({"late_fee_percent": D("0"), "late_fee_flat": D("25.00")}, "NY", D("25.00")),  # 25.00 < 37.92
    ],
)
def test_the_loans_rule_and_the_state_cap(loan, terms, state, expected):
    LoanAccount.objects.filter(pk=loan.pk).update(**terms)
    if state:
        LoanAccount.objects.filter(pk=loan.pk).update(property_state=state)  # the property's state, as boarded
    _run(date(2027, 2, 17))
    assert LoanFee.objects.get().amount == expected


def test_the_cap_is_the_state_the_loan_was_boarded_with_not_a_later_edit_of_the_application(loan):
    Property.objects.filter(application=loan.application_id).update(state="NY")
    _run(date(2027, 2, 17))
    assert LoanFee.objects.get().amount == FEE  # IL as boarded, no cap: 94.81, not NY's 37.92


def test_a_transferred_loan_gets_its_boarded_propertys_state_cap_and_without_a_property_the_default(loan):
    LoanAccount.objects.filter(pk=loan.pk).update(application=None, property_state="NY")  # a transfer file's row
    other = boarded_loan()
    LoanAccount.objects.filter(pk=other.pk).update(application=None, property_state="")  # file without property
    _run(date(2027, 2, 17))
    assert dict(LoanFee.objects.values_list("loan_id", "amount")) == {loan.pk: D("37.92"), other.pk: FEE}


def test_a_loan_without_a_late_fee_is_never_pending(loan):
    LoanAccount.objects.filter(pk=loan.pk).update(late_fee_percent=0, late_fee_flat=0)
    assert _run(date(2027, 2, 17))[0] == []


def test_no_fee_on_a_fee_and_the_fee_paid_later_in_the_strategys_order(loan):
    """Reg Z 1026.36(c)(2): installment 3 paid in full but for installment 2's late fee is not late."""
    _run(date(2027, 2, 17))
    second, third = _installment(loan, 2), _installment(loan, 3)
    _pay(loan, second.payment, "pay-2", date(2027, 2, 20))  # mortgage_standard: the periodic payment, not the fee
    second.refresh_from_db()
    assert (second.paid_on, second.paid_late_fees) == (date(2027, 2, 20), D("0.00"))
    # Installment 3's exact payment on March 1: every periodic payment first, the fee gets what is left (nothing).
    march = _pay(loan, third.payment, "pay-3", date(2027, 3, 1))
    assert not march.allocation_lines.filter(bucket="late_fees").exists()
    assert _installment(loan, 3).paid_on == date(2027, 3, 1)
    assert _run(date(2027, 3, 17))[0] == []  # the unpaid fee does not make installment 3 late
    assert LoanFee.objects.count() == 1

    # The fee paid on its own: a fee-only payment on a paid installment; paid_on stays.
    fee_payment = _pay(loan, FEE, "fee", date(2027, 3, 20))
    lines = list(fee_payment.allocation_lines.values_list("installment__number", "bucket", "amount"))
    assert lines == [(2, "late_fees", FEE)]
    second.refresh_from_db()
    loan.refresh_from_db()
    assert (second.paid_late_fees, second.paid_on, loan.fees_due, loan.suspense_balance) == (
        FEE,
        date(2027, 2, 20),
        D("0.00"),
        D("0.00"),
    )
    _verify()

    # Its reversal puts the fee back exactly; the periodic payment stays paid.
    payment_reverse(transaction=fee_payment, reason="NSF", actor=None)
    second.refresh_from_db()
    loan.refresh_from_db()
    assert (second.paid_late_fees, second.paid_on, loan.fees_due) == (D("0.00"), date(2027, 2, 20), FEE)
    _verify()


def test_a_late_payment_with_the_fee_pays_both_and_a_backdated_replay_puts_it_back(loan):
    _run(date(2027, 2, 17))
    second = _installment(loan, 2)
    # Periodic payment + fee on Feb 20: mortgage_standard pays the periodic payment, then the late fee.
    both = _pay(loan, second.payment + FEE, "both", date(2027, 2, 20))
    assert dict(both.allocation_lines.filter(installment=second).values_list("bucket", "amount")) == {
        "interest": second.interest,
        "principal": second.principal,
        "escrow": second.escrow,
        "late_fees": FEE,
    }
    second.refresh_from_db()
    assert (second.paid_late_fees, second.paid_on) == (FEE, date(2027, 2, 20))
    # Reversing installment 1's payment replays Feb 20's: it now pays installment 1 (the oldest periodic payment)
    # and the rest is short of installment 2's, so it is held: the fee is owed again, exactly.
    first_payment = loan.transactions.get(idempotency_key="pay-1")
    payment_reverse(transaction=first_payment, reason="NSF", actor=None)
    second.refresh_from_db()
    assert (second.paid_late_fees, second.paid_on) == (D("0.00"), None)
    assert AllocationLine.objects.current().filter(installment=second).count() == 0
    loan.refresh_from_db()
    assert loan.fees_due == FEE
    _verify()


def test_waiver_reverses_the_fee_and_is_refused_twice(loan, django_user_model):
    _run(date(2027, 2, 17))
    fee = LoanFee.objects.get()
    servicer = django_user_model.objects.create(email="s@example.com")
    with pytest.raises(FeeError, match="reason"):
        fee_waive(fee=fee, actor=servicer, reason="  ")
    fee = fee_waive(fee=fee, actor=servicer, reason="first late payment in 10 years")
    assert (fee.waived_amount, fee.waived_by, fee.waiver_reason) == (FEE, servicer, "first late payment in 10 years")
    entry = fee.waiver_entry
    assert (entry.kind, entry.reverses_id) == (JournalEntry.Kind.REVERSAL, fee.journal_entry_id)
    lines = sorted(JournalLine.objects.filter(entry=entry).values_list("account__code", "debit", "credit"))
    assert lines == [("fee_income", FEE, D("0.00")), ("fees_receivable", D("0.00"), FEE)]
    loan.refresh_from_db()
    assert (loan.fees_due, _installment(loan, 2).late_fees) == (D("0.00"), D("0.00"))
    assert AuditEvent.objects.get(verb="fee.waived").note == "first late payment in 10 years"
    with pytest.raises(FeeError, match="already waived"):
        fee_waive(fee=fee, actor=servicer, reason="again")
    # A waived fee is not charged again and no longer asked of a payment.
    assert _run(date(2027, 2, 18))[0] == []
    _verify()


def test_a_paid_fee_is_not_waived(loan):
    _run(date(2027, 2, 17))
    _pay(loan, _installment(loan, 2).payment + FEE, "both", date(2027, 2, 20))
    with pytest.raises(FeeError, match=r"94\.81 of this late fee is already paid"):
        fee_waive(fee=LoanFee.objects.get(), actor=None, reason="goodwill")
    assert LoanFee.objects.get().waived_amount == D("0.00")


def test_one_bad_loan_is_an_error_row_and_the_others_are_charged(loan, monkeypatch):
    other = boarded_loan()
    _pay(other, _installment(other, 1).payment, "other-1", date(2027, 1, 1))
    from servicing.services import fees

    real = fees.late_fee_amount

    def broken(base, **kwargs):
        if kwargs["state"] == "ZZ":
            raise ValueError("bad terms")
        return real(base, **kwargs)

    LoanAccount.objects.filter(pk=other.pk).update(property_state="ZZ")
    monkeypatch.setattr(fees, "late_fee_amount", broken)
    ids, result = _run(date(2027, 2, 17))
    assert sorted(ids) == sorted([loan.pk, other.pk])
    assert result.done == 1
    assert [e.loan_id for e in result.errors] == [other.pk]
    assert list(LoanFee.objects.values_list("loan_id", flat=True)) == [loan.pk]
    assert list(LateFeesStep().pending_loan_ids(date(2027, 2, 17))) == [other.pk]
    _verify()


def test_the_chunk_costs_the_same_queries_for_one_late_loan_or_three(loan):
    others = [boarded_loan() for _ in range(2)]
    for index, other in enumerate(others):
        _pay(other, _installment(other, 1).payment, f"o-{index}", date(2027, 1, 1))
    step = LateFeesStep()
    ContentType.objects.get_for_model(LoanFee)  # cached after its first use: not a per-chunk cost
    counts = []
    for ids in ([loan.pk], [other.pk for other in others]):
        with CaptureQueriesContext(connection) as captured:
            step.run_chunk(date(2027, 2, 17), ids, None)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1] == 14  # no query per loan or per fee
    assert LoanFee.objects.count() == 3


# --- the admin action ----------------------------------------------------------------------------------------


def _action(client, fees, **extra):
    data = {"action": "waive_fees", "_selected_action": [fee.pk for fee in fees], **extra}
    return client.post(reverse("admin:servicing_loanfee_changelist"), data)


def test_admin_waive_action_asks_for_a_reason_then_waives(client, loan):
    _run(date(2027, 2, 17))
    fee = LoanFee.objects.get()
    servicer = user_with_role(roles.SERVICER)
    client.force_login(servicer)
    page = _action(client, [fee])
    assert page.status_code == 200
    assert "Waive fees" in page.content.decode()
    assert f"{loan.loan_number}: Late fee $94.81 assessed Feb. 17, 2027 (installment 2)</li>" in page.content.decode()
    assert _action(client, [fee], waive="Waive fees", reason=" ").status_code == 400  # no reason: nothing waived
    assert LoanFee.objects.get().waived_amount == D("0.00")
    done = _action(client, [fee], waive="Waive fees", reason="hardship")
    assert done.status_code == 302
    assert [m.message for m in get_messages(done.wsgi_request)] == ["1 fee waived."]
    fee.refresh_from_db()
    assert (fee.waived_amount, fee.waived_by, fee.waiver_reason) == (FEE, servicer, "hardship")
    # Again: refused with the service's message, nothing more written.
    entries = JournalEntry.objects.count()
    again = _action(client, [fee], waive="Waive fees", reason="again")
    assert "already waived on" in " ".join(m.message for m in get_messages(again.wsgi_request))
    assert JournalEntry.objects.count() == entries
    _verify()


def test_a_collector_sees_fees_but_cannot_waive(client, loan):
    _run(date(2027, 2, 17))
    collector = user_with_role(roles.COLLECTOR, is_staff=True)  # let into the admin: sees, never waives
    client.force_login(collector)
    listing = client.get(reverse("admin:servicing_loanfee_changelist"))
    assert listing.status_code == 200
    assert "waive_fees" not in listing.content.decode()
    _action(client, [LoanFee.objects.get()], waive="Waive fees", reason="x")
    assert LoanFee.objects.get().waived_amount == D("0.00")


def test_a_consumer_strategy_pays_the_late_fee_first():
    """fees_interest_principal: each installment's late fee before its interest and principal."""
    loan = boarded_loan(consumer=True)  # 12,000 at 11.99 % over 36 months: 398.51 a month, 5 % late fee
    _pay(loan, _installment(loan, 1).payment, "c-1", date(2027, 1, 1))
    second = _installment(loan, 2)
    assert (second.principal + second.interest, second.escrow) == (D("398.51"), D("0.00"))
    _run(date(2027, 2, 17))
    assert LoanFee.objects.get().amount == D("19.93")  # 398.51 x 5 % = 19.9255 -> 19.93 (half up)
    # The exact periodic payment pays the fee first and leaves the installment 19.93 short of principal.
    txn = _pay(loan, D("398.51"), "c-2", date(2027, 2, 20))
    paid = dict(txn.allocation_lines.values_list("bucket", "amount"))
    assert paid == {"late_fees": D("19.93"), "interest": second.interest, "principal": second.principal - D("19.93")}
    second.refresh_from_db()
    assert (second.paid_late_fees, second.paid_on) == (D("19.93"), None)
    _pay(loan, D("19.93"), "c-3", date(2027, 2, 21))
    second.refresh_from_db()
    assert (second.paid_principal, second.paid_on) == (second.principal, date(2027, 2, 21))
    _verify()


def test_a_payment_file_pays_a_late_fee_owed_on_a_paid_installment_as_payment_post_does(loan):
    _run(date(2027, 2, 17))
    _pay(loan, _installment(loan, 2).payment, "pay-2", date(2027, 2, 20))
    request = PaymentRequest(
        loan_id=loan.pk,
        amount=FEE,
        effective_date=date(2027, 2, 21),
        method="ach",
        reference="file-1",
        idempotency_key="file-1",
    )
    [result] = payments_post_many(requests=[request], actor=None)
    assert result.error is None
    lines = list(result.transaction.allocation_lines.values_list("installment__number", "bucket", "amount"))
    assert lines == [(2, "late_fees", FEE)]
    second = _installment(loan, 2)
    assert (second.paid_late_fees, second.paid_on) == (FEE, date(2027, 2, 20))
    loan.refresh_from_db()
    assert loan.fees_due == D("0.00")
    _verify()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_workers_on_the_same_chunk_charge_each_fee_once(loan):
    results = []

    def work(index):
        results.append(LateFeesStep().run_chunk(date(2027, 2, 17), [loan.pk], None))

    assert run_in_threads(4, work) == []
    assert [r.errors for r in results] == [[]] * 4
    assert LoanFee.objects.count() == 1
    assert JournalEntry.objects.filter(kind="fee").count() == 1
    _verify()
