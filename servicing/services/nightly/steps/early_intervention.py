"""Close of business, after delinquency: the written early intervention notices of Reg X 1024.39(b).

A loan aged for D at ``NOTICE_SEND_DAY`` (40) or more days past due that had no notice in the 180 days ending on D
gets one (``servicing.services.early_intervention``; its letter is rendered after commit). Per chunk: one query
locks the loans still owed a notice, one INSERT writes the notices and one their audit rows. A loan with a notice
sent on D is no longer owed one, so a rerun finds nothing to do.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from lending.core.models import User
from servicing.services.early_intervention import loans_needing_notice, notices_create
from servicing.services.nightly.base import ChunkResult, NightlyStep, isolate, register


@register
class EarlyInterventionStep(NightlyStep):
    """Early intervention notices (module docstring)."""

    name = "early_intervention"
    label = "Early intervention notices"

    def pending_loan_ids(self, business_date: date) -> QuerySet[Any, int]:
        return loans_needing_notice(business_date).order_by("pk").values_list("pk", flat=True)

    def run_chunk(self, business_date: date, loan_ids: list[int], actor: User | None) -> ChunkResult:
        def all_at_once(ids: list[int]) -> int:
            notices_create(business_date=business_date, loan_ids=ids, actor=actor)
            return len(ids)

        def one(loan_id: int) -> None:
            notices_create(business_date=business_date, loan_ids=[loan_id], actor=actor)

        return isolate(loan_ids, all_at_once, one)
