"""A loan's history tables, their rows drawn in Python: ``{% schedule_rows rows %}``, ``{% transaction_rows rows %}``,
``{% entry_rows rows %}`` (staff) and ``{% portal_schedule_rows installments next_due %}``,
``{% upcoming_rows rows %}``, ``{% payment_rows payments %}`` (the borrower's portal).

As template markup each cell cost a variable node, a filter and an escape (20-70 us a cell with its ``{% if %}``
blocks): the staff loan page's three tables and the portal's payments and schedule spent a third to a half of their
time on their rows (issue 15, "Load"). One ``format_html`` a row costs a fraction of that; the HTML is the same, byte
for byte (each row with the whitespace the loop around it gave): the same filters (``money``, ``date``) format the
values and ``format_html`` escapes them as the template did. The tables' headings and empty rows stay in their
templates (``servicing/_*_table.html``, ``servicing/portal/``), as ``{% queue_row %}`` does for the collections queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe

from lending.core.templatetags.money import format_money
from lending.core.templatetags.rows import day, format_row, joined, label

register = template.Library()

DASH = mark_safe('<span class="text-muted">—</span>')


# --- staff: servicing/_schedule_table.html, _transactions_table.html, _entries_table.html -------------------------

SCHEDULE_ROW = (
    '\n    <tr{}><td>{}</td><td>{}</td><td class="text-end">{}</td><td class="text-end">{}</td>'
    '<td class="text-end">{}</td><td class="text-end">{}</td><td class="text-end">{}</td><td>{}</td></tr>\n  '
)
PARTLY_PAID = mark_safe(' class="table-warning"')


@register.simple_tag
def schedule_rows(rows: Iterable[Any]) -> SafeString:
    """The staff schedule's rows (installments); a part-paid one is highlighted."""
    return joined(
        format_row(
            SCHEDULE_ROW,
            PARTLY_PAID if not row.paid_on and row.paid else "",
            row.number,
            day(row.due_date, "Y-m-d"),
            format_money(row.principal, ""),
            format_money(row.interest, ""),
            format_money(row.escrow, ""),
            format_money(row.payment, ""),
            format_money(row.paid, ""),
            day(row.paid_on, "Y-m-d") or "",
        )
        for row in rows
    )


TRANSACTION_ROW = (
    '\n    <tr{}><td>{}</td><td>{}</td><td class="text-end">{}</td><td>{}</td><td>{}</td><td>{}</td>'
    "\n      <td>{}</td></tr>\n  "
)
REVERSED = mark_safe(' class="text-decoration-line-through text-muted"')
LINE_SEPARATOR = " · "


@register.simple_tag
def transaction_rows(rows: Iterable[Any]) -> SafeString:
    """The staff transactions' rows, each with its allocation (``current_lines``); a reversed one struck through."""
    return joined(
        format_row(
            TRANSACTION_ROW,
            REVERSED if txn.status == "reversed" else "",
            day(txn.effective_date, "Y-m-d"),
            label(txn, "kind"),
            format_money(txn.amount, ""),
            label(txn, "method"),
            txn.reference,
            label(txn, "status"),
            _allocation(txn.current_lines),
        )
        for txn in rows
    )


def _allocation(lines: list[Any]) -> SafeString:
    if not lines:
        return DASH
    return joined(
        (
            format_row(
                '<span class="text-nowrap">{}{} {}</span>',
                label(line, "bucket"),
                f" #{line.installment.number}" if line.installment else "",
                format_money(line.amount, ""),
            )
            for line in lines
        ),
        LINE_SEPARATOR,
    )


ENTRY_ROW = (
    "\n    <tr{}><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td>"
    '<td class="text-end">{}</td><td class="text-end">{}</td><td>{}</td></tr>\n  '
)
FIRST_LINE = mark_safe(' class="border-top"')


@register.simple_tag
def entry_rows(rows: Iterable[Any]) -> SafeString:
    """The sub-ledger's rows: a row a journal line, the entry's date, number, kind and memo on its first."""
    return joined(_entry_lines(entry) for entry in rows)


def _entry_lines(entry: Any) -> SafeString:
    lines = entry.current_lines
    if not lines:
        return SafeString()
    first = format_row(
        "JE {}{}",
        entry.pk,
        format_row(' <span class="text-muted">(reverses JE {})</span>', entry.reverses_id) if entry.reverses_id else "",
    )
    heading = (day(entry.effective_date, "Y-m-d"), first, label(entry, "kind"), entry.memo)
    return joined(
        format_row(
            ENTRY_ROW,
            FIRST_LINE if n == 0 else "",
            *((heading[0], heading[1], heading[2]) if n == 0 else ("", "", "")),
            line.account.number,
            line.account.name,
            format_money(line.debit, "") if line.debit else "",
            format_money(line.credit, "") if line.credit else "",
            heading[3] if n == 0 else "",
        )
        for n, line in enumerate(lines)
    )


# --- the borrower's portal: servicing/portal/schedule.html, loan_detail.html, _payments_table.html ----------------

PORTAL_SCHEDULE_ROW = (
    '\n        <tr{}><th scope="row" class="fw-normal">{}</th><td>{}</td><td class="text-end">{}</td>'
    '<td class="text-end">{}</td><td class="text-end">{}</td><td class="text-end">{}</td><td class="text-end">{}</td>'
    "<td>{}</td></tr>\n      "
)
NEXT_DUE = mark_safe(' class="table-primary" aria-current="true"')


