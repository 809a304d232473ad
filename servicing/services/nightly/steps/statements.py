"""Step 7 of the close of business: the Reg Z periodic statements (12 CFR 1026.41) of the cycles whose statement
date has come.

A loan's statement asks for its next installment to bill (``next_bill_date``; before its first bill, its next due
date, else its first payment date) and is made ``statement_days_before_due`` days before that due date (a product
term, 15 by default: the previous cycle's courtesy period has ended, 1026.41(b)). For business date D the loans
pending are the active ones whose statement due date minus their lead days is D or earlier and which have no
``Statement`` for that due date. So a night missed (or a weekend: the close runs on business days) is caught up
by the next one, a loan boarded inside the window gets its statement on its first night, and a first statement is
made like any other; the statement row, unique per loan and due date, makes a rerun find nothing.

Each chunk reads its figures set-based (``servicing.selectors.statements``: seven queries whatever its size),
renders one PDF per loan and stores it (``servicing.services.statements``). Rendering dominates, so chunks are
small: they spread over the workers evenly and the progress bar moves.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from lending.core.models import User
from servicing.models import LoanAccount, Statement
from servicing.services.nightly.base import ChunkResult, NightlyStep, isolate, register
from servicing.services.statements import statements_make

CHUNK_SIZE = 100


def statement_due() -> Coalesce:
    """SQL of ``servicing.selectors.statements.statement_due_date`` (the two must agree)."""
    return Coalesce("next_bill_date", "next_due_date", "first_payment_date")


def statements_pending(business_date: date) -> QuerySet[LoanAccount]:
    """Active loans whose statement date (due date less their lead days) is ``business_date`` or earlier, without
    a statement for that due date. Per-loan lead days become one date bound per distinct value (a handful)."""
    leads = (
        LoanAccount.objects.filter(status=LoanAccount.Status.ACTIVE)
        .values_list("statement_days_before_due", flat=True)
        .distinct()
        .order_by()
    )
    window = Q(pk__in=[])
    for lead in set(leads):
        window |= Q(statement_days_before_due=lead, statement_due__lte=business_date + timedelta(days=lead))
    made = Statement.objects.filter(loan=OuterRef("pk"), due_date=OuterRef("statement_due"))
    return (
        LoanAccount.objects.filter(status=LoanAccount.Status.ACTIVE)
        .annotate(statement_due=statement_due())
        .filter(window)
        .filter(~Exists(made))
    )


@register
class StatementsStep(NightlyStep):
    """Periodic statements (module docstring)."""

    name = "statements"
    label = "Periodic statements"
    chunk_size = CHUNK_SIZE

    def pending_loan_ids(self, business_date: date) -> QuerySet[Any, int]:
        return statements_pending(business_date).order_by("pk").values_list("pk", flat=True)

    def run_chunk(self, business_date: date, loan_ids: list[int], actor: User | None) -> ChunkResult:
        def all_at_once(ids: list[int]) -> int:
            statements_make(business_date=business_date, loan_ids=_still_pending(business_date, ids), actor=actor)
            return len(ids)

        def one(loan_id: int) -> None:
            statements_make(business_date=business_date, loan_ids=_still_pending(business_date, [loan_id]), actor=actor)

        return isolate(loan_ids, all_at_once, one)


def _still_pending(business_date: date, loan_ids: list[int]) -> list[int]:
    """The chunk's loans still pending (a redelivered chunk, or one run twice, finds the done ones made)."""
    return list(statements_pending(business_date).filter(pk__in=loan_ids).values_list("pk", flat=True))
