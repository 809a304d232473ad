"""Step 3 of the close of business: autopay drafts, ACH settlement and returns (the work is in
``servicing.services.ach_drafts``, ``ach_nightly`` and ``ach_returns``).

For business date D and a chunk of loans: enrollments whose draft date is D create their ACH payment (or record
why not); portal and autopay payments whose settlement day is D go to the ACH processor adapter and post through
the batch poster, one batch per chunk; returns (answered at settlement by the sandbox, or received later)
reverse their payment, charge the returned-payment fee and may suspend autopay.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from lending.core.models import User
from servicing.ach_processor.base import AchProcessor, get_processor
from servicing.services import ach_drafts, ach_nightly, ach_returns
from servicing.services.nightly.base import ChunkResult, NightlyStep, isolate, register


@register
class AchStep(NightlyStep):
    name = "ach"
    label = "Autopay and ACH"

    def pending_loan_ids(self, business_date: date) -> QuerySet[Any, int]:
        return ach_nightly.ach_pending_loan_ids(business_date)

    def run_chunk(self, business_date: date, loan_ids: list[int], actor: User | None) -> ChunkResult:
        processor = get_processor()

        def all_at_once(ids: list[int]) -> int:
            ach_for_loans(business_date, ids, actor, processor)
            return len(ids)

        def one(loan_id: int) -> None:
            ach_for_loans(business_date, [loan_id], actor, processor)

        with transaction.atomic():
            return isolate(loan_ids, all_at_once, one)


def ach_for_loans(business_date: date, loan_ids: list[int], actor: User | None, processor: AchProcessor) -> None:
    """Drafts first (a lag of 0 settles a draft the day it is made), then settlement, then returns."""
    ach_drafts.autopay_drafts_create(business_date=business_date, loan_ids=loan_ids, actor=actor)
    ach_nightly.ach_payments_settle(business_date=business_date, loan_ids=loan_ids, actor=actor, processor=processor)
    ach_returns.ach_returns_process(business_date=business_date, loan_ids=loan_ids, actor=actor)
