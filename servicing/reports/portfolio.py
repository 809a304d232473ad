"""The portfolio report (/staff/reports/portfolio/): the book by product, status, rate band and vintage, its
weighted average rate and remaining term, collections, prepayment speed and losses by month, and the loans."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import connection
from django.db.models import F, QuerySet

from lending.core import reports
from lending.core.reports import sql_cells
from servicing.models import LoanAccount
from servicing.reports.filters import product_filter
from servicing.selectors import portfolio as selectors

STATUSES: dict[str, str] = dict(LoanAccount.Status.choices)


class PortfolioFilterSet(reports.ReportFilterSet):
    product = product_filter("product_code")
    status = django_filters.ChoiceFilter(field_name="status", choices=LoanAccount.Status.choices, label="Status")
    rate_band = django_filters.ChoiceFilter(field_name="rate_band", choices=selectors.RATE_BANDS, label="Rate band")
    vintage = django_filters.NumberFilter(field_name="vintage", label="Vintage (year)", min_value=1900, max_value=9998)


@reports.register
class PortfolioReport(reports.ReportView):
    slug = "portfolio"
    title = "Portfolio"
    description = (
        "The book by product, status, rate band and vintage; weighted average rate and remaining term; collections, "
        "prepayment speed (SMM/CPR), charge-offs and recoveries by month."
    )
    order = 10
    filterset_class = PortfolioFilterSet
    template_name = "servicing/reports/portfolio.html"
    rows_title = "Loans"
    columns = (
        reports.Column("loan_number", "Loan"),
        reports.Column("product_code", "Product"),
        reports.Column("status", "Status", accessor=lambda row: STATUSES.get(row["status"], row["status"])),
        reports.Column("annual_rate", "Rate", reports.PERCENT),
        reports.Column("rate_band", "Rate band", accessor=lambda row: selectors.band_label(row["rate_band"])),
        reports.Column("vintage", "Vintage"),
        reports.Column("principal", "Original principal", reports.MONEY),
        reports.Column("principal_balance", "Principal balance", reports.MONEY),
        reports.Column("remaining_months", "Remaining months", reports.INTEGER),
        reports.Column("next_due_date", "Next due", reports.DATE),
        reports.Column("days_past_due", "Days past due", reports.INTEGER),
    )

    def get_queryset(self) -> QuerySet:
        return selectors.portfolio_loans(as_of=self.as_of)

    def present_rows(self, rows: QuerySet) -> QuerySet:
        """Plain rows (dicts), not model instances: the export writes 100,000 of them."""
        return rows.values(*(column.key for column in self.columns))

    def csv_cells(self, rows: QuerySet) -> QuerySet | None:
        """The export's cells written by PostgreSQL, exactly as the columns write them (the export's 100,000 rows
        at over 50,000 a second)."""
        if connection.vendor != "postgresql":
            return None
        return rows.values_list(
            sql_cells.text(F("loan_number")),
            sql_cells.text(F("product_code")),
            sql_cells.label(F("status"), STATUSES),
            sql_cells.decimal(F("annual_rate"), places=3),
            sql_cells.label(F("rate_band"), dict(selectors.RATE_BANDS)),
            sql_cells.text(F("vintage")),
            sql_cells.money(F("principal")),
            sql_cells.money(F("principal_balance")),
            sql_cells.integer(F("remaining_months")),
            sql_cells.day(F("next_due_date")),
            sql_cells.integer(F("days_past_due")),
        )

    def get_report_context(self, rows: QuerySet) -> dict[str, Any]:
        product = self.filterset.form.cleaned_data.get("product") or ""
        strata = selectors.portfolio_strata_as_of(as_of=self.as_of, filters=self.stratum_filters())
        return {
            "strata": strata,
            "strata_tables": [
                ("By product", "product", strata.by_product),
                ("By status", "status", strata.by_status),
                ("By rate band", "rate-band", strata.by_rate_band),
                ("By vintage", "vintage", strata.by_vintage),
            ],
            "months": selectors.portfolio_months(as_of=self.as_of, product=product),
            "months_refreshed_at": selectors.refreshed_at(product),
            "months_product": product,
        }

    def stratum_filters(self) -> dict[str, Any]:
        """The filters chosen, as stratum keys: the strata are summed from the kept strata, not from ``rows``."""
        data = self.filterset.form.cleaned_data
        chosen = {
            "product_code": data.get("product") or None,
            "status": data.get("status") or None,
            "rate_band": int(data["rate_band"]) if data.get("rate_band") not in (None, "") else None,
            "vintage": int(data["vintage"]) if data.get("vintage") is not None else None,
        }
        return {key: value for key, value in chosen.items() if value is not None}

    def get_charts(self, rows: QuerySet, context: dict[str, Any]) -> list[reports.Chart]:
        strata: selectors.Strata = context["strata"]
        months: list[selectors.MonthFigures] = context["months"]
        labels = [f"{m.month:%b %Y}" for m in months]
        return [
            reports.Chart(
                id="balance-by-product",
                title="Principal balance by product",
                kind=reports.DOUGHNUT,
                labels=[s.label for s in strata.by_product],
                datasets=[reports.Dataset("Principal balance", [s.balance for s in strata.by_product])],
            ),
            reports.Chart(
                id="balance-by-rate-band",
                title="Principal balance by rate band",
                labels=[s.label for s in strata.by_rate_band],
                datasets=[reports.Dataset("Principal balance", [s.balance for s in strata.by_rate_band])],
                money=True,
            ),
            reports.Chart(
                id="collections",
                title="Principal and interest collected by month",
                labels=labels,
                datasets=[
                    reports.Dataset("Scheduled principal", [m.principal_collected for m in months]),
                    reports.Dataset("Prepaid principal", [m.prepayment for m in months]),
                    reports.Dataset("Interest", [m.interest_collected for m in months]),
                ],
                stacked=True,
                money=True,
            ),
            reports.Chart(
                id="prepayment-speed",
                title="Prepayment speed (CPR, %)",
                kind=reports.LINE,
                labels=labels,
                datasets=[reports.Dataset("CPR %", [m.cpr_percent for m in months])],
                y_title="% a year",
            ),
            reports.Chart(
                id="losses",
                title="Charge-offs and recoveries by month",
                labels=labels,
                datasets=[
                    reports.Dataset("Charged off (loss)", [m.charge_off_loss for m in months]),
                    reports.Dataset("Recovered", [m.recovered for m in months]),
                ],
                money=True,
            ),
        ]
