"""The report views: the base every report extends, and the index at /staff/reports/.

A report is a ``ReportView`` subclass: its rows (``get_queryset``), filtered by its FilterSet (``filterset_class``),
shown as a table of ``columns`` (the first ``page_size`` rows a page, paginated), with optional summaries
(``get_report_context``) and charts (``get_charts``). ``?export=csv`` / ``?export=xlsx`` with the same filters
streams exactly the filtered rows (all of them, not one page) in those columns.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBase
from django.utils.safestring import SafeString
from django.views.generic import TemplateView

from lending.core import roles
from lending.core.calendar import current_business_date
from lending.core.pagination import CappedPaginator
from lending.core.permissions import RoleRequiredMixin
from lending.core.reports import export, registry
from lending.core.reports.charts import Chart
from lending.core.reports.columns import Column
from lending.core.reports.filters import ReportFilterSet
from lending.core.services import audit_record

# Managers and accounting see every report; a report may open itself to more roles (collectors: delinquency).
REPORT_ROLES: tuple[str, ...] = (roles.MANAGER, roles.ACCOUNTING)
CSV = "csv"
XLSX = "xlsx"
EXPORT_FORMATS = (CSV, XLSX)
# Query keys that are not filters: left out of export and pagination links.
NON_FILTER_KEYS = ("export", "page")
TEXT = "text/plain; charset=utf-8"


class ReportView(RoleRequiredMixin, TemplateView):
    """The base of every report page. Subclass, set the class attributes, write ``get_queryset``, and register it
    with ``@lending.core.reports.register``."""

    slug: str = ""  # the URL (/staff/reports/<slug>/), the URL name (reports:<slug>) and the export file's name
    title: str = ""
    description: str = ""  # one sentence on the index
    order: int = 100  # position on the index
    allowed_roles: tuple[str, ...] = REPORT_ROLES
    filterset_class: type[ReportFilterSet] = ReportFilterSet
    columns: Sequence[Column] = ()  # the table's and the exports' columns
    template_name = "reports/report.html"
    page_size: int | None = 50  # rows a page shows; None shows every row (a report of a few aggregate rows)
    max_rows: int | None = None  # rows the pages reach at most (CappedPaginator's 5,000 by default)
    export_chunk_size = 2_000  # rows per database round trip while exporting
    rows_title = "Rows"  # the heading over the table
    # A report of dated rows (payments, journal lines) names its "from" and "to" filters here: without them the
    # page, and so its exports, cover the month of the "as of" date through that date, never all history by default.
    month_to_date_filters: tuple[str, str] | None = None

    # --- what a report writes ----------------------------------------------------------------------------
    def get_queryset(self) -> QuerySet:
        """The report's rows before its filters (the FilterSet narrows them). Use ``self.as_of`` if needed."""
        raise NotImplementedError(f"{type(self).__name__}.get_queryset")

    def present_rows(self, rows: QuerySet) -> QuerySet:
        """The filtered rows as the table and the exports read them (e.g. per-row sums annotated after filtering):
        the same rows with columns added (the page counts ``rows``, not these). Summaries (``get_report_context``,
        ``get_charts``) get the filtered rows before this."""
        return rows

    def get_report_context(self, rows: QuerySet) -> dict[str, Any]:
        """Summaries above the table (aggregates of the filtered ``rows``, in a constant number of queries)."""
        return {}

    def get_charts(self, rows: QuerySet, context: dict[str, Any]) -> list[Chart]:
        """The charts to draw; ``context`` holds what ``get_report_context`` returned."""
        return []

    def export_rows(self, rows: QuerySet) -> Iterable[Any]:
        """The rows an export writes: every filtered row, fetched in chunks (a server-side cursor on PostgreSQL)."""
        if isinstance(rows, QuerySet):
            return rows.iterator(chunk_size=self.export_chunk_size)
        return rows

    def csv_cells(self, rows: QuerySet) -> QuerySet | None:
        """The filtered rows with each column's CSV text written by the database (``values_list`` of
        ``lending.core.reports.sql_cells`` expressions, in the columns' order), for a fast CSV export; None (the
        default) exports through the columns in Python. Must give exactly what the columns give."""
        return None

    def export_filename(self, extension: str) -> str:
        return f"{self.slug}-{self.as_of:%Y-%m-%d}.{extension}"

    # --- the machinery -----------------------------------------------------------------------------------
    as_of: date
    filterset: ReportFilterSet

    def filter_data(self) -> dict[str, Any]:
        """The request's filters, with the current business date as the default "as of"."""
        data = self.request.GET.copy()
        if not data.get("as_of"):
            data["as_of"] = current_business_date().isoformat()
        as_of = self.filterset_class.parse_as_of(str(data["as_of"]))
        if self.month_to_date_filters is not None and as_of is not None:
            date_from, date_to = self.month_to_date_filters
            if not data.get(date_from):
                data[date_from] = as_of.replace(day=1).isoformat()
            if not data.get(date_to):
                data[date_to] = as_of.isoformat()
        return data

    def get_filterset(self, data: dict[str, Any]) -> ReportFilterSet:
        return self.filterset_class(data, queryset=self.get_queryset(), request=self.request)

    def get(self, request, *args, **kwargs) -> HttpResponseBase:  # type: ignore[override]  # exports stream
        data = self.filter_data()
        # Known before the rows are built (get_queryset may use it); a refused date fails the form below.
        self.as_of = self.filterset_class.parse_as_of(data["as_of"]) or current_business_date()
        self.filterset = self.get_filterset(data)
        export_format = request.GET.get("export", "")
        if export_format and export_format not in EXPORT_FORMATS:
            return _bad_request(f"export: choose one of {', '.join(EXPORT_FORMATS)}")
        if not self.filterset.is_valid():
            if export_format:
                return _bad_request(_errors_text(self.filterset))
            return self.render_to_response(self.get_context_data(rows=None), status=400)
        rows = self.filterset.qs
        if export_format == XLSX and isinstance(rows, QuerySet) and _holds_more(rows, export.XLSX_MAX_ROWS):
            # Said before a minute of writing (and before the export is audited), not after.
            return HttpResponse(str(export.TooManyRowsForExcel()), status=400, content_type=TEXT)
        if export_format:
            return self.export_response(export_format, self.present_rows(rows))
        return self.render_to_response(self.get_context_data(rows=rows))

    def export_response(self, export_format: str, rows: QuerySet) -> HttpResponseBase:
        audit_record(
            actor=self.request.user,  # type: ignore[arg-type]  # signed in: RoleRequiredMixin let only users in
            verb="report.exported",
            after={
                "report": self.slug,
                "format": export_format,
                "as_of": self.as_of.isoformat(),
                "filters": self.active_filters(),
            },
        )
        if export_format == CSV:
            cells = self.csv_cells(rows)
            return export.csv_response(
                columns=self.columns,
                rows=self.export_rows(rows if cells is None else cells),
                filename=self.export_filename(CSV),
                formatted=cells is not None,
            )
        try:
            return export.xlsx_response(
                columns=self.columns,
                rows=self.export_rows(rows),
                filename=self.export_filename(XLSX),
                sheet_title=self.title,
            )
        except export.TooManyRowsForExcel as refused:  # rows no count could ask ahead (not a queryset)
            return HttpResponse(str(refused), status=400, content_type=TEXT)

    def active_filters(self) -> dict[str, str]:
        query = self.request.GET
        return {key: query[key] for key in query if key not in NON_FILTER_KEYS and query[key]}

    def query_string(self, **extra: str) -> str:
        """The page's filters as a query string (without page/export), plus ``extra``."""
        data = self.request.GET.copy()
        for key in NON_FILTER_KEYS:
            data.pop(key, None)
        for key, value in extra.items():
            data[key] = value
        return data.urlencode()

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        rows: QuerySet | None = kwargs.pop("rows", None)
        context = super().get_context_data(
            report=self, filterset=self.filterset, columns=self.columns, rows_title=self.rows_title, **kwargs
        )
        if rows is None:  # the filters were refused: the form shows why, no figures
            return context
        context.update(self.get_report_context(rows))
        context["as_of"] = self.as_of
        context["charts"] = [chart.as_json() for chart in self.get_charts(rows, context)]
        context["export_links"] = [
            (label, f"?{self.query_string(export=fmt)}") for fmt, label in ((CSV, "CSV"), (XLSX, "Excel"))
        ]
        context["page_query"] = self.query_string()
        if self.columns:
            context.update(self.table(self.present_rows(rows), counted=rows))
        return context

    def table(self, rows: QuerySet, counted: QuerySet | None = None) -> dict[str, Any]:
        """The rows the page shows, already formatted per column. ``counted``: the same rows before
        ``present_rows`` (which adds columns, never rows), counted instead of ``rows``: the count then reads no
        per-row sum or join that only the shown rows need (the payments' count read every loan: 24 ms of a page)."""
        page: Page | None = None
        if self.page_size is None:
            shown: Iterable[Any] = rows
        else:
            paginator = CappedPaginator(rows, self.page_size, max_rows=self.max_rows)
            if counted is not None:
                paginator.total = CappedPaginator(counted, self.page_size, max_rows=self.max_rows).total
            page = paginator.get_page(self.request.GET.get("page"))
            shown = page.object_list
        return {
            "page_obj": page,
            "table_rows": [Row(Cell.of(column, row) for column in self.columns) for row in shown],
        }