@register.simple_tag
def portal_schedule_rows(installments: Iterable[Any], next_due_date: Any) -> SafeString:
    """The borrower's schedule: the installment due next highlighted."""
    return joined(
        format_row(
            PORTAL_SCHEDULE_ROW,
            NEXT_DUE if row.due_date == next_due_date else "",
            row.number,
            day(row.due_date, "M j, Y"),
            format_money(row.principal, ""),
            format_money(row.interest, ""),
            format_money(row.escrow, ""),
            format_money(row.payment, ""),
            format_money(row.paid, ""),
            day(row.paid_on, "M j, Y") or "",
        )
        for row in installments
    )


UPCOMING_ROW = (
    '\n            <tr><th scope="row" class="fw-normal">{}</th><td>{}</td><td class="text-end">{}</td>'
    '<td class="text-end">{}</td><td class="text-end">{}</td><td class="text-end">{}</td></tr>\n          '
)


@register.simple_tag
def upcoming_rows(rows: Iterable[Any]) -> SafeString:
    """The loan page's next installments not yet paid, with what each still asks for."""
    return joined(
        format_row(
            UPCOMING_ROW,
            row.number,
            day(row.due_date, "M j, Y"),
            format_money(row.principal, ""),
            format_money(row.interest, ""),
            format_money(row.escrow, ""),
            format_money(row.outstanding, ""),
        )
        for row in rows
    )


PAYMENT_ROW = (
    '\n    <tr{} data-testid="payment-row">\n      <th scope="row" class="fw-normal">{}{}</th>\n      <td>{}{}</td>'
    '\n      <td class="text-end">{}</td>\n      {}\n      <td>{}</td>\n    </tr>\n  '
)
REVERSED_ROW = mark_safe(' class="table-secondary"')
REVERSED_BADGE = mark_safe('<span class="badge text-bg-danger" data-testid="reversed">Reversed</span>')
POSTED_BADGE = mark_safe('<span class="badge text-bg-success">Posted</span>')
NO_AMOUNT = mark_safe('<td class="text-end"><span class="text-muted">—</span></td>')


@register.simple_tag
def payment_rows(payments: Iterable[Any]) -> SafeString:
    """The borrower's payments (``PaymentRow``): where each one's money went, a reversed one marked."""
    return joined(_payment_row(row) for row in payments)


def _payment_row(row: Any) -> SafeString:
    txn, reversed_ = row.transaction, row.reversed
    amount = format_money(txn.amount)
    return format_row(
        PAYMENT_ROW,
        REVERSED_ROW if reversed_ else "",
        day(txn.effective_date, "M j, Y"),
        _installments(row.installment_numbers),
        label(txn, "method"),
        format_row('<div class="text-muted">{}</div>', label(txn, "directive")) if txn.directive != "standard" else "",
        format_row("<del>{}</del>", amount) if reversed_ else amount,
        joined(
            format_row('<td class="text-end">{}</td>', format_money(value, "")) if value else NO_AMOUNT
            for value in row.columns
        ),
        _payment_status(row) if reversed_ else POSTED_BADGE,
    )


def _installments(numbers: tuple[int, ...]) -> SafeString | str:
    if not numbers:
        return ""
    return format_row(
        '<div class="text-muted">installment{} {}</div>',
        "" if len(numbers) == 1 else "s",
        ", ".join(f"#{n}" for n in numbers),
    )


def _payment_status(row: Any) -> SafeString:
    reversal = row.reversal
    if not reversal:
        return REVERSED_BADGE
    note = format_row(": {}", reversal.note) if reversal.note else ""
    return format_row(
        '{}<div class="text-muted">on {}{}</div>', REVERSED_BADGE, day(reversal.effective_date, "M j, Y"), note
    )


# --- staff: the loan list (servicing/home.html) --------------------------------------------------------------------

LOAN_LIST_ROW = (
    '\n    <tr>\n      <td><a href="{}{}/">{}</a></td>\n      <td>{}</td>\n      <td>{}</td>'
    '\n      <td class="text-end">{}%</td>\n      <td class="text-end">{}</td>\n      <td class="text-end">{}</td>'
    '\n      <td class="text-end">{}</td>\n      <td>{}</td>'
    '\n      <td class="text-end" data-testid="days-past-due">{}{}</td>\n      <td>{}</td>\n    </tr>\n  '
)


@register.simple_tag
def loan_list_rows(loans: Iterable[Any], detail_url: str) -> SafeString:
    """The loan list's rows: each loan's figures, its days-past-due bucket badged when not current."""
    return joined(
        format_row(
            LOAN_LIST_ROW,
            detail_url,
            loan.pk,
            loan.loan_number,
            loan.borrower_name or "—",
            loan.product_name,
            floatformat(loan.annual_rate, 3),
            format_money(loan.principal),
            format_money(loan.principal_balance),
            format_money(loan.escrow_balance),
            day(loan.next_due_date, "Y-m-d") or "—",
            loan.days_past_due,
            format_row(' <span class="badge text-bg-warning">{}</span>', loan.delinquency_bucket)
            if loan.delinquency_bucket != "current"
            else "",
            label(loan, "status"),
        )
        for loan in loans
    )
