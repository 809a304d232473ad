"""``{% queue_row loan loan_link %}``: one row of the collections queue, drawn in Python.

The queue shows 50 rows of ten cells a page; as template markup each row cost some twenty nodes, filters and
``{% if %}`` blocks (a fifth of the page's time, issue 12's 50 ms budget); one ``format_html`` a row costs a tenth
of that. The row's markup is here, the page's around it in ``servicing/collections/queue.html``."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from lending.core.templatetags.money import format_money
from lending.core.templatetags.rows import format_row, joined
from servicing.selectors.collections import QueueRow
from servicing.templatetags.deadlines import deadline

register = template.Library()

NONE = "—"
CEASE_BADGE = mark_safe(' <span class="badge text-bg-danger">Cease contact</span>')
UNASSIGNED = mark_safe('<span class="text-muted">Unassigned</span>')
ROW = (
    '<tr data-testid="queue-row"><td><a href="{}{}/">{}</a>{}</td><td>{}</td>'
    '<td class="text-end" data-testid="dpd">{}</td><td><span class="badge text-bg-warning">{}</span></td>'
    '<td class="text-end" data-testid="bring-current">{}</td><td>{}</td><td data-testid="collector">{}</td>'
    '<td>{}</td><td data-testid="promise">{}</td><td class="small" data-testid="reg-x">{}</td></tr>'
)


@register.simple_tag
def queue_row(loan: QueueRow, loan_link: str) -> SafeString:
    """A row as ``queue_rows`` and ``queue_deadlines`` prepared it (its figures annotated, ``reg_x`` set)."""
    return format_row(
        ROW,
        loan_link,
        loan.pk,
        loan.loan_number,
        CEASE_BADGE if loan.cease_contact_at else "",
        loan.borrower_name or NONE,
        loan.days_past_due,
        loan.delinquency_bucket,
        format_money(loan.bring_current),
        loan.property_state or NONE,
        _collector(loan),
        _last_contact(loan),
        _promise(loan),
        joined(format_row("<div>{}</div>", deadline(d)) for d in loan.reg_x) or NONE,
    )


def _collector(loan: QueueRow) -> str:
    collector = loan.collector
    if collector is None:
        return UNASSIGNED
    return collector.get_full_name() or collector.email


def _last_contact(loan: QueueRow) -> str:
    at = loan.last_contact_at
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else NONE


def _promise(loan: QueueRow) -> str:
    amount, day = loan.promise_amount, loan.promise_date  # both of the open promise, or neither
    if not amount or day is None:
        return NONE
    return f"{format_money(amount)} by {day.isoformat()}"
