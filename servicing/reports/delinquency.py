"""The delinquency report (/staff/reports/delinquency/): the roll-rate matrix of the last month closed by the "as of"
date, balances by bucket at each month end, loans entering delinquency and curing, from the month-end loan tape.

The table (and the exports) are the tape counted per (month, bucket at the month before, bucket at the month's end):
every figure on the page adds up from those rows. Thin: the figures are servicing.selectors.delinquency_report and
lending.finance.roll_rates."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from lending.core import reports, roles
from lending.finance.delinquency import DPD_BUCKETS
from lending.finance.roll_rates import TO_BUCKETS, RollCell, month_figures, roll_matrix
from servicing.models import LoanMonthEndCount
from servicing.models.month_end import CHARGED_OFF, NEW, PAID_OFF
from servicing.selectors import delinquency_report as selectors

MONTH_CHOICES = [(str(n), f"{n} months") for n in (3, 12, 24, selectors.MAX_MONTHS)]  # 6: the default
BUCKET_LABELS = {
    **{bucket: bucket for bucket in DPD_BUCKETS},
    "current": "Current",
    PAID_OFF: "Paid off",
    CHARGED_OFF: "Charged off",
    NEW: "New loan",
}
BUCKET_CHOICES = [(bucket, BUCKET_LABELS[bucket]) for bucket in DPD_BUCKETS]


class DelinquencyFilterSet(reports.ReportFilterSet):
    months = django_filters.ChoiceFilter(
        label="Months", choices=MONTH_CHOICES, method="filter_nothing", empty_label="6 months"
    )
    product = django_filters.ChoiceFilter(field_name="product_code", label="Product", choices=selectors.product_choices)
    bucket = django_filters.ChoiceFilter(
        field_name="bucket_before", label="Bucket at the month before", choices=BUCKET_CHOICES
    )

    def filter_nothing(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # read by filter_as_of, which sets the window

    @property
    def window(self) -> selectors.DelinquencyFilters:
        """The months shown: the last ``months`` closed by the "as of" date."""
        data = self.form.cleaned_data
        return selectors.window(data["as_of"], int(data.get("months") or selectors.DEFAULT_MONTHS))

    def filter_as_of(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return selectors.tape_rows(self.window, queryset)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        """The filtered tape, counted: the report's rows are (month, before, after) with loans and balances."""
        return selectors.counted(super().filter_queryset(queryset))


def _month(row: dict) -> str:
    return f"{row['month']:%Y-%m}"


def _label(row: dict, key: str) -> str:
    return BUCKET_LABELS[row[key]]


def _heat(cell: RollCell, from_bucket: str) -> str:
    """A cell's shade: red for a roll to a worse bucket or out by charge-off, green for a cure, by its share."""
    if not cell.loans or cell.percent is None:
        return ""
    worse = cell.to_bucket == CHARGED_OFF or (
        cell.to_bucket in DPD_BUCKETS and DPD_BUCKETS.index(cell.to_bucket) > DPD_BUCKETS.index(from_bucket)
    )
    better = cell.to_bucket in DPD_BUCKETS and DPD_BUCKETS.index(cell.to_bucket) < DPD_BUCKETS.index(from_bucket)
    colour = "danger" if worse else "success" if better else "secondary"
    level = 10 if cell.percent < 5 else 25 if cell.percent < 25 else 50 if cell.percent < 60 else 75
    return f"bg-{colour} bg-opacity-{level}"


@reports.register
class DelinquencyReport(reports.ReportView):
    slug = "delinquency"
    title = "Delinquency"
    description = (
        "Roll rates month over month, balances by bucket at each month end, loans entering delinquency and curing."
    )
    order = 20
    allowed_roles = (*reports.REPORT_ROLES, roles.COLLECTOR)
    filterset_class = DelinquencyFilterSet
    template_name = "reports/delinquency.html"
    page_size = None  # a few aggregate rows a month
    rows_title = "Month-end moves: loans by bucket at the month before and at the month's end"
    columns = (
        reports.Column("month", "Month", accessor=_month),
        reports.Column(
            "bucket_before", "Bucket at the month before", accessor=lambda r: BUCKET_LABELS[r["bucket_before"]]
        ),
        reports.Column("bucket", "Bucket at the month end", accessor=lambda r: BUCKET_LABELS[r["bucket"]]),
        reports.Column("loans", "Loans", reports.INTEGER),
        reports.Column("before", "Principal at the month before", reports.MONEY),
        reports.Column("after", "Principal at the month end", reports.MONEY),
    )

    def get_queryset(self) -> QuerySet[LoanMonthEndCount]:
        return LoanMonthEndCount.objects.all()

    def get_report_context(self, rows: QuerySet) -> dict[str, Any]:
        window = self.filterset.window
        counts = selectors.counts_of(rows)  # evaluates the rows once: the table reads the same result
        matrix = roll_matrix(counts, window.last_month)
        return {
            "window": window,
            "figures": month_figures(counts, window.months),
            "matrix": [(row, [(cell, _heat(cell, row.from_bucket)) for cell in row.cells]) for row in matrix],
            "to_labels": [BUCKET_LABELS[bucket] for bucket in TO_BUCKETS],
            "bucket_labels": [BUCKET_LABELS[bucket] for bucket in DPD_BUCKETS],
        }

    def get_charts(self, rows: QuerySet, context: dict[str, Any]) -> list[reports.Chart]:
        figures = context["figures"]
        labels = [f"{month.month:%b %Y}" for month in figures]
        return [
            reports.Chart(
                id="balances",
                title="Principal by bucket at each month end",
                labels=labels,
                datasets=[
                    reports.Dataset(BUCKET_LABELS[bucket], [month.balances[i] for month in figures])
                    for i, bucket in enumerate(DPD_BUCKETS)
                ],
                stacked=True,
                money=True,
            ),
            reports.Chart(
                id="flows",
                title="Loans entering delinquency and curing",
                labels=labels,
                datasets=[
                    reports.Dataset("Entering", [month.entering for month in figures]),
                    reports.Dataset("Curing", [month.curing for month in figures]),
                ],
                y_title="Loans",
            ),
        ]
