"""The collections dashboard (/staff/collections/dashboard/) and the queue's CSV export, for collectors and managers.
Thin: the figures come from servicing.selectors.collections_dashboard, the queue from selectors.collections."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.generic import TemplateView, View

from lending.core.permissions import RoleRequiredMixin
from lending.finance.money import cents
from servicing.forms.collections import QueueFilterForm
from servicing.models import LoanAccount
from servicing.selectors import collections as selectors
from servicing.selectors.collections_dashboard import Dashboard, collections_dashboard
from servicing.views.collections import COLLECTIONS_ROLES

EXPORT_HEADER = [
    "Loan number",
    "Borrower",
    "Days past due",
    "Bucket",
    "To bring current",
    "Product",
    "Property state",
    "Collector",
    "Last contact",
    "Open promise",
    "Promised date",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _chart_data(dashboard: Dashboard) -> dict:
    """What the charts draw (static/js/collections_dashboard.js), as plain numbers."""
    return {
        "buckets": {
            "labels": [row.bucket for row in dashboard.buckets],
            "loans": [row.loans for row in dashboard.buckets],
        },
        "promises": {
            "labels": [month.label for month in dashboard.promises],
            "kept": [month.kept for month in dashboard.promises],
            "broken": [month.broken for month in dashboard.promises],
        },
        "rolls": {
            "labels": dashboard.months,
            "series": [
                {"label": f"{a} → {b}", "data": [float(r.percent) if r.percent is not None else None for r in rates]}
                for a, b, rates in dashboard.roll_table()
            ],
        },
    }


class DashboardView(RoleRequiredMixin, TemplateView):
    allowed_roles = COLLECTIONS_ROLES
    template_name = "servicing/collections/dashboard.html"

    def get_context_data(self, **kwargs):
        dashboard = collections_dashboard(today=timezone.localdate(), now=timezone.now())
        return super().get_context_data(dashboard=dashboard, chart_data=_chart_data(dashboard), **kwargs)


def queue_filters(form: QueueFilterForm) -> selectors.QueueFilters:
    """The queue's filters from a valid bound form (or none)."""
    data = form.cleaned_data if form.is_bound else {}
    return selectors.QueueFilters(
        bucket=data.get("bucket", ""),
        product=data.get("product", ""),
        state=data.get("state", ""),
        collector=data.get("collector", ""),
        next_action_by=data.get("next_action_by"),
        include_promised=data.get("include_promised", False),
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def export_row(loan: LoanAccount) -> list[str]:
    collector = loan.collector.get_full_name() or loan.collector.email if loan.collector else ""
    last = timezone.localtime(loan.last_contact_at).strftime("%Y-%m-%d %H:%M") if loan.last_contact_at else ""  # type: ignore[attr-defined]
    promise = loan.promise_amount  # type: ignore[attr-defined]
    return [
        loan.loan_number,
        _cell(loan.borrower_name),
        str(loan.days_past_due),
        loan.delinquency_bucket,
        str(cents(loan.bring_current)),  # type: ignore[attr-defined]  # SQLite hands the sum back unquantized
        _cell(loan.product_code),
        loan.property_state,
        _cell(collector),
        last,
        str(cents(promise)) if promise is not None else "",
        loan.promise_date.isoformat() if loan.promise_date else "",  # type: ignore[attr-defined]
    ]


class QueueExportView(RoleRequiredMixin, View):
    """The queue as CSV, with the queue page's filters, streamed in chunks (the whole queue, not one page)."""

    allowed_roles = COLLECTIONS_ROLES

    def get(self, request, *args, **kwargs):
        form = QueueFilterForm(
            request.GET or None, products=selectors.queue_products(), collectors=selectors.collectors()
        )
        if form.is_bound and not form.is_valid():
            errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in form.errors.items())
            return HttpResponse(f"Bad filter: {errors}", status=400, content_type="text/plain; charset=utf-8")
        loans = selectors.with_collections_figures(selectors.collections_queue(queue_filters(form)))
        writer = csv.writer(_Echo())

        def rows() -> Iterator[str]:
            yield writer.writerow(EXPORT_HEADER)
            for loan in loans.iterator(chunk_size=2000):
                yield writer.writerow(export_row(loan))

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="collections-queue-{timezone.localdate():%Y-%m-%d}.csv"'
        )
        return response