class Cell(str):
    """A table cell's text (compares as the string the page shows), knowing whether it is a number (right-aligned)."""

    numeric: bool = False

    @classmethod
    def of(cls, column: Column, row: Any) -> Cell:
        cell = cls(column.display(row))
        cell.numeric = column.numeric
        return cell


TD = {False: "<td>", True: '<td class="text-end">'}


class Row(list):
    """A table row's cells, and their ``<td>`` written once as the template wrote them (``html``): the page writes
    50 rows, not 400 cells through the template engine."""

    def __init__(self, cells: Iterable[Cell]) -> None:
        super().__init__(cells)
        # html.escape is what the template's autoescape applied to each cell (django.utils.html.escape).
        self.html = SafeString("".join(f"{TD[cell.numeric]}{html.escape(cell)}</td>" for cell in self))


def _errors_text(filterset: ReportFilterSet) -> str:
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in filterset.errors.items())


def _bad_request(message: str) -> HttpResponse:
    return HttpResponse(f"Bad filter: {message}", status=400, content_type=TEXT)


def _holds_more(rows: QuerySet, limit: int) -> bool:
    """Whether ``rows`` has more than ``limit`` rows, counting no further than one past it."""
    return rows.order_by()[: limit + 1].count() > limit


class ReportIndexView(RoleRequiredMixin, TemplateView):
    """/staff/reports/: the reports the user may open."""

    template_name = "reports/index.html"

    @property
    def allowed_roles(self) -> tuple[str, ...]:  # type: ignore[override]  # from the registry, not fixed
        return tuple(registry.report_roles())

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        return super().get_context_data(reports=registry.reports_for(self.request.user), **kwargs)
