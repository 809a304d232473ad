"""Close of business, step 4: late fees (``servicing.services.fees`` has the rule and the postings).

A loan paying under an open loss-mitigation plan (``selectors.plans.on_plan``) is not charged: an installment whose
grace period ends while the plan is kept is never charged a late fee, even if the plan breaks later."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from lending.core.models import User
from servicing.models import Installment, LoanAccount
from servicing.selectors.plans import on_plan
from servicing.services.fees import late_candidates, late_fees_assess
from servicing.services.nightly.base import ChunkResult, NightlyStep, isolate, register


@register
class LateFeesStep(NightlyStep):
    name = "late_fees"
    label = "Late fees"

    def pending_loan_ids(self, business_date: date) -> QuerySet[Any, int]:
        """Loans with an installment whose grace period ends by this close (and after the previous one) that is
        still short and not yet charged: once charged (or paid), the loan drops out."""
        late = Installment.objects.filter(late_candidates(business_date)).values("loan_id")
        loans = LoanAccount.objects.filter(pk__in=late).exclude(on_plan())
        return loans.order_by("pk").values_list("pk", flat=True)

    def run_chunk(self, business_date: date, loan_ids: list[int], actor: User | None) -> ChunkResult:
        def charge(ids: list[int]) -> int:
            late_fees_assess(business_date=business_date, loan_ids=ids, actor=actor)
            return len(ids)

        def one(loan_id: int) -> None:
            charge([loan_id])

        return isolate(loan_ids, charge, one)
