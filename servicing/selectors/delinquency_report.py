"""The delinquency report's figures (/staff/reports/delinquency/), all from the month-end loan tape as it is counted
when written (``LoanMonthEndCount``): one GROUP BY over a few hundred rows a month, whatever the portfolio's size or
age. The months
before the first selected one are never read: each row carries its loan's bucket and balance of the month before.

The arithmetic (shares, entering and curing) is ``lending.finance.roll_rates``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet, Sum

from lending.finance.money import cents
from lending.finance.roll_rates import MonthFigures, RollRow, TapeCount, month_figures, roll_matrix
from origination.models import LoanProduct
from servicing.models import LoanMonthEndCount
from servicing.services.month_end import month_close

DEFAULT_MONTHS = 6
MAX_MONTHS = 36


def add_months(month: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) ``month``'s."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """The first days of the months from ``first``'s through ``last``'s, oldest first."""
    first, last = first.replace(day=1), last.replace(day=1)
    months = []
    while first <= last:
        months.append(first)
        first = add_months(first, 1)
    return months


@dataclass(frozen=True)
class DelinquencyFilters:
    first_month: date
    last_month: date
    product: str = ""

    @property
    def months(self) -> list[date]:
        return months_between(self.first_month, self.last_month)


def latest_tape_month(today: date) -> date:
    """The latest month the tape holds (the one before ``today``'s when it holds none yet). One query."""
    latest = LoanMonthEndCount.objects.order_by("-month").values_list("month", flat=True).first()
    return latest or (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def closed_month(as_of: date) -> date:
    """The latest month whose close is on or before ``as_of`` (its first day)."""
    month = as_of.replace(day=1)
    return month if as_of >= month_close(month) else add_months(month, -1)


def window(as_of: date, months: int) -> DelinquencyFilters:
    """The ``months`` months closed by ``as_of``, the latest last."""
    last = closed_month(as_of)
    return DelinquencyFilters(first_month=add_months(last, 1 - months), last_month=last)


def tape_rows(
    filters: DelinquencyFilters, rows: QuerySet[LoanMonthEndCount] | None = None
) -> QuerySet[LoanMonthEndCount]:
    """The tape's counts of the selected months (and product)."""
    rows = LoanMonthEndCount.objects.all() if rows is None else rows
    rows = rows.filter(month__gte=filters.first_month, month__lte=filters.last_month.replace(day=1))
    return rows.filter(product_code=filters.product) if filters.product else rows


def counted(rows: QuerySet[LoanMonthEndCount]) -> QuerySet[Any, Any]:
    """``rows`` added up per (month, bucket before, bucket after), over the products: loans and principal at both
    ends (dicts)."""
    return (
        rows.values("month", "bucket_before", "bucket")
        .annotate(loans=Sum("loans"), before=Sum("principal_before"), after=Sum("principal_balance"))
        .order_by("month", "bucket_before", "bucket")
    )


def counts_of(grouped: Iterable[dict[str, Any]]) -> list[TapeCount]:
    return [
        TapeCount(
            month=row["month"],
            before=row["bucket_before"],
            after=row["bucket"],
            loans=row["loans"],
            balance_before=cents(row["before"]),  # SQLite hands sums back unquantized
            balance_after=cents(row["after"]),
        )
        for row in grouped
    ]


def tape_counts(filters: DelinquencyFilters) -> list[TapeCount]:
    """The selected months' tape counted per (month, bucket before, bucket after). One query."""
    return counts_of(counted(tape_rows(filters)))


def product_choices() -> list[tuple[str, str]]:
    """The products a loan may carry (the tape keeps the code), for the filter. One query, on the products table."""
    return list(LoanProduct.objects.order_by("code").values_list("code", "name"))


@dataclass(frozen=True)
class DelinquencyReport:
    filters: DelinquencyFilters
    counts: list[TapeCount]
    months: list[MonthFigures]
    matrix: list[RollRow]  # of the last selected month

    @property
    def matrix_month(self) -> date:
        return self.filters.last_month.replace(day=1)


def delinquency_report(filters: DelinquencyFilters) -> DelinquencyReport:
    """Everything the page shows. One query."""
    counts = tape_counts(filters)
    return DelinquencyReport(
        filters=filters,
        counts=counts,
        months=month_figures(counts, filters.months),
        matrix=roll_matrix(counts, filters.last_month.replace(day=1)),
    )
