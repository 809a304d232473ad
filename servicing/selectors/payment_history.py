"""Payment history: each payment (or reversal) with where its money went, one row per transaction.

A row sums the transaction's current allocation lines by bucket (a replay's superseded lines are history, not money
that stands). The rows come in date order, newest first: with the (effective_date, id) index the page's first 50
rows cost 50 index steps plus a subquery per bucket each, and the export streams the same query through a cursor.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from servicing.models import AllocationLine, LoanTransaction

MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY_FIELD)
# Each row's allocation columns: the name the report shows it under, and the buckets summed into it.
ALLOCATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "principal": (AllocationLine.Bucket.PRINCIPAL,),
    "prepayment": (AllocationLine.Bucket.PREPAYMENT,),
    "interest": (AllocationLine.Bucket.INTEREST,),
    "escrow": (AllocationLine.Bucket.ESCROW,),
    "late_fees": (AllocationLine.Bucket.LATE_FEES,),
    "fees": (AllocationLine.Bucket.FEES,),
    "suspense": (AllocationLine.Bucket.SUSPENSE,),
}
ROW_FIELDS = (
    "id",
    "effective_date",
    "loan__loan_number",
    "loan__product_code",
    "method",
    "kind",
    "status",
    "amount",
    "reference",
)


def _bucket_sum(buckets: tuple[str, ...]) -> Coalesce:
    """The transaction's current lines in ``buckets``, summed by a correlated subquery: an index lookup per row
    shown (the page's 50, or each row as the export streams), never an aggregate over the whole book first."""
    lines = (
        AllocationLine.objects.current()
        .filter(transaction_id=OuterRef("pk"), bucket__in=buckets)
        .order_by()
        .values("transaction_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(lines, output_field=MONEY_FIELD), ZERO)


def payment_history_transactions(*, as_of: date) -> QuerySet[LoanTransaction]:
    """Every transaction effective on or before ``as_of`` (the report's filters narrow these)."""
    return LoanTransaction.objects.filter(effective_date__lte=as_of)


def with_allocation(transactions: QuerySet[LoanTransaction]) -> QuerySet[LoanTransaction, dict[str, Any]]:
    """The transactions as rows, newest first, each with its current allocation summed by column."""
    return cast(
        QuerySet[LoanTransaction, dict[str, Any]],
        transactions.values(*ROW_FIELDS)
        .annotate(**{name: _bucket_sum(buckets) for name, buckets in ALLOCATION_COLUMNS.items()})
        .order_by("-effective_date", "-id"),
    )
