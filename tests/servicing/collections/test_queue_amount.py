"""The amount to bring current that the nightly delinquency step stores on the loan (the queue's sort key), and
the queue's order on it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from servicing.models import LoanAccount
from servicing.selectors.collections import QueueFilters, collections_queue, queue_rows
from servicing.services.ledger import journal_post
from servicing.services.nightly.steps.delinquency import DelinquencyStep
from tests.servicing.collections.helpers import delinquent_loan
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
D = Decimal


def _age(day: date) -> None:
    step = DelinquencyStep()
    result = step.run_chunk(day, list(step.pending_loan_ids(day)), None)
    assert result.errors == []


def _stored(loan) -> tuple[int, Decimal]:
    loan.refresh_from_db()
    return loan.days_past_due, loan.amount_to_bring_current


def test_the_step_stores_the_amount_to_bring_current():
    loan = boarded_loan()  # installments of Jan 1 ($3,396.26) and Feb 1 2027 ($2,421.20), nothing paid
    _age(date(2026, 12, 31))
    assert _stored(loan) == (0, D("0.00"))  # nothing due yet
    _age(date(2027, 1, 20))
    assert _stored(loan) == (19, D("3396.26"))  # Jan 1 only
    _age(date(2027, 2, 15))
    assert _stored(loan) == (45, D("5817.46"))  # 3,396.26 + 2,421.20
    journal_post(
        actor=None,
        loan=loan,
        effective_date=date(2027, 2, 16),
        kind="fee",
        memo="",
        lines=[("fees_receivable", D("25.00"), 0), ("fee_income", 0, D("25.00"))],
    )
    _age(date(2027, 2, 16))
    assert _stored(loan) == (46, D("5842.46"))  # 5,817.46 + 25.00 of fees


def test_the_queue_sorts_on_the_stored_amount_and_a_page_reads_its_figures():
    small, large, older = delinquent_loan(), delinquent_loan(), delinquent_loan(days=95, bucket="90-119")
    LoanAccount.objects.filter(pk=large.pk).update(amount_to_bring_current=D("9000.00"))
    queue = collections_queue(QueueFilters())
    assert list(queue) == [older, large, small]
    rows = queue_rows([loan.pk for loan in queue][1:])  # a "page" of two
    assert [(row.pk, row.bring_current) for row in rows] == [(large.pk, D("5817.46")), (small.pk, D("5817.46"))]


def test_the_migration_backfills_the_amount_for_the_loans_past_due():
    from importlib import import_module

    from django.apps import apps

    backfill = import_module("servicing.migrations.0030_charge_off").backfill_amount_to_bring_current
    late, current = delinquent_loan(), delinquent_loan(days=0, bucket="current")
    LoanAccount.objects.filter(pk=late.pk).update(amount_to_bring_current=0, fees_due=D("10.00"))
    backfill(apps, None)
    # 3,396.26 + 2,421.20 due by Feb 15 (its aging night) + 10.00 of fees.
    assert _stored(late) == (45, D("5827.46"))
    assert _stored(current) == (0, D("0.00"))
