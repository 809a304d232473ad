"""Late-fee rules at their edges: which close charges which grace period (per loan's own grace days), the smallest
fees and bases, who the fee is posted by and what its audit row says, and the notice sent for it.

The factory's mortgage (tests.servicing.factories.boarded_loan): installment 2 is due Monday Feb 1 2027, P&I
1,896.20 + escrow 525.00; 5 % late fee after 15 days' grace. Feb 15 2027 is Presidents Day: the close before
Tuesday Feb 16 is Friday Feb 12.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.models import AuditEvent, User
from servicing.models import BorrowerDocument, Installment, JournalEntry, LoanAccount, LoanFee
from servicing.services import fees, payments
from servicing.services.fees import FeeError, fee_waive, late_fees_assess
from servicing.services.ledger import journal_post, journal_reverse
from servicing.services.nightly.steps.late_fees import LateFeesStep
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan
from tests.servicing.nightly.test_late_fees import _installment, _pay, _run

pytestmark = pytest.mark.django_db
D = Decimal
FEB_1 = date(2027, 2, 1)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 12, 31))


def _late_loan(**terms) -> LoanAccount:
    """Installment 1 paid on Jan 1; installment 2 (Feb 1) unpaid."""
    loan = boarded_loan()
    _pay(loan, _installment(loan, 1).payment, f"pay-1-{loan.pk}", date(2027, 1, 1))
    if terms:
        LoanAccount.objects.filter(pk=loan.pk).update(**terms)
    return loan


def test_a_close_charges_only_the_grace_periods_ended_since_the_previous_close():
    loan = _late_loan()
    # Feb 1 + 15 days' grace: Feb 17 is the first late day, charged by the close of Feb 17. The close of Feb 18
    # (previous close Feb 17) charges the grace periods whose first late day is Feb 18 only: not this one.
    assert list(LateFeesStep().pending_loan_ids(date(2027, 2, 18))) == []
    assert _run(date(2027, 2, 18))[1].done == 0
    assert list(LateFeesStep().pending_loan_ids(date(2027, 2, 17))) == [loan.pk]
    assert LoanFee.objects.count() == 0


def test_loans_with_different_grace_days_are_each_charged_by_the_close_their_grace_ends_in():
    thirteen, fourteen, fifteen = (_late_loan(grace_days=days) for days in (13, 14, 15))
    # The close of Tue Feb 16 (previous close Fri Feb 12) charges the first late days Feb 13-16: Feb 1 + 13 + 1 =
    # Feb 15 and Feb 1 + 14 + 1 = Feb 16; with 15 days' grace Feb 17 is the first late day, charged on the 17th.
    assert list(LateFeesStep().pending_loan_ids(date(2027, 2, 16))) == [thirteen.pk, fourteen.pk]
    _run(date(2027, 2, 16))
    assert sorted(LoanFee.objects.values_list("loan_id", "amount")) == [
        (thirteen.pk, D("94.81")),  # 5 % of 1,896.20 = 94.81
        (fourteen.pk, D("94.81")),
    ]
    assert list(LateFeesStep().pending_loan_ids(date(2027, 2, 17))) == [fifteen.pk]


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        ({"late_fee_percent": D("0.5"), "late_fee_flat": D("0")}, D("9.48")),  # 0.5 % of 1,896.20 = 9.481 -> 9.48
        ({"late_fee_percent": D("0"), "late_fee_flat": D("0.50")}, D("0.50")),  # a flat fee under a dollar
    ],
)
def test_a_fee_under_a_dollar_or_a_percent_under_one_is_charged(terms, expected):
    _late_loan(**terms)
    _run(date(2027, 2, 17))
    assert LoanFee.objects.get().amount == expected


@pytest.mark.parametrize(
    ("principal", "interest", "expected"),
    [
        (D("0.50"), D("0.00"), D("0.03")),  # 5 % of 0.50 = 0.025 -> 0.03 (half up): principal alone is a base
        (D("0.00"), D("0.50"), D("0.03")),  # interest alone likewise
        (D("0.01"), D("0.00"), None),  # 5 % of 0.01 = 0.0005 -> 0.00: no fee of nothing
    ],
)
def test_a_percent_fee_is_charged_on_any_principal_or_interest_owed(principal, interest, expected):
    loan = _late_loan()
    Installment.objects.filter(loan=loan, number=2).update(
        principal=principal, interest=interest, payment=principal + interest + D("525.00")
    )
    _, result = _run(date(2027, 2, 17))
    assert result.errors == []  # nothing refused either: a fee of 0.00 is not even attempted
    assert list(LoanFee.objects.values_list("amount", flat=True)) == ([] if expected is None else [expected])


@pytest.mark.parametrize(("payment", "charged"), [(D("0.00"), False), (D("0.01"), True)])
def test_an_installment_asking_for_nothing_is_never_late_one_asking_a_cent_is(payment, charged):
    loan = _late_loan(late_fee_percent=D("0"), late_fee_flat=D("25.00"))
    Installment.objects.filter(loan=loan, number=2).update(principal=payment, interest=0, escrow=0, payment=payment)
    _run(date(2027, 2, 17))
    assert list(LoanFee.objects.values_list("amount", flat=True)) == ([D("25.00")] if charged else [])


def test_the_fee_is_posted_and_audited_as_the_actor_with_its_figures():
    loan = _late_loan()
    servicer = user_with_role(roles.SERVICER)
    assert late_fees_assess(business_date=date(2027, 2, 17), loan_ids=[loan.pk], actor=servicer) == 1
    fee = LoanFee.objects.get()
    assert fee.journal_entry.created_by == servicer
    event = AuditEvent.objects.get(verb="fee.assessed")
    assert event.actor == servicer
    assert event.after == {
        "loan": loan.loan_number,
        "kind": "late_fee",
        "installment": 2,
        "due_date": "2027-02-01",
        "amount": "94.81",
        "journal_entry": fee.journal_entry_id,
        "journal_lines": [["fees_receivable", "94.81", "0.00"], ["fee_income", "0.00", "94.81"]],
    }


def test_each_fee_sends_its_late_fee_notice(django_capture_on_commit_callbacks):
    loan = _late_loan()
    with django_capture_on_commit_callbacks(execute=True):
        _run(date(2027, 2, 17))
    notice = BorrowerDocument.objects.get(loan=loan)
    assert notice.kind == BorrowerDocument.Kind.LATE_FEE


def test_a_loan_no_longer_active_is_never_pending():
    loan, active = _late_loan(), _late_loan()  # the same 15 days' grace, both late since Feb 17
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.CHARGED_OFF)
    assert list(LateFeesStep().pending_loan_ids(date(2027, 2, 17))) == [active.pk]


def test_an_escrow_only_installment_under_a_percent_fee_is_not_pending():
    loan = _late_loan()  # 5 % of principal and interest, no flat part
    Installment.objects.filter(loan=loan, number=2).update(principal=0, interest=0, payment=D("525.00"))
    assert list(LateFeesStep().pending_loan_ids(date(2027, 2, 17))) == []


def test_another_kind_of_fee_on_the_installment_does_not_stand_for_its_late_fee():
    loan = _late_loan()
    # A returned-payment fee of 25.00 already sits on installment 2 (as ach_returns records one).
    journal_post(
        actor=None,
        loan=loan,
        effective_date=date(2027, 2, 10),
        kind=JournalEntry.Kind.FEE,
        memo="Returned payment fee",
        lines=[("fees_receivable", D("25.00"), D("0")), ("fee_income", D("0"), D("25.00"))],
    )
    entry = JournalEntry.objects.filter(loan=loan, kind=JournalEntry.Kind.FEE).get()
    installment = _installment(loan, 2)
    LoanFee.objects.create(
        loan=loan,
        installment=installment,
        kind=LoanFee.Kind.RETURNED_PAYMENT,
        amount=D("25.00"),
        assessed_on=date(2027, 2, 10),
        journal_entry=entry,
    )
    Installment.objects.filter(pk=installment.pk).update(fees=D("25.00"))
    _run(date(2027, 2, 17))
    assert LoanFee.objects.get(kind=LoanFee.Kind.LATE_FEE).amount == D("94.81")  # 5 % of 1,896.20


# --- the waiver: what is stored, on which day, the audit row, and a refusal that writes nothing ------------------


def _assessed_fee() -> tuple[LoanAccount, LoanFee]:
    loan = _late_loan()
    _run(date(2027, 2, 17))  # the first late day: 5 % of 1,896.20 = 94.81, assessed on Feb 17
    return loan, LoanFee.objects.get()


def test_a_waiver_is_stored_on_the_fee_dated_today_and_audited_with_its_figures(monkeypatch):
    loan, fee = _assessed_fee()
    monkeypatch.setattr(fees.timezone, "localdate", lambda: date(2027, 3, 1))  # today is after the assessment
    servicer = user_with_role(roles.SERVICER)
    fee_waive(fee=fee, actor=servicer, reason="  first late payment in 10 years  ")
    fee.refresh_from_db()  # as stored, not only the instance handed back
    entry = fee.waiver_entry
    assert (fee.waived_amount, fee.waived_on, fee.waived_by, fee.waiver_reason) == (
        D("94.81"),
        date(2027, 3, 1),
        servicer,
        "first late payment in 10 years",
    )
    assert (entry.effective_date, entry.reverses_id, entry.created_by) == (
        date(2027, 3, 1),
        fee.journal_entry_id,
        servicer,
    )
    # Only the late fee comes off installment 2 (94.81 - 94.81); its other fees stay as they were.
    second = _installment(loan, 2)
    assert (second.late_fees, second.fees) == (D("0.00"), D("0.00"))
    event = AuditEvent.objects.get(verb="fee.waived")
    assert (event.actor, event.target_id, event.note) == (servicer, str(fee.pk), "first late payment in 10 years")
    assert event.before == {"waived_amount": "0.00"}
    assert event.after == {
        "loan": loan.loan_number,
        "amount": "94.81",
        "waived_on": "2027-03-01",
        "waiver_entry": entry.pk,
    }


def test_a_fee_assessed_after_today_is_waived_on_its_assessment_day(monkeypatch):
    _, fee = _assessed_fee()
    monkeypatch.setattr(fees.timezone, "localdate", lambda: date(2027, 2, 10))  # a close run ahead of the calendar
    fee = fee_waive(fee=fee, actor=None, reason="goodwill")
    fee.refresh_from_db()
    assert (fee.waived_on, fee.waiver_entry.effective_date) == (date(2027, 2, 17), date(2027, 2, 17))


def test_a_waiver_by_no_one_or_an_unsaved_user_records_no_one_and_keeps_255_characters_of_the_reason():
    _, fee = _assessed_fee()
    fee_waive(fee=fee, actor=User(email="nobody@example.com"), reason="r" * 300)
    fee.refresh_from_db()
    assert (fee.waived_by, fee.waiver_reason) == (None, "r" * 255)
    assert AuditEvent.objects.get(verb="fee.waived").note == "r" * 300  # the note keeps the whole reason


def test_a_fee_whose_entry_is_already_reversed_is_refused_in_words_and_not_waived():
    loan, fee = _assessed_fee()
    reversal = journal_reverse(actor=None, entry=fee.journal_entry, reason="posted in error")
    with pytest.raises(FeeError) as refused:
        fee_waive(fee=fee, actor=None, reason="goodwill")
    assert str(refused.value) == (
        f"The fee cannot be waived: JE {fee.journal_entry_id} is already reversed (by JE {reversal.pk})."
    )
    fee.refresh_from_db()
    assert (fee.waived_amount, fee.waived_on, fee.waiver_entry) == (D("0.00"), None, None)
    assert _installment(loan, 2).late_fees == D("94.81")  # still owed on the installment
    assert not AuditEvent.objects.filter(verb="fee.waived").exists()


def test_a_waiver_without_a_reason_is_refused_in_words_and_writes_nothing():
    loan, fee = _assessed_fee()
    entries = JournalEntry.objects.count()
    for reason in ("", "   ", None):
        with pytest.raises(FeeError) as refused:
            fee_waive(fee=fee, actor=None, reason=reason)  # a form may hand None
        assert str(refused.value) == "Give the reason for the waiver."
    fee.refresh_from_db()
    assert (fee.waived_amount, fee.waiver_entry, JournalEntry.objects.count()) == (D("0.00"), None, entries)
    assert _installment(loan, 2).late_fees == D("94.81")
    assert not AuditEvent.objects.filter(verb="fee.waived").exists()


def test_a_second_waiver_is_refused_naming_the_day_of_the_first(monkeypatch):
    loan, fee = _assessed_fee()
    monkeypatch.setattr(fees.timezone, "localdate", lambda: date(2027, 3, 1))
    fee_waive(fee=fee, actor=None, reason="goodwill")
    entries = JournalEntry.objects.count()
    with pytest.raises(FeeError) as refused:
        fee_waive(fee=fee, actor=None, reason="again")
    assert str(refused.value) == "This late fee was already waived on 2027-03-01."
    # Nothing more written: no second reversal, the installment not reduced twice, one audit row.
    assert JournalEntry.objects.count() == entries
    assert _installment(loan, 2).late_fees == D("0.00")
    assert AuditEvent.objects.filter(verb="fee.waived").count() == 1


def test_a_paid_fee_is_refused_in_words_naming_what_is_paid():
    loan, fee = _assessed_fee()
    # Installment 2's 2,421.20 and the 94.81 fee, paid on Feb 20: 2,516.01.
    _pay(loan, D("2516.01"), "both", date(2027, 2, 20))
    with pytest.raises(FeeError) as refused:
        fee_waive(fee=fee, actor=None, reason="goodwill")
    assert str(refused.value) == (
        "94.81 of this late fee is already paid: reverse the payment or refund it instead of waiving it."
    )
    fee.refresh_from_db()
    assert (fee.waived_amount, fee.waiver_entry) == (D("0.00"), None)
    assert not AuditEvent.objects.filter(verb="fee.waived").exists()
