"""Making periodic statements (Reg Z 12 CFR 1026.41): figures from ``servicing.selectors.statements``, a PDF
per loan (``templates/pdf/borrower/statement.html`` with its print stylesheet), stored through
``documents_store_many`` (kind statement, key the due date; a chunk's documents in one go) and recorded as a
``Statement`` row with its figures.

One statement per loan and due date: a loan whose statement for that due date exists is skipped, so running the
same chunk twice makes nothing the second time.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lending.core.models import User
from lending.core.services import audit_event, audit_record_many
from lending.core.templatetags.money import format_money
from origination.services.disclosures import pdf_render, pdf_render_pages, percent_display
from servicing.models import BorrowerDocument, Statement
from servicing.selectors.statements import Breakdown, StatementFigures, statement_figures
from servicing.services.documents import DocumentToStore, documents_store_many

TEMPLATE = "pdf/borrower/statement.html"
STYLESHEET = "templates/pdf/borrower/statement.css"
# Between a label's words: as wide as a space, but WeasyPrint's justification widens only U+0020 and U+00A0, so
# the line's one ordinary space (before the amount) takes all the slack and the label stays together.
LABEL_SPACE = "\u2004"


def justified_lines(rows: list[tuple[str, str]]) -> str:
    """``label value`` lines for a justified pre-line block of the statement: the value pushed to the right."""
    return "\n".join(f"{label.replace(' ', LABEL_SPACE)} {value}" for label, value in rows)


def _breakdown(b: Breakdown) -> list[tuple[str, str]]:
    return [
        ("Principal", format_money(b.principal)),
        ("Interest", format_money(b.interest)),
        ("Escrow (taxes and insurance)", format_money(b.escrow)),
        ("Fees and charges", format_money(b.fees)),
        ("Partial payments held (unapplied)", format_money(b.suspense)),
    ]


def statement_lines(f: StatementFigures) -> dict[str, str]:
    """The statement's label-and-amount groups, each the text of one justified block."""
    loan = f.loan
    return {
        # 1026.41(d)(2): the explanation of the amount due.
        "explanation": justified_lines(
            [
                ("Principal", format_money(f.principal)),
                ("Interest", format_money(f.interest)),
                ("Escrow (taxes and insurance)", format_money(f.escrow)),
                ("Regular monthly payment", format_money(f.regular_payment)),
                ("Fees and charges due", format_money(f.fees)),
                ("Past due amount", format_money(f.past_due)),
            ]
        ),
        "explanation_total": justified_lines([("Total amount due", format_money(f.amount_due))]),
        # 1026.41(d)(7): account information.
        "account": justified_lines(
            [
                ("Outstanding principal", format_money(loan.principal_balance)),
                ("Interest rate", f"{percent_display(loan.annual_rate)}%"),
                ("Prepayment penalty", "Yes" if f.prepayment_penalty else "No"),
                ("Escrow balance", format_money(loan.escrow_balance)),
                ("Unapplied funds (suspense)", format_money(f.suspense)),
                ("Maturity date", f"{loan.maturity_date:%m/%d/%Y}"),
            ]
        ),
        # 1026.41(d)(3): the past payment breakdown.
        "since_last": justified_lines(_breakdown(f.since_last)),
        "since_last_total": justified_lines([("Total", format_money(f.since_last.total))]),
        "year_to_date": justified_lines(_breakdown(f.year_to_date)),
        "year_to_date_total": justified_lines([("Total", format_money(f.year_to_date.total))]),
        # 1026.41(d)(4): transaction activity.
        "activity": justified_lines(
            [(f"{line.day:%m/%d/%Y} {line.description}", format_money(line.amount)) for line in f.activity]
        ),
        "coupon": justified_lines(
            [("Account number", loan.loan_number), ("Payment due date", f"{f.due_date:%m/%d/%Y}")]
        ),
        "coupon_total": justified_lines([("Amount due", format_money(f.amount_due))]),
        "coupon_extra": justified_lines(
            [
                (f"If received after {f.grace_ends:%m/%d/%Y}", format_money(f.amount_after_late_fee)),
                ("Additional principal", "$__________"),
                ("Additional escrow", "$__________"),
            ]
        ),
    }


def statement_context(figures: StatementFigures) -> dict[str, Any]:
    """What the statement template shows: the figures and the servicer's contact details (1026.41(d)(6))."""
    return {
        "s": figures,
        "lines": statement_lines(figures),
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


def _statement_pdf_pages(figures: StatementFigures) -> tuple[bytes, int]:
    """The statement as PDF bytes and its page count (stored with it, not read back from the PDF)."""
    return pdf_render_pages(TEMPLATE, statement_context(figures), stylesheets=(STYLESHEET,))


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
    todo = [f for f in figures if (f.loan.pk, f.due_date) not in made]
    documents = documents_store_many(documents=[_document(f, business_date) for f in todo], actor=actor)
    rows = [_row(f, document) for f, document in zip(todo, documents, strict=True)]
    Statement.objects.bulk_create(rows)
    audit_record_many([_event(row, actor) for row in rows])
    return rows


def _document(f: StatementFigures, business_date: date) -> DocumentToStore:
    """The statement's PDF, rendered, as the document to store (kind statement, key its due date)."""
    pdf, pages = _statement_pdf_pages(f)
    title = statement_title(f.due_date)
    return DocumentToStore(
        f.loan, BorrowerDocument.Kind.STATEMENT, f.due_date.isoformat(), title, business_date, pdf, pages
    )


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
