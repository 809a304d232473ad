"""``{% pipeline_rows rows detail_url %}``: the application pipeline's rows (``PipelineRow``), drawn in Python.

Fifty rows of eight cells a page, on three of the load test's pages (the pipeline, a deep page, a search): as
template markup each cell cost a variable node, a filter and an escape (issue 15, "Load"); one ``format_html`` a
row gives the same HTML, byte for byte (see ``lending/core/templatetags/rows.py``). The table's heading and empty
row stay in ``origination/pipeline.html``."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.safestring import SafeString, mark_safe

from lending.core.templatetags.money import format_money
from lending.core.templatetags.rows import day, format_row, joined
from origination.selectors import PipelineRow

register = template.Library()

NO_BORROWER = mark_safe('<span class="text-muted">—</span>')
ROW = (
    '\n    <tr>\n      <td><a href="{}{}/">{}</a></td>\n      <td>{}</td>\n      <td>{}</td>'
    '\n      <td class="money">{}</td>'
    '\n      <td><span class="badge rounded-pill text-bg-{}" data-testid="status">{}</span></td>'
    '\n      <td class="text-end">{}</td>\n      <td>{}</td>\n      <td>{}</td>\n    </tr>\n  '
)


@register.simple_tag
def pipeline_rows(rows: Iterable[PipelineRow], detail_url: str) -> SafeString:
    return joined(
        format_row(
            ROW,
            detail_url,
            app.pk,
            app.number,
            NO_BORROWER if app.borrower is None else app.borrower,
            app.product,
            format_money(app.amount_requested) if app.amount_requested else "",
            app.status_badge,
            app.status_label,
            app.days_in_state,
            app.loan_officer,
            day(app.created_on, "Y-m-d"),
        )
        for app in rows
    )
