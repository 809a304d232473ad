"""The pipeline report (/staff/reports/pipeline/): the applications taken in a period by state and loan officer,
pull-through and fallout, time in each state, turn time to funding, and the period's leads to funded loans by
source and referral partner. It lives in crm, the layer that sees both the leads and the applications.

The rows (and the exports) are the filtered applications themselves; the figures above them aggregate the same
rows (origination.selectors.pipeline_report) and the period's leads (crm.selectors_funnel)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import django_filters
from django.db.models import QuerySet

from crm.selectors_funnel import lead_funnel
from lending.core import reports, roles
from lending.core.selectors import users_with_role
from origination.models import Application, LoanProduct
from origination.models.applications import Status
from origination.selectors.pipeline_report import STATE_LABELS, pipeline_report

DEFAULT_DAYS = 90  # the period when none is chosen: the 90 days to the "as of" date


def _officers(request=None) -> QuerySet:
    return users_with_role(roles.LOAN_OFFICER).order_by("first_name", "last_name", "pk")


class PipelineFilterSet(reports.ReportFilterSet):
    date_from, date_to = reports.date_range_filters("application_date", "Taken")
    # Listed: a chosen product or officer is checked against the options read for the select, not looked up again.
    product = reports.ListedModelChoiceFilter(queryset=LoanProduct.objects.order_by("name"), label="Product")
    officer = reports.ListedModelChoiceFilter(field_name="loan_officer", queryset=_officers, label="Loan officer")
    state = django_filters.ChoiceFilter(field_name="status", choices=Status.choices, label="State")

    @property
    def period(self) -> tuple[date, date]:
        """The period the applications were taken in: the chosen dates, else the 90 days to the "as of" date."""
        data = self.form.cleaned_data
        last = data.get("date_to") or data["as_of"]
        return data.get("date_from") or last - timedelta(days=DEFAULT_DAYS - 1), last

    def filter_as_of(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        first, last = self.period
        return queryset.filter(application_date__gte=first, application_date__lte=last)


# The rows as plain values (present_rows), not four model instances each: the page's 50 and the exports' every row.
ROW_FIELDS = (
    "number",
    "product__name",
    "loan_officer_id",
    "loan_officer__first_name",
    "loan_officer__last_name",
    "loan_officer__email",
    "status",
    "application_date",
    "amount_requested",
    "funding__funded_on",
)


def _officer(row: dict[str, Any]) -> str:
    if row["loan_officer_id"] is None:
        return "Unassigned"
    return f"{row['loan_officer__first_name']} {row['loan_officer__last_name']}".strip() or row["loan_officer__email"]


def _days_to_fund(row: dict[str, Any]) -> int | None:
    funded_on = row["funding__funded_on"]
    if funded_on is None or row["application_date"] is None:
        return None
    return (funded_on - row["application_date"]).days


@reports.register
class PipelineReport(reports.ReportView):
    slug = "pipeline"
    title = "Pipeline"
    description = (
        "Applications by state and loan officer, pull-through and fallout, time in each state, turn times, and "
        "leads to funded loans by source and referral partner."
    )
    order = 30
    filterset_class = PipelineFilterSet
    template_name = "reports/pipeline.html"
    rows_title = "Applications taken"
    columns = (
        reports.Column("number", "Application"),
        reports.Column("product", "Product", accessor=lambda row: row["product__name"]),
        reports.Column("officer", "Loan officer", accessor=_officer),
        reports.Column("status", "State", accessor=lambda row: STATE_LABELS.get(row["status"], row["status"])),
        reports.Column("application_date", "Taken", reports.DATE),
        reports.Column("amount_requested", "Amount requested", reports.MONEY),
        reports.Column("funded_on", "Funded", reports.DATE, accessor=lambda row: row["funding__funded_on"]),
        reports.Column("days_to_fund", "Days to fund", reports.INTEGER, accessor=_days_to_fund),
    )

    def get_queryset(self) -> QuerySet[Application]:
        return Application.objects.order_by("-application_date", "-pk")

    def present_rows(self, rows: QuerySet) -> QuerySet:
        return rows.values(*ROW_FIELDS)

    def get_report_context(self, rows: QuerySet[Application]) -> dict[str, Any]:
        first, last = self.filterset.period
        officer = self.filterset.form.cleaned_data.get("officer")
        return {
            "period": (first, last),
            "pipeline": pipeline_report(rows),
            "funnel": lead_funnel(first, last, officer=officer.pk if officer else None),
        }

    def get_charts(self, rows: QuerySet, context: dict[str, Any]) -> list[reports.Chart]:
        pipeline = context["pipeline"]
        return [
            reports.Chart(
                id="states",
                title="Applications taken, by state now",
                labels=[row.label for row in pipeline.states],
                datasets=[reports.Dataset("Applications", [row.applications for row in pipeline.states])],
                y_title="Applications",
            ),
            reports.Chart(
                id="time-in-state",
                title="Days in each state (median and mean)",
                labels=[row.label for row in pipeline.time_in_state],
                datasets=[
                    reports.Dataset("Median", [row.median_days for row in pipeline.time_in_state]),
                    reports.Dataset("Mean", [row.mean_days for row in pipeline.time_in_state]),
                ],
                y_title="Days",
            ),
        ]
