"""Two small close-of-business steps for testing the runner (never registered outside a test).

``MarkStep`` marks each loan done for date D with an audit row (verb ``test.nightly_mark``, note D): its pending
loans are those without that row, exactly as a real step's unique key works. ``AfterStep`` does the same under its
own verb, so a test sees the steps ran in order. ``MarkStep.fail_ids`` fail; ``MarkStep.calls`` records the chunks.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import pytest

from lending.core.models import AuditEvent
from lending.core.services import audit_event, audit_record_many
from servicing.models import LoanAccount
from servicing.services.nightly import base

MARK = "test.nightly_mark"
AFTER = "test.nightly_after"
# Thursday 12 March 2026: the last closable business day is Wednesday the 11th.
TODAY = date(2026, 3, 12)
LAST_CLOSABLE = date(2026, 3, 11)


def marked(verb: str, day: date) -> list[int]:
    """Loan ids the step marked for ``day``, in the order it marked them."""
    rows = AuditEvent.objects.filter(verb=verb, note=day.isoformat()).order_by("pk").values_list("target_id", flat=True)
    return [int(pk) for pk in rows]


class _MarkingStep(base.NightlyStep):
    verb: ClassVar[str]
    fail_ids: ClassVar[set[int]] = set()
    calls: ClassVar[list[list[int]]] = []

    def pending_loan_ids(self, business_date):
        done = marked(self.verb, business_date)
        return LoanAccount.objects.exclude(pk__in=done).order_by("pk").values_list("pk", flat=True)

    def run_chunk(self, business_date, loan_ids, actor):
        type(self).calls.append(list(loan_ids))

        def all_at_once(ids: list[int]) -> int:
            if set(ids) & self.fail_ids:
                raise ValueError("a loan in this chunk cannot be marked")
            self._mark(business_date, ids, actor)
            return len(ids)

        def one(loan_id: int) -> None:
            if loan_id in self.fail_ids:
                raise ValueError(f"loan {loan_id} cannot be marked")
            self._mark(business_date, [loan_id], actor)

        return base.isolate(loan_ids, all_at_once, one)

    def _mark(self, business_date, ids, actor):
        loans = LoanAccount.objects.filter(pk__in=ids).order_by("pk")
        audit_record_many(
            [audit_event(actor=actor, verb=self.verb, target=loan, note=business_date.isoformat()) for loan in loans]
        )


class MarkStep(_MarkingStep):
    name = "test_mark"
    label = "Mark loans"
    chunk_size = 2
    verb = MARK


class AfterStep(_MarkingStep):
    name = "test_after"
    label = "Mark loans again"
    chunk_size = 10
    verb = AFTER


def install_test_steps(monkeypatch) -> None:
    """Make the two test steps the whole close of business for one test (monkeypatch restores the registry)."""
    base.steps_in_order()  # import the real steps first, so that they never register into the test's registry
    monkeypatch.setattr(base, "STEPS", {})
    monkeypatch.setattr(base, "ORDER", (MarkStep.name, AfterStep.name))
    for step in (MarkStep, AfterStep):
        base.register(step)
        monkeypatch.setattr(step, "fail_ids", set())
        monkeypatch.setattr(step, "calls", [])


@pytest.fixture
def test_steps(monkeypatch):
    from servicing.services.nightly import runner

    install_test_steps(monkeypatch)
    monkeypatch.setattr(runner, "local_today", lambda: TODAY)
