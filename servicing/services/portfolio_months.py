"""Keeps the monthly portfolio figures (``PortfolioMonth``) the portfolio and payment reports read.

A refresh recomputes the months of every journal entry posted since the last refresh (the newest entry id it saw is
its watermark: every money movement, a backdated payment, a reversal, a replay, a charge-off, is a journal entry on
its effective date), one month at a time with five grouped queries, and replaces those months' rows. The first
refresh (no watermark yet) builds every month. It runs after the close of business (task
``servicing.portfolio_months_refresh``), from ``manage.py refresh_portfolio_months``, and in the demo seed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from lending.core.models import User
from lending.core.services import audit_record
from servicing.models import (
    AllocationLine,
    ChargeOff,
    JournalEntry,
    JournalLine,
    LoanTransaction,
    PortfolioMonth,
    Recovery,
)
from servicing.models.ledger import LOANS_RECEIVABLE

ZERO = Decimal("0.00")
# Allocation buckets -> the PortfolioMonth column they are collected into.
BUCKET_COLUMNS = {
    AllocationLine.Bucket.PRINCIPAL: "principal_collected",
    AllocationLine.Bucket.PREPAYMENT: "prepayment",
    AllocationLine.Bucket.INTEREST: "interest_collected",
    AllocationLine.Bucket.ESCROW: "escrow_collected",
    AllocationLine.Bucket.LATE_FEES: "fees_collected",
    AllocationLine.Bucket.FEES: "fees_collected",
}


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def months_touched(*, after_entry_id: int, through_entry_id: int) -> list[date]:
    """The months of the journal entries posted after the watermark (by primary key: an index range)."""
    entries = JournalEntry.objects.filter(id__gt=after_entry_id, id__lte=through_entry_id)
    months = entries.annotate(m=TruncMonth("effective_date")).values_list("m", flat=True).order_by().distinct()
    return sorted({month_start(m) for m in months})


@transaction.atomic
def portfolio_months_refresh(*, actor: User | None, months: Iterable[date] | None = None) -> list[date]:
    """Recompute ``months`` (first days; None: every month touched since the last refresh) and return them."""
    newest = JournalEntry.objects.aggregate(newest=Max("id"))["newest"] or 0
    if months is None:
        watermark = PortfolioMonth.objects.aggregate(seen=Max("last_entry_id"))["seen"] or 0
        months = months_touched(after_entry_id=watermark, through_entry_id=newest)
    wanted = sorted({month_start(m) for m in months})
    now = timezone.now()
    for month in wanted:
        rows = month_figures(month)
        PortfolioMonth.objects.filter(month=month).delete()
        PortfolioMonth.objects.bulk_create(
            PortfolioMonth(month=month, product_code=code, last_entry_id=newest, refreshed_at=now, **figures)
            for code, figures in sorted(rows.items())
        )
    if wanted:
        audit_record(
            actor=actor,
            verb="portfolio_months.refreshed",
            after={"months": [m.isoformat() for m in wanted], "through_entry": newest},
        )
    return wanted


def month_figures(month: date) -> dict[str, dict[str, Any]]:
    """One month's figures per product code, from five grouped queries over that month's rows only."""
    start, end = month, next_month(month)
    figures: dict[str, dict[str, Any]] = defaultdict(dict)

    def add(code: str | None, column: str, value: Any) -> None:
        row = figures[code or ""]
        row[column] = row.get(column, ZERO if isinstance(value, Decimal) else 0) + (value or 0)

    payments = LoanTransaction.objects.filter(
        kind=LoanTransaction.Kind.PAYMENT,
        status=LoanTransaction.Status.POSTED,
        effective_date__gte=start,
        effective_date__lt=end,
    )
    for row in payments.values("loan__product_code").annotate(n=Count("id")).order_by():
        add(row["loan__product_code"], "payments", row["n"])
    lines = AllocationLine.objects.current().filter(transaction__in=payments.values("id"))
    for row in lines.values("transaction__loan__product_code", "bucket").annotate(total=Sum("amount")).order_by():
        column = BUCKET_COLUMNS.get(row["bucket"])
        if column:  # suspense is neither collected nor applied yet
            add(row["transaction__loan__product_code"], column, row["total"])
    receivable = JournalLine.objects.filter(
        account__code=LOANS_RECEIVABLE, entry__effective_date__gte=start, entry__effective_date__lt=end
    )
    for change in receivable.values("loan__product_code").annotate(d=Sum("debit"), c=Sum("credit")).order_by():
        add(change["loan__product_code"], "principal_change", (change["d"] or ZERO) - (change["c"] or ZERO))
    charge_offs = ChargeOff.objects.filter(charged_off_on__gte=start, charged_off_on__lt=end)
    for row in (
        charge_offs.values("loan__product_code")
        .annotate(n=Count("id"), principal=Sum("principal"), loss=Sum("loss"))
        .order_by()
    ):
        add(row["loan__product_code"], "charge_offs", row["n"])
        add(row["loan__product_code"], "charged_off_principal", row["principal"])
        add(row["loan__product_code"], "charge_off_loss", row["loss"])
    recoveries = Recovery.objects.filter(received_on__gte=start, received_on__lt=end)
    for row in recoveries.values("loan__product_code").annotate(n=Count("id"), amount=Sum("amount")).order_by():
        add(row["loan__product_code"], "recoveries", row["n"])
        add(row["loan__product_code"], "recovered", row["amount"])
    return dict(figures)


def months_all() -> list[date]:
    """Every month from the first journal entry's to the last one's (a full rebuild)."""
    span = JournalEntry.objects.aggregate(first=Min("effective_date"), last=Max("effective_date"))
    if span["first"] is None:
        return []
    months, month = [], month_start(span["first"])
    while month <= span["last"]:
        months.append(month)
        month = next_month(month)
    return months
