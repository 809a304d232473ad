"""The delinquency report's figures (/staff/reports/delinquency/), all from the month-end loan tape
(``LoanMonthEnd``): one GROUP BY over the selected months' rows, whatever the portfolio's size or age. The months
before the first selected one are never read: each row carries its loan's bucket and balance of the month before.

The arithmetic (shares, entering and curing) is ``lending.finance.roll_rates``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Sum

from lending.finance.roll_rates import MonthFigures, RollRow, TapeCount, month_figures, roll_matrix
from servicing.models import LoanMonthEnd

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
    latest = LoanMonthEnd.objects.order_by("-month").values_list("month", flat=True).first()
    return latest or (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def tape_counts(filters: DelinquencyFilters) -> list[TapeCount]:
    """The selected months' tape counted per (month, bucket before, bucket after). One query."""
    rows = LoanMonthEnd.objects.filter(month__gte=filters.first_month, month__lte=filters.last_month.replace(day=1))
    if filters.product:
        rows = rows.filter(product_code=filters.product)
    counted = (
        rows.values("month", "bucket_before", "bucket")
        .annotate(loans=Count("pk"), before=Sum("principal_before"), after=Sum("principal_balance"))
        .order_by("month", "bucket_before", "bucket")
    )
    return [
        TapeCount(
            month=row["month"],
            before=row["bucket_before"],
            after=row["bucket"],
            loans=row["loans"],
            balance_before=row["before"],
            balance_after=row["after"],
        )
        for row in counted
    ]


def tape_products() -> list[str]:
    """The product codes on the tape, for the filter. One query (distinct over the index of the loans table)."""
    from servicing.models import LoanAccount

    return list(LoanAccount.objects.order_by("product_code").values_list("product_code", flat=True).distinct())


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
