"""``{{ d|deadline }}``: one Reg X deadline as a badge line, for the queue's rows and the loan's collections page.

A filter rather than an included template: the queue renders one or two per row (100 a page), and an include
costs a template render each (issue 12's page budget)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from lending.core.templatetags.rows import format_row
from servicing.selectors.loss_mitigation import Deadline

register = template.Library()


@register.filter
def deadline(d: Deadline) -> SafeString:
    """``Label: [state] by 2026-03-01, done 2026-02-27 (note)``; the dates and the note only when there are."""
    due = f" by {d.due_by.isoformat()}" if d.due_by else ""
    done = f", done {d.done_on.isoformat()}" if d.done_on else ""
    return format_row(  # one format_row per badge: the queue renders 100 of them a page
        '<span data-testid="deadline">{}: <span class="badge {}">{}</span>{}{}{}</span>',
        d.label,
        d.badge,
        d.state,
        due,
        done,
        f" ({d.note})" if d.note else "",
    )
