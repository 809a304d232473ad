"""Making periodic statements (Reg Z 12 CFR 1026.41): figures from ``servicing.selectors.statements``, a PDF
per loan (``templates/pdf/borrower/statement.html`` with its print stylesheet), stored through
``document_store`` (kind statement, key the due date) and recorded as a ``Statement`` row with its figures.

One statement per loan and due date: a loan whose statement for that due date exists is skipped, so running the
same chunk twice makes nothing the second time.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lending.core.models import User
from lending.core.services import audit_event, audit_record_many
from origination.services.disclosures import pdf_render, percent_display
from servicing.models import BorrowerDocument, Statement
from servicing.selectors.statements import StatementFigures, statement_figures
from servicing.services.documents import document_store

TEMPLATE = "pdf/borrower/statement.html"
NBSP = "\u00a0"
STYLESHEET = "templates/pdf/borrower/statement.css"


class ActivityLine(NamedTuple):
    label: str
    amount: Decimal


def statement_context(figures: StatementFigures) -> dict[str, Any]:
    """What the statement template shows: the figures and the servicer's contact details (1026.41(d)(6))."""
    return {
        # The shared PDF base puts the document's reference in its title and footer as application.number.
        "application": {"number": figures.loan.loan_number},
        "s": figures,
        # One unbreakable label per line (no-break spaces), the amount justified to the right of it.
        "activity": [
            ActivityLine(f"{line.day:%m/%d/%Y} {line.description}".replace(" ", NBSP), line.amount)
            for line in figures.activity
        ],
        "rate": percent_display(figures.loan.annual_rate),
        "creditor_name": settings.LENDING_CREDITOR_NAME,
        "creditor_address": settings.LENDING_CREDITOR_ADDRESS,
        "servicer_phone": settings.LENDING_SERVICER_PHONE,
        "contact_email": settings.LENDING_CONTACT_EMAIL,
        "payment_address": settings.LENDING_PAYMENT_ADDRESS,
        "hud_url": settings.LENDING_HUD_COUNSELOR_URL,
        "hud_phone": settings.LENDING_HUD_COUNSELOR_PHONE,
        "generated_at": timezone.now(),
    }


def statement_pdf(figures: StatementFigures) -> bytes:
    """The statement as PDF bytes."""
    return pdf_render(TEMPLATE, statement_context(figures), stylesheets=(STYLESHEET,))


def statement_title(due_date: date) -> str:
    return f"Mortgage statement, payment due {due_date:%b} {due_date.day}, {due_date.year}"


@transaction.atomic
def statements_make(
    *, business_date: date, loan_ids: list[int], actor: User | None, due_dates: dict[int, date] | None = None
) -> list[Statement]:
    """Make the statements of ``loan_ids`` at the close of ``business_date`` (each for its next due date, or the
    one ``due_dates`` names), skipping those already made; returns the new ``Statement`` rows."""
    figures = statement_figures(business_date=business_date, loan_ids=loan_ids, due_dates=due_dates)
    made = set(
        Statement.objects.filter(
            loan_id__in=[f.loan.pk for f in figures], due_date__in={f.due_date for f in figures}
        ).values_list("loan_id", "due_date")
    )
    rows = []
    for f in figures:
        if (f.loan.pk, f.due_date) in made:
            continue
        document = document_store(
            loan=f.loan,
            kind=BorrowerDocument.Kind.STATEMENT,
            key=f.due_date.isoformat(),
            title=statement_title(f.due_date),
            document_date=business_date,
            pdf=statement_pdf(f),
            actor=actor,
        )
        rows.append(_row(f, document))
    Statement.objects.bulk_create(rows)
    audit_record_many([_event(row, actor) for row in rows])
    return rows


def _row(f: StatementFigures, document: BorrowerDocument) -> Statement:
    return Statement(
        loan=f.loan,
        due_date=f.due_date,
        statement_date=f.statement_date,
        period_start=f.period_start,
        principal=f.principal,
        interest=f.interest,
        escrow=f.escrow,
        fees=f.fees,
        past_due=f.past_due,
        amount_due=f.amount_due,
        late_fee=f.late_fee,
        late_fee_date=f.late_fee_date,
        suspense=f.suspense,
        principal_balance=f.loan.principal_balance,
        annual_rate=f.loan.annual_rate,
        days_past_due=f.days_past_due,
        delinquent_since=f.delinquent_since,
        document=document,
    )


def _event(row: Statement, actor: User | None) -> Any:
    return audit_event(
        actor=actor,
        verb="loan.statement_made",
        target=row,
        after={
            "loan": row.loan.loan_number,
            "due_date": row.due_date,
            "statement_date": row.statement_date,
            "amount_due": row.amount_due,
            "past_due": row.past_due,
            "late_fee": row.late_fee,
            "suspense": row.suspense,
            "days_past_due": row.days_past_due,
            "document": row.document_id,
        },
    )
