"""Closing and funding: schedule the closing, generate the closing documents, fund the loan.

Funding is one atomic step: the Funding row (one per application, so funding twice is impossible), the
``fund`` transition, the audit event; ``origination.signals.loan_funded`` is sent on commit for servicing.
"""

from __future__ import annotations

import hashlib
from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from lending.core import calendar, roles
from lending.core.models import User
from lending.core.services import audit_record
from origination import workflow
from origination.models import Application, ClosingDocument, Disclosure, Funding
from origination.services.compliance import compliance_run
from origination.services.disclosures import (
    DisclosureError,
    document_context,
    loan_figures,
    pdf_render,
)
from origination.services.workflow import application_transition
from origination.signals import loan_funded

CLOSING_ROLES = (roles.CLOSER, roles.MANAGER)
SCHEDULE_STATUSES = ("approved", "conditionally_approved", "clear_to_close", "closing")
DOCUMENT_STATUSES = ("clear_to_close", "closing")
PROMISSORY_NOTE, CLOSING_DISCLOSURE_COPY, FIRST_PAYMENT_LETTER = (
    "promissory_note",
    "closing_disclosure",
    "first_payment_letter",
)
DOCUMENT_TITLES = {
    PROMISSORY_NOTE: "Promissory note",
    CLOSING_DISCLOSURE_COPY: "Closing Disclosure (copy as issued)",
    FIRST_PAYMENT_LETTER: "First payment letter",
}
PDF_TEMPLATES = {PROMISSORY_NOTE: "pdf/promissory_note.html", FIRST_PAYMENT_LETTER: "pdf/first_payment_letter.html"}


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


def _closing_figures(app: Application):
    if app.closing_date is None or app.first_payment_date is None:
        raise ClosingError("Schedule the closing (closing and first payment dates) first.")
    try:
        return loan_figures(application=app, advance_date=app.closing_date, first_payment_date=app.first_payment_date)
    except DisclosureError as exc:
        raise ClosingError(str(exc)) from exc


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
    """Generate the closing package as PDFs: the promissory note (terms and a payment schedule summary), a copy
    of the latest Closing Disclosure as issued, and the first-payment letter. Each is stored with its SHA-256.
    Generating again adds a new set; the newest of each kind is the one in force."""
    _require_closer(actor, "generate closing documents")
    app = _lock(application)
    if app.status not in DOCUMENT_STATUSES:
        raise ClosingError(
            f"Closing documents are generated once clear to close, not while {app.get_status_display()}."
        )
    figures = _closing_figures(app)
    cd = app.disclosures.filter(kind=Disclosure.Kind.CLOSING_DISCLOSURE).order_by("-issued_on", "-id").first()
    if cd is None or not cd.document:
        raise ClosingError("Issue the Closing Disclosure first: the closing package includes it.")
    with cd.document.open("rb") as handle:
        cd_pdf = handle.read()
    context = document_context(app, figures, closing_disclosure=cd)
    rendered = [
        (PROMISSORY_NOTE, pdf_render(PDF_TEMPLATES[PROMISSORY_NOTE], context), "Promissory note"),
        (CLOSING_DISCLOSURE_COPY, cd_pdf, f"Closing Disclosure issued {cd.issued_on}"),
        (
            FIRST_PAYMENT_LETTER,
            pdf_render(PDF_TEMPLATES[FIRST_PAYMENT_LETTER], context),
            f"First payment letter (due {app.first_payment_date})",
        ),
    ]
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


def _rescission_ends(app: Application) -> date | None:
    """The last day of the right to rescind (refinance of a principal dwelling, 1026.23), else None."""
    if app.purpose not in ("refinance", "cash_out") or app.product.kind != "mortgage" or app.closing_date is None:
        return None
    prop = getattr(app, "subject_property", None)
    if prop is None or prop.occupancy != "primary":
        return None
    return calendar.add_business_days(app.closing_date, workflow.RESCISSION_BUSINESS_DAYS, calendar.SPECIFIC)


@transaction.atomic
def loan_fund(*, actor: User, application: Application, funded_on: date, wire_reference: str) -> Funding:
    """Fund a closed loan: record the disbursement (the loan amount less the prepaid finance charges withheld, as
    the latest Closing Disclosure disclosed them: its amount financed), move the application to funded, and
    announce ``loan_funded`` on commit. Funding twice is refused with FundingError and changes nothing (the
    application row is locked, and Funding is one-to-one)."""
    _require_closer(actor, "fund loans")
    app = _lock(application)
    existing = Funding.objects.filter(application=app).first()
    if existing is not None:
        raise FundingError(
            f"{app.number} was already funded on {existing.funded_on} (wire {existing.wire_reference or 'n/a'}): "
            "a loan is funded once."
        )
    if app.status != "closed":
        raise FundingError(f"Only a closed loan can be funded; {app.number} is {app.get_status_display()}.")
    if funded_on < app.closing_date:
        raise FundingError(f"The funding date cannot be before the closing on {app.closing_date}.")
    if funded_on > timezone.localdate():
        raise FundingError(f"The funding date {funded_on} is in the future: record funding when the money moves.")
    rescission_ends = _rescission_ends(app)
    if rescission_ends is not None and funded_on <= rescission_ends:
        raise FundingError(f"The right to rescind runs through {rescission_ends}: fund after it (1026.23(c)).")
    # Disburse what the Closing Disclosure disclosed (later product edits do not reach a loan in closing).
    cd = app.disclosures.filter(kind=Disclosure.Kind.CLOSING_DISCLOSURE).order_by("-issued_on", "-id").first()
    if cd is None:
        raise FundingError("No Closing Disclosure on file: nothing to fund against.")
    if cd.loan_amount != app.amount_requested:
        raise FundingError(
            f"The loan amount ({app.amount_requested}) differs from the Closing Disclosure's ({cd.loan_amount}): "
            "issue a corrected Closing Disclosure first."
        )
    prepaid = cd.loan_amount - cd.amount_financed
    try:
        with transaction.atomic():
            funding = Funding.objects.create(
                application=app,
                loan_amount=cd.loan_amount,
                disbursed_amount=cd.amount_financed,
                funded_on=funded_on,
                wire_reference=wire_reference.strip(),
                funded_by=actor,
            )
    except IntegrityError as exc:  # someone funded it between our check and our insert
        raise FundingError(f"{app.number} is already funded: a loan is funded once.") from exc
    note = f"Wire {funding.wire_reference}" if funding.wire_reference else ""
    application_transition(application=app, name="fund", actor=actor, note=note)
    audit_record(
        actor=actor,
        verb="loan.funded",
        target=funding,
        after={
            "loan_amount": funding.loan_amount,
            "disbursed_amount": funding.disbursed_amount,
            "prepaid_finance_charges": prepaid,
            "closing_disclosure": cd.pk,
            "funded_on": funded_on,
            "wire_reference": funding.wire_reference,
        },
    )
    transaction.on_commit(lambda: loan_funded.send(sender=Application, application=app, funding=funding, actor=actor))
    return funding
