"""ACH settlement rules at their edges: with no settlement lag a payment settles on its own day, or the next
business day when scheduled on a weekend; the entries handed to the processor carry the draft's bank details."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from lending.core import roles
from lending.core.models import AuditEvent, User
from servicing.ach_processor.base import AchEntry, AchProcessorError, AchResult
from servicing.models import PendingPayment
from servicing.services import ach_nightly
from tests.core.factories import user_with_role
from tests.servicing.factories_portal import ROUTING, set_today
from tests.servicing.nightly.test_ach_step import DRAFT_DAY, GOOD_ACCOUNT, SETTLE_DAY, _enroll, _loan, _run


@pytest.mark.parametrize(
    ("scheduled", "settles"),
    [
        (date(2027, 1, 29), date(2027, 1, 29)),  # a Friday: that day
        (date(2027, 1, 30), date(2027, 2, 1)),  # a Saturday: Monday
        (date(2027, 1, 31), date(2027, 2, 1)),  # a Sunday: Monday
    ],
)
def test_with_no_settlement_lag_a_payment_settles_on_its_business_day(settings, scheduled, settles):
    settings.LENDING_ACH_SETTLEMENT_DAYS = 0
    assert ach_nightly.ach_settlement_date(scheduled) == settles


class _Capture:
    """A processor that keeps the entries it is handed and settles them all."""

    name = "Capture bank"
    is_sandbox = False
    entries: list = []
    dates: list = []

    def submit(self, settlement_date, entries):
        _Capture.entries, _Capture.dates = list(entries), [settlement_date]
        return [AchResult(e.entry_id, e.trace_number) for e in entries]

    def returns(self, on):
        return []


@pytest.mark.django_db
def test_the_entries_handed_to_the_processor_carry_the_drafts_bank_details(monkeypatch, settings):
    settings.LENDING_ACH_PROCESSOR = f"{__name__}._Capture"
    set_today(monkeypatch, date(2026, 12, 1))
    loan = _loan()
    enrollment = _enroll(loan)
    _run(DRAFT_DAY)
    set_today(monkeypatch, SETTLE_DAY)
    try:
        _run(SETTLE_DAY)
        entries, dates = _Capture.entries, _Capture.dates
    finally:
        _Capture.entries, _Capture.dates = [], []
    assert dates == [SETTLE_DAY]  # the file is sent for the night's settlement day
    draft = PendingPayment.objects.get(enrollment=enrollment)
    assert draft.status == "settled"
    assert entries == [
        AchEntry(
            entry_id=draft.pk,
            loan_number=loan.loan_number,
            account_holder="Nora Quinn",
            routing_number=ROUTING,
            account_number=GOOD_ACCOUNT,
            account_type="checking",
            amount=draft.amount,
            trace_number=draft.trace_number,
        )
    ]
    # Settled by the night (no actor), posted as an ACH payment dated the settlement day, once per draft.
    assert (draft.settled_on, draft.status_changed_by, draft.processor, draft.is_sandbox, draft.return_code) == (
        SETTLE_DAY,
        None,
        "Capture bank",
        False,
        "",
    )
    payment = draft.transaction
    assert (payment.method, payment.effective_date, payment.reference, payment.idempotency_key, payment.amount) == (
        "ach",
        SETTLE_DAY,
        f"ACH {draft.pk} account ending 6789",
        f"ach:{draft.pk}",
        draft.amount,
    )
    event = AuditEvent.objects.get(verb="ach_payment.settled")
    assert (event.actor, event.target_id, event.before, event.after) == (
        None,
        str(draft.pk),
        {"status": "pending"},
        {
            "status": "settled",
            "transaction": payment.pk,
            "settled_on": "2027-01-04",
            "processor": "Capture bank",
            "trace_number": draft.trace_number,
        },
    )


class _Silent(_Capture):
    """A processor that answers for none of the entries."""

    def submit(self, settlement_date, entries):
        return []


@pytest.mark.django_db
def test_a_payment_the_processor_does_not_answer_for_stays_pending_and_is_named(monkeypatch, settings):
    set_today(monkeypatch, date(2026, 12, 1))
    loan = _loan()
    enrollment = _enroll(loan)
    _run(DRAFT_DAY)
    draft = PendingPayment.objects.get(enrollment=enrollment)
    with pytest.raises(AchProcessorError) as refused:
        ach_nightly.ach_payments_settle(business_date=SETTLE_DAY, loan_ids=[loan.pk], actor=None, processor=_Silent())
    assert str(refused.value) == f"the processor did not answer for ACH payment(s) [{draft.pk}]"
    draft.refresh_from_db()
    assert (draft.status, draft.transaction) == ("pending", None)


class _LongName(_Capture):
    name = "N" * 90  # longer than the 80 characters the payment keeps


@pytest.mark.django_db
def test_a_settlement_by_a_person_is_theirs_and_keeps_80_characters_of_the_processors_name(monkeypatch):
    set_today(monkeypatch, date(2026, 12, 1))
    loan = _loan()
    enrollment = _enroll(loan)
    _run(DRAFT_DAY)
    operator = user_with_role(roles.SERVICER)
    set_today(monkeypatch, SETTLE_DAY)
    before = timezone.now()
    [draft] = ach_nightly.ach_payments_settle(
        business_date=SETTLE_DAY, loan_ids=[loan.pk], actor=operator, processor=_LongName()
    )
    draft = PendingPayment.objects.get(pk=draft.pk, enrollment=enrollment)
    assert (draft.status, draft.status_changed_by, draft.processor) == ("settled", operator, "N" * 80)
    assert before <= draft.status_changed_at <= timezone.now()
    assert AuditEvent.objects.get(verb="ach_payment.settled").actor == operator


def _drafted(monkeypatch):
    set_today(monkeypatch, date(2026, 12, 1))
    loan = _loan()
    enrollment = _enroll(loan)
    _run(DRAFT_DAY)
    set_today(monkeypatch, SETTLE_DAY)
    return loan, PendingPayment.objects.get(enrollment=enrollment)


@pytest.mark.django_db
def test_the_settled_payment_is_posted_by_the_person_who_settled_it(monkeypatch):
    loan, draft = _drafted(monkeypatch)
    operator = user_with_role(roles.SERVICER)
    ach_nightly.ach_payments_settle(business_date=SETTLE_DAY, loan_ids=[loan.pk], actor=operator, processor=_Capture())
    draft.refresh_from_db()
    assert (draft.transaction.posted_by, draft.transaction.method) == (operator, "ach")


@pytest.mark.django_db
def test_a_principal_only_draft_posts_as_a_principal_only_payment(monkeypatch):
    loan, draft = _drafted(monkeypatch)
    PendingPayment.objects.filter(pk=draft.pk).update(directive="principal_only")
    ach_nightly.ach_payments_settle(business_date=SETTLE_DAY, loan_ids=[loan.pk], actor=None, processor=_Capture())
    draft.refresh_from_db()
    assert (draft.status, draft.transaction.directive) == ("settled", "principal_only")


class _Returned(_Capture):
    """A processor that already knows each entry came back: R01, insufficient funds."""

    def submit(self, settlement_date, entries):
        return [AchResult(e.entry_id, e.trace_number, return_code="R01") for e in entries]


@pytest.mark.django_db
def test_a_return_the_processor_already_answers_is_kept_on_the_payment_and_in_its_audit_row(monkeypatch):
    loan, draft = _drafted(monkeypatch)
    ach_nightly.ach_payments_settle(business_date=SETTLE_DAY, loan_ids=[loan.pk], actor=None, processor=_Returned())
    draft.refresh_from_db()
    assert (draft.status, draft.return_code) == ("settled", "R01")  # ach_returns_process takes it from here
    event = AuditEvent.objects.get(verb="ach_payment.settled", target_id=str(draft.pk))
    assert event.after == {
        "status": "settled",
        "transaction": draft.transaction_id,
        "settled_on": "2027-01-04",
        "processor": "Capture bank",
        "trace_number": draft.trace_number,
        "return_code": "R01",
    }


@pytest.mark.django_db
def test_a_payment_the_poster_refuses_is_named_on_its_settlement_day_and_stays_pending(monkeypatch):
    from servicing.models import LoanAccount
    from servicing.services.ach import AchError

    loan, draft = _drafted(monkeypatch)
    LoanAccount.objects.filter(pk=loan.pk).update(status="paid_off")  # paid off by other means after the draft
    with pytest.raises(AchError) as refused:
        ach_nightly.ach_payments_settle(business_date=SETTLE_DAY, loan_ids=[loan.pk], actor=None, processor=_Capture())
    assert refused.value.field == "settled_on"
    assert refused.value.message.startswith(f"ACH payment {draft.pk} cannot post: ")
    assert str(refused.value) == f"settled_on: {refused.value.message}"
    draft.refresh_from_db()
    assert (draft.status, draft.transaction) == ("pending", None)


@pytest.mark.django_db
def test_a_settlement_by_an_actor_never_saved_records_no_changer(monkeypatch):
    # An actor object without a row (a system user built in memory) is no one to name as the changer: the
    # payment settles with no changer and its audit row is the system's.
    loan, draft = _drafted(monkeypatch)
    ach_nightly.ach_payments_settle(
        business_date=SETTLE_DAY, loan_ids=[loan.pk], actor=User(email="nightly@example.com"), processor=_Capture()
    )
    draft.refresh_from_db()
    assert (draft.status, draft.status_changed_by_id) == ("settled", None)
    event = AuditEvent.objects.get(verb="ach_payment.settled", target_id=str(draft.pk))
    assert (event.actor_id, event.actor_label) == (None, "system")
