"""The nightly ACH step under concurrency (PostgreSQL): the same chunk run twice at once (a rerun overlapping a
run, or a retried Celery task) drafts once per enrollment and installment and posts each payment once; the
nightly settlement racing a servicer's manual settle posts once; the books stay clean."""

from __future__ import annotations

from datetime import date

import pytest

from servicing.models import LoanAccount, LoanTransaction, PendingPayment
from servicing.services import ach
from servicing.services.nightly.steps.ach import AchStep
from tests.servicing.concurrency import run_in_threads
from tests.servicing.factories_portal import set_today
from tests.servicing.nightly.test_ach_step import DRAFT_DAY, SETTLE_DAY, _enroll, _ledger_clean, _loan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    set_today(monkeypatch, date(2026, 12, 1))


def _chunk(day: date, ids: list[int]) -> None:
    result = AchStep().run_chunk(day, ids, None)
    assert result.errors == []


def test_the_same_chunk_run_at_once_drafts_and_posts_once(monkeypatch):
    loans = [_loan(), _loan(), _loan()]
    for loan in loans:
        _enroll(loan)
    ids = [loan.pk for loan in loans]
    assert run_in_threads(4, lambda i: _chunk(DRAFT_DAY, ids)) == []
    assert PendingPayment.objects.count() == 3  # one draft per enrollment and installment
    set_today(monkeypatch, SETTLE_DAY)
    assert run_in_threads(4, lambda i: _chunk(SETTLE_DAY, ids)) == []
    assert LoanTransaction.objects.count() == 3
    assert set(PendingPayment.objects.values_list("status", flat=True)) == {"settled"}
    assert list(AchStep().pending_loan_ids(SETTLE_DAY)) == []
    _ledger_clean()


def test_nightly_settlement_racing_a_manual_settle_posts_once(monkeypatch):
    loan = _loan()
    enrollment = _enroll(loan)
    _chunk(DRAFT_DAY, [loan.pk])
    draft = PendingPayment.objects.get(enrollment=enrollment)
    set_today(monkeypatch, SETTLE_DAY)

    def work(index: int) -> None:
        if index % 2:
            ach.ach_payment_settle(pending=PendingPayment.objects.get(pk=draft.pk), actor=None, settled_on=SETTLE_DAY)
        else:
            _chunk(SETTLE_DAY, [loan.pk])

    assert run_in_threads(4, work) == []
    assert LoanTransaction.objects.filter(loan=loan).count() == 1
    assert PendingPayment.objects.get(pk=draft.pk).status == "settled"
    assert LoanAccount.objects.get(pk=loan.pk).version > 1
    _ledger_clean()
