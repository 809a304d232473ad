"""The reports framework (issue 14). How to add a report: /work/wt/REPORTS_FRAMEWORK.md, in short:

    from lending.core import reports

    @reports.register
    class PortfolioReport(reports.ReportView):
        slug, title, description = "portfolio", "Portfolio", "Loans by product, status, rate and vintage."
        filterset_class = PortfolioFilterSet          # a reports.ReportFilterSet subclass
        columns = (reports.Column("loan_number", "Loan"), reports.Column("balance", "Balance", reports.MONEY))

        def get_queryset(self): ...                   # the rows; self.as_of is the report's date
        def get_report_context(self, rows): ...       # summaries (aggregates in SQL)
        def get_charts(self, rows, context): ...      # [reports.Chart(...)]

Only this package's names below are the API; the modules behind them may move.
"""

from lending.core.reports.charts import BAR, DOUGHNUT, LINE, PIE, Chart, Dataset
from lending.core.reports.columns import DATE, DECIMAL, INTEGER, MONEY, PERCENT, TEXT, Column, safe_text
from lending.core.reports.filters import (
    DateInput,
    ListedModelChoiceFilter,
    ReportFilterSet,
    date_range_filters,
)
from lending.core.reports.registry import ReportEntry, register, register_link, reports_for

# The views module imports the registry; imported last so `register` is defined for the apps' modules.
from lending.core.reports.views import REPORT_ROLES, ReportView  # isort: skip

__all__ = [
    "BAR",
    "DATE",
    "DECIMAL",
    "DOUGHNUT",
    "INTEGER",
    "LINE",
    "MONEY",
    "PERCENT",
    "PIE",
    "REPORT_ROLES",
    "TEXT",
    "Chart",
    "Column",
    "Dataset",
    "DateInput",
    "ListedModelChoiceFilter",
    "ReportEntry",
    "ReportFilterSet",
    "ReportView",
    "date_range_filters",
    "register",
    "register_link",
    "reports_for",
    "safe_text",
]
