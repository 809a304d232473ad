"""Close of business, promises: a pending promise due by D is kept when the standing payments from the day it was
made through its date cover it, broken otherwise (and the loan is back in the queue); a rerun does nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import NightlyRun, PromiseToPay
from servicing.selectors.collections import QueueFilters, collections_queue
from servicing.services import collections, payments
from servicing.services.collections import promise_make
from servicing.services.nightly.base import steps_in_order
from servicing.services.nightly.runner import nightly_run
from servicing.services.nightly.steps.promises import PromisesStep
from servicing.services.payments import payment_post, payment_reverse
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan

pytestmark = pytest.mark.django_db
MADE = date(2027, 2, 16)
PROMISED = date(2027, 2, 26)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 12, 31))
    monkeypatch.setattr(collections, "_today", lambda: MADE)


def _pay(loan, amount: str, day: date, key: str):
    return payment_post(
        loan=loan,
        amount=Decimal(amount),
        effective_date=day,
        method="check",
        reference=key,
        idempotency_key=key,
        actor=None,
    )


def _run(day: date):
    step = PromisesStep()
    ids = list(step.pending_loan_ids(day))
    result = step.run_chunk(day, ids, None)
    assert result.errors == []
    return ids


def _state(promise):
    promise.refresh_from_db()
    return promise.status, promise.paid_amount, promise.resolved_on


def test_the_step_runs_after_statements_before_the_month_end_tape():
    assert [step.name for step in steps_in_order()][-3:] == ["statements", "promises", "month_end"]


def test_kept_broken_and_idempotent():
    collector = user_with_role(roles.COLLECTOR)
    kept_loan, broken_loan = delinquent_loan(), delinquent_loan()
    kept = promise_make(actor=collector, loan=kept_loan, amount=Decimal("1500.00"), promised_date=PROMISED)
    broken = promise_make(actor=collector, loan=broken_loan, amount=Decimal("1500.00"), promised_date=PROMISED)
    # Kept: 1,000.00 (Feb 18) + 500.00 (Feb 26, the promised date itself) = 1,500.00 >= 1,500.00. The 700.00 of
    # Feb 15 (before the promise was made) and the 900.00 of Feb 27 (after its date) do not count.
    _pay(kept_loan, "700.00", date(2027, 2, 15), "K0")
    _pay(kept_loan, "1000.00", date(2027, 2, 18), "K1")
    _pay(kept_loan, "500.00", date(2027, 2, 26), "K2")
    _pay(kept_loan, "900.00", date(2027, 2, 27), "K3")
    # Broken: 1,000.00 + 600.00 = 1,600.00 paid, but the 600.00 was returned: 1,000.00 < 1,500.00.
    _pay(broken_loan, "1000.00", date(2027, 2, 17), "B1")
    returned = _pay(broken_loan, "600.00", date(2027, 2, 20), "B2")
    payment_reverse(transaction=returned, reason="NSF", actor=None)

    assert _run(date(2027, 2, 25)) == []  # not due yet
    assert _run(PROMISED) == sorted([kept_loan.pk, broken_loan.pk])
    assert _state(kept) == ("kept", Decimal("1500.00"), PROMISED)
    assert _state(broken) == ("broken", Decimal("1000.00"), PROMISED)
    assert AuditEvent.objects.filter(verb="loan.promise_kept", target_id=str(kept_loan.pk)).count() == 1
    assert AuditEvent.objects.filter(verb="loan.promise_broken", target_id=str(broken_loan.pk)).count() == 1

    audits = AuditEvent.objects.count()
    assert _run(PROMISED) == []  # a rerun finds nothing pending
    result = PromisesStep().run_chunk(PROMISED, [kept_loan.pk, broken_loan.pk], None)  # a stale chunk
    assert (result.done, result.errors) == (2, [])
    assert _state(kept) == ("kept", Decimal("1500.00"), PROMISED)
    assert AuditEvent.objects.count() == audits


def test_a_missed_night_is_caught_up_and_a_broken_promise_puts_the_loan_back_in_the_queue():
    collector = user_with_role(roles.COLLECTOR)
    loan = delinquent_loan()
    promise = promise_make(actor=collector, loan=loan, amount=Decimal("0.01"), promised_date=PROMISED)
    assert list(collections_queue(QueueFilters())) == []  # waiting for its date
    assert _run(date(2027, 3, 1)) == [loan.pk]  # the 26th's night was missed: resolved on the next
    assert _state(promise) == ("broken", Decimal("0.00"), date(2027, 3, 1))
    assert list(collections_queue(QueueFilters())) == [loan]
    assert PromiseToPay.objects.filter(status="pending").count() == 0


def test_the_runner_runs_the_step_by_name():
    collector = user_with_role(roles.COLLECTOR)
    loan = delinquent_loan()
    promise = promise_make(actor=collector, loan=loan, amount=Decimal("100.00"), promised_date=PROMISED)
    _pay(loan, "100.00", date(2027, 2, 19), "R1")
    # Friday Feb 26 2027 is a business day, closable on Monday Mar 1.
    run = nightly_run(
        business_date=PROMISED,
        actor=None,
        trigger=NightlyRun.Trigger.COMMAND,
        only_step="promises",
        today=date(2027, 3, 1),
    )
    step = run.steps.get(name="promises")
    assert (step.status, step.done, step.error_count) == ("completed", 1, 0)  # the other steps wait (only_step)
    assert _state(promise) == ("kept", Decimal("100.00"), PROMISED)


def test_a_payment_on_the_day_the_promise_was_made_counts_toward_it():
    loan = delinquent_loan()
    promise = promise_make(
        actor=user_with_role(roles.COLLECTOR), loan=loan, amount=Decimal("1500.00"), promised_date=PROMISED
    )
    # 1,500.00 paid on Feb 16, the day the promise was made (the first day that counts): kept, 1,500.00 paid.
    _pay(loan, "1500.00", MADE, "M1")
    _run(PROMISED)
    assert _state(promise) == ("kept", Decimal("1500.00"), PROMISED)
