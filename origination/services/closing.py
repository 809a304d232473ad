"""Closing and funding: schedule the closing, generate the closing package, record the signing, fund the loan.

The closing package (WeasyPrint PDFs): the promissory note; copies of the latest Loan Estimate and Closing
Disclosure as issued (their APR, finance charge, amount financed and total of payments, from lending.finance);
the first-payment letter; the initial escrow account disclosure (Reg X 1024.17(g), products that escrow); the
full amortization schedule. The note, the letter and the schedule share one set of figures (the same LoanTerms,
on the scheduled closing and first payment dates).

Initial escrow disclosure: the computation year is the 12 months from the first payment date
(lending.finance.escrow). Estimated disbursements, from the subject property: the annual property tax in two
installments, due with the 6th and the 12th escrow payments (the first half rounded down to the cent, the second
with the remainder), and the homeowner's insurance premium once, due with the 12th payment (renewal, the first
year being paid at closing). The monthly payment, cushion (two months), initial deposit and the 12-month
projection are ``escrow_projection``'s.

The signing (consummation) is recorded before the ``close`` transition, which requires it.

Funding is one atomic step: the Funding row (one per application, so funding twice is impossible), the
``fund`` transition, the audit event; ``origination.signals.loan_funded`` is sent on commit for servicing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance import amortization, escrow
from lending.finance.daycount import add_months
from lending.finance.money import ZERO, split_evenly
from origination import workflow
from origination.models import Application, ClosingDocument, ClosingSignature, Disclosure, Funding
from origination.services import disclosures
from origination.services.compliance.run import compliance_run
from origination.services.contract import contract_terms_snapshot
from origination.services.disclosures import document_context, pdf_render
from origination.services.figures import DisclosureError, LoanFigures, loan_figures
from origination.services.workflow import application_transition
from origination.signals import loan_funded

CLOSING_ROLES = (roles.CLOSER, roles.MANAGER)
SCHEDULE_STATUSES = ("approved", "conditionally_approved", "clear_to_close", "closing")
DOCUMENT_STATUSES = ("clear_to_close", "closing")
SIGNING_STATUSES = ("closing",)
PROMISSORY_NOTE, LOAN_ESTIMATE_COPY, CLOSING_DISCLOSURE_COPY, FIRST_PAYMENT_LETTER = (
    "promissory_note",
    "loan_estimate",
    "closing_disclosure",
    "first_payment_letter",
)
TRUTH_IN_LENDING_COPY = "truth_in_lending"
COPY_KINDS: dict[str, str] = {
    Disclosure.Kind.LOAN_ESTIMATE: LOAN_ESTIMATE_COPY,
    Disclosure.Kind.CLOSING_DISCLOSURE: CLOSING_DISCLOSURE_COPY,
    Disclosure.Kind.TRUTH_IN_LENDING: TRUTH_IN_LENDING_COPY,
}
ESCROW_DISCLOSURE, AMORTIZATION_SCHEDULE = "initial_escrow_disclosure", "amortization_schedule"
DOCUMENT_TITLES = {
    PROMISSORY_NOTE: "Promissory note",
    LOAN_ESTIMATE_COPY: "Loan Estimate (copy as issued)",
    CLOSING_DISCLOSURE_COPY: "Closing Disclosure (copy as issued)",
    TRUTH_IN_LENDING_COPY: "Truth in Lending disclosure (copy as issued)",
    FIRST_PAYMENT_LETTER: "First payment letter",
    ESCROW_DISCLOSURE: "Initial escrow account disclosure",
    AMORTIZATION_SCHEDULE: "Amortization schedule",
}
PDF_TEMPLATES = {
    PROMISSORY_NOTE: "pdf/promissory_note.html",
    FIRST_PAYMENT_LETTER: "pdf/first_payment_letter.html",
    ESCROW_DISCLOSURE: "pdf/initial_escrow_disclosure.html",
    AMORTIZATION_SCHEDULE: "pdf/amortization_schedule.html",
}
# The escrow year's disbursements (see the module docstring): with these escrow payments (1-12).
PROPERTY_TAX_PAYMENTS = (6, 12)
INSURANCE_PAYMENT = 12


class ClosingError(Exception):
    """A closing step cannot be done as asked; the message says why."""


class FundingError(ClosingError):
    """The loan cannot be funded (already funded, not closed, bad date); nothing was changed."""


def _require_closer(actor: User, action: str) -> None:
    if not roles.has_role(actor, *CLOSING_ROLES):
        raise PermissionDenied(f"Only closers and managers may {action}.")


def _lock(application: Application) -> Application:
    return Application.objects.select_for_update().select_related("product").get(pk=application.pk)


@transaction.atomic
def closing_schedule(
    *, actor: User, application: Application, closing_date: date, first_payment_date: date
) -> Application:
    """Set the consummation date and the first payment date, then refresh the compliance checks (the CD wait
    and the APR depend on them)."""
    _require_closer(actor, "schedule closings")
    app = _lock(application)
    if app.status not in SCHEDULE_STATUSES:
        raise ClosingError(f"Closing cannot be scheduled while the application is {app.get_status_display()}.")
    if first_payment_date <= closing_date:
        raise ClosingError("The first payment date must be after the closing date.")
    if app.application_date and closing_date < app.application_date:
        raise ClosingError("The closing date cannot be before the application date.")
    before = {"closing_date": app.closing_date, "first_payment_date": app.first_payment_date}
    app.closing_date, app.first_payment_date = closing_date, first_payment_date
    app.save(update_fields=["closing_date", "first_payment_date", "updated_at"])
    audit_record(
        actor=actor,
        verb="application.closing_scheduled",
        target=app,
        before=before,
        after={"closing_date": closing_date, "first_payment_date": first_payment_date},
    )
    compliance_run(application=app, actor=actor)
    return app


def _closing_figures(app: Application) -> LoanFigures:
    if app.closing_date is None or app.first_payment_date is None:
        raise ClosingError("Schedule the closing (closing and first payment dates) first.")
    try:
        return loan_figures(application=app, advance_date=app.closing_date, first_payment_date=app.first_payment_date)
    except DisclosureError as exc:
        raise ClosingError(str(exc)) from exc


@dataclass(frozen=True)
class EscrowMonthLine:
    """One month of the initial escrow projection, with what is paid out of escrow that month."""

    month: int
    payment_date: date
    payment: Decimal
    disbursements: Decimal
    descriptions: tuple[str, ...]
    balance: Decimal


@dataclass(frozen=True)
class EscrowStatement:
    """What the initial escrow account disclosure shows: the estimated disbursements and their projection."""

    disbursements: tuple[escrow.EscrowDisbursement, ...]
    projection: escrow.EscrowProjection

    @property
    def lines(self) -> list[EscrowMonthLine]:
        months = self.projection.months
        ends = [m.payment_date for m in months[1:]] + [add_months(self.projection.first_payment_date, escrow.MONTHS)]
        return [
            EscrowMonthLine(
                month=m.month,
                payment_date=m.payment_date,
                payment=m.payment,
                disbursements=m.disbursements,
                descriptions=tuple(d.description for d in self.disbursements if m.payment_date <= d.due_date < end),
                balance=m.balance,
            )
            for m, end in zip(months, ends, strict=True)
        ]


def escrow_disbursements(application: Application, first_payment_date: date) -> list[escrow.EscrowDisbursement]:
    """The escrow year's estimated disbursements from the subject property (see the module docstring);
    amounts of zero are left out."""
    prop = getattr(application, "subject_property", None)
    if prop is None:
        return []
    tax = prop.annual_property_tax or ZERO
    installments = split_evenly(tax, 2)  # the odd cent goes on the second installment
    items = [
        escrow.EscrowDisbursement(
            add_months(first_payment_date, payment - 1), amount, f"Property tax, installment {number} of 2"
        )
        for number, (payment, amount) in enumerate(zip(PROPERTY_TAX_PAYMENTS, installments, strict=True), start=1)
    ]
    items.append(
        escrow.EscrowDisbursement(
            add_months(first_payment_date, INSURANCE_PAYMENT - 1),
            prop.annual_insurance or ZERO,
            "Homeowner's insurance premium",
        )
    )
    return [item for item in items if item.amount > 0]


def escrow_statement(application: Application, first_payment_date: date) -> EscrowStatement | None:
    """The initial escrow account statement (1024.17(g)) of a product that escrows, else None.
    Raises ClosingError when escrow is required but there is nothing to escrow."""
    if not application.product.escrow_required:
        return None
    items = escrow_disbursements(application, first_payment_date)
    if not items:
        raise ClosingError(
            "The product requires escrow but the property has no property tax or insurance to escrow: "
            "enter them on the property first."
        )
    return EscrowStatement(disbursements=tuple(items), projection=escrow.escrow_projection(items, first_payment_date))


SCHEDULE_COLUMNS = ("No.", "Due", "Payment", "Principal", "Interest", "Balance")
SCHEDULE_GAP = "  "  # between two columns


def schedule_lines(schedule: amortization.Schedule) -> tuple[str, list[str], str]:
    """The amortization schedule as fixed-width lines (header, one per installment, totals): a long schedule is
    laid out as one text line per row, an order of magnitude faster in WeasyPrint than a table cell per figure.
    Each column is as wide as its widest figure: WeasyPrint draws every character, padding spaces included, one
    by one in Python (a 300,000.00 loan's lines are 65 characters, not the 82 of columns wide enough for any)."""
    rows = [
        (
            str(row.number),
            f"{row.due_date:%b} {row.due_date.day:>2}, {row.due_date.year}",
            f"{row.payment:,}",
            f"{row.principal:,}",
            f"{row.interest:,}",
            f"{row.balance:,}",
        )
        for row in schedule.rows
    ]
    principal = sum((row.principal for row in schedule.rows), ZERO)
    totals = ("", "Totals", f"{schedule.total_payments:,}", f"{principal:,}", f"{schedule.total_interest:,}", "")
    widths = [max(len(cells[i]) for cells in (SCHEDULE_COLUMNS, totals, *rows)) for i in range(len(totals))]
    return (
        _schedule_line(SCHEDULE_COLUMNS, widths),
        [_schedule_line(cells, widths) for cells in rows],
        _schedule_line(totals, widths),
    )


def _schedule_line(cells: tuple[str, ...], widths: list[int]) -> str:
    """One line: the number right-aligned, the date left-aligned, the amounts right-aligned, no trailing space."""
    number, due, *amounts = cells
    aligned = [number.rjust(widths[0]), due.ljust(widths[1])]
    aligned += [amount.rjust(width) for amount, width in zip(amounts, widths[2:], strict=True)]
    return SCHEDULE_GAP.join(aligned).rstrip()


def schedule_document_context(schedule: amortization.Schedule) -> dict[str, Any]:
    """What templates/pdf/amortization_schedule.html prints of ``schedule``: the column header (a table header
    WeasyPrint repeats at the top of every page), every installment's line as one preformatted text, the totals."""
    header, lines, totals = schedule_lines(schedule)
    return {
        "schedule": schedule,
        "schedule_header": header,
        "schedule_lines": lines,
        "schedule_text": "\n".join(lines),
        "schedule_totals": totals,
    }


def _latest_disclosure_pdf(app: Application, kind: str) -> tuple[Disclosure, bytes]:
    disclosure = app.disclosures.filter(kind=kind).order_by("-issued_on", "-id").first()
    if disclosure is None or not disclosure.document:
        label = Disclosure.Kind(kind).label
        raise ClosingError(f"Issue the {label} first: the closing package includes it.")
    with disclosure.document.open("rb") as handle:
        return disclosure, handle.read()


def _disclosure_copies(app: Application) -> list[tuple[str, bytes, str]]:
    """Copies of the disclosures the product calls for, as issued: the latest Loan Estimate and Closing
    Disclosure of a mortgage, the Truth in Lending disclosure of another consumer loan, none for a business loan."""
    copies = []
    for kind in disclosures.kinds_for(app):
        disclosure, pdf = _latest_disclosure_pdf(app, kind)
        copies.append((COPY_KINDS[kind], pdf, f"{disclosure.get_kind_display()} issued {disclosure.issued_on}"))
    return copies


def closing_package_context(app: Application, figures: LoanFigures, **extra: Any) -> dict[str, Any]:
    """What the generated closing documents show: the loan document context, the full schedule (the note's
    figures) and, for products that escrow, the initial escrow statement."""
    statement = escrow_statement(app, figures.first_payment_date)
    return document_context(
        app, figures, **schedule_document_context(figures.schedule), escrow_statement=statement, **extra
    )


def _store(app: Application, actor: User, kind: str, pdf: bytes, title: str) -> ClosingDocument:
    document = ClosingDocument(
        application=app, kind=kind, title=title, sha256=hashlib.sha256(pdf).hexdigest(), generated_by=actor
    )
    document.file.save(f"{app.number}-{kind.replace('_', '-')}.pdf", ContentFile(pdf), save=False)
    try:
        document.save()
    except BaseException:
        document.file.delete(save=False)
        raise
    return document


@transaction.atomic
def closing_documents_generate(*, actor: User, application: Application) -> list[ClosingDocument]:
    """Generate the closing package as PDFs: the promissory note (terms and a payment schedule summary), copies
    of the disclosures the product calls for as issued (``_disclosure_copies``), the first-payment letter, the
    initial escrow account disclosure (products that escrow) and the full amortization schedule. Each is stored with its
    SHA-256. Generating again adds a new set; the newest of each kind is the one in force."""
    _require_closer(actor, "generate closing documents")
    app = _lock(application)
    if app.status not in DOCUMENT_STATUSES:
        raise ClosingError(
            f"Closing documents are generated once clear to close, not while {app.get_status_display()}."
        )
    figures = _closing_figures(app)
    copies = _disclosure_copies(app)
    final = disclosures.final_disclosure(app)
    context = closing_package_context(app, figures, final_disclosure=final)
    rendered = [
        (PROMISSORY_NOTE, pdf_render(PDF_TEMPLATES[PROMISSORY_NOTE], context), "Promissory note"),
        *copies,
        (
            FIRST_PAYMENT_LETTER,
            pdf_render(PDF_TEMPLATES[FIRST_PAYMENT_LETTER], context),
            f"First payment letter (due {app.first_payment_date})",
        ),
    ]
    if context["escrow_statement"] is not None:
        rendered.append(
            (
                ESCROW_DISCLOSURE,
                pdf_render(PDF_TEMPLATES[ESCROW_DISCLOSURE], context),
                DOCUMENT_TITLES[ESCROW_DISCLOSURE],
            )
        )
    rendered.append(
        (
            AMORTIZATION_SCHEDULE,
            pdf_render(PDF_TEMPLATES[AMORTIZATION_SCHEDULE], context),
            f"Amortization schedule ({len(figures.schedule.rows)} payments)",
        )
    )
    documents: list[ClosingDocument] = []
    try:
        for kind, pdf, title in rendered:
            documents.append(_store(app, actor, kind, pdf, title))
        audit_record(
            actor=actor,
            verb="closing.documents_generated",
            target=app,
            after={d.kind: d.sha256 for d in documents},
        )
    except BaseException:
        for document in documents:
            document.file.delete(save=False)  # no stored file without its row
        raise
    return documents


@transaction.atomic
def closing_signing_record(
    *,
    actor: User,
    application: Application,
    signed_on: date,
    location: str = "",
    notary: str = "",
    notes: str = "",
) -> ClosingSignature:
    """Record the borrowers' signing of the closing package (consummation), which the ``close`` transition
    requires. While the application is in closing; the signing date is the scheduled closing date and not in
    the future. Recording again corrects the record (audited with what it replaced)."""
    _require_closer(actor, "record signings")
    app = _lock(application)
    if app.status not in SIGNING_STATUSES:
        raise ClosingError(
            f"The signing is recorded while the application is in closing, not while {app.get_status_display()}."
        )
    if app.closing_date is None:
        raise ClosingError("Schedule the closing first.")
    if signed_on != app.closing_date:
        raise ClosingError(
            f"The signing date {signed_on} is not the scheduled closing date {app.closing_date}: the borrowers "
            "sign at consummation (reschedule the closing if it moved)."
        )
    if signed_on > timezone.localdate():
        raise ClosingError(f"The signing date {signed_on} is in the future: record the signing once it happened.")
    values = {"signed_on": signed_on, "location": location.strip(), "notary": notary.strip(), "notes": notes.strip()}
    signature = ClosingSignature.objects.select_for_update().filter(application=app).first()
    before = None
    if signature is None:
        # The terms are those of the first signing: correcting the record later never re-reads the product.
        signature = ClosingSignature(application=app, recorded_by=actor, terms=contract_terms_snapshot(app), **values)
    else:
        before = {name: getattr(signature, name) for name in values}
        for name, value in values.items():
            setattr(signature, name, value)
        signature.recorded_by, signature.recorded_at = actor, timezone.now()
    signature.save()
    audit_record(
        actor=actor,
        verb="closing.signing_corrected" if before else "closing.signing_recorded",
        target=app,
        before=before,
        after=values,
    )
    return signature


def _funding_amounts(app: Application) -> tuple[Decimal, Decimal, int | None]:
    """The loan amount, what is disbursed (the amount financed: the loan less the prepaid finance charges
    withheld) and the disclosure they come from: the latest Closing Disclosure or Truth in Lending disclosure as
    disclosed (later product edits do not reach a loan in closing); a business loan, which gets no disclosure,
    on the figures of its closing. Raises FundingError."""
    rule = app.product.disclosure_rule
    final = disclosures.final_disclosure(app)
    if rule in disclosures.FINAL_KIND:
        label = Disclosure.Kind(disclosures.FINAL_KIND[rule]).label
        if final is None:
            raise FundingError(f"No {label} on file: nothing to fund against.")
        if final.loan_amount != app.amount_requested:
            raise FundingError(
                f"The loan amount ({app.amount_requested}) differs from the {label}'s ({final.loan_amount}): "
                f"issue a corrected {label} first."
            )
        return final.loan_amount, final.amount_financed, final.pk
    try:
        figures = _closing_figures(app)
    except ClosingError as exc:
        raise FundingError(str(exc)) from exc
    return figures.loan_amount, figures.amount_financed, None


@transaction.atomic
def loan_fund(
    *,
    actor: User,
    application: Application,
    funded_on: date,
    wire_reference: str,
    method: str = Funding.Method.WIRE,
) -> Funding:
    """Fund a closed loan: record the disbursement (``_funding_amounts``: the amount financed, the loan amount
    less the prepaid finance charges withheld), the date, the method (wire unless given: wire, ACH or check;
    ``wire_reference`` holds its reference: wire confirmation, ACH trace or check number), move the application
    to funded, and announce ``loan_funded`` on commit. Funding twice is refused with FundingError and changes
    nothing (the application row is locked, and Funding is one-to-one)."""
    _require_closer(actor, "fund loans")
    if method not in Funding.Method.values:
        raise FundingError(f"Unknown funding method {method!r}: use wire, ACH or check.")
    app = _lock(application)
    existing = Funding.objects.filter(application=app).first()
    if existing is not None:
        raise FundingError(
            f"{app.number} was already funded on {existing.funded_on} ({existing.method_in_text} "
            f"{existing.wire_reference or 'n/a'}): a loan is funded once."
        )
    if app.status != "closed":
        raise FundingError(f"Only a closed loan can be funded; {app.number} is {app.get_status_display()}.")
    if funded_on < app.closing_date:  # type: ignore[operator]  # a closed loan has its closing date
        raise FundingError(f"The funding date cannot be before the closing on {app.closing_date}.")
    if funded_on > timezone.localdate():
        raise FundingError(f"The funding date {funded_on} is in the future: record funding when the money moves.")
    rescission_ends = workflow.rescission_ends_on(app)
    if rescission_ends is not None and funded_on <= rescission_ends:
        raise FundingError(f"The right to rescind runs through {rescission_ends}: fund after it (1026.23(c)).")
    loan_amount, disbursed, disclosure_id = _funding_amounts(app)
    prepaid = loan_amount - disbursed
    try:
        with transaction.atomic():
            funding = Funding.objects.create(
                application=app,
                loan_amount=loan_amount,
                disbursed_amount=disbursed,
                funded_on=funded_on,
                method=method,
                wire_reference=wire_reference.strip(),
                funded_by=actor,
            )
    except IntegrityError as exc:  # someone funded it between our check and our insert
        raise FundingError(f"{app.number} is already funded: a loan is funded once.") from exc
    note = f"{funding.get_method_display()} {funding.wire_reference}".strip()
    application_transition(application=app, name="fund", actor=actor, note=note)
    audit_record(
        actor=actor,
        verb="loan.funded",
        target=funding,
        after={
            "loan_amount": funding.loan_amount,
            "disbursed_amount": funding.disbursed_amount,
            "prepaid_finance_charges": prepaid,
            "disclosure": disclosure_id,
            "funded_on": funded_on,
            "method": funding.method,
            "wire_reference": funding.wire_reference,
        },
    )
    transaction.on_commit(lambda: loan_funded.send(sender=Application, application=app, funding=funding, actor=actor))
    return funding
