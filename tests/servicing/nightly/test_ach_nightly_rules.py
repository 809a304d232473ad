"""ACH settlement rules at their edges: with no settlement lag a payment settles on its own day, or the next
business day when scheduled on a weekend; the entries handed to the processor carry the draft's bank details."""

from __future__ import annotations

from datetime import date

import pytest

from servicing.ach_processor.base import AchEntry, AchResult
from servicing.models import PendingPayment
from servicing.services import ach_nightly
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

    def submit(self, settlement_date, entries):
        _Capture.entries = list(entries)
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
        entries = _Capture.entries
    finally:
        _Capture.entries = []
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
