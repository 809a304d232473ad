"""The payment history report (/staff/reports/payments/): each payment, book-wide or for one loan, with where its
money went (principal, prepayment, interest, escrow, fees, suspense); filters by date range, method, product, loan."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import connection
from django.db.models import F, QuerySet

from lending.core import reports
from lending.core.reports import sql_cells
from servicing.models import LoanTransaction
from servicing.reports.filters import product_filter
from servicing.selectors import payment_history as selectors
from servicing.selectors.portfolio import portfolio_months


class PaymentHistoryFilterSet(reports.ReportFilterSet):
    date_from, date_to = reports.date_range_filters("effective_date", "Effective")
    method = django_filters.ChoiceFilter(field_name="method", choices=LoanTransaction.Method.choices, label="Method")
    product = product_filter("loan__product_code")
    loan = django_filters.CharFilter(field_name="loan__loan_number", label="Loan number", max_length=32)
    status = django_filters.ChoiceFilter(field_name="status", choices=LoanTransaction.Status.choices, label="Status")

    def filter_as_of(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(effective_date__lte=value)


METHODS: dict[str, str] = dict(LoanTransaction.Method.choices)
KINDS: dict[str, str] = dict(LoanTransaction.Kind.choices)
STATUSES: dict[str, str] = dict(LoanTransaction.Status.choices)


def _money(key: str, label: str) -> reports.Column:
    return reports.Column(key, label, reports.MONEY)


@reports.register
class PaymentHistoryReport(reports.ReportView):
    slug = "payments"
    title = "Payment history"
    description = (
        "Each payment with its allocation (principal, interest, escrow, fees), by date, method, product or loan."
    )
    order = 15
    filterset_class = PaymentHistoryFilterSet
    template_name = "servicing/reports/payment_history.html"
    rows_title = "Payments, newest first"
    # Without a range: the month of the "as of" date (the export too: never the whole book's history by default).
    month_to_date_filters = ("date_from", "date_to")
    columns = (
        reports.Column("effective_date", "Effective", reports.DATE),
        reports.Column("loan__loan_number", "Loan"),
        reports.Column("loan__product_code", "Product"),
        reports.Column("method", "Method", accessor=lambda row: METHODS.get(row["method"], row["method"])),
        reports.Column("kind", "Kind", accessor=lambda row: KINDS.get(row["kind"], row["kind"])),
        reports.Column("status", "Status", accessor=lambda row: STATUSES.get(row["status"], row["status"])),
        _money("amount", "Amount"),
        _money("principal", "Principal"),
        _money("prepayment", "Prepaid principal"),
        _money("interest", "Interest"),
        _money("escrow", "Escrow"),
        _money("late_fees", "Late fees"),
        _money("fees", "Fees"),
        _money("suspense", "Suspense"),
        reports.Column("reference", "Reference"),
    )

    def get_queryset(self) -> QuerySet:
        return selectors.payment_history_transactions(as_of=self.as_of)

    def present_rows(self, rows: QuerySet) -> QuerySet:
        return selectors.with_allocation(rows)

    def csv_cells(self, rows: QuerySet) -> QuerySet | None:
        """The export's cells written by PostgreSQL, exactly as the columns write them (a month of the book is
        100,000 payments)."""
        if connection.vendor != "postgresql":
            return None
        return rows.values_list(
            sql_cells.day(F("effective_date")),
            sql_cells.text(F("loan__loan_number")),
            sql_cells.text(F("loan__product_code")),
            sql_cells.label(F("method"), METHODS),
            sql_cells.label(F("kind"), KINDS),
            sql_cells.label(F("status"), STATUSES),
            *(sql_cells.money(F(name)) for name in ("amount", *selectors.ALLOCATION_COLUMNS)),
            sql_cells.text(F("reference")),
        )

    def get_report_context(self, rows: QuerySet) -> dict[str, Any]:
        product = self.filterset.form.cleaned_data.get("product") or ""
        return {"months": portfolio_months(as_of=self.as_of, product=product), "months_product": product}

    def get_charts(self, rows: QuerySet, context: dict[str, Any]) -> list[reports.Chart]:
        months = context["months"]
        return [
            reports.Chart(
                id="allocation-by-month",
                title="Where the book's payments went, by month"
                + (f" ({context['months_product']})" if context["months_product"] else ""),
                labels=[f"{m.month:%b %Y}" for m in months],
                datasets=[
                    reports.Dataset("Principal", [m.principal_collected + m.prepayment for m in months]),
                    reports.Dataset("Interest", [m.interest_collected for m in months]),
                    reports.Dataset("Escrow", [m.escrow_collected for m in months]),
                    reports.Dataset("Fees", [m.fees_collected for m in months]),
                ],
                stacked=True,
                money=True,
            )
        ]
