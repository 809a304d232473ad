"""Close of business, last step: the month-end loan tape (``servicing.services.month_end``), on the close of a
month's last business day only. A loan whose row for the month is written is done, so a rerun writes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from lending.core.models import User
from servicing.models import LoanAccount
from servicing.services.month_end import is_month_close, month_end_record, month_start, on_tape
from servicing.services.nightly.base import ChunkResult, NightlyStep, isolate, register


@register
class MonthEndStep(NightlyStep):
    name = "month_end"
    label = "Month-end tape"

    def pending_loan_ids(self, business_date: date) -> QuerySet[Any, int]:
        if not is_month_close(business_date):
            return LoanAccount.objects.none().values_list("pk", flat=True)
        month = month_start(business_date)
        return (
            on_tape(month, business_date).exclude(month_ends__month=month).order_by("pk").values_list("pk", flat=True)
        )

    def run_chunk(self, business_date: date, loan_ids: list[int], actor: User | None) -> ChunkResult:
        def record(ids: list[int]) -> int:
            month_end_record(business_date=business_date, loan_ids=ids)
            return len(ids)

        def one(loan_id: int) -> None:
            record([loan_id])

        return isolate(loan_ids, record, one)
